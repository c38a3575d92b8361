// The audit processor's queue: every record exported exactly once, whatever the interleaving of
// scheduled exports and flushes.
import assert from 'node:assert/strict';
import type { ReadWriteLogRecord, ReadableLogRecord, LogRecordExporter } from '@opentelemetry/sdk-logs';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { AuditLogRecordProcessor } from '../src/logs/audit-processor';

function slowExporter(ms: number) {
  const exported: string[] = [];
  let calls = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const exporter: LogRecordExporter = {
    export(batch: ReadableLogRecord[], done: (r: ExportResult) => void) {
      calls++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const uids = batch.map((r) => String(r.attributes['log.record.uid']));
      setTimeout(() => { concurrent--; exported.push(...uids); done({ code: ExportResultCode.SUCCESS }); }, ms);
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  return { exporter, exported, stats: () => ({ calls, maxConcurrent }) };
}

const record = (i: number) => ({ attributes: { 'log.record.uid': `uid-${i}` }, resource: undefined }) as unknown as ReadWriteLogRecord;

function processor(exporter: LogRecordExporter, dropped: string[] = []) {
  return new AuditLogRecordProcessor({
    exporter, maxQueueSize: 100_000, maxExportBatchSize: 512, scheduledDelayMillis: 1000, strict: false,
    onDropped: (reason, count) => dropped.push(`${reason}:${count}`),
  });
}

function assertEachOnce(exported: string[], n: number) {
  const counts = new Map<string, number>();
  for (const u of exported) counts.set(u, (counts.get(u) ?? 0) + 1);
  const missing = Array.from({ length: n }, (_, i) => `uid-${i}`).filter((u) => !counts.has(u));
  const twice = [...counts].filter(([, c]) => c > 1).map(([u]) => u);
  assert.deepEqual({ missing: missing.length, twice: twice.length }, { missing: 0, twice: 0 }, `missing e.g. ${missing.slice(0, 3)}, twice e.g. ${twice.slice(0, 3)}`);
}

describe('AuditLogRecordProcessor queue', () => {
  it('a flush while a scheduled export is due or in flight exports every record exactly once', async () => {
    const { exporter, exported, stats } = slowExporter(5);
    const dropped: string[] = [];
    const p = processor(exporter, dropped);
    for (let i = 0; i < 1200; i++) p.onEmit(record(i)); // ≥ one batch: an export is scheduled at once
    await p.forceFlush(); // races the scheduled export
    await new Promise((r) => setTimeout(r, 50));
    assertEachOnce(exported, 1200);
    assert.equal(p.pending(), 0);
    assert.equal(stats().maxConcurrent, 1, 'one export at a time');
    assert.deepEqual(dropped, []);
  });

  it('records emitted during a flush, and flushes started during flushes, are all exported once', async () => {
    const { exporter, exported, stats } = slowExporter(2);
    const p = processor(exporter);
    let next = 0;
    const emit = (n: number) => { for (let i = 0; i < n; i++) p.onEmit(record(next++)); };
    emit(700);
    const flushes = [p.forceFlush()];
    emit(900);
    await new Promise((r) => setImmediate(r));
    flushes.push(p.forceFlush());
    emit(333);
    await Promise.all(flushes);
    await p.forceFlush();
    assertEachOnce(exported, next);
    assert.equal(stats().maxConcurrent, 1);
  });

  it('shutdown after a burst delivers everything once', async () => {
    const { exporter, exported } = slowExporter(3);
    const p = processor(exporter);
    for (let i = 0; i < 5000; i++) p.onEmit(record(i));
    await new Promise((r) => setTimeout(r, 4)); // an export in flight
    await p.shutdown();
    assertEachOnce(exported, 5000);
  });
});
