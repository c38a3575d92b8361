// Scenario 15: hostile input to the sink (issue 19 items 9 and 10) while an app's audit records
// flow through the collector. Sent straight to the real sink process, with a valid token:
//   - the bodies of test/helpers/hostile-bodies.ts: a few KiB of gzip that decode to millions of
//     values, records or objects, or to rows a hundred times their size;
//   - sender-chosen times: 61 records spread over 1980–2261 in one request, and records in five
//     past months that do not exist yet.
// Asserted: every hostile request refused with a one-line reason (or its records refused through
// partial success, or 503 while months are created a few per request), the sink's peak resident
// memory within the stated bound, a handful of relations created, and every record of the app
// stored once.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { hostileBodies, reasonOf } from '../../packages/audit-sink/test/helpers/hostile-bodies';
import { MEMORY_BOUND_MB, PROCESS_MEMORY_BOUND_MB } from '../../packages/audit-sink/src/limits';
import { note, report, stack, startEmitter, summaryLine, TOKEN, undeliveredAtExit, uniqueTag, waitFor } from './harness';

const N = Number(process.env.FAULTS_S15_EVENTS ?? 20_000);
const RATE = 4000;
const DAY = 86_400_000;

function vm(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  return Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function timedRequest(times: bigint[], tag: string): Buffer {
  return Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: times.map((t, i) => ({
    timeUnixNano: String(t), eventName: 'domain.audit.decision',
    attributes: [{ key: 'log.record.uid', value: { stringValue: `${tag}-${i}` } }, { key: 'domain.manager.name', value: { stringValue: tag } }],
  })) }] }] }));
}

describe('faults 15: hostile input to the sink', function () {
  this.timeout(15 * 60_000);

  it(`hostile bodies and sender-chosen times while ${N} decisions flow: refused with reasons, memory and partitions bounded, nothing of the app lost`, async () => {
    const s = await stack();
    const tag = uniqueTag('s15');
    const pid = s.sink.pid;
    const relations = async () => (await s.admin.query(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'domain_otel_audit'`)).rows[0].n as number;
    const months = async () => (await s.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.chains WHERE tenant_id IS NULL`)).rows[0].n as number;
    const post = async (body: Buffer, type: 'protobuf' | 'json') => {
      const res = await fetch(s.sinkUrl, {
        method: 'POST',
        headers: { 'content-type': type === 'json' ? 'application/json' : 'application/x-protobuf', 'content-encoding': 'gzip', authorization: `Bearer ${TOKEN}` },
        body: gzipSync(body),
      });
      return { status: res.status, reason: reasonOf(res.status, type, Buffer.from(await res.arrayBuffer())) };
    };

    const app = startEmitter(s, { tag, n: N, rate: RATE });
    await waitFor('the app to be under way', async () => ((await s.count(tag)).entities > 500 ? true : undefined), 60_000, 100);
    const relationsBefore = await relations();
    const monthsBefore = await months();
    const start = vm(pid, 'VmRSS');

    const outcomes: string[] = [];
    const failures: string[] = [];
    let gzipBytes = 0;
    let peak = 0; // the largest growth one hostile request caused, over the RSS it found
    let highest = 0; // the highest RSS of the whole run
    for (const h of hostileBodies()) {
      gzipBytes += gzipSync(h.body).length;
      const before = vm(pid, 'VmRSS');
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM := current RSS
      const r = await post(h.body, h.type);
      const hwm = vm(pid, 'VmHWM');
      peak = Math.max(peak, hwm - before);
      highest = Math.max(highest, hwm);
      outcomes.push(`${r.status}`);
      if (r.status !== h.status || !h.reason.test(r.reason) || /[\r\n]/.test(r.reason.trim())) failures.push(`${h.name}: ${r.status} ${r.reason.slice(0, 200)}`);
    }
    // 61 records over 1980–2261: refused through partial success, one line naming the first time
    const spread = Array.from({ length: 61 }, (_, i) => 315_532_800_000_000_000n + BigInt(i) * ((9_200_000_000_000_000_000n - 315_532_800_000_000_000n) / 60n));
    const now = Date.now();
    const inWindow = spread.filter((t) => t >= BigInt(now - 400 * DAY) * 1_000_000n && t <= BigInt(now + DAY) * 1_000_000n).length;
    const wide = await post(timedRequest(spread, `${tag}-spread`), 'json');
    outcomes.push(`${wide.status}`);
    if (wide.status !== 200 || !/^\d+ log record\(s\) refused \(first: log record time 1980-01-01T00:00:00\.000000000Z is outside the accepted window/.test(wide.reason)) {
      failures.push(`spread over 1980-2261: ${wide.status} ${wide.reason}`);
    }
    // five past months in one request: at most 2 created per request (503 + Retry-After), the retries store it
    const past = [60, 120, 180, 240, 300].map((d) => BigInt(now - d * DAY) * 1_000_000n);
    const monthStatuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const r = await post(timedRequest(past, `${tag}-months`), 'json');
      monthStatuses.push(r.status);
      if (r.status === 200) break;
      if (r.status !== 503) failures.push(`past months: ${r.status} ${r.reason}`);
    }
    outcomes.push(monthStatuses.join('/'));
    highest = Math.max(highest, vm(pid, 'VmHWM'));
    const relationsAdded = (await relations()) - relationsBefore;
    const monthsAdded = (await months()) - monthsBefore;

    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr);
    const summary = summaryLine(app.stdout)!;
    const undelivered = undeliveredAtExit(app.stderr);
    const c = await s.settle(tag, N, { timeoutMs: 180_000 });
    const spreadStored = (await s.count(`${tag}-spread`)).rows;
    const monthsStored = (await s.count(`${tag}-months`)).rows;
    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;
    note('scenario15', {
      events: N, rate: RATE, achievedRate: summary.rate, hostileGzipBytes: gzipBytes, answers: outcomes,
      sinkRssAtStartMb: Math.round(start), largestGrowthOneRequestMb: Math.round(peak), boundMb: MEMORY_BOUND_MB,
      sinkPeakRssMb: Math.round(highest), processBoundMb: PROCESS_MEMORY_BOUND_MB, relationsAdded, monthsAdded, spreadStored, monthsStored,
    });
    const pass = lost === 0 && duplicated === 0 && failures.length === 0 && peak < MEMORY_BOUND_MB && highest < PROCESS_MEMORY_BOUND_MB && monthsAdded <= 5 &&
      spreadStored === inWindow && monthsStored === 5 && s.sink.running;
    report({
      scenario: '15 hostile input: decode bombs and sender-chosen times, app load alongside', sent: N, acknowledged: N - undelivered, stored: c.entities, lost, duplicated,
      result: pass ? 'pass' : 'FAIL',
      notes: `${hostileBodies().length + 2} hostile requests (${(gzipBytes / 1024).toFixed(0)} KiB of gzip) answered ${outcomes.join(', ')}; ` +
        `sink RSS ${start.toFixed(0)} MB at the start, at most +${peak.toFixed(0)} MB for one hostile request (bound ${MEMORY_BOUND_MB}), ` +
        `${highest.toFixed(0)} MB at the highest (bound ${PROCESS_MEMORY_BOUND_MB}); ${monthsAdded} months / ${relationsAdded} relations created ` +
        `(61 records over 1980-2261: ${61 - inWindow} refused; 5 past months: ${monthStatuses.length} attempts)`,
    });
    assert.deepEqual(failures, []);
    assert.ok(peak < MEMORY_BOUND_MB, `one request grew the sink's RSS by ${peak.toFixed(0)} MB`);
    assert.ok(highest < PROCESS_MEMORY_BOUND_MB, `the sink's RSS reached ${highest.toFixed(0)} MB`);
    assert.ok(monthsAdded <= 5, `${monthsAdded} months created`);
    assert.equal(spreadStored, inWindow);
    assert.equal(monthsStored, 5);
    assert.ok(s.sink.running);
    assert.equal(lost, 0, `lost ${lost}`);
    assert.equal(duplicated, 0);
    assert.equal(c.rows, c.uids);
  });
});
