/**
 * The end-to-end row: app (--require @domain-otel/node/register) → the bundled collector (built
 * from collector-config/builder.yaml, persistent audit queue) → the audit sink → Postgres.
 *
 *   node --import tsx bench/e2e.ts [--rate 20000] [--seconds 60]
 *
 * Counts the rows stored for this run's service and prints one JSON line: sent, stored, lost,
 * duplicated, and the sustained rate (rows stored / seconds from the first event to the last row).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBinary, cleanEnv, freePorts, OTELCOL_CONFIG, Proc, ROOT, tempDir, waitForHttpOk } from '../test/collector/helpers';
import { startSink, TOKEN } from '../packages/audit-sink/test/helpers/sink-fixture';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '20000' }, seconds: { type: 'string', default: '60' } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const otelcol = await buildBinary('build-collector.sh');
  const dir = tempDir('bench-e2e');
  const [grpc, http, health, self, prom] = await freePorts(5);
  const sink = await startSink({ poolSize: 8 });
  const collector = new Proc('collector', otelcol, ['--config', OTELCOL_CONFIG], cleanEnv({
    DOMAIN_OTEL_COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`, DOMAIN_OTEL_COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
    DOMAIN_OTEL_COLLECTOR_HEALTH_ENDPOINT: `127.0.0.1:${health}`, DOMAIN_OTEL_COLLECTOR_SELF_METRICS_PORT: String(self),
    DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: sink.url.replace(/\/v1\/logs$/, ''), DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN,
    DOMAIN_OTEL_COLLECTOR_DATA: path.join(dir, 'collector'), DOMAIN_OTEL_COLLECTOR_FILES: path.join(dir, 'telemetry'),
    // The bundled routes as shipped, minus Jaeger (not started here): every record also goes to the NDJSON file.
    DOMAIN_OTEL_TRACES_EXPORTERS: '[file/traces]', DOMAIN_OTEL_PROMETHEUS_ENDPOINT: `127.0.0.1:${prom}`,
  }), path.join(dir, 'collector.log'));
  try {
    await waitForHttpOk(`http://127.0.0.1:${health}/`);
    const service = `bench-e2e-${process.pid}`;
    const count = async () => Number((await sink.admin.query(`SELECT count(*) AS n, count(DISTINCT uid) AS d FROM domain_otel_audit.records WHERE service = $1`, [service])).rows[0].n);
    const t0 = performance.now();
    const app = spawn(process.execPath, ['--require', '@domain-otel/node/register', path.join(ROOT, 'bench/fixtures/audit-load.cjs')], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RATE: String(rate), SECONDS: String(seconds), OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${http}`, OTEL_LOG_LEVEL: 'warn', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain',
        // what the queue cannot hold goes to the spool; the app's final flush sends all of it
        // (slower delivery is fine, loss is not), so it may take as long as that needs
        DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(dir, 'spool'), DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '600000' },
    });
    let out = '';
    let err = '';
    app.stdout.on('data', (d: Buffer) => (out += d.toString()));
    app.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let peakSpoolBytes = 0;
    const sampler = setInterval(() => { peakSpoolBytes = Math.max(peakSpoolBytes, dirBytes(path.join(dir, 'spool'))); }, 500);
    const code = await new Promise<number | null>((r) => app.on('exit', r));
    clearInterval(sampler);
    const leftInSpool = dirBytes(path.join(dir, 'spool'));
    const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { sent?: number; emitSeconds?: number };
    const sent = report.sent ?? 0;
    // Wait for the collector's queue to drain into Postgres: until all rows are there, or (at most
    // 10 min) until nothing moved for 30 s while the collector's audit queue is empty: records still
    // queued (e.g. waiting out a retry backoff) are late, not lost.
    const queued = async () => {
      const body = await fetch(`http://127.0.0.1:${self}/metrics`).then((r) => r.text()).catch(() => '');
      const m = /otelcol_exporter_queue_size\{[^}]*exporter="otlp_http\/audit"[^}]*\} (\d+)/.exec(body);
      return m ? Number(m[1]) : 0;
    };
    let stored = await count();
    let lastChange = performance.now();
    let lastRowAt = performance.now();
    const giveUp = performance.now() + 600_000;
    while (stored < sent && performance.now() < giveUp && (performance.now() - lastChange < 30_000 || (await queued()) > 0)) {
      await sleep(250);
      const n = await count();
      if (n !== stored) { stored = n; lastChange = lastRowAt = performance.now(); }
    }
    const stillQueued = await queued();
    const distinct = Number((await sink.admin.query(`SELECT count(DISTINCT uid) AS d FROM domain_otel_audit.records WHERE service = $1`, [service])).rows[0].d);
    const sustainedSeconds = (lastRowAt - t0) / 1000;
    if (sent - distinct > 0) {
      const log = collector.log();
      process.stderr.write(`e2e: ${sent - distinct} lost; app stderr:\n${err.slice(-3000)}\ncollector log (warnings and errors):\n${log.split('\n').filter((l) => /warn|error/i.test(l)).slice(-40).join('\n')}\n`);
    }
    console.log(JSON.stringify({ bench: 'e2e', appExit: code, rate, seconds, sent, emitSeconds: report.emitSeconds, stored, lost: sent - distinct, duplicated: stored - distinct, sustainedSeconds, rowsPerSecond: Math.round(stored / sustainedSeconds), stillQueued, peakSpoolBytes, leftInSpoolBytes: leftInSpool, appWarnings: err.trim().split('\n').filter(Boolean).slice(0, 3) }));
  } finally {
    await collector.stop();
    await sink.close();
    await sink.pg.destroy();
  }
}

/** Bytes of the spool's segment files under `dir` (0 when there is none). */
function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ndjson')) total += statSync(path.join(e.parentPath, e.name), { throwIfNoEntry: false })?.size ?? 0;
    }
  } catch {
    // not created (nothing was spooled)
  }
  return total;
}

main().catch((err) => { console.error(err); process.exit(1); });
