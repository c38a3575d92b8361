// `npm run demo` in its non-interactive mode (examples/orders-service: CASL, Sequelize on Postgres,
// json-rules-engine, lru-cache, all instrumented by preload): every backend must hold exactly what the
// workload sent (traces in Jaeger, rows in Postgres, events in the NDJSON file and in Loki,
// counters in Prometheus, Bob's records in the audit viewer) and the viewer's address is printed. It uses the documented port plan (docs/architecture.md), so it fails clearly if those ports are taken.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run demo (non-interactive)', function () {
  this.timeout(40 * 60 * 1000); // a cold machine builds the collector and Jaeger first

  it('prints a summary whose numbers equal what the workload sent, for every backend', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--ci', '--json'], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }));
    });
    assert.equal(code, 0, `demo failed:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
    const line = stdout.split('\n').find((l) => l.startsWith('DEMO-SUMMARY '));
    assert.ok(line, stdout);
    const summary = JSON.parse(line.slice('DEMO-SUMMARY '.length)) as { ok: boolean; sent: Record<string, number>; rows: { backend: string; sent: number; holds: number }[] };
    assert.ok(summary.sent.denied > 0 && summary.sent.bypassed > 0 && summary.sent.mutations > 0 && summary.sent.rules > 0 && summary.sent.cache > 0, 'the workload covers every kind');
    for (const row of summary.rows) assert.equal(row.holds, row.sent, `${row.backend}: sent ${row.sent}, holds ${row.holds}`);
    assert.equal(summary.rows.length, 12);
    assert.deepEqual(summary.rows.filter((r) => r.backend.startsWith('Loki:')).map((r) => r.backend), ['Loki: domain.audit.decision', 'Loki: domain.manager.mutation']);
    assert.match(stdout, /POST \/orders\/:id\/approve[\s\S]*rule json-rules-engine[\s\S]*update Order\n.*pg\.query:UPDATE/, 'the terminal waterfall shows the SQL inside the mutation inside the request');
    assert.match(stdout, /domain-otel-audit query --user 7/);
    assert.match(stdout, /^audit viewer: http:\/\/127\.0\.0\.1:4321\/\?token=[0-9a-f]{48}#\/\?user=7&service=orders-demo-/m, 'the demo prints the viewer\'s address');
  });
});
