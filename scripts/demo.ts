// `npm run demo`: the whole product in one go. Starts the local stack (Postgres + audit sink,
// Jaeger, the collector), runs examples/orders-service under
// `node --require @domain-otel/node/register`, drives a scripted workload over HTTP, then
// reads every backend back and prints what it holds next to what was sent, and the audit
// viewer's address (a link that logs in with the stack's viewer token).
//   --keep   leave everything running until Ctrl-C
//   --ci     no progress bar; exit 1 when a backend holds other numbers than were sent
//   --json   also print the summary as one JSON line (for tests)
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { down, readState, STACK_DIR, up, viewerLoginUrl } from './stack';
import { fetchTrace, waterfall } from './trace-view';

const ROOT = path.resolve(__dirname, '..');
const args = new Set(process.argv.slice(2));
const ci = args.has('--ci') || !process.stdout.isTTY;
const SERVICE = `orders-demo-${Date.now().toString(36)}`;
const COLLECTOR = 'http://127.0.0.1:4318';
const JAEGER = 'http://127.0.0.1:16686';

interface Step { method: string; url: string; user?: string; body?: unknown }

const ADA = '42'; // admin (CASL `manage all`: recorded as bypassed)
const BOB = '7'; // clerk at acme
const EVE = '9'; // clerk at globex

/**
 * The workload: each change is preceded by the same user's list read, so the tenant's cached
 * list exists and the change invalidates it. Covers granted, denied and bypassed decisions,
 * creates, updates and deletes, rules that pass and fail, and anonymous calls.
 */
function workload(): Step[] {
  const read = (user?: string): Step => ({ method: 'GET', url: '/orders', user });
  const steps: Step[] = [];
  const change = (user: string, s: Omit<Step, 'user'>) => steps.push(read(user), { ...s, user });
  for (const [total, customer] of [[100, 'ACME Anvils'], [400, 'ACME Rockets'], [2500, 'ACME Magnets'], [700, 'ACME Glue']] as const) {
    change(BOB, { method: 'POST', url: '/orders', body: { customer, total, card: '4111111111111111' } });
  }
  change(EVE, { method: 'POST', url: '/orders/1/approve' }); // other tenant: denied
  change(BOB, { method: 'POST', url: '/orders/1/approve' }); // both rules pass
  change(BOB, { method: 'POST', url: '/orders/3/approve' }); // over the limit: rule fails
  change(BOB, { method: 'DELETE', url: '/orders/2' }); // clerks cannot delete: denied
  change(ADA, { method: 'DELETE', url: '/orders/2' }); // admin: bypassed
  change(ADA, { method: 'POST', url: '/orders/4/approve' }); // admin: bypassed, rules pass
  steps.push(read(), { method: 'POST', url: '/orders', body: { customer: 'nobody', total: 1 } }); // anonymous: denied
  return steps;
}

function progress(done: number, total: number): void {
  if (ci) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r  workload [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stdout.write('\n');
}

async function startService(databaseUrl: string): Promise<{ child: ChildProcess; port: number; logFile: string }> {
  const logFile = path.join(STACK_DIR, 'logs', `${SERVICE}.log`);
  const { openSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', 'examples/orders-service/app.cjs'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, OTEL_SERVICE_NAME: SERVICE, OTEL_EXPORTER_OTLP_ENDPOINT: COLLECTOR, OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', fd],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { const m = /listening on (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
    child.once('exit', (code) => reject(new Error(`the service exited during start-up (${code}); see ${logFile}`)));
  });
  return { child, port, logFile };
}

async function poll<T>(fn: () => Promise<T | undefined>, ms = 30000): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn().catch(() => undefined);
    if (last !== undefined) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

function countNdjsonEvents(): Record<string, number> {
  const file = path.join(STACK_DIR, 'telemetry', 'logs.ndjson');
  const counts: Record<string, number> = {};
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes(SERVICE)) continue;
    const req = JSON.parse(line) as { resourceLogs?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeLogs?: { logRecords?: { eventName?: string }[] }[] }[] };
    for (const rl of req.resourceLogs ?? []) {
      if (!rl.resource?.attributes?.some((a) => a.key === 'service.name' && a.value.stringValue === SERVICE)) continue;
      for (const sl of rl.scopeLogs ?? []) for (const r of sl.logRecords ?? []) if (r.eventName) counts[r.eventName] = (counts[r.eventName] ?? 0) + 1;
    }
  }
  return counts;
}

async function main(): Promise<void> {
  console.log('starting the stack (Postgres + audit sink, Jaeger, Loki, collector)…');
  await up();
  const state = readState()!;
  const database = SERVICE.replace(/-/g, '_');
  const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${state.pgPort}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const service = await startService(`postgres://postgres@127.0.0.1:${state.pgPort}/${database}`);
  console.log(`\nservice ${SERVICE} on http://127.0.0.1:${service.port}, preloaded with @domain-otel/node/register`);

  const steps = workload();
  const sent = { requests: 0, decisions: 0, denied: 0, bypassed: 0, mutations: 0, rules: 0, cache: 0 };
  let bobRecords = 0; // decisions and mutations of user 7, as the viewer should list them
  for (const [i, s] of steps.entries()) {
    const res = await fetch(`http://127.0.0.1:${service.port}${s.url}`, {
      method: s.method, body: s.body ? JSON.stringify(s.body) : undefined,
      headers: { 'content-type': 'application/json', 'x-request-id': `${SERVICE}-${i}`, ...(s.user ? { 'x-user-id': s.user } : {}) },
    });
    await res.arrayBuffer();
    sent.requests++;
    if (res.status !== 404) sent.decisions++; // every route asks CASL exactly once
    if (res.status === 403) sent.denied++;
    else if (s.user === ADA) sent.bypassed++;
    const changed = s.method !== 'GET' && [200, 201, 204].includes(res.status);
    if (changed) sent.mutations++;
    if (changed) sent.cache++; // the same user's read just cached the tenant's list
    if (s.user === BOB) bobRecords += (res.status !== 404 ? 1 : 0) + (changed ? 1 : 0);
    if (s.url.endsWith('/approve') && (res.status === 200 || res.status === 422)) sent.rules += 2; // two rules per run
    progress(i + 1, steps.length);
  }
  const exited = new Promise((r) => service.child.once('exit', r));
  service.child.kill('SIGTERM'); // the distribution flushes everything on SIGTERM
  await exited;

  const expectedAudit = sent.decisions + sent.mutations;
  const pg = new Client({ connectionString: `postgres://audit_reader@127.0.0.1:${state.pgPort}/audit` });
  await pg.connect();
  const auditRows = (await poll(async () => {
    const n = Number((await pg.query('SELECT count(*) FROM domain_otel_audit.records WHERE service = $1', [SERVICE])).rows[0].count);
    return n >= expectedAudit ? n : undefined;
  })) ?? Number((await pg.query('SELECT count(*) FROM domain_otel_audit.records WHERE service = $1', [SERVICE])).rows[0].count);
  const outcome = async (o: string) => Number((await pg.query(
    "SELECT count(*) FROM domain_otel_audit.records WHERE service = $1 AND event_name = 'domain.audit.decision' AND outcome = $2", [SERVICE, o])).rows[0].count);
  const denied = await outcome('denied');
  const bypassed = await outcome('bypassed');
  await pg.end();
  // request traces: those with a server span (start-up work such as sequelize.sync() has its own traces)
  type Trace = { traceID: string; spans: { operationName: string; tags: { key: string; value: unknown }[] }[] };
  const requestTraces = async () => ((await (await fetch(`${JAEGER}/api/traces?service=${SERVICE}&limit=1000&lookback=1h`)).json()) as { data: Trace[] }).data
    .filter((t) => t.spans.some((s) => s.tags.some((tag) => tag.key === 'span.kind' && tag.value === 'server')));
  const traces = (await poll(async () => {
    const found = await requestTraces();
    return found.length >= sent.requests ? found : undefined;
  })) ?? (await requestTraces());
  const ndjson = (await poll(async () => {
    const c = countNdjsonEvents();
    return (c['domain.audit.decision'] ?? 0) >= sent.decisions ? c : undefined;
  })) ?? countNdjsonEvents();
  const prometheus = (await poll(async () => {
    const text = await (await fetch('http://127.0.0.1:8889/metrics')).text();
    const total = text.split('\n').filter((l) => l.startsWith('domain_audit_decisions_total{') && l.includes(`job="${SERVICE}"`))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    return total >= sent.decisions ? total : undefined;
  })) ?? 0;

  const loki = state.services.find((x) => x.name === 'loki');
  const lokiCount = async (eventName: string) => {
    const now = Date.now();
    const qs = new URLSearchParams({ query: `{service_name="${SERVICE}"} | event_name = "${eventName}"`, start: String((now - 3_600_000) * 1e6), end: String((now + 60_000) * 1e6), limit: '5000' });
    const body = (await (await fetch(`http://127.0.0.1:3100/loki/api/v1/query_range?${qs}`)).json()) as { data: { result: { values: unknown[] }[] } };
    return body.data.result.reduce((n, stream) => n + stream.values.length, 0);
  };
  const lokiRows = loki ? [
    { backend: 'Loki: domain.audit.decision', sent: sent.decisions, holds: (await poll(async () => { const n = await lokiCount('domain.audit.decision'); return n >= sent.decisions ? n : undefined; })) ?? await lokiCount('domain.audit.decision').catch(() => 0) },
    { backend: 'Loki: domain.manager.mutation', sent: sent.mutations, holds: (await poll(async () => { const n = await lokiCount('domain.manager.mutation'); return n >= sent.mutations ? n : undefined; })) ?? await lokiCount('domain.manager.mutation').catch(() => 0) },
  ] : [];
  // The audit viewer lists what Postgres holds, through its own API and token (the same search the page runs).
  const viewerSearch = `#/?user=${BOB}&service=${SERVICE}`;
  const viewerTotal = async () => {
    const q = new URLSearchParams({ user: BOB, service: SERVICE, limit: '1' });
    const res = await fetch(`http://127.0.0.1:4321/api/search?${q}`, { headers: { authorization: `Bearer ${state.viewerToken}` } });
    return res.ok ? ((await res.json()) as { total: number }).total : undefined;
  };
  const viewerHolds = (await poll(async () => { const n = await viewerTotal(); return n !== undefined && n >= bobRecords ? n : undefined; }, 10000)) ?? (await viewerTotal().catch(() => 0)) ?? 0;
  const rows = [
    { backend: 'Jaeger: request traces', sent: sent.requests, holds: traces.length },
    { backend: 'Postgres audit store (decisions + mutations)', sent: expectedAudit, holds: auditRows },
    { backend: 'NDJSON file: domain.audit.decision', sent: sent.decisions, holds: ndjson['domain.audit.decision'] ?? 0 },
    { backend: 'NDJSON file: domain.manager.mutation', sent: sent.mutations, holds: ndjson['domain.manager.mutation'] ?? 0 },
    { backend: 'NDJSON file: domain.rule.evaluation', sent: sent.rules, holds: ndjson['domain.rule.evaluation'] ?? 0 },
    { backend: 'NDJSON file: domain.cache.invalidation', sent: sent.cache, holds: ndjson['domain.cache.invalidation'] ?? 0 },
    { backend: 'Prometheus: domain_audit_decisions_total', sent: sent.decisions, holds: prometheus },
    { backend: 'Postgres: denied decisions', sent: sent.denied, holds: denied },
    { backend: 'Postgres: bypassed decisions', sent: sent.bypassed, holds: bypassed },
    ...lokiRows,
    { backend: 'Audit viewer: records of user 7 (Bob)', sent: bobRecords, holds: viewerHolds },
  ];
  console.log(`\nworkload: ${sent.requests} requests, ${sent.decisions} authorization decisions (${sent.denied} denied, ${sent.bypassed} bypassed), ${sent.mutations} mutations, ${sent.rules} rule evaluations, ${sent.cache} cache invalidations\n`);
  console.table(rows.map((r) => ({ ...r, match: r.sent === r.holds ? 'yes' : 'NO' })));

  const approve = traces.find((t) => t.spans.some((s) => s.operationName === 'update Order'));
  if (approve) {
    // the request's spans reach Jaeger in more than one batch: wait until the server span is there
    const trace = await poll(async () => {
      const t = await fetchTrace(approve.traceID, JAEGER);
      return t.spans.some((s) => s.operationName.startsWith('POST /orders/:id/approve')) && t.spans.some((s) => s.operationName === 'update Order') ? t : undefined;
    }, 10000) ?? await fetchTrace(approve.traceID, JAEGER);
    console.log(`\none request's trace (${JAEGER}/trace/${approve.traceID}):`);
    console.log(waterfall(trace).join('\n'));
  }
  // The newest few: the whole list is in the viewer (below), and the output stays on two screens.
  const queryArgs = ['query', '--user', BOB, '--service', SERVICE, '--desc', '--limit', '8'];
  console.log(`\n$ domain-otel-audit ${queryArgs.join(' ')}   (what did Bob, user 7, do last?)`);
  console.log(execFileSync(process.execPath, [path.join(ROOT, 'packages/audit-sink/dist/cli.js'), ...queryArgs], {
    env: { ...process.env, DOMAIN_OTEL_AUDIT_DATABASE_URL: `postgres://audit_reader@127.0.0.1:${state.pgPort}/audit` }, encoding: 'utf8',
  }).trim());
  console.log(`\nfiles: ${path.join(STACK_DIR, 'telemetry')}/{traces,logs,metrics}.ndjson`);
  console.log(`logs:  ${path.join(STACK_DIR, 'logs')} (service log: ${service.logFile})`);
  console.log('Jaeger API: http://127.0.0.1:16686/api/traces?service=' + SERVICE + '  (UI: see docs/collector.md)');
  console.log(`\naudit viewer: ${viewerLoginUrl(state, viewerSearch)}`);
  console.log('  (Bob\'s records; open one for its changes, chain position, verification, request trace and inclusion proof)');
  if (loki) console.log(`Loki: curl -G http://127.0.0.1:3100/loki/api/v1/query_range --data-urlencode 'query={service_name="${SERVICE}"} | event_name = "domain.audit.decision"'`);

  const ok = rows.every((r) => r.sent === r.holds);
  if (args.has('--json')) console.log(`DEMO-SUMMARY ${JSON.stringify({ service: SERVICE, sent, rows, ok })}`);
  if (args.has('--keep')) {
    console.log('\n--keep: the stack keeps running; Ctrl-C stops it.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  await down();
  if (!ok) {
    console.error('\ndemo: some backend holds other numbers than the workload sent (see the table)');
    process.exit(1);
  }
}

main().catch(async (err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  await down().catch(() => {});
  process.exit(1);
});
