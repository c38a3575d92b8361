// End to end: an app preloaded with @domain-otel/node (--require and --import) → the real
// collector built from collector-config/builder.yaml → Jaeger (traces), the NDJSON files,
// the Prometheus endpoint, and the real audit sink in a throwaway Postgres.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { buildBinary, cleanEnv, freePorts, JAEGER_CONFIG, OTELCOL_CONFIG, Proc, ROOT, tempDir, waitFor, waitForHttpOk, BUILD_TIMEOUT_MS } from '../collector/helpers';
import { startSink, TOKEN } from '../../packages/audit-sink/test/helpers/sink-fixture';
import type { SinkFixture } from '../../packages/audit-sink/test/helpers/sink-fixture';

interface JaegerSpan { spanID: string; operationName: string; references: { refType: string; spanID: string }[]; tags: { key: string; value: unknown }[] }

describe('end to end: app → collector → Jaeger, files, Prometheus, audit sink', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  let jaeger: Proc;
  let collector: Proc;
  let dir: string;
  let ports: Record<string, number>;

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    const [otelcolBin, jaegerBin] = [await buildBinary('build-collector.sh'), await buildBinary('build-jaeger.sh')];
    dir = tempDir('e2e');
    const p = await freePorts(11);
    ports = { otlpGrpc: p[0], otlpHttp: p[1], health: p[2], self: p[3], prom: p[4], jGrpc: p[5], jHttp: p[6], jQuery: p[7], jQueryGrpc: p[8], jHealth: p[9] };
    sink = await startSink();
    jaeger = new Proc('jaeger', jaegerBin, ['--config', JAEGER_CONFIG], cleanEnv({
      DOMAIN_OTEL_JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.jGrpc}`, DOMAIN_OTEL_JAEGER_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.jHttp}`,
      DOMAIN_OTEL_JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${ports.jQuery}`, DOMAIN_OTEL_JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${ports.jQueryGrpc}`,
      DOMAIN_OTEL_JAEGER_HEALTH_ENDPOINT: `127.0.0.1:${ports.jHealth}`,
    }), path.join(dir, 'jaeger.log'));
    collector = new Proc('collector', otelcolBin, ['--config', OTELCOL_CONFIG], cleanEnv({
      DOMAIN_OTEL_COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.otlpGrpc}`, DOMAIN_OTEL_COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.otlpHttp}`,
      DOMAIN_OTEL_COLLECTOR_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`, DOMAIN_OTEL_COLLECTOR_SELF_METRICS_PORT: String(ports.self),
      DOMAIN_OTEL_PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.prom}`, DOMAIN_OTEL_JAEGER_ENDPOINT: `127.0.0.1:${ports.jGrpc}`,
      DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: sink.url.replace(/\/v1\/logs$/, ''), DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN,
      DOMAIN_OTEL_COLLECTOR_DATA: path.join(dir, 'collector'), DOMAIN_OTEL_COLLECTOR_FILES: path.join(dir, 'telemetry'),
    }), path.join(dir, 'collector.log'));
    await waitForHttpOk(`http://127.0.0.1:${ports.jHealth}/status`);
    await waitForHttpOk(`http://127.0.0.1:${ports.health}/`);
  });

  after(async () => {
    await collector?.stop();
    await jaeger?.stop();
    await sink?.close();
  });

  /** Runs the quickstart service under a preload flag and drives its workload. */
  async function runQuickstart(flag: '--require' | '--import', service: string): Promise<void> {
    const entry = flag === '--require' ? '@domain-otel/node/register' : '@domain-otel/node/import';
    const app = spawn(process.execPath, [flag, entry, 'examples/quickstart/app.cjs'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlpHttp}`, OTEL_LOG_LEVEL: 'warn', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    app.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      app.stdout.on('data', (d: Buffer) => { const m = /listening on (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
      app.once('exit', (code) => reject(new Error(`app exited (${code}): ${stderr}`)));
    });
    const call = (method: string, url: string, user?: string, body?: unknown) => fetch(`http://127.0.0.1:${port}${url}`, {
      method, body: body ? JSON.stringify(body) : undefined,
      headers: { 'content-type': 'application/json', 'x-request-id': `${service}-${method}-${url}`, ...(user ? { 'x-user-id': user } : {}) },
    });
    assert.equal((await call('POST', '/orders', '42', { total: 120, card: '4111111111111111' })).status, 201);
    assert.equal((await call('POST', '/orders/1/approve', '42')).status, 200);
    assert.equal((await call('DELETE', '/orders/1', '7')).status, 403);
    const exited = new Promise<number | null>((r) => app.once('exit', (code) => r(code)));
    app.kill('SIGTERM');
    await exited;
    assert.doesNotMatch(stderr, /error/i, stderr);
  }

  async function jaegerTrace(service: string, operation: string): Promise<JaegerSpan[]> {
    return waitFor(`a "${operation}" trace of ${service} in Jaeger`, async () => {
      const res = await fetch(`http://127.0.0.1:${ports.jQuery}/api/traces?service=${service}&limit=50`);
      const body = (await res.json()) as { data: { spans: JaegerSpan[] }[] };
      return body.data.map((t) => t.spans).find((spans) => spans.some((s) => s.operationName === operation));
    }, 30_000);
  }

  for (const flag of ['--require', '--import'] as const) {
    it(`${flag}: the trace in Jaeger nests the domain spans under the HTTP server span; audit rows, and only those, in Postgres`, async () => {
      const service = `e2e-${flag.slice(2)}`;
      await runQuickstart(flag, service);

      const spans = await jaegerTrace(service, 'update orders');
      const byId = new Map(spans.map((s) => [s.spanID, s]));
      const parentOf = (s: JaegerSpan) => byId.get(s.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '');
      const ancestors = (s: JaegerSpan) => { const out: string[] = []; for (let p = parentOf(s); p; p = parentOf(p)) out.push(p.operationName); return out; };
      for (const op of ['authz update orders', 'rule orders', 'update orders']) {
        const span = spans.find((s) => s.operationName === op);
        assert.ok(span, `${op} in ${spans.map((s) => s.operationName).join(', ')}`);
        assert.ok(ancestors(span).includes('POST /orders/:id/approve'), `${op} is under the HTTP server span (ancestors: ${ancestors(span).join(' < ')})`);
      }

      const select = async () => (await sink.admin.query<{ event_name: string; action: string; outcome: string; user_id: string; tenant_id: string; record: unknown }>(
        'SELECT event_name, action, outcome, user_id, tenant_id, record FROM domain_otel_audit.records WHERE service = $1 ORDER BY time_unix_nano', [service])).rows;
      await waitFor('audit rows in Postgres', async () => ((await select()).length >= 5 ? true : undefined), 30_000);
      await new Promise((r) => setTimeout(r, 1000)); // anything extra would have arrived with the rest
      const rows = await select();
      assert.deepEqual(rows.map((r) => [r.event_name, r.action, r.outcome, r.user_id]), [
        ['domain.audit.decision', 'create', 'granted', '42'],
        ['domain.manager.mutation', 'create', 'success', '42'],
        ['domain.audit.decision', 'update', 'granted', '42'],
        ['domain.manager.mutation', 'update', 'success', '42'],
        ['domain.audit.decision', 'delete', 'denied', '7'],
      ]);
      assert.ok(rows.every((r) => r.tenant_id === 'acme'));
      assert.equal(rows.length, 5, 'exactly the decisions and mutations: no rule or cache events at the sink');
      assert.doesNotMatch(JSON.stringify(rows), /4111111111111111/, 'the card number never reaches the audit store');

      const lines = readFileSync(path.join(dir, 'telemetry', 'logs.ndjson'), 'utf8');
      for (const name of ['domain.audit.decision', 'domain.manager.mutation', 'domain.rule.evaluation', 'domain.cache.invalidation']) {
        assert.ok(lines.includes(`"eventName":"${name}"`), `${name} in logs.ndjson`);
      }
      assert.doesNotMatch(lines, /4111111111111111/);

      const metrics = await waitFor('domain metrics on the Prometheus endpoint', async () => {
        const text = await (await fetch(`http://127.0.0.1:${ports.prom}/metrics`)).text();
        return text.includes(`job="${service}"`) && text.includes('domain_audit_decisions_total') ? text : undefined;
      }, 30_000);
      assert.match(metrics, new RegExp(`domain_audit_decisions_total\\{[^}]*domain_audit_outcome="denied"[^}]*job="${service}"[^}]*\\} 1`));
      assert.match(metrics, /domain_manager_mutations_total/);
    });
  }
});
