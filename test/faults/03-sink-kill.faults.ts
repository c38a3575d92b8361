// Scenario 3: the audit sink is SIGKILLed mid-load (requests in flight, some committed but not
// yet answered) and restarted: no loss, no duplicates.
import assert from 'node:assert/strict';
import { note, report, sleep, stack, startEmitter, summaryLine, undeliveredAtExit, uniqueTag } from './harness';

const N = 30_000;
const RATE = 5_000;

describe('faults 3: audit sink killed and restarted', function () {
  this.timeout(15 * 60_000);

  it(`${N} decisions at ${RATE}/s; the sink is SIGKILLed twice and restarted: every row stored once`, async () => {
    const s = await stack();
    const tag = uniqueTag('s3');
    const app = startEmitter(s, { tag, n: N, rate: RATE });
    const kills: number[] = [];
    for (const at of [1500, 4000]) {
      const t = Date.now();
      while ((await s.count(tag)).entities < 1 && Date.now() - t < 20_000) await sleep(50);
      await sleep(at === 1500 ? 500 : 1500);
      kills.push((await s.count(tag)).entities);
      s.sink.kill('SIGKILL');
      await s.sink.exited;
      await sleep(3000);
      await s.startSink();
    }
    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr);
    const summary = summaryLine(app.stdout)!;
    const undelivered = undeliveredAtExit(app.stderr);
    const c = await s.settle(tag, N, { timeoutMs: 180_000 });
    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;
    note('scenario3', { events: N, rate: RATE, achievedRate: summary.rate, rowsStoredAtKills: kills, sinkDownMs: 3000 });
    report({
      scenario: '3 audit sink SIGKILL + restart (x2)', sent: N, acknowledged: N - undelivered, stored: c.entities, lost, duplicated,
      result: lost === 0 && duplicated === 0 ? 'pass' : 'FAIL',
      notes: `killed with ${kills.join(' and ')} rows stored; down 3 s each time`,
    });
    assert.equal(lost, 0, `lost ${lost}`);
    assert.equal(duplicated, 0);
    assert.equal(c.rows, c.uids);
  });
});
