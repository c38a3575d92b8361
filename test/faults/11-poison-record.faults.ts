// Scenario 11: records the collector refuses for good. A second collector (same config, same
// sink) runs with a small OTLP/HTTP body limit (128 KiB); the app sends 2,000 decisions of which
// every 500th carries a 200 KB reason, in batches of 100. The collector refuses every request
// holding one of those, for good. Asserted: the other 1,996 are stored (nothing blocks the
// queue), the 4 refused records are in the app's dead-letter file (one line each, with its uid)
// and counted in domain.telemetry.dropped{drop_reason=rejected}; offered = stored +
// dead-lettered + dropped otherwise (0). Then `domain-otel-resend` sends the dead-letter file to
// the stack's regular collector: all 2,000 stored, each exactly once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts, httpGet, report, ROOT, sleep, stack, startEmitter, uniqueTag, waitFor } from './harness';
import type { Service } from './harness';

const N = 2000;
const EVERY = 500;
const BODY_LIMIT = 128 * 1024;
const RESEND = path.join(ROOT, 'packages/node/dist/cli/resend.js');

describe('faults 11: poison records refused by the collector', function () {
  this.timeout(10 * 60_000);

  it(`${N} decisions, every ${EVERY}th over the collector's ${BODY_LIMIT / 1024} KiB body limit: the rest stored, the refused ones dead-lettered and counted, then resent`, async () => {
    const s = await stack();
    const tag = uniqueTag('s11');
    const service = `faults-s11-${Date.now()}`;
    const [grpc, http, health, self, prom] = (await freePorts(5)) as [number, number, number, number, number];
    const strictCollector = await s.startCollector({}, { grpc, http, health, self, prom }, path.join(s.dir, 'queue-s11'),
      [`--set=receivers::otlp::protocols::http::max_request_body_size=${BODY_LIMIT}`]);
    const deadLetterDir = path.join(s.dir, 'state', tag, 'dead-letter');
    let app: Service | undefined;
    let rejected: number;
    try {
      app = startEmitter(s, { tag, n: N, endpoint: `http://127.0.0.1:${http}`, env: {
        FAULT_POISON_EVERY: String(EVERY), OTEL_SERVICE_NAME: service, OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '100', OTEL_METRIC_EXPORT_INTERVAL: '500',
        DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: deadLetterDir,
        // the mapping caps each value at 8 KiB by default; the largest cap lets the 200 KB reason
        // through, so the record is refused downstream, which is what this scenario is about
        DOMAIN_OTEL_MAX_VALUE_BYTES: '1048576',
      } });
      const exit = await app.exited;
      assert.equal(exit.code, 0, app.stderr);
      // the app's own metric, through the collector's Prometheus endpoint
      rejected = await waitFor('domain_telemetry_dropped_total{drop_reason="rejected"}', async () => {
        const r = await httpGet(`http://127.0.0.1:${prom}/metrics`);
        const m = r ? new RegExp(`domain_telemetry_dropped_total\\{[^}]*drop_reason="rejected"[^}]*job="${service}"[^}]*\\} (\\d+)`).exec(r.body) : null;
        return m ? Number(m[1]) : undefined;
      }, 20_000).catch(() => 0);
    } finally {
      await sleep(1000);
      await strictCollector.stop();
    }
    const stored = await s.settle(tag, N - N / EVERY, { timeoutMs: 120_000, quietMs: 20_000 });
    const files = readdirSync(deadLetterDir).filter((f) => f.endsWith('.ndjson')).map((f) => path.join(deadLetterDir, f));
    const letters = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { uid: string; reason: string }));
    const refusalLines = app!.stderr.split('\n').filter((l) => /the collector refused \d+ audit record\(s\) for good/.test(l));
    const otherwiseDropped = N - stored.entities - letters.length;

    // the operator fixes the cause: here, sends the file to the regular collector (default limit)
    const resend = spawnSync(process.execPath, [RESEND, ...files], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, OTEL_EXPORTER_OTLP_ENDPOINT: s.otlpHttp } });
    const after = await s.settle(tag, N, { timeoutMs: 120_000, quietMs: 20_000 });

    const pass = stored.entities === N - N / EVERY && letters.length === N / EVERY && rejected === N / EVERY && otherwiseDropped === 0
      && resend.status === 0 && after.entities === N && after.rows === after.entities && after.rows === after.uids;
    report({
      scenario: '11 poison records refused by the collector', sent: N, acknowledged: null, stored: after.entities, lost: N - after.entities, duplicated: after.rows - after.entities,
      result: pass ? 'pass' : 'FAIL',
      notes: `${N} offered = ${stored.entities} stored + ${letters.length} dead-lettered + ${otherwiseDropped} dropped otherwise; domain.telemetry.dropped{rejected} = ${rejected}; refusal answers: ${[...new Set(letters.map((l) => l.reason.split(' ').slice(0, 2).join(' ')))].join(', ')}; ${refusalLines.length} log line(s); after domain-otel-resend (exit ${resend.status}): ${after.entities} stored, each once`,
    });
    assert.equal(stored.entities, N - N / EVERY, 'everything but the refused records stored');
    assert.equal(letters.length, N / EVERY, 'one dead-letter line per refused record');
    assert.ok(letters.every((l) => /^[0-9a-f-]{36}$/.test(l.uid)));
    assert.equal(rejected, N / EVERY, 'counted as rejected');
    assert.ok(refusalLines.length >= 1 && refusalLines.length <= N / EVERY, app!.stderr.slice(-2000));
    assert.equal(otherwiseDropped, 0);
    assert.equal(resend.status, 0, resend.stdout + resend.stderr);
    assert.equal(after.entities, N, 'all stored after the resend');
    assert.equal(after.rows, after.entities, 'each once');
    assert.equal(after.rows, after.uids);
  });
});
