// `npm run demo`: the whole product in one go. Starts the local stack (Postgres + audit sink,
// Jaeger, the collector), runs examples/orders-service under
// `node --require @domain-otel/node/register`, drives a scripted workload over HTTP, then
// reads every backend back and prints what it holds next to what was sent, and the audit
// viewer's address (a link that logs in with the stack's viewer token).
//   --keep   leave everything running until Ctrl-C
//   --ci     no progress bar; exit 1 when a backend holds other numbers than were sent
//   --json   also print the summary as one JSON line (for tests)
// The steps live in scripts/demo/: the service, the workload, reading the backends back; the
// stack's addresses come from its port table (scripts/demo/endpoints.ts).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ENDPOINTS } from './demo/endpoints';
import { poll, readBackends } from './demo/read-back';
import type { BackendRow, Trace } from './demo/read-back';
import { createDatabase, startService, stopService } from './demo/service';
import type { RunningService } from './demo/service';
import { BOB, runWorkload } from './demo/workload';
import type { Sent } from './demo/workload';
import { down, readState, STACK_DIR, up, viewerLoginUrl } from './stack';
import type { StackState } from './stack';
import { fetchTrace, waterfall } from './trace-view';

const ROOT = path.resolve(__dirname, '..');
const args = new Set(process.argv.slice(2));
const ci = args.has('--ci') || !process.stdout.isTTY;
const SERVICE = `orders-demo-${Date.now().toString(36)}`;

function progress(done: number, total: number): void {
  if (ci) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r  workload [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stdout.write('\n');
}

async function startStack(): Promise<StackState> {
  console.log('starting the stack (Postgres + audit sink, Jaeger, Loki, collector)…');
  await up();
  return readState()!;
}

async function startDemoService(state: StackState): Promise<RunningService> {
  const service = await startService(SERVICE, await createDatabase(state.pgPort, SERVICE));
  console.log(`\nservice ${SERVICE} on http://127.0.0.1:${service.port}, preloaded with @domain-otel/node/register`);
  return service;
}

function printSummary(sent: Sent, rows: BackendRow[]): void {
  console.log(`\nworkload: ${sent.requests} requests, ${sent.decisions} authorization decisions (${sent.denied} denied, ${sent.bypassed} bypassed), ${sent.mutations} mutations, ${sent.rules} rule evaluations, ${sent.cache} cache invalidations\n`);
  console.table(rows.map((r) => ({ ...r, match: r.sent === r.holds ? 'yes' : 'NO' })));
}

/** One approve request's trace as a waterfall: the SQL inside the mutation inside the request. */
async function printApproveTrace(traces: Trace[]): Promise<void> {
  const approve = traces.find((t) => t.spans.some((s) => s.operationName === 'update Order'));
  if (!approve) return;
  // the request's spans reach Jaeger in more than one batch: wait until the server span is there
  const trace = await poll(async () => {
    const t = await fetchTrace(approve.traceID, ENDPOINTS.jaeger);
    return t.spans.some((s) => s.operationName.startsWith('POST /orders/:id/approve')) && t.spans.some((s) => s.operationName === 'update Order') ? t : undefined;
  }, 10000) ?? await fetchTrace(approve.traceID, ENDPOINTS.jaeger);
  console.log(`\none request's trace (${ENDPOINTS.jaeger}/trace/${approve.traceID}):`);
  console.log(waterfall(trace).join('\n'));
}

/** The newest few of Bob's records through the audit CLI: the whole list is in the viewer, and the output stays on two screens. */
function printAuditQuery(state: StackState): void {
  const queryArgs = ['query', '--user', BOB, '--service', SERVICE, '--desc', '--limit', '8'];
  console.log(`\n$ domain-otel-audit ${queryArgs.join(' ')}   (what did Bob, user 7, do last?)`);
  console.log(execFileSync(process.execPath, [path.join(ROOT, 'packages/audit-sink/dist/cli.js'), ...queryArgs], {
    env: { ...process.env, DOMAIN_OTEL_AUDIT_DATABASE_URL: `postgres://audit_reader@127.0.0.1:${state.pgPort}/audit` }, encoding: 'utf8',
  }).trim());
}

function printWhereToLook(state: StackState, service: RunningService): void {
  console.log(`\nfiles: ${path.join(STACK_DIR, 'telemetry')}/{traces,logs,metrics}.ndjson`);
  console.log(`logs:  ${path.join(STACK_DIR, 'logs')} (service log: ${service.logFile})`);
  console.log(`Jaeger API: ${ENDPOINTS.jaeger}/api/traces?service=${SERVICE}  (UI: see docs/collector.md)`);
  console.log(`\naudit viewer: ${viewerLoginUrl(state, `#/?user=${BOB}&service=${SERVICE}`)}`);
  console.log('  (Bob\'s records; open one for its changes, chain position, verification, request trace and inclusion proof)');
  if (state.services.some((x) => x.name === 'loki')) {
    console.log(`Loki: curl -G ${ENDPOINTS.loki}/loki/api/v1/query_range --data-urlencode 'query={service_name="${SERVICE}"} | event_name = "domain.audit.decision"'`);
  }
}

/** --json's summary line, --keep's wait, then the stack stopped; exit 1 when a backend disagrees. */
async function finish(sent: Sent, rows: BackendRow[]): Promise<void> {
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

async function main(): Promise<void> {
  const state = await startStack();
  const service = await startDemoService(state);
  const { sent, bobRecords } = await runWorkload(service.port, SERVICE, progress);
  await stopService(service);
  const { rows, traces } = await readBackends(state, SERVICE, sent, bobRecords);
  printSummary(sent, rows);
  await printApproveTrace(traces);
  printAuditQuery(state);
  printWhereToLook(state, service);
  await finish(sent, rows);
}

main().catch(async (err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  await down().catch(() => {});
  process.exit(1);
});
