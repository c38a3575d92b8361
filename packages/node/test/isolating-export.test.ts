// Permanent refusals: which export failures refuse the records themselves (refusal.ts), and
// how a refused batch is split so only the refused records are set aside (isolating-export.ts,
// audit-processor.ts).
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { refusalClassifier } from '../src/logs/refusal';
import { exportIsolating } from '../src/logs/isolating-export';
import { AuditLogRecordProcessor } from '../src/logs/audit-processor';
import type { Refusal } from '../src/logs/audit-processor';

const http = refusalClassifier('http/protobuf');
const grpcRefusal = refusalClassifier('grpc');
const grpcError = (code: grpc.status, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new grpc.Metadata() });

describe('refusal classification', () => {
  it('HTTP 400 and 413 refuse the records; 401, 403, 404, 429, 5xx and network errors do not', () => {
    assert.match(http(new OTLPExporterError('Payload Too Large', 413, 'body over limit')) ?? '', /^HTTP 413 Payload Too Large: body over limit/);
    assert.match(http(new OTLPExporterError('Bad Request', 400, '')) ?? '', /^HTTP 400/);
    for (const code of [401, 403, 404, 429, 500, 503]) assert.equal(http(new OTLPExporterError('x', code, '')), undefined, String(code));
    assert.equal(http(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), undefined);
    assert.equal(http(new Error('Request timed out')), undefined);
  });

  it('gRPC INVALID_ARGUMENT refuses; RESOURCE_EXHAUSTED only for the message size limit; UNAVAILABLE, DEADLINE_EXCEEDED, UNAUTHENTICATED do not', () => {
    assert.match(grpcRefusal(grpcError(grpc.status.INVALID_ARGUMENT, 'bad record')) ?? '', /^gRPC INVALID_ARGUMENT bad record/);
    assert.match(grpcRefusal(grpcError(grpc.status.RESOURCE_EXHAUSTED, 'Received message larger than max (5000000 vs. 4194304)')) ?? '', /RESOURCE_EXHAUSTED/);
    assert.equal(grpcRefusal(grpcError(grpc.status.RESOURCE_EXHAUSTED, 'memory limiter: data refused')), undefined);
    for (const code of [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.UNAUTHENTICATED]) {
      assert.equal(grpcRefusal(grpcError(code, 'x')), undefined, String(code));
    }
  });
});

/** A receiver stand-in at the exporter interface: refuses (413) any request holding a poison item. */
function refusingSender(poison: Set<number>, failAfterRequests = Infinity) {
  let requests = 0;
  const send = async (items: readonly number[]): Promise<ExportResult> => {
    requests++;
    if (requests > failAfterRequests) return { code: ExportResultCode.FAILED, error: new OTLPExporterError('Service Unavailable', 503, '') };
    return items.some((i) => poison.has(i))
      ? { code: ExportResultCode.FAILED, error: new OTLPExporterError('Payload Too Large', 413, '') }
      : { code: ExportResultCode.SUCCESS };
  };
  return { send, requests: () => requests };
}

describe('exportIsolating', () => {
  const items = Array.from({ length: 512 }, (_, i) => i);

  it('isolates exactly the refused items of a batch in O(k log n) requests', async () => {
    const s = refusingSender(new Set([17, 400]));
    const r = await exportIsolating(items, s.send, http);
    assert.equal(r.handled, 512);
    assert.deepEqual([...r.refused.keys()].sort((a, b) => a - b), [17, 400]);
    assert.equal(r.failure, undefined);
    assert.ok(s.requests() <= 1 + 2 * 2 * 9, `${s.requests()} requests`);
  });

  it('stops at the first failure that is not a refusal: what was handled is a prefix', async () => {
    const s = refusingSender(new Set([300]), 3); // whole, left half ok, right half refused, then 503
    const r = await exportIsolating(items, s.send, http);
    assert.equal(r.handled, 256);
    assert.equal(r.refused.size, 0);
    assert.ok(r.failure instanceof OTLPExporterError);
  });

  it('a batch refused for another reason than the records is not split', async () => {
    let requests = 0;
    const r = await exportIsolating(items, async () => { requests++; return { code: ExportResultCode.FAILED, error: new OTLPExporterError('Unauthorized', 401, '') }; }, http);
    assert.deepEqual({ handled: r.handled, requests }, { handled: 0, requests: 1 });
  });
});

describe('AuditLogRecordProcessor with a refused record', () => {
  const record = (uid: string) => ({ attributes: { 'log.record.uid': uid }, resource: undefined }) as unknown as ReadWriteLogRecord;

  it('keeps delivering after a refusal: the record is set aside once, counted as rejected, and never retried', async () => {
    const exported: string[] = [];
    const attempts = new Map<string, number>();
    const exporter: LogRecordExporter = {
      export(batch: ReadableLogRecord[], done: (r: ExportResult) => void) {
        const uids = batch.map((r) => String(r.attributes['log.record.uid']));
        for (const u of uids) attempts.set(u, (attempts.get(u) ?? 0) + 1);
        setImmediate(() => {
          if (uids.includes('poison')) return done({ code: ExportResultCode.FAILED, error: new OTLPExporterError('Payload Too Large', 413, '') });
          exported.push(...uids);
          done({ code: ExportResultCode.SUCCESS });
        });
      },
      shutdown: async () => {},
      forceFlush: async () => {},
    };
    const dropped: string[] = [];
    const refusals: Refusal[] = [];
    const p = new AuditLogRecordProcessor({
      exporter, maxQueueSize: 1000, maxExportBatchSize: 8, scheduledDelayMillis: 10, strict: false,
      onDropped: (reason, n) => dropped.push(`${reason}:${n}`), refusal: http, onRefused: (r) => refusals.push(r),
    });
    p.onEmit(record('poison'));
    for (let i = 0; i < 20; i++) p.onEmit(record(`ok-${i}`));
    await p.forceFlush();
    await p.forceFlush();
    assert.deepEqual([...exported].sort(), Array.from({ length: 20 }, (_, i) => `ok-${i}`).sort());
    assert.deepEqual(dropped, ['rejected:1']);
    assert.equal(refusals.length, 1);
    assert.deepEqual(refusals[0]!.uids, ['poison']);
    assert.equal(p.pending(), 0);
    const before = attempts.get('poison');
    await p.forceFlush();
    assert.equal(attempts.get('poison'), before, 'not retried after it was set aside');
  });
});
