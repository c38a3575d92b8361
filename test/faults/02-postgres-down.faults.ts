// Scenario 2: Postgres is stopped for 60 s while the app keeps emitting. The sink answers 503
// (with Retry-After), the collector's persistent queue holds the records, and after Postgres is
// back every row arrives exactly once.
import assert from 'node:assert/strict';
import { lastNumber, note, report, sleep, stack, startEmitter, summaryLine, undeliveredAtExit, uniqueTag } from './harness';

const OUTAGE_MS = Number(process.env.FAULTS_S2_OUTAGE_MS ?? 60_000);
const RATE = 500;
const N = Math.round(((OUTAGE_MS + 15_000) / 1000) * RATE);

describe('faults 2: Postgres stopped for 60 s under load', function () {
  this.timeout(15 * 60_000);

  it(`${N} decisions at ${RATE}/s; Postgres down for ${OUTAGE_MS / 1000} s in the middle: sink 503, queue holds, every row arrives once`, async () => {
    const s = await stack();
    const tag = uniqueTag('s2');
    const sinkLogBefore = s.sink.log().length;
    const app = startEmitter(s, { tag, n: N, rate: RATE });
    const t0 = Date.now();
    while (Date.now() - t0 < 5000 && app.running) await sleep(100);
    const emittedAtStop = lastNumber(app.stdout, 'EMITTED');
    await s.pg.stop('immediate');
    const stoppedAt = Date.now();
    let maxQueue = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      maxQueue = Math.max(maxQueue, (await s.auditQueueSize()) ?? 0);
      await sleep(2000);
    }
    const sinkAlive = s.sink.running;
    const health = await fetch(`http://127.0.0.1:${s.sinkPort}/healthz`).then((r) => r.status, () => 0);
    await s.pg.start();
    const restartedAt = Date.now();
    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr);
    const summary = summaryLine(app.stdout)!;
    const undelivered = undeliveredAtExit(app.stderr);
    const c = await s.settle(tag, N, { timeoutMs: 240_000 });
    const catchUpMs = Date.now() - restartedAt;
    const sinkLog = s.sink.log().slice(sinkLogBefore);
    const n503 = (sinkLog.match(/audit-sink: 503/g) ?? []).length;
    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;
    note('scenario2', { events: N, rate: RATE, achievedRate: summary.rate, outageMs: OUTAGE_MS, emittedAtStop, maxCollectorQueue: maxQueue, sink503Logged: n503, catchUpMs });
    report({
      scenario: '2 Postgres stopped 60 s under load', sent: N, acknowledged: N - undelivered, stored: c.entities, lost, duplicated,
      result: lost === 0 && duplicated === 0 && n503 > 0 && sinkAlive ? 'pass' : 'FAIL',
      notes: `${n503} requests answered 503 during the outage; collector audit queue peaked at ${maxQueue} items; all rows stored ${Math.round(catchUpMs / 1000)} s after Postgres came back`,
    });
    assert.ok(sinkAlive, 'the sink survived the outage');
    assert.equal(health, 200);
    assert.ok(n503 > 0, 'the sink answered 503 while Postgres was down');
    assert.ok(maxQueue > 0, 'records waited in the collector queue');
    assert.equal(undelivered, 0);
    assert.equal(lost, 0, `lost ${lost}`);
    assert.equal(duplicated, 0);
    assert.equal(c.rows, c.uids);
  });
});
