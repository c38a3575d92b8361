// The scaled-out topology of docs/scaling.md on one machine, each piece on a "host" of its own
// (network.ts): apps → agents (otelcol.yaml + agent.yaml) → gateways (otelcol.yaml +
// gateway.yaml) → HAProxy (haproxy.cfg) → audit sinks → Postgres primary, and a streaming
// replica that `query` and `verify` read. Used by test/faults/16-topology.faults.ts and
// `npm run stack -- up --topology scaled`; everything is the real thing, built or installed by
// the repository's scripts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { migrate } from '../../../packages/audit-sink/src';
import { Network } from './network';
import type { Host, NetworkMode } from './network';
import { PgNode } from './postgres';
import { HostProcess, ROOT } from './processes';

export const CONFIG_DIR = path.join(ROOT, 'collector-config');
export const SINK_CLI = path.join(ROOT, 'packages/audit-sink/dist/cli.js');
export const APP = path.join(__dirname, 'app.cjs');
export const WRITER_LOGIN = 'audit_sink';
export const READER_LOGIN = 'audit_reader';
export const DATABASE = 'audit';

const PORTS = { otlpGrpc: 4317, otlpHttp: 4318, auditGrpc: 4319, sink: 4320, health: 13133, self: 8888, prom: 8889, lbStats: 8404, jaegerGrpc: 14317, jaegerHttp: 14318, jaegerQuery: 16686, jaegerQueryGrpc: 16685, jaegerHealth: 13134 };

export interface TopologyOptions {
  /** Where logs, data and telemetry files go (default: a new temporary folder). */
  dir?: string;
  network?: NetworkMode | 'auto';
  /** Names the namespaces (default: this process's pid; `npm run stack` uses "stack"). */
  id?: string | number;
  /** Processes outlive this one (npm run stack). */
  detached?: boolean;
  agents?: number;
  gateways?: number;
  /** haproxy.cfg lists three. */
  sinks?: 3;
  /** A Jaeger host that the gateways also send spans to (the stack has one; the test does not). */
  jaeger?: boolean;
  /** Postgres settings for both nodes (the test turns fsync off, like the other suites). */
  postgres?: Record<string, string | number>;
  /** Extra environment for the agents (the test shortens the retry backoff). */
  agentEnv?: Record<string, string>;
  token?: string;
  log?: (line: string) => void;
}

/** Binaries the topology needs, from the repository's scripts (cached after the first build). */
export interface Binaries { otelcol: string; haproxy: string; jaeger?: string }

export function run(file: string, args: string[], timeoutMs = 40 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${String(stderr).slice(-3000)}`));
      else resolve(String(stdout));
    });
  });
}

export async function buildBinaries(withJaeger: boolean): Promise<Binaries> {
  const last = (out: string) => out.trim().split('\n').at(-1)!;
  const otelcol = last(await run('bash', [path.join(ROOT, 'scripts/go/build-collector.sh')]));
  const jaeger = withJaeger ? last(await run('bash', [path.join(ROOT, 'scripts/go/build-jaeger.sh')])) : undefined;
  await run('bash', [path.join(ROOT, 'scripts/setup/haproxy.sh')], 10 * 60_000);
  const haproxy = ['/usr/sbin/haproxy', '/usr/bin/haproxy', ...(process.env.HAPROXY ? [process.env.HAPROXY] : [])].find((p) => {
    try { return readdirSync(path.dirname(p)).includes(path.basename(p)); } catch { return false; }
  });
  if (!haproxy) throw new Error('haproxy not found after scripts/setup/haproxy.sh');
  return { otelcol, haproxy, ...(jaeger ? { jaeger } : {}) };
}

/** Only our variables reach the children: no DOMAIN_OTEL_* or OTEL_* of the developer's shell. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOMAIN_OTEL_') && !k.startsWith('OTEL_')) env[k] = v;
  if (process.env.DOMAIN_OTEL_CACHE) env.DOMAIN_OTEL_CACHE = process.env.DOMAIN_OTEL_CACHE;
  return { ...env, ...extra };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ScaledTopology {
  readonly net: Network;
  readonly dir: string;
  readonly token: string;
  readonly agentCount: number;
  readonly gatewayCount: number;
  readonly sinkCount = 3;
  bins!: Binaries;
  primary!: PgNode;
  replica!: PgNode;
  admin!: Pool;
  readonly agents: (HostProcess | undefined)[] = [];
  readonly gateways: (HostProcess | undefined)[] = [];
  readonly sinks: (HostProcess | undefined)[] = [];
  lb?: HostProcess;
  jaeger?: HostProcess;
  private readonly log: (line: string) => void;
  private seq = 0;

  constructor(readonly opts: TopologyOptions = {}) {
    this.agentCount = opts.agents ?? 2;
    this.gatewayCount = opts.gateways ?? 2;
    this.dir = opts.dir ?? mkdtempSync(path.join(process.getuid?.() === 0 ? '/tmp' : tmpdir(), 'domain-otel-topology-'));
    mkdirSync(path.join(this.dir, 'logs'), { recursive: true });
    chmodSync(this.dir, 0o755); // the postgres OS user must reach its folders below
    this.net = Network.choose(opts.network ?? 'auto', opts.id ?? process.pid);
    this.token = opts.token ?? randomBytes(24).toString('hex');
    this.log = opts.log ?? (() => {});
  }

  get hostNames(): string[] {
    return [
      ...Array.from({ length: this.agentCount }, (_, i) => `agent-${i + 1}`),
      ...Array.from({ length: this.gatewayCount }, (_, i) => `gateway-${i + 1}`),
      'lb',
      ...Array.from({ length: this.sinkCount }, (_, i) => `sink-${i + 1}`),
      'pg-primary', 'pg-replica',
      ...(this.opts.jaeger ? ['jaeger'] : []),
    ];
  }

  host(name: string): Host { return this.net.host(name); }
  agentHost(i: number): Host { return this.host(`agent-${i + 1}`); }
  gatewayHost(i: number): Host { return this.host(`gateway-${i + 1}`); }
  sinkHost(i: number): Host { return this.host(`sink-${i + 1}`); }

  async start(): Promise<void> {
    this.bins = await buildBinaries(!!this.opts.jaeger);
    try {
      this.net.setup(this.hostNames, { keep: !!this.opts.detached });
    } catch (err) {
      this.net.teardownSync();
      throw err;
    }
    this.log(`hosts: ${this.net.mode === 'netns' ? 'one network namespace each' : 'distinct loopback addresses'} (${[...this.net.hosts.values()].map((h) => `${h.name} ${h.ip}`).join(', ')})`);
    await this.startPostgres();
    if (this.opts.jaeger) await this.startJaeger();
    for (let i = 0; i < this.sinkCount; i++) await this.startSink(i);
    await this.startLb();
    for (let i = 0; i < this.gatewayCount; i++) await this.startGateway(i);
    for (let i = 0; i < this.agentCount; i++) await this.startAgent(i);
  }

  private async startPostgres(): Promise<void> {
    const settings = this.opts.postgres ?? {};
    this.primary = new PgNode(this.net, this.host('pg-primary'), path.join(this.dir, 'pg-primary'), settings);
    await this.primary.initPrimary();
    await this.primary.start();
    const postgres = this.primary.pool('postgres');
    await postgres.query(`CREATE DATABASE ${DATABASE}`);
    await postgres.end();
    this.admin = this.primary.pool(DATABASE);
    // As a superuser: also installs the DDL guard.
    await migrate(this.admin, { writerLogin: WRITER_LOGIN, readerLogin: READER_LOGIN });
    this.replica = new PgNode(this.net, this.host('pg-replica'), path.join(this.dir, 'pg-replica'), settings);
    await this.replica.basebackupFrom(this.primary, 'replica_1');
    await this.replica.start();
    const r = this.replica.pool(DATABASE);
    try {
      const rec = await r.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (!rec.rows[0]!.standby) throw new Error('the replica is not in recovery (hot standby)');
    } finally {
      await r.end();
    }
    this.log(`postgres: primary ${this.primary.host.ip}:${this.primary.port}, hot standby ${this.replica.host.ip}:${this.replica.port} (streaming, slot replica_1)`);
  }

  private spawn(name: string, host: Host, bin: string, args: string[], env: Record<string, string>): HostProcess {
    return new HostProcess(name, host, this.net, bin, args, baseEnv(env), path.join(this.dir, 'logs', `${name}.log`), { detached: !!this.opts.detached });
  }

  /** Waits for `GET url` (run on `host`) to answer 200, or fails with the process's log. */
  async waitHealthy(proc: HostProcess, url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await this.net.get(proc.host, url);
      if (r?.status === 200) return;
      if (!proc.running) break;
      await sleep(250);
    }
    throw new Error(`${proc.name} on ${proc.host.name} not healthy at ${url}${proc.running ? ` after ${timeoutMs} ms` : ' (exited)'}:\n${proc.log().slice(-3000)}`);
  }

  async sinkAddress(i: number): Promise<string> {
    const h = this.sinkHost(i);
    return `${h.ip}:${await h.port('sink', PORTS.sink)}`;
  }

  async startSink(i: number): Promise<HostProcess> {
    const h = this.sinkHost(i);
    const port = await h.port('sink', PORTS.sink);
    const sink = this.spawn(`sink-${i + 1}.${++this.seq}`, h, process.execPath, [SINK_CLI, 'serve', '--host', h.ip, '--port', String(port)], {
      DOMAIN_OTEL_AUDIT_DATABASE_URL: this.primary.url(DATABASE, WRITER_LOGIN),
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: this.token,
      DOMAIN_OTEL_AUDIT_SINK_RETRY_AFTER: '1',
      DOMAIN_OTEL_AUDIT_SINK_DB_TIMEOUT: '5s',
    });
    this.sinks[i] = sink;
    await this.waitHealthy(sink, `http://${h.ip}:${port}/healthz`, 30_000);
    return sink;
  }

  async lbAddress(): Promise<string> {
    const h = this.host('lb');
    return `${h.ip}:${await h.port('lb', PORTS.sink)}`;
  }

  async lbStatsUrl(): Promise<string> {
    const h = this.host('lb');
    return `http://${h.ip}:${await h.port('lb-stats', PORTS.lbStats)}/stats;csv`;
  }

  async startLb(): Promise<HostProcess> {
    const h = this.host('lb');
    const sinks = await Promise.all([0, 1, 2].map((i) => this.sinkAddress(i)));
    this.lb = this.spawn(`haproxy.${++this.seq}`, h, this.bins.haproxy, ['-db', '-f', path.join(CONFIG_DIR, 'haproxy.cfg')], {
      DOMAIN_OTEL_AUDIT_LB_BIND: await this.lbAddress(),
      DOMAIN_OTEL_AUDIT_LB_STATS_BIND: `${h.ip}:${await h.port('lb-stats', PORTS.lbStats)}`,
      DOMAIN_OTEL_AUDIT_SINK_1: sinks[0]!, DOMAIN_OTEL_AUDIT_SINK_2: sinks[1]!, DOMAIN_OTEL_AUDIT_SINK_3: sinks[2]!,
    });
    await this.waitHealthy(this.lb, await this.lbStatsUrl(), 30_000);
    return this.lb;
  }

  /** HAProxy's view of the sinks: per server, status and requests so far (since its start). */
  async lbStats(): Promise<{ server: string; status: string; requests: number }[] | undefined> {
    const r = await this.net.get(this.host('lb'), await this.lbStatsUrl());
    if (!r || r.status !== 200) return undefined;
    const [head, ...lines] = r.body.replace(/^# /, '').trim().split('\n');
    const cols = head!.split(',');
    const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
    return lines.map((l) => l.split(',')).filter((row) => at(row, 'pxname') === 'audit_sinks' && /^sink\d$/.test(at(row, 'svname')))
      .map((row) => ({ server: at(row, 'svname'), status: at(row, 'status'), requests: Number(at(row, 'stot')) }));
  }

  private async collectorEnv(h: Host, role: string, i: number): Promise<Record<string, string>> {
    const base = path.join(this.dir, `${role}-${i + 1}`);
    return {
      DOMAIN_OTEL_COLLECTOR_OTLP_GRPC_ENDPOINT: `${h.ip}:${await h.port('otlp-grpc', PORTS.otlpGrpc)}`,
      DOMAIN_OTEL_COLLECTOR_OTLP_HTTP_ENDPOINT: `${h.ip}:${await h.port('otlp-http', PORTS.otlpHttp)}`,
      DOMAIN_OTEL_COLLECTOR_HEALTH_ENDPOINT: `${h.ip}:${await h.port('health', PORTS.health)}`,
      DOMAIN_OTEL_COLLECTOR_SELF_METRICS_HOST: h.ip,
      DOMAIN_OTEL_COLLECTOR_SELF_METRICS_PORT: String(await h.port('self', PORTS.self)),
      DOMAIN_OTEL_PROMETHEUS_ENDPOINT: `${h.ip}:${await h.port('prom', PORTS.prom)}`,
      DOMAIN_OTEL_COLLECTOR_DATA: path.join(base, 'queue'),
      DOMAIN_OTEL_COLLECTOR_FILES: path.join(base, 'telemetry'),
    };
  }

  private async startCollector(role: 'agent' | 'gateway', i: number, env: Record<string, string>): Promise<HostProcess> {
    const h = this.host(`${role}-${i + 1}`);
    const proc = this.spawn(`${role}-${i + 1}.${++this.seq}`, h, this.bins.otelcol,
      ['--config', path.join(CONFIG_DIR, 'otelcol.yaml'), '--config', path.join(CONFIG_DIR, `${role}.yaml`)],
      { ...(await this.collectorEnv(h, role, i)), ...env });
    await this.waitHealthy(proc, `http://${h.ip}:${await h.port('health', PORTS.health)}/`);
    return proc;
  }

  async startGateway(i: number): Promise<HostProcess> {
    const h = this.gatewayHost(i);
    const j = this.opts.jaeger ? this.host('jaeger') : undefined;
    this.gateways[i] = await this.startCollector('gateway', i, {
      DOMAIN_OTEL_GATEWAY_AUDIT_GRPC_ENDPOINT: `${h.ip}:${await h.port('audit-grpc', PORTS.auditGrpc)}`,
      DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: `http://${await this.lbAddress()}`,
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: this.token,
      ...(j ? { DOMAIN_OTEL_JAEGER_ENDPOINT: `${j.ip}:${await j.port('jaeger-grpc', PORTS.jaegerGrpc)}` } : { DOMAIN_OTEL_TRACES_EXPORTERS: '[file/traces]' }),
    });
    return this.gateways[i]!;
  }

  async gatewayEndpoints(service: 'otlp-grpc' | 'audit-grpc'): Promise<string> {
    const list: string[] = [];
    for (let i = 0; i < this.gatewayCount; i++) {
      const h = this.gatewayHost(i);
      list.push(`${h.ip}:${await h.port(service, service === 'otlp-grpc' ? PORTS.otlpGrpc : PORTS.auditGrpc)}`);
    }
    return `[${list.join(', ')}]`;
  }

  async startAgent(i: number): Promise<HostProcess> {
    this.agents[i] = await this.startCollector('agent', i, {
      DOMAIN_OTEL_GATEWAY_TRACES_ENDPOINTS: await this.gatewayEndpoints('otlp-grpc'),
      DOMAIN_OTEL_GATEWAY_AUDIT_ENDPOINTS: await this.gatewayEndpoints('audit-grpc'),
      ...this.opts.agentEnv,
    });
    return this.agents[i]!;
  }

  private async startJaeger(): Promise<void> {
    const h = this.host('jaeger');
    const p = async (name: keyof typeof PORTS) => `${h.ip}:${await h.port(name, PORTS[name])}`;
    this.jaeger = this.spawn('jaeger', h, this.bins.jaeger!, ['--config', path.join(CONFIG_DIR, 'jaeger.yaml')], {
      DOMAIN_OTEL_JAEGER_OTLP_GRPC_ENDPOINT: await p('jaegerGrpc'), DOMAIN_OTEL_JAEGER_OTLP_HTTP_ENDPOINT: await p('jaegerHttp'),
      DOMAIN_OTEL_JAEGER_QUERY_HTTP_ENDPOINT: await p('jaegerQuery'), DOMAIN_OTEL_JAEGER_QUERY_GRPC_ENDPOINT: await p('jaegerQueryGrpc'),
      DOMAIN_OTEL_JAEGER_HEALTH_ENDPOINT: await p('jaegerHealth'),
    });
    await this.waitHealthy(this.jaeger, `http://${await p('jaegerHealth')}/status`);
  }

  /** Where the apps on agent i's host send OTLP/HTTP. */
  async agentOtlpUrl(i: number): Promise<string> {
    const h = this.agentHost(i);
    return `http://${h.ip}:${await h.port('otlp-http', PORTS.otlpHttp)}`;
  }

  /** Records waiting in agent i's audit disk queue (its own metric), undefined when unreachable. */
  async agentAuditQueue(i: number): Promise<number | undefined> {
    const h = this.agentHost(i);
    const r = await this.net.get(h, `http://${h.ip}:${await h.port('self', PORTS.self)}/metrics`);
    if (!r || r.status !== 200) return undefined;
    const m = /otelcol_exporter_queue_size\{[^}]*exporter="load_balancing\/audit"[^}]*\} (\d+)/.exec(r.body);
    return m ? Number(m[1]) : undefined;
  }

  /** An app (app.cjs) on agent i's host, sending to that agent. */
  async startApp(i: number, o: { tag: string; n: number; rate: number; name: string }): Promise<HostProcess> {
    return this.spawn(`app-${o.name}`, this.agentHost(i), process.execPath, ['--require', '@domain-otel/node/register', APP], {
      OTEL_SERVICE_NAME: `topology-${o.name}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: await this.agentOtlpUrl(i),
      OTEL_LOG_LEVEL: 'warn',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '50000',
      OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2048',
      DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '500000',
      DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '60000',
      FAULT_TAG: o.tag, FAULT_N: String(o.n), FAULT_RATE: String(o.rate), TOPO_APP: o.name,
    });
  }

  /** The traces.ndjson files gateway i wrote (current and rotated). */
  gatewayTraceFiles(i: number): string[] {
    const dir = path.join(this.dir, `gateway-${i + 1}`, 'telemetry');
    try { return readdirSync(dir).filter((f) => /^traces.*\.ndjson$/.test(f)).map((f) => path.join(dir, f)); } catch { return []; }
  }

  /** Trace id → span count, from gateway i's files (lines cut short by a kill are counted apart). */
  gatewayTraces(i: number): { spans: Map<string, number>; badLines: number } {
    const spans = new Map<string, number>();
    let badLines = 0;
    for (const file of this.gatewayTraceFiles(i)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let req: { resourceSpans?: { scopeSpans?: { spans?: { traceId?: string }[] }[] }[] };
        try { req = JSON.parse(line); } catch { badLines++; continue; }
        for (const rs of req.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) {
          if (s.traceId) spans.set(s.traceId, (spans.get(s.traceId) ?? 0) + 1);
        }
      }
    }
    return { spans, badLines };
  }

  /** What `npm run stack` keeps to find the pieces again. */
  describe(): { mode: NetworkMode; dir: string; services: { name: string; host: string; pid: number; url: string }[]; postgres: { name: string; dataDir: string; url: string }[] } {
    const svc = (p: HostProcess | undefined, url: string) => (p ? [{ name: p.name.replace(/\.\d+$/, ''), host: p.host.name, pid: p.pid, url }] : []);
    const hostIp = (n: string) => this.host(n).ip;
    return {
      mode: this.net.mode,
      dir: this.dir,
      services: [
        ...this.agents.flatMap((p, i) => svc(p, `OTLP http://${hostIp(`agent-${i + 1}`)}:${PORTS.otlpHttp} (in its host)`)),
        ...this.gateways.flatMap((p, i) => svc(p, `traces ${path.join(this.dir, `gateway-${i + 1}`, 'telemetry', 'traces.ndjson')}`)),
        ...svc(this.lb, `http://${hostIp('lb')}:${PORTS.sink} (stats /stats)`),
        ...this.sinks.flatMap((p, i) => svc(p, `http://${hostIp(`sink-${i + 1}`)}:${PORTS.sink}/v1/logs`)),
        ...svc(this.jaeger, this.opts.jaeger ? `http://${hostIp('jaeger')}:${PORTS.jaegerQuery}/api/traces` : ''),
      ],
      postgres: [
        { name: 'pg-primary', dataDir: this.primary.dataDir, url: this.primary.socketUrl(DATABASE, WRITER_LOGIN) },
        { name: 'pg-replica', dataDir: this.replica.dataDir, url: this.replica.socketUrl(DATABASE, READER_LOGIN) },
      ],
    };
  }

  /** Stops everything this topology started and removes its namespaces (and, unless kept, its folder). */
  async stop({ keepDir = false }: { keepDir?: boolean } = {}): Promise<void> {
    const procs = [...this.agents, ...this.gateways, this.lb, ...this.sinks, this.jaeger].filter((p): p is HostProcess => !!p);
    await Promise.allSettled(procs.map((p) => p.stop(10_000)));
    await this.admin?.end().catch(() => {});
    await this.replica?.stop('immediate').catch(() => {});
    await this.primary?.stop('immediate').catch(() => {});
    this.net.teardownSync();
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
