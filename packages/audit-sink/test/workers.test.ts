import assert from 'node:assert/strict';
import { PayloadError } from '../src';
import { RequestTooLarge } from '../src/limits';
import { prepareRequest } from '../src/prepare';
import { PreparePool } from '../src/prepare-pool';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { startSink, TOKEN, type SinkFixture } from './helpers/sink-fixture';
import { cli } from './helpers/cli-run';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;

function body(n: number): Uint8Array {
  return logsV1.ExportLogsServiceRequest.encode(logsV1.ExportLogsServiceRequest.fromObject({
    resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'w' } }] }, scopeLogs: [{ scope: { name: 's' },
      logRecords: Array.from({ length: n }, (_, i) => ({
        timeUnixNano: String(1763000000000000000n + BigInt(i)),
        eventName: i % 3 === 2 ? 'something.else' : 'domain.audit.decision',
        attributes: [
          { key: 'log.record.uid', value: { stringValue: `w-${i}` } },
          { key: 'domain.tenant.id', value: { stringValue: i % 2 ? 'acme' : 'globex' } },
          { key: 'n', value: { intValue: -i } },
        ],
      })) }] }],
  })).finish();
}

describe('audit-sink worker threads: decoding and hashing off the request thread', function () {
  this.timeout(60_000);

  it('prepare the same rows as the request thread, byte for byte', async () => {
    const pool = new PreparePool(2);
    try {
      const receivedAt = new Date('2025-11-13T02:13:20.123Z');
      const b = body(30);
      const local = prepareRequest(b, 'protobuf', receivedAt);
      const remote = await pool.run(b, 'protobuf', receivedAt);
      assert.equal(remote.total, 30);
      assert.equal(remote.ignored, 10);
      assert.deepEqual(
        remote.records.map((r) => ({ ...r, content: Buffer.from(r.content).toString('hex'), recordHash: Buffer.from(r.recordHash).toString('hex') })),
        local.records.map((r) => ({ ...r, content: Buffer.from(r.content).toString('hex'), recordHash: Buffer.from(r.recordHash).toString('hex') })),
      );
    } finally {
      await pool.close();
    }
  });

  it('a bad payload is a PayloadError with the same message; a worker that dies fails only its task and is replaced', async () => {
    const logs: string[] = [];
    const pool = new PreparePool(1, (l) => logs.push(l));
    try {
      const truncated = body(5).subarray(0, 40);
      let local = '';
      try {
        prepareRequest(truncated, 'protobuf', new Date());
      } catch (err) {
        local = (err as Error).message;
      }
      await assert.rejects(pool.run(truncated, 'protobuf', new Date()), (err: Error) => err instanceof PayloadError && err.message === local);

      // What a bug in the worker looks like from outside: the thread ends with a task pending.
      // (Reaching into the pool: there is no other way to kill its thread from a test.)
      const slot = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!;
      const pending = pool.run(body(2000), 'protobuf', new Date());
      await slot.worker.terminate();
      await assert.rejects(pending, /prepare worker exited/);
      assert.match(logs.join('\n'), /prepare worker exited with code 1; starting a new one/);
      const after = await pool.run(body(3), 'protobuf', new Date());
      assert.equal(after.records.length, 2, 'the replacement worker serves the next request');
    } finally {
      await pool.close();
    }
  });

  it('a worker whose heap runs out on one request fails that request with RequestTooLarge (413, its retry would too), and the next one is served', async () => {
    const logs: string[] = [];
    const pool = new PreparePool(1, (l) => logs.push(l), 48);
    const keepAlive = setInterval(() => {}, 1000); // the pool's threads are unref'd
    try {
      // 2,000 audit records sharing a 20 kB resource: 40 MB of row text, more than a 48 MiB heap holds twice over
      const big = logsV1.ExportLogsServiceRequest.encode(logsV1.ExportLogsServiceRequest.fromObject({
        resourceLogs: [{ resource: { attributes: [{ key: 'big', value: { stringValue: 'r'.repeat(20_000) } }] }, scopeLogs: [{
          logRecords: Array.from({ length: 2000 }, (_, i) => ({ eventName: 'domain.audit.decision', attributes: [{ key: 'log.record.uid', value: { stringValue: `oom-${i}` } }] })),
        }] }],
      })).finish();
      await assert.rejects(pool.run(big, 'protobuf', new Date()), (err: Error) =>
        err instanceof RequestTooLarge && /needed more than the 48 MiB heap of a worker thread/.test(err.message));
      assert.match(logs.join('\n'), /reaching memory limit/);
      await new Promise((r) => setTimeout(r, 1100)); // a worker that died young is replaced after 1 s
      assert.equal((await pool.run(body(3), 'protobuf', new Date())).records.length, 2);
    } finally {
      clearInterval(keepAlive);
      await pool.close();
    }
  });

  describe('a receiver with worker threads', () => {
    let sink: SinkFixture;
    before(async () => {
      sink = await startSink({ receiver: { prepareWorkers: 2 } });
    });
    after(async () => {
      await sink?.close();
    });

    it('stores what the exporters send, exactly once, in chains that verify', async () => {
      const specs = Array.from({ length: 40 }, (_, i) => decision({ 'user.id': `worker-${i}` }, { timestamp: new Date(Date.UTC(2023, 6, 1, 0, 0, i)) }));
      const recs = await sdkRecords(specs);
      assertExported(await exportWith('proto', sink.url, recs));
      assertExported(await exportWith('json', sink.url, recs, { compression: 'gzip' }));
      const n = await sink.admin.query(`SELECT count(*)::int AS n, count(DISTINCT uid)::int AS u FROM domain_otel_audit.records WHERE user_id LIKE 'worker-%'`);
      assert.deepEqual(n.rows[0], { n: 40, u: 40 });
      const v = await cli(['verify', '--database-url', sink.adminUrl, '--chain', '2023-07']);
      assert.equal(v.code, 0, v.out + v.err);
      assert.match(v.out, /^chain 2023-07#0: ok, 40 rows/m);
    });

    it('a worker that dies under a request answers 503 + Retry-After (the collector retries), not 500 (it would drop the batch)', async () => {
      // Reaching into the receiver: its worker is being terminated when the task is posted to it.
      const pool = (sink.receiver as unknown as { workers: PreparePool }).workers;
      const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
      const run = pool.run.bind(pool);
      pool.run = (...args) => {
        for (const slot of slots) void slot.worker.terminate();
        return run(...args);
      };
      const specs = [decision({ 'user.id': 'dies-1' }, { timestamp: new Date(Date.UTC(2023, 6, 2)) })];
      let res: Response;
      try {
        res = await fetch(sink.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` },
          body: ProtobufLogsSerializer.serializeRequest(await sdkRecords(specs)) as Uint8Array,
        });
      } finally {
        pool.run = run;
      }
      assert.equal(res.status, 503, await res.clone().text());
      assert.equal(res.headers.get('retry-after'), '1');
      // the replacement worker takes the retry
      assertExported(await exportWith('proto', sink.url, await sdkRecords(specs)));
      const n = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE user_id = 'dies-1'`);
      assert.equal(n.rows[0].n, 1);
    });
  });
});
