// The audit processor with its spool, in process: what is only in memory (and so lost to a
// SIGKILL) goes to disk as soon as the collector stalls or fails, and comes back in order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { AuditLogRecordProcessor } from '../src/logs/audit-processor';
import { AuditSpool } from '../src/spool/spool';

const resource = resourceFromAttributes({ 'service.name': 'processor-spool-test' });
const record = (i: number) => ({
  attributes: { 'log.record.uid': `uid-${i}` }, resource, instrumentationScope: { name: 'test' },
  hrTime: [1_760_000_000, i], hrTimeObserved: [1_760_000_000, i], droppedAttributesCount: 0,
}) as unknown as ReadWriteLogRecord;

/** An exporter whose collector is down (never answers) until `up()`, then answers at once. */
function flakyExporter() {
  const exported: string[] = [];
  const stuck: ((r: ExportResult) => void)[] = [];
  let isUp = false;
  const exporter: LogRecordExporter = {
    export(batch: ReadableLogRecord[], done: (r: ExportResult) => void) {
      if (!isUp) { stuck.push(done); return; }
      exported.push(...batch.map((r) => String(r.attributes['log.record.uid'])));
      setImmediate(() => done({ code: ExportResultCode.SUCCESS }));
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  return {
    exporter, exported,
    up() {
      isUp = true;
      // the stuck request finally fails, as a timed-out export does
      for (const done of stuck.splice(0)) done({ code: ExportResultCode.FAILED, error: new Error('Request timed out') });
    },
  };
}

describe('AuditLogRecordProcessor with the spool', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-proc-spool-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a stalled export moves everything in memory to the spool (a SIGKILL then loses nothing), and all of it is delivered once the collector is back', async () => {
    const f = flakyExporter();
    const spool = new AuditSpool({ serviceDir: dir, maxBytes: 1 << 26, maxPending: 100_000 });
    const dropped: string[] = [];
    const p = new AuditLogRecordProcessor({
      exporter: f.exporter, maxQueueSize: 10_000, maxExportBatchSize: 100, scheduledDelayMillis: 20, strict: false,
      onDropped: (reason, n) => dropped.push(`${reason}:${n}`), spool, stallMillis: 200,
    });
    for (let i = 0; i < 1000; i++) p.onEmit(record(i));
    assert.equal(p.pending(), 1000, 'in memory before the stall');
    await new Promise((r) => setTimeout(r, 400)); // the first export has stalled
    for (let i = 1000; i < 1500; i++) p.onEmit(record(i)); // arrive during the stall: straight to the spool
    await spool.whenWritten();
    assert.equal(p.pending(), 0, 'nothing only in memory any more');
    f.up();
    await p.forceFlush();
    await p.forceFlush();
    const expected = Array.from({ length: 1500 }, (_, i) => `uid-${i}`);
    assert.deepEqual([...new Set(f.exported)].sort(), [...expected].sort(), 'every record delivered');
    assert.deepEqual(f.exported.filter((u, i) => f.exported.indexOf(u) !== i), [], 'none twice (the stalled export failed)');
    assert.deepEqual(f.exported, expected, 'in order');
    assert.deepEqual(dropped, []);
    assert.equal(spool.isEmpty(), true);
    await p.shutdown();
  });
});
