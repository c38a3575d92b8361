// `npm run stack -- up|down|status`: the local backend stack on loopback — a throwaway
// Postgres (initdb into .data/stack/postgres), the audit sink (signing a checkpoint every 10 s),
// the audit viewer, Jaeger, Loki (when it can be built), the collector (logs also to Loki then)
// and a Prometheus server scraping the collector (when the `prometheus` binary is installed,
// as scripts/setup/prometheus.sh does).
// Each process logs to .data/stack/logs/<name>.log; `down` stops exactly what `up` started.
//
// `npm run stack -- up --topology scaled [--network auto|netns|loopback]`: instead, the scaled-out
// topology of docs/scaling.md (test/faults/topology/): two agents, two gateways, HAProxy, three
// sinks, a Postgres primary and a streaming replica, Jaeger, each on a host of its own (network
// namespaces where we may), under .data/stack-scaled. `down` and `status` cover it too.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Network } from '../test/faults/topology/network';
import { ScaledTopology } from '../test/faults/topology/topology';

const ROOT = path.resolve(__dirname, '..');
const DATA = path.resolve(process.env.DOMAIN_OTEL_STACK_DIR ?? path.join(ROOT, '.data', 'stack'));
const LOGS = path.join(DATA, 'logs');
const STATE = path.join(DATA, 'state.json');

export const STACK_PORTS = () => PORTS;
export const STACK_DIR = DATA;

export interface StackState {
  token: string;
  /** The audit viewer's token (its token file: .data/stack/viewer-tokens). */
  viewerToken?: string;
  pgPort: number;
  pgBin: string;
  databaseUrl: string;
  services: { name: string; pid: number; url: string; health: string }[];
}

/** The port plan of docs/architecture.md (all 127.0.0.1); Postgres takes a free port unless told. */
const PORTS = {
  collectorGrpc: 4317, collectorHttp: 4318, collectorHealth: 13133, collectorSelfMetrics: 8888, prometheus: 8889,
  jaegerGrpc: 14317, jaegerHttp: 14318, jaegerQuery: 16686, jaegerQueryGrpc: 16685, jaegerHealth: 13134, sink: 4320, viewer: 4321, lokiHttp: 3100, lokiGrpc: 9096, prometheusServer: 9090,
};

/** Debian's prometheus package (scripts/setup/prometheus.sh installs it for promtool). */
function prometheusBinary(): string | undefined {
  return ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
}

/** The viewer's URL that logs in with the stack's viewer token (the page then drops the token from the address). */
export function viewerLoginUrl(state: StackState, hash = ''): string | undefined {
  return state.viewerToken ? `http://127.0.0.1:${PORTS.viewer}/?token=${state.viewerToken}${hash}` : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function healthy(url: string): Promise<boolean> {
  try { return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok; } catch { return false; }
}

async function waitHealthy(name: string, url: string, pid: number, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await healthy(url)) return;
    if (!alive(pid)) throw new Error(`${name} exited during start-up; see ${path.join(LOGS, `${name}.log`)}`);
    await sleep(250);
  }
  throw new Error(`${name} not healthy at ${url} after ${ms} ms; see ${path.join(LOGS, `${name}.log`)}`);
}

function buildBinary(script: string): string {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts', 'go', script)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

function startDetached(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv): number {
  const fd = openSync(path.join(LOGS, `${name}.log`), 'a');
  const child = spawn(bin, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
  return child.pid;
}

function pgBinDir(): string {
  for (const dir of [process.env.PG_BINDIR, ...(existsSync('/usr/lib/postgresql') ? execFileSync('ls', ['/usr/lib/postgresql']).toString().trim().split('\n').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`) : [])]) {
    if (dir && existsSync(path.join(dir, 'initdb'))) return dir;
  }
  throw new Error('PostgreSQL server binaries not found: run scripts/setup/postgres.sh (or set PG_BINDIR)');
}

/** Postgres refuses to run as root: run its tools as the `postgres` OS user then. */
function asPg(bin: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args];
}

function pg(pgBin: string, tool: string, args: string[]): string {
  const [cmd, ...rest] = asPg(path.join(pgBin, tool), args);
  return execFileSync(cmd, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function up(): Promise<void> {
  const previous = readState();
  if (previous && previous.services.some((s) => alive(s.pid))) {
    console.log('the stack is already running:');
    await status();
    return;
  }
  const prometheus = prometheusBinary();
  for (const [what, port] of Object.entries(PORTS)) {
    if (what === 'prometheusServer' && !prometheus) continue;
    if (!(await portFree(port))) throw new Error(`port ${port} (${what}) on 127.0.0.1 is already in use: stop what holds it, or run \`npm run stack -- down\``);
  }
  mkdirSync(LOGS, { recursive: true });
  console.log('building the collector, Jaeger and Loki (cached after the first time)…');
  const otelcol = buildBinary('build-collector.sh');
  const jaeger = buildBinary('build-jaeger.sh');
  let loki: string | undefined;
  try {
    loki = buildBinary('build-loki.sh');
  } catch (err) {
    console.warn(`Loki could not be built, the stack runs without it: ${(err as Error).message.split('\n')[0]}`);
  }

  const pgBin = pgBinDir();
  const pgData = path.join(DATA, 'postgres');
  const pgPort = Number(process.env.DOMAIN_OTEL_STACK_PG_PORT ?? (await freePort()));
  if (!(await portFree(pgPort))) throw new Error(`port ${pgPort} (postgres) on 127.0.0.1 is already in use`);
  const root = process.getuid?.() === 0;
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    mkdirSync(pgData, { recursive: true });
    if (root) chownRecursive(DATA, 'postgres');
    pg(pgBin, 'initdb', ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  }
  if (root) chownRecursive(LOGS, 'postgres');
  pg(pgBin, 'pg_ctl', ['-D', pgData, '-l', path.join(LOGS, 'postgres.log'), '-w', '-o', `-p ${pgPort} -c listen_addresses=127.0.0.1 -k ${pgData}`, 'start']);
  const pgPid = Number(readFileSync(path.join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const admin = `postgres://postgres@127.0.0.1:${pgPort}`;
  try { pg(pgBin, 'createdb', ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', 'audit']); } catch { /* exists */ }
  const sinkCli = path.join(ROOT, 'packages/audit-sink/dist/cli.js');
  execFileSync(process.execPath, [sinkCli, 'migrate', '--writer-login', 'audit_sink', '--reader-login', 'audit_reader'], {
    env: { ...process.env, DOMAIN_OTEL_AUDIT_DATABASE_URL: `${admin}/audit` }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const token = previous?.token ?? randomBytes(24).toString('hex');
  const viewerToken = previous?.viewerToken ?? randomBytes(24).toString('hex');
  const databaseUrl = `postgres://audit_sink@127.0.0.1:${pgPort}/audit`;
  // Signed checkpoints, so that the viewer can show coverage and hand out inclusion proofs.
  const checkpointKey = path.join(DATA, 'checkpoint.key');
  if (!existsSync(checkpointKey)) {
    execFileSync(process.execPath, [sinkCli, 'keygen', '--name', 'localhost/domain-otel-stack', '--out', checkpointKey], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const tokenFile = path.join(DATA, 'viewer-tokens');
  writeFileSync(tokenFile, `# the stack's audit viewer token (npm run stack)\n${viewerToken} name=stack-admin\n`, { mode: 0o600 });
  const services: StackState['services'] = [
    { name: 'postgres', pid: pgPid, url: `postgres://audit_reader@127.0.0.1:${pgPort}/audit`, health: '' },
  ];
  const save = () => writeState({ token, viewerToken, pgPort, pgBin, databaseUrl, services });
  save();

  const checkpointDir = path.join(DATA, 'checkpoints');
  const sinkPid = startDetached('audit-sink', process.execPath, [sinkCli, 'serve', '--checkpoint-every', '10s', '--checkpoint-dir', checkpointDir, '--checkpoint-key', checkpointKey], {
    ...process.env, DOMAIN_OTEL_AUDIT_DATABASE_URL: databaseUrl, DOMAIN_OTEL_AUDIT_SINK_TOKEN: token, DOMAIN_OTEL_AUDIT_SINK_PORT: String(PORTS.sink),
  });
  services.push({ name: 'audit-sink', pid: sinkPid, url: `http://127.0.0.1:${PORTS.sink}/v1/logs`, health: `http://127.0.0.1:${PORTS.sink}/healthz` });
  save();
  if (prometheus) {
    const config = path.join(DATA, 'prometheus.yml');
    writeFileSync(config, `# written by npm run stack: scrape the collector's Prometheus exporter\nglobal:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: collector\n    static_configs:\n      - targets: ['127.0.0.1:${PORTS.prometheus}']\n`);
    const promPid = startDetached('prometheus', prometheus, [
      `--config.file=${config}`, `--storage.tsdb.path=${path.join(DATA, 'prometheus')}`, `--web.listen-address=127.0.0.1:${PORTS.prometheusServer}`,
    ], process.env);
    services.push({ name: 'prometheus', pid: promPid, url: `http://127.0.0.1:${PORTS.prometheusServer}/api/v1/query`, health: `http://127.0.0.1:${PORTS.prometheusServer}/-/ready` });
    save();
  } else {
    console.warn('no prometheus binary (scripts/setup/prometheus.sh installs it): the viewer shows the collector exporter\'s current totals instead of a time series');
  }
  const viewerPid = startDetached('audit-viewer', process.execPath, [
    sinkCli, 'ui', '--port', String(PORTS.viewer), '--token-file', tokenFile,
    '--jaeger-url', `http://127.0.0.1:${PORTS.jaegerQuery}`,
    '--prometheus-url', prometheus ? `http://127.0.0.1:${PORTS.prometheusServer}` : `http://127.0.0.1:${PORTS.prometheus}/metrics`,
    '--checkpoints', checkpointDir, '--pubkey', `${checkpointKey}.pub`,
  ], { ...process.env, DOMAIN_OTEL_AUDIT_DATABASE_URL: `postgres://audit_reader@127.0.0.1:${pgPort}/audit`, DOMAIN_OTEL_AUDIT_SINK_TOKEN: token });
  services.push({ name: 'audit-viewer', pid: viewerPid, url: `http://127.0.0.1:${PORTS.viewer}/ (token in ${tokenFile})`, health: `http://127.0.0.1:${PORTS.viewer}/healthz` });
  save();
  const jaegerPid = startDetached('jaeger', jaeger, ['--config', path.join(ROOT, 'collector-config/jaeger.yaml')], process.env);
  services.push({ name: 'jaeger', pid: jaegerPid, url: `http://127.0.0.1:${PORTS.jaegerQuery}/api/traces`, health: `http://127.0.0.1:${PORTS.jaegerHealth}/status` });
  save();
  if (loki) {
    const lokiPid = startDetached('loki', loki, [`-config.file=${path.join(ROOT, 'collector-config/loki.yaml')}`, '-config.expand-env=true'], {
      ...process.env, DOMAIN_OTEL_LOKI_HTTP_PORT: String(PORTS.lokiHttp), DOMAIN_OTEL_LOKI_GRPC_PORT: String(PORTS.lokiGrpc), DOMAIN_OTEL_LOKI_DATA: path.join(DATA, 'loki'),
    });
    services.push({ name: 'loki', pid: lokiPid, url: `http://127.0.0.1:${PORTS.lokiHttp}/loki/api/v1/query_range`, health: `http://127.0.0.1:${PORTS.lokiHttp}/ready` });
    save();
  }
  const collectorPid = startDetached('collector', otelcol, ['--config', path.join(ROOT, 'collector-config/otelcol.yaml')], {
    ...process.env,
    ...(loki ? { DOMAIN_OTEL_LOGS_EXPORTERS: '[file/logs, otlp_http/loki]', DOMAIN_OTEL_LOKI_ENDPOINT: `http://127.0.0.1:${PORTS.lokiHttp}/otlp` } : {}),
    DOMAIN_OTEL_AUDIT_SINK_TOKEN: token,
    DOMAIN_OTEL_COLLECTOR_DATA: path.join(DATA, 'collector'),
    DOMAIN_OTEL_COLLECTOR_FILES: path.join(DATA, 'telemetry'),
  });
  services.push({ name: 'collector', pid: collectorPid, url: `http://127.0.0.1:${PORTS.collectorHttp} (OTLP/HTTP), 127.0.0.1:${PORTS.collectorGrpc} (gRPC); metrics http://127.0.0.1:${PORTS.prometheus}/metrics`, health: `http://127.0.0.1:${PORTS.collectorHealth}/` });
  save();
  // Loki's ring takes a while to settle on first start.
  for (const s of services.filter((s) => s.health)) await waitHealthy(s.name, s.health, s.pid, s.name === 'loki' ? 120_000 : 60_000);
  await status();
  console.log(`\nsend telemetry with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${PORTS.collectorHttp}`);
  console.log(`files: ${path.join(DATA, 'telemetry')}/{traces,logs,metrics}.ndjson; logs: ${LOGS}`);
  console.log(`audit viewer: ${viewerLoginUrl({ token, viewerToken, pgPort, pgBin, databaseUrl, services })}`);
}

export async function down(): Promise<void> {
  const state = readState();
  if (!state) { console.log('nothing to stop (no stack state)'); return; }
  const stopped: string[] = [];
  for (const s of [...state.services].reverse()) {
    if (s.name === 'postgres') {
      try { pg(state.pgBin, 'pg_ctl', ['-D', path.join(DATA, 'postgres'), '-m', 'fast', '-w', 'stop']); } catch { /* already stopped */ }
      stopped.push(`postgres (pid ${s.pid})`);
      continue;
    }
    if (!alive(s.pid)) continue;
    process.kill(s.pid, 'SIGTERM');
    for (let i = 0; i < 60 && alive(s.pid); i++) await sleep(250);
    if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
    stopped.push(`${s.name} (pid ${s.pid})`);
  }
  if (stopped.length) console.log(`stopped ${stopped.join(', ')}`);
  writeState({ ...state, services: [] });
}

export async function status(): Promise<void> {
  const state = readState();
  if (!state || state.services.length === 0) { console.log('the stack is not running'); return; }
  const rows = await Promise.all(state.services.map(async (s) => ({
    service: s.name, pid: s.pid,
    state: !alive(s.pid) ? 'stopped' : s.health === '' || (await healthy(s.health)) ? 'running' : 'unhealthy',
    where: s.url,
  })));
  console.table(rows);
}

export function readState(): StackState | undefined {
  try { return JSON.parse(readFileSync(STATE, 'utf8')) as StackState; } catch { return undefined; }
}

function writeState(state: StackState): void {
  mkdirSync(DATA, { recursive: true });
  writeFileSync(STATE, `${JSON.stringify(state, null, 2)}\n`);
}

function chownRecursive(dir: string, user: string): void {
  execFileSync('chown', ['-R', user, dir]);
  void chownSync;
}

// --- the scaled-out topology (--topology scaled) ------------------------------------------------

const SCALED_DIR = path.resolve(process.env.DOMAIN_OTEL_STACK_SCALED_DIR ?? path.join(ROOT, '.data', 'stack-scaled'));
const SCALED_STATE = path.join(SCALED_DIR, 'state.json');
const SCALED_ID = 'stack';

interface ScaledState {
  token: string;
  mode: string;
  services: { name: string; host: string; pid: number; url: string }[];
  postgres: { name: string; dataDir: string; url: string }[];
}

function readScaledState(): ScaledState | undefined {
  try { return JSON.parse(readFileSync(SCALED_STATE, 'utf8')) as ScaledState; } catch { return undefined; }
}

function scaledRunning(state: ScaledState | undefined): boolean {
  return !!state && state.services.some((s) => alive(s.pid));
}

async function upScaled(network: string): Promise<void> {
  if (!['auto', 'netns', 'loopback'].includes(network)) throw new Error(`--network ${JSON.stringify(network)}: expected auto, netns or loopback`);
  if (scaledRunning(readScaledState())) {
    console.log('the scaled topology is already running:');
    statusScaled();
    return;
  }
  rmSync(SCALED_DIR, { recursive: true, force: true });
  mkdirSync(SCALED_DIR, { recursive: true });
  console.log('building the collector and Jaeger, installing HAProxy if missing (cached after the first time)…');
  const topo = new ScaledTopology({ dir: SCALED_DIR, id: SCALED_ID, network: network as 'auto', detached: true, jaeger: true, log: (l) => console.log(l) });
  try {
    await topo.start();
  } catch (err) {
    await topo.stop({ keepDir: true });
    throw err;
  }
  await topo.admin.end();
  const d = topo.describe();
  writeFileSync(SCALED_STATE, `${JSON.stringify({ token: topo.token, mode: d.mode, services: d.services, postgres: d.postgres }, null, 2)}\n`);
  statusScaled();
  const agent = topo.agentHost(0);
  const run = agent.ns ? `ip netns exec ${agent.ns} ` : '';
  console.log(`\nrun an app on the first agent's host:\n  ${run}env OTEL_EXPORTER_OTLP_ENDPOINT=${await topo.agentOtlpUrl(0)} node --require @domain-otel/node/register app.js`);
  console.log(`read the audit record on the replica (unix socket):\n  DOMAIN_OTEL_AUDIT_DATABASE_URL='${d.postgres[1]!.url}' npx domain-otel-audit query --since 1h`);
  console.log('  (the CLI then exits 3: a hot standby cannot take its access record; see docs/scaling.md)');
  console.log(`logs: ${path.join(SCALED_DIR, 'logs')}`);
}

function statusScaled(): void {
  const state = readScaledState();
  if (!state || state.services.length === 0) { console.log('the scaled topology is not running'); return; }
  console.log(`scaled topology (${state.mode === 'netns' ? 'a network namespace per host' : 'a loopback address per host'}):`);
  console.table([
    ...state.services.map((s) => ({ service: s.name, host: s.host, pid: s.pid, state: alive(s.pid) ? 'running' : 'stopped', where: s.url })),
    ...state.postgres.map((p) => {
      const pid = Number((() => { try { return readFileSync(path.join(p.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]; } catch { return '0'; } })());
      return { service: p.name, host: p.name, pid, state: pid && alive(pid) ? 'running' : 'stopped', where: p.url };
    }),
  ]);
}

async function downScaled(): Promise<void> {
  const state = readScaledState();
  if (!state) return;
  for (const s of [...state.services].reverse()) {
    if (!alive(s.pid)) continue;
    process.kill(s.pid, 'SIGTERM');
    for (let i = 0; i < 60 && alive(s.pid); i++) await sleep(250);
    if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
    console.log(`stopped ${s.name} on ${s.host} (pid ${s.pid})`);
  }
  for (const p of [...state.postgres].reverse()) {
    try { pg(pgBinDir(), 'pg_ctl', ['-D', p.dataDir, '-m', 'fast', '-w', 'stop']); console.log(`stopped ${p.name}`); } catch { /* not running */ }
  }
  const removed = Network.removeAll(SCALED_ID);
  if (removed.length) console.log(`removed network namespaces ${removed.join(', ')}`);
  writeFileSync(SCALED_STATE, `${JSON.stringify({ ...state, services: [] }, null, 2)}\n`);
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

async function main(): Promise<void> {
  const cmd = process.argv[2];
  const topology = option('topology', 'single');
  if (!['single', 'scaled'].includes(topology)) throw new Error(`--topology ${JSON.stringify(topology)}: expected single (the default) or scaled`);
  if (cmd === 'up' && topology === 'scaled') await upScaled(option('network', 'auto'));
  else if (cmd === 'up') await up();
  else if (cmd === 'down') { await down(); await downScaled(); }
  else if (cmd === 'status') { await status(); if (readScaledState()) statusScaled(); }
  else if (cmd === 'reset') { await down(); await downScaled(); rmSync(DATA, { recursive: true, force: true }); rmSync(SCALED_DIR, { recursive: true, force: true }); console.log(`removed ${DATA} and ${SCALED_DIR}`); }
  else throw new Error(`unknown command ${JSON.stringify(cmd ?? '')}: expected up, down, status or reset`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`stack: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
void os;
