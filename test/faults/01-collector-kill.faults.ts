// Scenario 1: the collector is killed (SIGKILL) mid-load and restarted on the same queue
// directory. Every event the app emitted (async delivery, app-side retry) must be stored once.
import assert from 'node:assert/strict';
import { lastNumber, note, report, sleep, stack, startEmitter, summaryLine, undeliveredAtExit, uniqueTag } from './harness';

const N = Number(process.env.FAULTS_S1_EVENTS ?? 60_000);
// Offered above the 10,000/s so that the rate achieved over the whole run (start-up
// included) clears it; asserted below.
const RATE = Number(process.env.FAULTS_S1_RATE ?? 12_000);
const MIN_RATE = 10_000;

describe('faults 1: collector SIGKILL + restart under load', function () {
  this.timeout(15 * 60_000);

  it(`${N} audit decisions at a target of ${RATE}/s; the collector is SIGKILLed mid-load and restarted: every event stored exactly once`, async () => {
    const s = await stack();
    const tag = uniqueTag('s1');
    const app = startEmitter(s, { tag, n: N, rate: RATE });
    const t0 = Date.now();
    // kill once a third of the events were emitted
    while (lastNumber(app.stdout, 'EMITTED') < N / 3 && app.running && Date.now() - t0 < 60_000) await sleep(20);
    const emittedAtKill = lastNumber(app.stdout, 'EMITTED');
    const queueBefore = await s.auditQueueSize();
    s.collector.kill('SIGKILL');
    await s.collector.exited;
    await sleep(2000);
    await s.startCollector();
    const restartedAfterMs = Date.now() - t0;
    const exit = await app.exited;
    const summary = summaryLine(app.stdout);
    assert.equal(exit.code, 0, app.stderr);
    assert.ok(summary, app.stdout.slice(-500));
    const undelivered = undeliveredAtExit(app.stderr);
    const acknowledged = N - undelivered;

    const c = await s.settle(tag, N, { timeoutMs: 300_000 });
    const e2eMs = Date.now() - t0;
    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;
    note('scenario1', {
      events: N, targetRate: RATE, achievedEmitRatePerS: summary.rate, emitMs: summary.ms,
      emittedAtKill, collectorQueueAtKill: queueBefore ?? null, collectorDownMs: 2000, restartedAfterMs,
      endToEndMs: e2eMs, endToEndStoredPerS: Math.round((c.entities / e2eMs) * 1000),
    });
    const pass = lost === 0 && duplicated === 0 && c.rows === c.uids && summary.rate >= MIN_RATE;
    report({
      scenario: '1 collector SIGKILL + restart mid-load', sent: N, acknowledged, stored: c.entities, lost, duplicated,
      result: pass ? 'pass' : 'FAIL',
      notes: `emit rate achieved ${summary.rate}/s (target ${RATE}/s); killed at event ${emittedAtKill} with ${queueBefore ?? '?'} items in the collector's audit queue; all rows stored ${Math.round(e2eMs / 1000)} s after start (${Math.round((c.entities / e2eMs) * 1000)}/s end to end)`,
    });
    assert.ok(summary.rate >= MIN_RATE, `the app emitted at ${summary.rate}/s, below ${MIN_RATE}/s`);
    assert.equal(undelivered, 0, 'the app delivered everything before exiting');
    assert.equal(lost, 0, `lost ${lost} of ${N}`);
    assert.equal(duplicated, 0, `${duplicated} duplicate rows`);
    assert.equal(c.rows, c.uids);
  });
});
