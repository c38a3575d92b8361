// Scenario 5: the collector is down when the app starts and comes up 30 s later. The app serves
// requests normally meanwhile (no crash, latency within a stated bound) and its audit records
// arrive once the collector is there.
import assert from 'node:assert/strict';
import path from 'node:path';
import { appEnv, freePorts, note, report, ROOT, Service, sleep, stack, uniqueTag, waitOutput } from './harness';

const DOWN_MS = Number(process.env.FAULTS_S5_DOWN_MS ?? 30_000);
/** Stated bound: p99 request latency while the collector is unreachable. */
const P99_BOUND_MS = 100;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
}

describe('faults 5: collector down at app start, up 30 s later', function () {
  this.timeout(10 * 60_000);

  it('the app serves every request with bounded latency while the collector is down; every audit record arrives after it starts', async () => {
    const s = await stack();
    const tag = uniqueTag('s5');
    const [grpc, http, health, self, prom] = (await freePorts(5)) as [number, number, number, number, number];
    const ports = { grpc, http, health, self, prom };
    const app = new Service('app-s5', process.execPath, ['--require', '@domain-otel/node/register', path.join(__dirname, 'fixtures', 'http-app.cjs')],
      appEnv(s, { tag, endpoint: `http://127.0.0.1:${http}` }), path.join(s.dir, 'app-s5.log'));
    await waitOutput(app, /^LISTENING \d+/m);
    const port = Number(/^LISTENING (\d+)/m.exec(app.stdout)![1]);
    let i = 0;
    const latDown: number[] = [];
    const latUp: number[] = [];
    let failures = 0;
    const drive = async (until: number, into: number[]) => {
      const worker = async () => {
        while (Date.now() < until) {
          const t = performance.now();
          const r = await fetch(`http://127.0.0.1:${port}/work?i=${i++}`).catch(() => undefined);
          into.push(performance.now() - t);
          if (!r || r.status !== 200) failures++;
          await r?.text();
          await sleep(10);
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    };
    const t0 = Date.now();
    await drive(t0 + DOWN_MS, latDown);
    const beforeUp = i;
    const collector = await s.startCollector({}, ports, path.join(s.dir, 'queue-s5'));
    const upAt = Date.now();
    await drive(Date.now() + 5000, latUp);
    const requests = i;
    app.kill('SIGTERM');
    const exit = await app.exited;
    const expected = requests * 2;
    const c = await s.settle(tag, expected, { timeoutMs: 90_000, quietMs: 20_000 });
    const arrivedMs = Date.now() - upAt;
    await collector.stop();
    const lost = expected - c.entities;
    const duplicated = c.rows - c.entities;
    const p = { downP50: pct(latDown, 50), downP99: pct(latDown, 99), upP50: pct(latUp, 50), upP99: pct(latUp, 99) };
    const round = (x: number) => Math.round(x * 10) / 10;
    note('scenario5', { downMs: DOWN_MS, requestsWhileDown: beforeUp, requestsTotal: requests, failures, latencyMs: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round(v)])), p99BoundMs: P99_BOUND_MS });
    report({
      scenario: '5 collector down at app start, up 30 s later', sent: expected, acknowledged: null, stored: c.entities, lost, duplicated,
      result: lost === 0 && duplicated === 0 && failures === 0 && p.downP99 <= P99_BOUND_MS && exit.signal === 'SIGTERM' ? 'pass' : 'FAIL',
      notes: `${requests} requests (${beforeUp} while down), ${failures} failed; latency p50/p99 ${round(p.downP50)}/${round(p.downP99)} ms while down vs ${round(p.upP50)}/${round(p.upP99)} ms after (bound p99 ≤ ${P99_BOUND_MS} ms); all records stored ${Math.round(arrivedMs / 1000)} s after the collector started`,
    });
    assert.equal(failures, 0, 'every request succeeded');
    assert.ok(p.downP99 <= P99_BOUND_MS, `p99 ${p.downP99} ms > ${P99_BOUND_MS} ms`);
    assert.equal(exit.signal, 'SIGTERM', app.stderr);
    assert.equal(lost, 0, `lost ${lost} of ${expected}`);
    assert.equal(duplicated, 0);
    void ROOT;
  });
});
