import { TraceFlags } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';

type OnDropped = (reason: string, count: number) => void;

/**
 * Makes the upstream batch processors' losses visible in domain.telemetry.dropped: records
 * refused because the batch queue is full, and records whose export failed for good.
 * The queue is read from the batch processor itself (`_finishedSpans` /
 * `_finishedLogRecords` in the pinned 3.0 SDK); if a newer SDK renames it, overflow is
 * simply not counted, while export failures still are.
 */
function queueLength(processor: object, field: string): number | undefined {
  const queue = (processor as Record<string, unknown>)[field];
  return Array.isArray(queue) ? queue.length : undefined;
}

function countFailures<T>(exporter: { export(items: T[], done: (r: ExportResult) => void): void }, onDropped: OnDropped) {
  return (items: T[], done: (r: ExportResult) => void) =>
    exporter.export(items, (r) => {
      if (r.code !== ExportResultCode.SUCCESS) onDropped('export_failed', items.length);
      done(r);
    });
}

export function countingSpanPipeline(
  exporter: SpanExporter, maxQueueSize: number, onDropped: OnDropped, makeProcessor: (e: SpanExporter) => SpanProcessor,
): SpanProcessor {
  const inner = makeProcessor({
    export: countFailures<ReadableSpan>(exporter, onDropped),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  });
  return {
    onStart: (span: Span, ctx: Context) => inner.onStart(span, ctx),
    onEnd: (span: ReadableSpan) => {
      // unsampled spans never enter the batch queue
      const sampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
      if (sampled && (queueLength(inner, '_finishedSpans') ?? 0) >= maxQueueSize) onDropped('queue_full', 1);
      inner.onEnd(span);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}

export function countingLogPipeline(
  exporter: LogRecordExporter, maxQueueSize: number, onDropped: OnDropped, makeProcessor: (e: LogRecordExporter) => LogRecordProcessor,
): LogRecordProcessor {
  const inner = makeProcessor({
    export: countFailures<ReadableLogRecord>(exporter, onDropped),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  });
  return {
    onEmit: (record: ReadWriteLogRecord, ctx?: Context) => {
      if ((queueLength(inner, '_finishedLogRecords') ?? 0) >= maxQueueSize) onDropped('queue_full', 1);
      inner.onEmit(record, ctx);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}
