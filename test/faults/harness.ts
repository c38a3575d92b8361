// The fault suite's stack and bookkeeping: a throwaway Postgres, the real audit sink (as a
// process, so it can be killed), Jaeger and the collector built from collector-config/, all on
// free loopback ports; helpers that count what went in and what came out; and the summary
// table printed at the end and written to docs/reliability.json (docs/reliability.md is based
// on it). Started once, lazily, and shared by every *.faults.ts file; torn down at the end.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { migrate } from '../../packages/audit-sink/src';
import { startThrowawayPostgres } from '../../packages/audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../packages/audit-sink/test/helpers/throwaway-postgres';
import { buildBinary, cleanEnv, freePorts, httpGet, JAEGER_CONFIG, LoggedProcess, OTELCOL_CONFIG, ROOT, sleep, tempDir, waitFor, waitForHttpOk } from '../collector/helpers';

export { ROOT, sleep, waitFor, httpGet, freePorts, tempDir, cleanEnv };
export const TOKEN = 'faults-token-7f3c9a1e5b';
export const WRITER_LOGIN = 'audit_sink_writer';
export const READER_LOGIN = 'audit_sink_reader';
export const SINK_CLI = path.join(ROOT, 'packages/audit-sink/dist/cli.js');
export const EMITTER = path.join(__dirname, 'fixtures', 'emitter.cjs');
export const RESULTS_FILE = path.join(ROOT, 'docs', 'reliability.json');

// --- processes ------------------------------------------------------------------------------

/** A child process appending its output to a log file and keeping it (stdout, stderr) for the assertions. */
export class Service extends LoggedProcess {
  stdout = '';
  stderr = '';

  constructor(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv, logFile: string) {
    super(name, spawn(bin, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }), logFile, 'close');
    const out = createWriteStream(logFile, { flags: 'a' });
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString(); out.write(d); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); out.write(d); });
  }
}

// --- the stack --------------------------------------------------------------------------------

export interface CollectorPorts { grpc: number; http: number; health: number; self: number; prom: number }

export class FaultStack {
  pg!: ThrowawayPostgres;
  admin!: Pool;
  adminUrl!: string;
  writerUrl!: string;
  readerUrl!: string;
  sink!: Service;
  sinkPort!: number;
  collector!: Service;
  jaeger?: Service;
  cports!: CollectorPorts;
  jaegerPorts!: { grpc: number; http: number; query: number; queryGrpc: number; health: number };
  otelcol!: string;
  collectorEnv: Record<string, string> = {};
  readonly dir = tempDir('faults');
  private seq = 0;

  get otlpHttp(): string { return `http://127.0.0.1:${this.cports.http}`; }
  get sinkUrl(): string { return `http://127.0.0.1:${this.sinkPort}/v1/logs`; }
  get filesDir(): string { return path.join(this.dir, 'telemetry'); }

  async start(): Promise<void> {
    this.otelcol = await buildBinary('build-collector.sh');
    const jaegerBin = await buildBinary('build-jaeger.sh');
    this.pg = await startThrowawayPostgres();
    this.adminUrl = await this.pg.createDatabase('audit');
    this.admin = new Pool({ connectionString: this.adminUrl, max: 4 });
    this.admin.on('error', () => {});
    await migrate(this.admin, { writerLogin: WRITER_LOGIN, readerLogin: READER_LOGIN });
    this.writerUrl = this.pg.connectionString('audit', WRITER_LOGIN);
    this.readerUrl = this.pg.connectionString('audit', READER_LOGIN);
    const p = await freePorts(11);
    this.sinkPort = p[0]!;
    this.cports = { grpc: p[1]!, http: p[2]!, health: p[3]!, self: p[4]!, prom: p[5]! };
    this.jaegerPorts = { grpc: p[6]!, http: p[7]!, query: p[8]!, queryGrpc: p[9]!, health: p[10]! };
    await this.startSink();
    const j = this.jaegerPorts;
    this.jaeger = new Service('jaeger', jaegerBin, ['--config', JAEGER_CONFIG], cleanEnv({
      DOMAIN_OTEL_JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${j.grpc}`, DOMAIN_OTEL_JAEGER_OTLP_HTTP_ENDPOINT: `127.0.0.1:${j.http}`,
      DOMAIN_OTEL_JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${j.query}`, DOMAIN_OTEL_JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${j.queryGrpc}`,
      DOMAIN_OTEL_JAEGER_HEALTH_ENDPOINT: `127.0.0.1:${j.health}`,
    }), path.join(this.dir, 'jaeger.log'));
    await waitForHttpOk(`http://127.0.0.1:${j.health}/status`, 60_000);
    await this.startCollector();
  }

  /** The audit sink CLI (`domain-otel-audit serve`) as its own process. */
  async startSink(extraEnv: Record<string, string> = {}): Promise<Service> {
    this.sink = new Service('audit-sink', process.execPath, [SINK_CLI, 'serve'], cleanEnv({
      DOMAIN_OTEL_AUDIT_DATABASE_URL: this.writerUrl,
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN,
      DOMAIN_OTEL_AUDIT_SINK_PORT: String(this.sinkPort),
      DOMAIN_OTEL_AUDIT_SINK_RETRY_AFTER: '1',
      DOMAIN_OTEL_AUDIT_SINK_DB_TIMEOUT: '5s',
      ...extraEnv,
    }), path.join(this.dir, 'audit-sink.log'));
    await waitForHttpOk(`http://127.0.0.1:${this.sinkPort}/healthz`, 30_000).catch((err) => {
      throw new Error(`audit sink not healthy: ${String(err)}\n${this.sink.log().slice(-2000)}`);
    });
    return this.sink;
  }

  /**
   * The collector with collector-config/otelcol.yaml; the same queue directory every time.
   * `args` are extra command-line flags (e.g. `--set=...` overrides for one scenario).
   */
  async startCollector(extraEnv: Record<string, string> = this.collectorEnv, ports: CollectorPorts = this.cports, dataDir = path.join(this.dir, 'queue'), args: string[] = []): Promise<Service> {
    if (ports === this.cports) this.collectorEnv = extraEnv;
    const svc = new Service(`collector-${++this.seq}`, this.otelcol, ['--config', OTELCOL_CONFIG, ...args], cleanEnv({
      DOMAIN_OTEL_COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
      DOMAIN_OTEL_COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
      DOMAIN_OTEL_COLLECTOR_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
      DOMAIN_OTEL_COLLECTOR_SELF_METRICS_PORT: String(ports.self),
      DOMAIN_OTEL_PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.prom}`,
      DOMAIN_OTEL_JAEGER_ENDPOINT: `127.0.0.1:${this.jaegerPorts.grpc}`,
      DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: `http://127.0.0.1:${this.sinkPort}`,
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN,
      DOMAIN_OTEL_COLLECTOR_DATA: dataDir,
      DOMAIN_OTEL_COLLECTOR_FILES: this.filesDir,
      ...extraEnv,
    }), path.join(this.dir, `collector-${this.seq}.log`));
    await waitForHttpOk(`http://127.0.0.1:${ports.health}/`, 60_000).catch((err) => {
      svc.kill('SIGKILL');
      throw new Error(`collector not healthy: ${String(err)}\n${svc.log().slice(-3000)}`);
    });
    if (ports === this.cports) this.collector = svc;
    return svc;
  }

  /** Items waiting in the collector's audit queue (its own metric), or undefined when unreachable. */
  async auditQueueSize(ports: CollectorPorts = this.cports): Promise<number | undefined> {
    const r = await httpGet(`http://127.0.0.1:${ports.self}/metrics`);
    if (!r || r.status !== 200) return undefined;
    const m = /otelcol_exporter_queue_size\{[^}]*exporter="otlp_http\/audit"[^}]*\} (\d+)/.exec(r.body);
    return m ? Number(m[1]) : undefined;
  }

  /** Rows stored for one run tag (the manager name), and how many are distinct. */
  async count(tag: string): Promise<Counts> {
    const r = await this.admin.query<{ rows: number; uids: number; entities: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT uid)::int AS uids, count(DISTINCT entity_id)::int AS entities
         FROM domain_otel_audit.records WHERE manager = $1`, [tag]);
    return r.rows[0]!;
  }

  /** Entity ids stored for a tag (the emitter numbers its events 0..n-1). */
  async entityIds(tag: string): Promise<Set<number>> {
    const r = await this.admin.query<{ entity_id: string }>('SELECT DISTINCT entity_id FROM domain_otel_audit.records WHERE manager = $1', [tag]);
    return new Set(r.rows.map((x) => Number(x.entity_id)));
  }

  /**
   * Waits until `expected` distinct events of `tag` are stored (or nothing new arrived for
   * `quietMs`, or `timeoutMs` passed), then until the collector's audit queue is empty, then
   * counts once more (late duplicates would show here).
   */
  async settle(tag: string, expected: number, opts: { timeoutMs?: number; quietMs?: number } = {}): Promise<Counts & { waitedMs: number }> {
    const started = Date.now();
    const deadline = started + (opts.timeoutMs ?? 180_000);
    const quiet = opts.quietMs ?? 45_000;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const c = await this.count(tag).catch(() => undefined);
      if (c) {
        if (c.entities !== last) { last = c.entities; lastChange = Date.now(); }
        if (c.entities >= expected) break;
      }
      if (Date.now() > deadline || Date.now() - lastChange > quiet) break;
      await sleep(500);
    }
    const qDeadline = Math.min(deadline, Date.now() + 30_000);
    while (Date.now() < qDeadline) {
      const q = await this.auditQueueSize();
      if (q === 0 || q === undefined) break;
      await sleep(500);
    }
    await sleep(1500);
    return { ...(await this.count(tag)), waitedMs: Date.now() - started };
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.collector?.stop(), this.jaeger?.stop()]);
    await this.sink?.stop();
    await this.admin?.end().catch(() => {});
    await this.pg?.destroy().catch(() => {});
  }
}

export interface Counts { rows: number; uids: number; entities: number }

let shared: Promise<FaultStack> | undefined;
/** The one stack of this run, started on first use. */
export function stack(): Promise<FaultStack> {
  return (shared ??= (async () => { const s = new FaultStack(); await s.start(); return s; })());
}

// --- the app under test ---------------------------------------------------------------------

export interface EmitterOptions {
  tag: string;
  n: number;
  /** Events per second (0: as fast as possible). */
  rate?: number;
  /** What the app does after emitting: see fixtures/emitter.cjs. */
  then?: 'return' | 'wait' | 'exit' | 'throw' | 'reject';
  strict?: boolean;
  env?: Record<string, string>;
  preload?: '--require' | '--import';
  endpoint?: string;
}

/**
 * Env for the emitter app: only what we pass plus PATH/HOME, never the runner's OTEL_* vars.
 * Each run tag gets its own audit spool and dead-letter directories (under the stack's
 * directory) unless `env` names them, so no app sends another scenario's spool.
 */
export function appEnv(s: FaultStack | undefined, o: Partial<EmitterOptions>): NodeJS.ProcessEnv {
  const state = path.join(s?.dir ?? tempDir('faults-app'), 'state', o.tag ?? 'untagged');
  return {
    PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: state, // the defaults' base, should a scenario garble the two below
    DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(state, 'spool'), DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: path.join(state, 'dead-letter'),
    OTEL_SERVICE_NAME: 'faults-app',
    OTEL_EXPORTER_OTLP_ENDPOINT: o.endpoint ?? s!.otlpHttp,
    OTEL_LOG_LEVEL: 'warn',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '500000',
    DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '60000',
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2048',
    // the export thread whatever the machine's cores (auto is off on 2): the path with more moving parts
    DOMAIN_OTEL_EXPORT_THREAD: 'on',
    FAULT_TAG: o.tag ?? 'untagged', FAULT_N: String(o.n ?? 0), FAULT_RATE: String(o.rate ?? 0), FAULT_THEN: o.then ?? 'return',
    ...(o.strict ? { DOMAIN_OTEL_AUDIT_DELIVERY: 'strict', FAULT_STRICT: '1' } : {}),
    ...o.env,
  };
}

export function startEmitter(s: FaultStack | undefined, o: EmitterOptions): Service {
  const dir = s?.dir ?? tempDir('faults-app');
  return new Service(`app-${o.tag}`, process.execPath, [o.preload ?? '--require', o.preload === '--import' ? '@domain-otel/node/import' : '@domain-otel/node/register', EMITTER],
    appEnv(s, o), path.join(dir, `app-${o.tag}.log`));
}

/** The last `EMITTED <n>` / `ACKED <n>` progress number printed by the emitter. */
export function lastNumber(out: string, word: string): number {
  const all = [...out.matchAll(new RegExp(`^${word} (\\d+)`, 'gm'))];
  return all.length ? Number(all[all.length - 1]![1]) : 0;
}

export function summaryLine(out: string): Record<string, number> | undefined {
  const m = /^SUMMARY (\{.*\})$/m.exec(out);
  return m ? (JSON.parse(m[1]!) as Record<string, number>) : undefined;
}

/** Audit records the app reported as still queued when it exited. */
export function undeliveredAtExit(stderr: string): number {
  const m = /domain-otel: (\d+) audit record\(s\) could not be delivered before exit/.exec(stderr);
  return m ? Number(m[1]) : 0;
}

export async function waitOutput(svc: Service, re: RegExp, ms = 30_000): Promise<void> {
  await waitFor(`${svc.name} to print ${re}`, async () => (re.test(svc.stdout) ? true : svc.running ? undefined : (() => { throw new Error(`${svc.name} exited: ${svc.stderr.slice(-2000)}`); })()), ms, 50);
}

export function uniqueTag(name: string): string {
  return `faults-${name}-${Date.now().toString(36)}`;
}

// --- the summary ----------------------------------------------------------------------------

export interface ScenarioResult {
  scenario: string;
  sent: number;
  acknowledged: number | null;
  stored: number;
  lost: number;
  duplicated: number;
  result: 'pass' | 'FAIL' | 'bounded loss (documented)';
  notes: string;
}

const results: ScenarioResult[] = [];
const meta: Record<string, unknown> = {};

export function report(r: ScenarioResult): void {
  results.push(r);
}
export function note(key: string, value: unknown): void {
  meta[key] = value;
}

function table(rows: ScenarioResult[]): string {
  const head = ['scenario', 'sent', 'acknowledged', 'stored', 'lost', 'duplicated', 'result'];
  const body = rows.map((r) => [r.scenario, String(r.sent), r.acknowledged === null ? '-' : String(r.acknowledged), String(r.stored), String(r.lost), String(r.duplicated), r.result]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

// Root hook: runs once after every *.faults.ts file.
after(async function () {
  this.timeout(120_000);
  if (shared) await (await shared.catch(() => undefined))?.stop();
  if (results.length === 0) return;
  console.log(`\n=== fault suite summary ===\n${table(results)}\n`);
  for (const r of results) if (r.notes) console.log(`- ${r.scenario}: ${r.notes}`);
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  const doc = { generatedAt: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, ...meta, results };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`\nwritten to ${path.relative(ROOT, RESULTS_FILE)}`);
});

export function cleanup(dir: string): void { rmSync(dir, { recursive: true, force: true }); }
