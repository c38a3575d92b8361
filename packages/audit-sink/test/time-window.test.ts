import assert from 'node:assert/strict';
import { DEFAULT_ACCEPT_FUTURE_MS, DEFAULT_ACCEPT_PAST_MS, DEFAULT_MAX_NEW_MONTHS } from '../src';
import { startSink, TOKEN, type SinkFixture } from './helpers/sink-fixture';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';

const DAY = 86_400_000;

/** OTLP/JSON request of decisions at the given times (ms since the epoch, or exact ns as a bigint). */
function request(times: (number | bigint)[], tag: string): Buffer {
  return Buffer.from(JSON.stringify({
    resourceLogs: [{ scopeLogs: [{ logRecords: times.map((t, i) => ({
      timeUnixNano: String(typeof t === 'bigint' ? t : BigInt(t) * 1_000_000n),
      eventName: 'domain.audit.decision',
      attributes: [
        { key: 'log.record.uid', value: { stringValue: `${tag}-${i}` } },
        { key: 'domain.manager.name', value: { stringValue: tag } },
      ],
    })) }] }],
  }));
}

async function post(url: string, body: Buffer): Promise<{ status: number; retryAfter: string | null; rejected: number; message: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
  const text = await res.text();
  const partial = res.status === 200 ? (JSON.parse(text) as { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } }).partialSuccess : undefined;
  return { status: res.status, retryAfter: res.headers.get('retry-after'), rejected: Number(partial?.rejectedLogRecords ?? 0), message: partial?.errorMessage ?? text };
}

function monthStart(ms: number, add = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1);
}

describe('audit-sink: sender-chosen times cannot create unbounded partitions', function () {
  this.timeout(120_000);
  let pg: ThrowawayPostgres;
  let sink: SinkFixture;

  before(async () => {
    pg = await startThrowawayPostgres();
    // The defaults of `serve`, not the wide window the other suites use for their fixed dates.
    sink = await startSink({ pg, receiver: { acceptPastMs: DEFAULT_ACCEPT_PAST_MS, acceptFutureMs: DEFAULT_ACCEPT_FUTURE_MS, maxNewMonthsPerRequest: DEFAULT_MAX_NEW_MONTHS } });
  });
  after(async () => {
    await sink?.close();
    await pg?.destroy();
  });

  const relations = async () =>
    (await sink.admin.query(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'domain_otel_audit'`)).rows[0].n as number;
  const months = async () =>
    (await sink.admin.query(`SELECT chain FROM domain_otel_audit.chains WHERE tenant_id IS NULL ORDER BY chain`)).rows.map((r) => r.chain as string);
  const stored = async (tag: string) =>
    (await sink.admin.query(`SELECT uid FROM domain_otel_audit.records WHERE manager = $1 ORDER BY uid`, [tag])).rows.map((r) => r.uid as string);

  it('61 records spread over 1980–2261 in one request: those outside the window are refused by partial success, late ones inside it are stored, a handful of relations at most', async () => {
    const now = Date.now();
    const spread = Array.from({ length: 61 }, (_, i) => BigInt(Date.UTC(1980, 0, 1)) * 1_000_000n + BigInt(i) * ((9_200_000_000_000_000_000n - 315_532_800_000_000_000n) / 60n));
    const late = [now - 5 * DAY, now - 300 * DAY, now];
    const lo = now - DEFAULT_ACCEPT_PAST_MS;
    const hi = now + DEFAULT_ACCEPT_FUTURE_MS;
    const inside = spread.filter((t) => t >= BigInt(lo) * 1_000_000n && t <= BigInt(hi) * 1_000_000n).length;
    const before = await relations();
    const monthsBefore = await months();
    const r = await post(sink.url, request([...spread, ...late], 'window'));
    assert.equal(r.status, 200, r.message);
    assert.equal(r.rejected, 61 - inside);
    assert.match(r.message, /^\d+ log record\(s\) refused \(first: log record time 1980-01-01T00:00:00\.000000000Z is outside the accepted window \d{4}-\d\d-\d\dT[\d:.]+Z \.\. \d{4}-\d\d-\d\dT[\d:.]+Z \(receive time - 400d, \+ 1d\)\)$/);
    assert.ok(!r.message.includes('\n'));
    const uids = await stored('window');
    for (const i of [61, 62, 63]) assert.ok(uids.includes(`window-${i}`), `the record ${i - 61} of the late ones is stored`);
    assert.equal(uids.length, 3 + inside);
    const added = (await months()).filter((m) => !monthsBefore.includes(m));
    assert.ok(added.length <= 2, `months created: ${added.join(', ')}`);
    const growth = (await relations()) - before;
    assert.ok(growth <= 40, `${growth} relations created (one month with its shared segment is ${growth / Math.max(1, added.length)})`);
    assert.ok(sink.receiver.stats.rejected >= 61 - inside);
  });

  it('a request needing more new months than --max-new-months is answered 503 + Retry-After after creating that many; the retries store it all, once', async () => {
    const now = Date.now();
    const existing = await months();
    // five months inside the window that do not exist yet
    const wanted: number[] = [];
    for (let k = 2; wanted.length < 5; k++) {
      const m = monthStart(now, -k);
      if (m < now - DEFAULT_ACCEPT_PAST_MS + 31 * DAY) throw new Error('not enough free months in the window');
      const id = new Date(m).toISOString().slice(0, 7);
      if (!existing.includes(id)) wanted.push(m + 3 * DAY);
    }
    const body = request(wanted, 'months');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = (await months()).length;
      const r = await post(sink.url, body);
      statuses.push(r.status);
      assert.ok((await months()).length - before <= 2, 'at most 2 new months per request');
      if (r.status === 200) break;
      assert.equal(r.status, 503);
      assert.equal(r.retryAfter, '1');
      assert.match(r.message, /needs \d+ more new month\(s\); at most 2 are created per request \(--max-new-months\), the others on the sender's retry/);
    }
    assert.deepEqual(statuses, [503, 503, 200]);
    assert.deepEqual(await stored('months'), ['months-0', 'months-1', 'months-2', 'months-3', 'months-4']);
  });

  it('the upstream exporter gets a record 5 days late stored, and one 2 days in the future refused (partial success is not an error for it)', async () => {
    const recs = await sdkRecords([
      decision({ 'domain.manager.name': 'exporter-window', 'log.record.uid': 'late-5d' }, { timestamp: new Date(Date.now() - 5 * DAY) }),
      decision({ 'domain.manager.name': 'exporter-window', 'log.record.uid': 'future-2d' }, { timestamp: new Date(Date.now() + 2 * DAY) }),
    ]);
    assertExported(await exportWith('proto', sink.url, recs));
    assert.deepEqual(await stored('exporter-window'), ['late-5d']);
  });
});
