import assert from 'node:assert/strict';
import { Client } from 'pg';
import { AuditReceiver, createPool } from '../src';
import { startSink, TOKEN, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords, uid } from './helpers/otlp-client';

async function postJson(url: string, uids: string[]): Promise<Response> {
  const body = {
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'outage' } }] },
      scopeLogs: [{
        scope: { name: 't' },
        logRecords: uids.map((u) => ({
          timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
          eventName: 'domain.audit.decision',
          attributes: [{ key: 'log.record.uid', value: { stringValue: u } }],
        })),
      }],
    }],
  };
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
}

describe('audit-sink receiver: Postgres outages answer 503 + Retry-After, never 500, and lose no acknowledged record', function () {
  this.timeout(180_000);
  let sink: SinkFixture;

  before(async () => {
    sink = await startSink({ poolTimeoutMs: 1500 });
  });
  after(async () => {
    await sink?.close();
  });

  async function stored(uids: string[]): Promise<Set<string>> {
    const r = await sink.admin.query<{ uid: string }>('SELECT uid FROM domain_otel_audit.records WHERE uid = ANY($1)', [uids]);
    return new Set(r.rows.map((x) => x.uid));
  }

  it('Postgres stopped → 503 with Retry-After; restarted → the same request is accepted and stored once', async () => {
    const before = [uid()];
    assert.equal((await postJson(sink.url, before)).status, 200);

    await sink.pg.stop('immediate');
    const during = [uid(), uid()];
    const r = await postJson(sink.url, during);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.match(((await r.json()) as { message: string }).message, /audit store unavailable/);
    // Still up and answering while the database is down.
    assert.equal((await postJson(sink.url, during)).status, 503);
    assert.equal((await fetch(sink.url.replace('/v1/logs', '/healthz'))).status, 200);

    await sink.pg.start();
    await sink.admin.query('SELECT 1').catch(() => {}); // drop the admin pool's dead connections
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await postJson(sink.url, during)).status;
      if (status !== 200) await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(status, 200);
    assert.equal((await postJson(sink.url, during)).status, 200, 'replay after recovery');
    const got = await sink.admin.query('SELECT uid, count(*)::int AS n FROM domain_otel_audit.records WHERE uid = ANY($1) GROUP BY uid', [[...before, ...during]]);
    assert.deepEqual(got.rows.map((x) => x.n), [1, 1, 1]);
  });

  it('the upstream exporter retries the 503 and succeeds once Postgres is back', async () => {
    const u = uid();
    const records = await sdkRecords([decision({ 'log.record.uid': u })]);
    await sink.pg.stop('immediate');
    const pending = exportWith('proto', sink.url, records, { compression: 'gzip' });
    setTimeout(() => void sink.pg.start(), 1500);
    assertExported(await pending);
    assert.deepEqual([...(await stored([u]))], [u]);
  });

  it('every request answered 200 is in the database after a crash in the middle of concurrent requests', async () => {
    const acked: string[] = [];
    const all: string[] = [];
    const statuses = new Map<number, number>();
    let done = false;
    const worker = async () => {
      while (!done) {
        const batch = [uid(), uid(), uid()];
        all.push(...batch);
        const r = await postJson(sink.url, batch);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        assert.ok(r.status === 200 || r.status === 503, `status ${r.status}`);
        if (r.status === 200) acked.push(...batch);
        else await new Promise((res) => setTimeout(res, 20));
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((res) => setTimeout(res, 400));
    await sink.pg.stop('immediate'); // kills transactions in flight
    await new Promise((res) => setTimeout(res, 500));
    await sink.pg.start();
    await new Promise((res) => setTimeout(res, 800));
    done = true;
    await Promise.all(workers);
    assert.ok((statuses.get(503) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, JSON.stringify([...statuses]));
    for (let i = 0; i < 20; i++) {
      try {
        await sink.admin.query('SELECT 1');
        break;
      } catch {
        await new Promise((res) => setTimeout(res, 250));
      }
    }
    const have = await stored(all);
    const lost = acked.filter((u) => !have.has(u));
    assert.deepEqual(lost, [], 'acknowledged records missing after the crash');
    assert.ok(acked.length > 30);
    assert.equal(sink.receiver.stats.byStatus[500], undefined, 'no 500 during the outage');
  });

  it('slow Postgres (a lock held longer than the timeout) → 503, then accepted when the lock goes away', async () => {
    const locker = new Client({ connectionString: sink.adminUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE domain_otel_audit.record_uids IN ACCESS EXCLUSIVE MODE');
      const u = [uid()];
      const t0 = Date.now();
      const r = await postJson(sink.url, u);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.ok(Date.now() - t0 < 10_000, 'bounded by the database timeout');
      await locker.query('ROLLBACK');
      assert.equal((await postJson(sink.url, u)).status, 200);
      assert.equal((await stored(u)).size, 1);
    } finally {
      await locker.end();
    }
  });

  it('pool exhausted → 503 (not a hang, not a 500)', async () => {
    const pool = createPool({ connectionString: sink.writerUrl, max: 1, timeoutMs: 500 });
    const receiver = new AuditReceiver({ pool, token: TOKEN, host: '127.0.0.1', port: 0, retryAfterSeconds: 2, log: () => {} });
    await receiver.listen();
    const held = await pool.connect();
    try {
      const r = await postJson(receiver.url, [uid()]);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '2');
    } finally {
      held.release();
    }
    assert.equal((await postJson(receiver.url, [uid()])).status, 200);
    await receiver.close();
    await pool.end();
  });

  it('too many requests in flight → 503 immediately', async () => {
    const pool = createPool({ connectionString: sink.writerUrl, max: 1, timeoutMs: 3000 });
    const receiver = new AuditReceiver({ pool, token: TOKEN, host: '127.0.0.1', port: 0, maxConcurrentRequests: 1, log: () => {} });
    await receiver.listen();
    const held = await pool.connect(); // the first request waits for a connection, occupying the only slot
    const first = postJson(receiver.url, [uid()]);
    await new Promise((res) => setTimeout(res, 200));
    const second = await postJson(receiver.url, [uid()]);
    assert.equal(second.status, 503);
    assert.match(((await second.json()) as { message: string }).message, /too many requests in flight/);
    held.release();
    assert.equal((await first).status, 200);
    await receiver.close();
    await pool.end();
  });

  it('schema not migrated (or missing grants) → 503, so senders keep the data', async () => {
    const db = await sink.pg.createDatabase(`unmigrated_${process.pid}`);
    const pool = createPool({ connectionString: db, max: 1, timeoutMs: 2000 });
    const receiver = new AuditReceiver({ pool, token: TOKEN, host: '127.0.0.1', port: 0, log: () => {} });
    await receiver.listen();
    const r = await postJson(receiver.url, [uid()]);
    assert.equal(r.status, 503);
    await receiver.close();
    await pool.end();
  });
});
