import assert from 'node:assert/strict';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ExportResult } from '@opentelemetry/core';
import { countingLogPipeline, countingSpanPipeline } from '../src/counting';

/** An exporter whose exports stay in flight until released, so the batch queue fills up. */
function stalledExporter<T>() {
  const pending: { items: T[]; done: (r: ExportResult) => void }[] = [];
  return {
    pending,
    exporter: {
      export(items: T[], done: (r: ExportResult) => void) { pending.push({ items, done }); },
      shutdown: async () => {},
      forceFlush: async () => {},
    },
  };
}

describe('counting what the batch processors drop', () => {
  it('spans refused by a full queue and spans whose export failed are counted, and only those', async () => {
    const drops: [string, number][] = [];
    const { pending, exporter } = stalledExporter<ReadableSpan>();
    const processor = countingSpanPipeline(exporter as SpanExporter, 2, (reason, n) => drops.push([reason, n]),
      (e) => new BatchSpanProcessor({ exporter: e, maxQueueSize: 2, maxExportBatchSize: 2, scheduledDelayMillis: 60000 }));
    const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('t');
    for (let i = 0; i < 2; i++) tracer.startSpan(`s${i}`).end(); // a full batch: exported at once
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pending.length, 1, 'first batch in flight');
    for (let i = 2; i < 6; i++) tracer.startSpan(`s${i}`).end(); // two fit in the queue, two do not
    assert.deepEqual(drops, [['queue_full', 1], ['queue_full', 1]]);
    pending[0].done({ code: 1, error: new Error('collector gone') });
    assert.deepEqual(drops.at(-1), ['export_failed', 2]);
  });

  it('ordinary log records likewise', async () => {
    const drops: [string, number][] = [];
    const { pending, exporter } = stalledExporter<ReadableLogRecord>();
    const processor = countingLogPipeline(exporter as LogRecordExporter, 2, (reason, n) => drops.push([reason, n]),
      (e) => new BatchLogRecordProcessor({ exporter: e, maxQueueSize: 2, maxExportBatchSize: 2, scheduledDelayMillis: 60000 }));
    const logger = new LoggerProvider({ processors: [processor] }).getLogger('t');
    for (let i = 0; i < 2; i++) logger.emit({ body: `r${i}` });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pending.length, 1);
    for (let i = 2; i < 5; i++) logger.emit({ body: `r${i}` });
    assert.deepEqual(drops, [['queue_full', 1]]);
    pending[0].done({ code: 0 });
    assert.deepEqual(drops, [['queue_full', 1]], 'a successful export counts nothing');
  });
});
