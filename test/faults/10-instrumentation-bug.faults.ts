// Scenario 10: a bug in the instrumentation (here: a decision whose metadata throws when the
// mapping reads it, i.e. an adapter handing over a hostile object). The app's request still
// succeeds, one diag error is printed (not one per record), the lost record is counted in
// domain.telemetry.dropped, and every other record still arrives.
import assert from 'node:assert/strict';
import path from 'node:path';
import { appEnv, httpGet, report, Service, stack, uniqueTag, waitFor, waitOutput } from './harness';

describe('faults 10: a throwing adapter / subscriber', function () {
  this.timeout(5 * 60_000);

  it('requests succeed, one diag error, a domain.telemetry.dropped count, the other records stored', async () => {
    const s = await stack();
    const tag = uniqueTag('s10');
    const service = `faults-bug-${Date.now()}`;
    const app = new Service('app-s10', process.execPath, ['--require', '@domain-otel/node/register', path.join(__dirname, 'fixtures', 'http-app.cjs')],
      appEnv(s, { tag, env: { FAULT_BUG: 'mapping', OTEL_SERVICE_NAME: service, OTEL_METRIC_EXPORT_INTERVAL: '500' } }), path.join(s.dir, 'app-s10.log'));
    await waitOutput(app, /^LISTENING \d+/m);
    const port = Number(/^LISTENING (\d+)/m.exec(app.stdout)![1]);
    const REQ = 20;
    const statuses: number[] = [];
    for (let i = 0; i < REQ; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/work?i=${i}${i % 2 === 0 ? '&bug' : ''}`);
      statuses.push(r.status);
      await r.text();
    }
    const buggy = REQ / 2;
    const dropped = await waitFor('domain_telemetry_dropped_total for the app', async () => {
      const r = await httpGet(`http://127.0.0.1:${s.cports.prom}/metrics`);
      const m = r ? new RegExp(`domain_telemetry_dropped_total\\{[^}]*job="${service}"[^}]*\\} (\\d+)`).exec(r.body) : null;
      return m ? Number(m[1]) : undefined;
    }, 15_000).catch(() => 0);
    app.kill('SIGTERM');
    await app.exited;
    const c = await s.settle(tag, REQ * 2, { timeoutMs: 60_000, quietMs: 15_000 });
    const diagErrors = app.stderr.split('\n').filter((l) => /instrumentation-domain failed/.test(l));
    const pass = statuses.every((x) => x === 200) && diagErrors.length === 1 && dropped >= buggy && c.entities === REQ * 2 && c.rows === c.entities;
    report({
      scenario: '10 throwing adapter / subscriber', sent: REQ * 2, acknowledged: null, stored: c.entities, lost: REQ * 2 - c.entities, duplicated: c.rows - c.entities,
      result: pass ? 'pass' : 'FAIL',
      notes: `${REQ} requests (${buggy} with a hostile record), statuses ${[...new Set(statuses)].join(',')}; diag error lines: ${diagErrors.length}; domain.telemetry.dropped = ${dropped} (expected ≥ ${buggy}); ${c.entities} of the ${REQ * 2} good records stored`,
    });
    assert.ok(statuses.every((x) => x === 200), String(statuses));
    assert.equal(diagErrors.length, 1, app.stderr);
    assert.equal(c.entities, REQ * 2, 'the good records all arrived');
    assert.equal(c.rows, c.entities);
    assert.ok(dropped >= buggy, `domain.telemetry.dropped = ${dropped}, expected ≥ ${buggy}`);
  });
});
