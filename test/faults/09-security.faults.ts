// Scenario 9: security. The receiver refuses senders without the token (401, nothing stored);
// the writer role cannot UPDATE, DELETE or TRUNCATE; a row changed by a superuser behind the
// triggers' back is found by `verify`; secrets in a workload never reach the NDJSON files,
// Postgres, Jaeger or Loki; the sink binds to loopback by default.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { decision, exportWith, sdkRecords } from '../../packages/audit-sink/test/helpers/otlp-client';
import { startSink } from '../../packages/audit-sink/test/helpers/sink-fixture';
import { buildBinary, CONFIG_DIR, run } from '../collector/helpers';
import { appEnv, cleanEnv, freePorts, httpGet, report, ROOT, Service, SINK_CLI, sleep, stack, TOKEN, uniqueTag, waitFor, waitOutput } from './harness';

const CONFIG_DIR_LOKI = path.join(CONFIG_DIR, 'loki.yaml');

describe('faults 9: security', function () {
  this.timeout(10 * 60_000);

  it('no token / wrong token / other scheme → 401 and nothing stored', async () => {
    const s = await stack();
    const tag = uniqueTag('s9-auth');
    const recs = await sdkRecords(Array.from({ length: 20 }, (_, i) => decision({ 'domain.manager.name': tag, 'domain.entity.id': String(i) })));
    const body = Buffer.from(ProtobufLogsSerializer.serializeRequest(recs) as Uint8Array);
    const statuses: number[] = [];
    for (const auth of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, `bearer`, `Bearer  `]) {
      const r = await fetch(s.sinkUrl, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', ...(auth ? { authorization: auth } : {}) } });
      statuses.push(r.status);
    }
    const exported = await exportWith('proto', s.sinkUrl, recs, { token: null });
    const c = await s.count(tag);
    report({
      scenario: '9a no / wrong token', sent: 7 * recs.length, acknowledged: 0, stored: c.rows, lost: 0, duplicated: 0,
      result: statuses.every((x) => x === 401) && exported.code !== 0 && c.rows === 0 ? 'pass' : 'FAIL',
      notes: `statuses ${statuses.join(',')}; nothing stored (expected)`,
    });
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
    assert.notEqual(exported.code, 0);
    assert.equal(c.rows, 0);
  });

  it('the writer role cannot UPDATE, DELETE or TRUNCATE (table, partition, uid registry); a superuser change is found by verify', async () => {
    const s = await stack();
    const writer = new Pool({ connectionString: s.writerUrl, max: 1 });
    writer.on('error', () => {});
    const before = (await s.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM domain_otel_audit.records')).rows[0]!.n;
    const part = (await s.admin.query<{ p: string }>('SELECT partition_name AS p FROM domain_otel_audit.chains ORDER BY chain DESC LIMIT 1')).rows[0]!.p;
    const attempts = [
      'UPDATE domain_otel_audit.records SET outcome = \'granted\'',
      'DELETE FROM domain_otel_audit.records',
      'TRUNCATE domain_otel_audit.records',
      `UPDATE domain_otel_audit.${part} SET outcome = 'granted'`,
      `DELETE FROM domain_otel_audit.${part}`,
      `TRUNCATE domain_otel_audit.${part}`,
      'DELETE FROM domain_otel_audit.record_uids',
      'TRUNCATE domain_otel_audit.record_uids',
      'DROP TABLE domain_otel_audit.records',
    ];
    const refused: string[] = [];
    for (const sql of attempts) {
      try { await writer.query(sql); } catch (err) { refused.push(`${(err as { code?: string }).code}`); continue; }
      refused.push('ALLOWED');
    }
    await writer.end();
    const after = (await s.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM domain_otel_audit.records')).rows[0]!.n;

    // tampering, in a database of its own so the main chain stays intact
    const fx = await startSink({ pg: s.pg });
    try {
      const recs = await sdkRecords(Array.from({ length: 30 }, (_, i) => decision({ 'domain.entity.id': String(i) })));
      await exportWith('proto', fx.url, recs);
      const verify = (url: string) => run(process.execPath, [SINK_CLI, 'verify'], { env: cleanEnv({ DOMAIN_OTEL_AUDIT_DATABASE_URL: url }) });
      const clean = await verify(fx.adminUrl);
      // and the suite's own database, with every row the other scenarios stored, is intact
      const main = await verify(s.adminUrl);
      const mainRows = (await s.admin.query<{ n: number }>('SELECT count(*)::int AS n FROM domain_otel_audit.records')).rows[0]!.n;
      // a superuser who bypasses the append-only triggers
      await fx.admin.query(`BEGIN; SET LOCAL session_replication_role = replica;
        UPDATE domain_otel_audit.records SET outcome = 'denied', record = jsonb_set(record, '{logRecord,body}', '"edited"'::jsonb) WHERE seq = 17; COMMIT;`);
      const tampered = await verify(fx.adminUrl);
      const pass = refused.every((r) => r !== 'ALLOWED') && after === before && clean.code === 0 && main.code === 0 && tampered.code !== 0 && /BROKEN at seq 17/.test(tampered.stdout);
      report({
        scenario: '9b writer role cannot change rows; superuser edit found by verify', sent: 30, acknowledged: 30, stored: 30, lost: 0, duplicated: 0,
        result: pass ? 'pass' : 'FAIL',
        notes: `${attempts.length} UPDATE/DELETE/TRUNCATE/DROP attempts as the writer refused (${[...new Set(refused)].join(', ')}); row count unchanged (${after}); verify of the suite's database (${mainRows} rows): exit ${main.code}; of a 30-row database before tampering: exit ${clean.code}; after a superuser UPDATE with triggers bypassed: exit ${tampered.code}, "${tampered.stdout.trim().split('\n')[0]}"`,
      });
      assert.ok(refused.every((r) => r !== 'ALLOWED'), `refused: ${refused.join(', ')}`);
      assert.equal(after, before);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.equal(main.code, 0, main.stdout + main.stderr);
      assert.notEqual(tampered.code, 0);
      assert.match(tampered.stdout, /BROKEN at seq 17/);
    } finally {
      await fx.close();
    }
  });

  it('secrets (password, token, authorization, cookie, api key) never reach the file, Postgres, Jaeger or Loki', async () => {
    const s = await stack();
    const loki = await buildBinary('build-loki.sh' as never);
    const [lHttp, lGrpc] = (await freePorts(2)) as [number, number];
    const lokiProc = new Service('loki', loki, [`-config.file=${CONFIG_DIR_LOKI}`, '-config.expand-env=true'], cleanEnv({
      DOMAIN_OTEL_LOKI_HTTP_PORT: String(lHttp), DOMAIN_OTEL_LOKI_GRPC_PORT: String(lGrpc), DOMAIN_OTEL_LOKI_DATA: path.join(s.dir, 'loki'),
    }), path.join(s.dir, 'loki.log'));
    try {
      await waitFor('Loki /ready', async () => ((await httpGet(`http://127.0.0.1:${lHttp}/ready`))?.body.trim() === 'ready' ? true : undefined), 120_000);
      await s.collector.stop();
      await s.startCollector({ DOMAIN_OTEL_LOGS_EXPORTERS: '[file/logs, otlp_http/loki]', DOMAIN_OTEL_LOKI_ENDPOINT: `http://127.0.0.1:${lHttp}/otlp` });
      const tag = uniqueTag('s9-secrets');
      const secret = `S3cr3t${randomBytes(8).toString('hex')}`;
      const service = `faults-secrets-${Date.now()}`;
      const app = new Service('app-s9', process.execPath, ['--require', '@domain-otel/node/register', path.join(__dirname, 'fixtures', 'http-app.cjs')],
        appEnv(s, { tag, env: { FAULT_SECRET: secret, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200' } }), path.join(s.dir, 'app-s9.log'));
      await waitOutput(app, /^LISTENING \d+/m);
      const port = Number(/^LISTENING (\d+)/m.exec(app.stdout)![1]);
      const REQ = 20;
      for (let i = 0; i < REQ; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/work?i=${i}`, { headers: { authorization: `Bearer ${secret}`, cookie: `session=${secret}`, 'x-api-key': secret } });
        assert.equal(r.status, 200, await r.text());
      }
      app.kill('SIGTERM');
      await app.exited;
      const c = await s.settle(tag, REQ * 2, { timeoutMs: 60_000, quietMs: 15_000 });
      // every backend has the workload (positive control) ...
      const pgText = (await s.admin.query<{ t: string }>('SELECT string_agg(record::text, E\'\\n\') AS t FROM domain_otel_audit.records WHERE manager = $1', [tag])).rows[0]!.t ?? '';
      const files = readdirSync(s.filesDir).map((f) => path.join(s.filesDir, f)).filter((f) => existsSync(f));
      const fileText = await waitFor('the workload in the NDJSON files', async () => {
        const t = files.map((f) => readFileSync(f, 'utf8')).join('\n');
        return t.includes(tag) && t.includes(service) ? t : undefined;
      }, 30_000);
      const lokiText = await waitFor('the workload in Loki', async () => {
        const now = Date.now();
        const qs = new URLSearchParams({ query: `{service_name="${service}"}`, start: String((now - 10 * 60_000) * 1e6), end: String((now + 60_000) * 1e6), limit: '1000' });
        const r = await httpGet(`http://127.0.0.1:${lHttp}/loki/api/v1/query_range?${qs}`);
        return r && r.status === 200 && (r.body.match(/\[REDACTED\]/g) ?? []).length > 0 && r.body.includes(tag) ? r.body : undefined;
      }, 60_000);
      const jaegerText = await waitFor('the traces in Jaeger', async () => {
        const r = await httpGet(`http://127.0.0.1:${s.jaegerPorts.query}/api/traces?service=${service}&limit=100`);
        return r && r.status === 200 && r.body.includes(`update ${tag}`) ? r.body : undefined;
      }, 30_000);
      // ... and the secret is in none of them
      const leaks = Object.entries({ postgres: pgText, files: fileText, loki: lokiText, jaeger: jaegerText }).filter(([, t]) => t.includes(secret)).map(([k]) => k);
      const redactedInPg = (pgText.match(/\[REDACTED\]/g) ?? []).length;
      report({
        scenario: '9c secrets in the workload (file, Postgres, Jaeger, Loki)', sent: REQ * 2, acknowledged: null, stored: c.entities, lost: REQ * 2 - c.entities, duplicated: c.rows - c.entities,
        result: leaks.length === 0 && c.entities === REQ * 2 && redactedInPg > 0 ? 'pass' : 'FAIL',
        notes: `secret found in: ${leaks.join(', ') || 'none'}; ${redactedInPg} [REDACTED] values in Postgres; scanned ${Math.round((pgText.length + fileText.length + lokiText.length + jaegerText.length) / 1024)} KiB`,
      });
      assert.deepEqual(leaks, [], `the secret leaked into ${leaks.join(', ')}`);
      assert.ok(redactedInPg > 0);
      assert.equal(c.entities, REQ * 2);
    } finally {
      await s.collector.stop();
      await s.startCollector({});
      await lokiProc.stop();
    }
  });

  it('the sink binds to loopback by default', async () => {
    const s = await stack();
    const [port] = (await freePorts(1)) as [number];
    const sink = new Service('sink-default-bind', process.execPath, [SINK_CLI, 'serve', '--port', String(port)], cleanEnv({
      DOMAIN_OTEL_AUDIT_DATABASE_URL: s.writerUrl, DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN,
    }), path.join(s.dir, 'sink-default-bind.log'));
    try {
      await waitFor('the listening line', async () => (/listening on/.test(sink.stderr) ? true : undefined), 20_000);
      const external = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address);
      const reach: Record<string, string> = {};
      for (const addr of external) {
        reach[addr] = await fetch(`http://${addr}:${port}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => `HTTP ${r.status}`, (e: Error) => String((e.cause as { code?: string } | undefined)?.code ?? e.message));
      }
      const loop = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status);
      const ok = /listening on http:\/\/127\.0\.0\.1:/.test(sink.stderr) && loop === 200 && Object.values(reach).every((v) => !v.startsWith('HTTP'));
      report({
        scenario: '9d sink binds loopback by default', sent: 0, acknowledged: null, stored: 0, lost: 0, duplicated: 0,
        result: ok ? 'pass' : 'FAIL',
        notes: `"${sink.stderr.split('\n').find((l) => l.includes('listening'))}"; from non-loopback addresses: ${JSON.stringify(reach)}`,
      });
      assert.match(sink.stderr, /listening on http:\/\/127\.0\.0\.1:/);
      assert.equal(loop, 200);
      for (const [addr, v] of Object.entries(reach)) assert.ok(!v.startsWith('HTTP'), `reachable on ${addr}: ${v}`);
    } finally {
      await sink.stop();
    }
    void sleep; void ROOT;
  });
});
