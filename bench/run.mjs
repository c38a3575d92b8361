// `npm run bench`: every cost as a ratio against a baseline measured in the same run.
// Prints a table and writes bench/results.json. Absolute numbers are noise on shared
// machines; the ratios are what we publish and check against the targets.
import { spawnSync } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { fmtSpread, medianOf, ratioSpread } from './http-rounds.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const TIME_MS = quick ? 150 : 1000;
// --only micro,strict,startup,heap,http,sink,e2e,checkpoint: run just those sections (results.json is not written)
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const want = (section) => only === undefined || only.has(section);

const otel = require('@opentelemetry/api');
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const { TracerProvider, AlwaysOnSampler } = require('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const api = require('@domain-otel/api');
const { DomainInstrumentation } = require('@domain-otel/instrumentation-domain');
const { AuditLogRecordProcessor } = require(path.join(root, 'packages/node/dist/logs/audit-processor.js'));
const { StrictDeliveryLedger } = require(path.join(root, 'packages/node/dist/logs/delivery-ledger.js'));

const rows = [];
const startedAt = performance.now();
/** A progress line on stderr: the full run takes minutes. */
const progress = (what) => process.stderr.write(`bench: [${((performance.now() - startedAt) / 1000).toFixed(0)} s] ${what}\n`);
function row(measure, baseline, ours, baselineValue, ratio, target, pass, note = '') {
  rows.push({ measure, baseline, ours, baselineValue, ratio: Number(ratio.toFixed(3)), target, pass, note });
  progress(`${measure}: ${ratio.toFixed(3)}× ${pass === null ? '' : pass ? 'PASS' : 'MISS'}`);
}

async function pair(name, baselineFn, oursFn) {
  const bench = new Bench({ name, time: TIME_MS, warmup: true, warmupTime: Math.min(TIME_MS, 300) });
  bench.add('baseline', baselineFn).add('ours', oursFn);
  await bench.run();
  const [b, o] = bench.tasks.map((t) => t.result);
  return { baseline: b.latency, ours: o.latency };
}
const fmt = (lat) => `${(lat.p50 * 1e6).toFixed(0)} ns med, ±${lat.rme.toFixed(1)}%`;

if (want('micro')) {
progress('micro-benchmarks: api publish, decision, mutation');
// 1. Nothing listening: audit.decision() against a bare diagnostics_channel publish.
{
  const bare = diagnosticsChannel.channel('bench:bare');
  const decision = { action: 'read', outcome: 'granted', manager: 'orders', entityId: 7 };
  // blocks: a task returning a promise would be awaited by tinybench and measure that instead
  const r = await pair('idle publish', () => { bare.publish(decision); }, () => { api.audit.decision(decision); });
  const ratio = r.ours.p50 / r.baseline.p50;
  row('api publish, nothing listening', 'bare diagnostics_channel publish', fmt(r.ours), fmt(r.baseline), ratio, '≤ 2×', ratio <= 2);
}
}

// In-process SDK whose processors do no I/O, so we measure our mapping, not an exporter.
const contextManager = new AsyncLocalStorageContextManager();
otel.context.setGlobalContextManager(contextManager.enable());
let logSink = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };
const switchable = { onEmit: (r, c) => logSink.onEmit(r, c), forceFlush: () => logSink.forceFlush(), shutdown: () => logSink.shutdown() };
otel.logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [switchable] }));
otel.trace.setGlobalTracerProvider(new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }] }));
const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })] });
otel.metrics.setGlobalMeterProvider(meterProvider);
const storage = contextManager._asyncLocalStorage; // the same private field @domain-otel/node uses (pinned version)
const instrumentation = new DomainInstrumentation({ contextStorage: storage });
instrumentation.setMeterProvider(meterProvider);

const logger = otel.logs.getLogger('bench-manual');
const meter = meterProvider.getMeter('bench-manual');
const tracer = otel.trace.getTracer('bench-manual');
const counter = meter.createCounter('manual.decisions');
const mCounter = meter.createCounter('manual.mutations');
const mHist = meter.createHistogram('manual.mutation.duration');
const actor = { id: '42', name: 'Ada', tenant: 'acme', correlationId: 'req-1' };

if (want('micro')) {
// 2. One audit decision, enabled: log event + counter, against the same by hand.
await api.withActor(actor, async () => {
  const decision = { action: 'read', outcome: 'granted', manager: 'orders', entityId: 7, reason: 'owner' };
  const r = await pair('decision', () => {
    const a = api.getActor();
    logger.emit({
      eventName: 'domain.audit.decision', severityNumber: 9, severityText: 'INFO', timestamp: Date.now(), body: 'Ada (42) granted read on orders 7: owner',
      attributes: { 'domain.audit.action': 'read', 'domain.audit.outcome': 'granted', 'domain.manager.name': 'orders', 'domain.entity.id': 7, 'domain.audit.reason': 'owner',
        'user.id': a.id, 'user.name': a.name, 'domain.tenant.id': a.tenant, 'domain.correlation.id': a.correlationId, 'log.record.uid': randomUUID() },
    });
    counter.add(1, { 'domain.audit.action': 'read', 'domain.audit.outcome': 'granted', 'domain.manager.name': 'orders' });
  }, () => { api.audit.decision(decision); });
  const ratio = r.ours.p50 / r.baseline.p50;
  row('one audit decision, enabled (log event + counter)', 'logger.emit + counter.add by hand', fmt(r.ours), fmt(r.baseline), ratio, '≤ 1.3×', ratio <= 1.3);

  // 3. One traced mutation: span + event + metrics, against the same by hand.
  const meta = { action: 'update', manager: 'orders', entityId: 7, changes: { status: { old: 'new', new: 'paid' } } };
  const r3 = await pair('mutation', () => {
    const started = performance.now();
    tracer.startActiveSpan('update orders', { attributes: { 'domain.manager.name': 'orders', 'domain.mutation.action': 'update', 'domain.entity.id': 7 } }, (span) => {
      const a = api.getActor();
      logger.emit({
        eventName: 'domain.manager.mutation', severityNumber: 9, severityText: 'INFO', timestamp: Date.now(), body: 'Ada (42) update orders 7',
        attributes: { 'domain.mutation.action': 'update', 'domain.manager.name': 'orders', 'domain.mutation.outcome': 'success', 'domain.entity.id': 7,
          'domain.mutation.changed_fields': ['status'], 'domain.mutation.changes': { status: { old: 'new', new: 'paid' } },
          'user.id': a.id, 'user.name': a.name, 'domain.tenant.id': a.tenant, 'domain.correlation.id': a.correlationId, 'log.record.uid': randomUUID() },
      });
      const attrs = { 'domain.mutation.action': 'update', 'domain.manager.name': 'orders', 'domain.mutation.outcome': 'success' };
      mCounter.add(1, attrs);
      mHist.record((performance.now() - started) / 1000, attrs);
      span.end();
    });
  }, () => api.traceMutation(meta, () => 1));
  const ratio3 = r3.ours.p50 / r3.baseline.p50;
  row('one traced mutation (span + event + metrics)', 'startActiveSpan + emit + metrics by hand', fmt(r3.ours), fmt(r3.baseline), ratio3, '≤ 1.3×', ratio3 <= 1.3);
});
}

if (want('strict')) {
progress('strict delivery throughput');
// 4. Strict delivery with 64 concurrent callers against async delivery. The exporter acks
// each export one event-loop turn later (an in-process stand-in for a fast collector).
async function throughput(strict) {
  const exporter = { export(records, cb) { setImmediate(() => cb({ code: 0 })); }, shutdown: async () => {}, forceFlush: async () => {} };
  const processor = new AuditLogRecordProcessor({ exporter, maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 200, strict, onDropped() {} });
  logSink = { onEmit: (r, c) => { if (r.eventName === 'domain.manager.mutation') processor.onEmit(r, c); }, forceFlush: async () => {}, shutdown: async () => {} };
  api.setAuditDeliveryLedger(strict ? new StrictDeliveryLedger(30000, undefined) : undefined);
  instrumentation.setConfig({ contextStorage: storage });
  const perWorker = quick ? 50 : 400;
  const started = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, w) => {
    for (let i = 0; i < perWorker; i++) await api.traceMutation({ action: 'create', manager: 'orders', entityId: w * perWorker + i }, async () => i);
  }));
  const seconds = (performance.now() - started) / 1000;
  await processor.forceFlush();
  return (64 * perWorker) / seconds;
}
{
  await throughput(false); // warm-up
  const asyncOps = await throughput(false);
  const strictOps = await throughput(true);
  const ratio = strictOps / asyncOps;
  row('strict delivery, 64 concurrent callers (throughput)', 'async delivery', `${strictOps.toFixed(0)} ops/s`, `${asyncOps.toFixed(0)} ops/s`, ratio, '≥ 0.33×', ratio >= 0.33);
  logSink = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };
  api.setAuditDeliveryLedger(undefined);
  instrumentation.disable();
}
}

if (want('startup')) {
progress('start-up time and peak memory (spawning the trivial app repeatedly)');
// 5. Startup time and peak memory of a trivial app: bare node, --require @domain-otel/node/register,
// and upstream's @opentelemetry/auto-instrumentations-node/register (installed outside the clone by
// bench/upstream.mjs, local resource detectors only so no cloud metadata endpoint is probed).
{
  const { upstreamRegister } = await import('./upstream.mjs');
  // its own spool directory: no run adopts (and starts sending) what another process left behind
  const spoolDir = (await import('node:fs')).mkdtempSync(path.join(os.tmpdir(), 'domain-otel-bench-spool-'));
  const runs = quick ? 5 : 11;
  const measure = (args) => {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = spawnSync(process.execPath, [...args, path.join(root, 'bench/fixtures/trivial.cjs')], {
        cwd: root, encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', DOMAIN_OTEL_AUDIT_SPOOL_DIR: spoolDir },
      });
      const wall = performance.now() - t0;
      const parsed = JSON.parse(out.stdout.trim().split('\n').at(-1));
      samples.push({ wall, maxRssKiB: parsed.maxRssKiB });
    }
    const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { wall: med(samples.map((s) => s.wall)), rss: med(samples.map((s) => s.maxRssKiB)) / 1024 };
  };
  const bare = measure([]);
  const ours = measure(['--require', '@domain-otel/node/register']);
  const upstreamPath = upstreamRegister();
  const upstream = upstreamPath ? measure(['--require', upstreamPath]) : undefined;
  (await import('node:fs')).rmSync(spoolDir, { recursive: true, force: true });
  const addedMs = ours.wall - bare.wall;
  const addedMiB = ours.rss - bare.rss;
  const upAddedMs = upstream ? upstream.wall - bare.wall : NaN;
  const upAddedMiB = upstream ? upstream.rss - bare.rss : NaN;
  const vsUpstream = addedMs / upAddedMs;
  row('startup time, trivial app, --require register', 'bare node', `${ours.wall.toFixed(0)} ms`, `${bare.wall.toFixed(0)} ms`, ours.wall / bare.wall, 'added ≤ 150 ms', addedMs <= 150, `adds ${addedMs.toFixed(0)} ms`);
  if (upstream) {
    row('startup time added, vs upstream auto-instrumentations register', 'upstream register (added over bare node)', `+${addedMs.toFixed(0)} ms`, `+${upAddedMs.toFixed(0)} ms`, vsUpstream, '≤ 0.25× of what upstream adds', vsUpstream <= 0.25, `upstream adds ${upAddedMiB.toFixed(1)} MiB`);
  } else {
    row('startup time added, vs upstream auto-instrumentations register', 'upstream register', 'n/a', 'not installed', NaN, '≤ 0.25× of what upstream adds', false, 'baseline could not be installed: see the warning above');
  }
  row('peak memory, trivial app, --require register', 'bare node', `${ours.rss.toFixed(1)} MiB`, `${bare.rss.toFixed(1)} MiB`, ours.rss / bare.rss, 'added ≤ 20 MiB', addedMiB <= 20, `adds ${addedMiB.toFixed(1)} MiB${upstream ? `; upstream adds ${upAddedMiB.toFixed(1)} MiB` : ''}`);
  // what the first export adds (bench/rss-by-package.mjs; its table is in docs/performance.md)
  const rssOut = spawnSync(process.execPath, ['bench/rss-by-package.mjs', '--json', '--runs', quick ? '3' : '5'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  const rssLine = rssOut.stdout?.split('\n').find((l) => l.startsWith('{"bench":"rss"'));
  if (rssLine) {
    const r = JSON.parse(rssLine);
    const find = (prefix) => r.rows.find((x) => x.what.startsWith(prefix));
    const started = find('the distribution started');
    const thread = find('after the first export:');
    const inThread = find('after the first export with');
    row('peak memory after the first export (the export thread started)', 'exporters on the request thread (DOMAIN_OTEL_EXPORT_THREAD=off)', `+${(thread.peakMiB - r.bareMiB).toFixed(1)} MiB over bare node`, `+${(inThread.peakMiB - r.bareMiB).toFixed(1)} MiB`, (thread.peakMiB - r.bareMiB) / (inThread.peakMiB - r.bareMiB), 'reported', null,
      `started, nothing exported: +${(started.peakMiB - r.bareMiB).toFixed(1)} MiB; the thread adds ${thread.addedMiB.toFixed(1)} MiB at its first export, the exporters on the request thread ${inThread.addedMiB.toFixed(1)} MiB`);
  }
}
}

if (want('heap')) {
progress('heap after many events');
// 6. Heap after 1M events: no growth once collected (the mapping keeps nothing per event).
if (typeof globalThis.gc === 'function') {
  const leakInstr = new DomainInstrumentation({ contextStorage: storage });
  leakInstr.setMeterProvider(meterProvider);
  const n = quick ? 100_000 : 1_000_000;
  const decision = { action: 'read', outcome: 'denied', manager: 'orders', entityId: 1 };
  const burst = async (count) => {
    for (let i = 0; i < count; i++) {
      api.audit.decision({ ...decision, entityId: i });
      if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  await burst(10_000); // warm up: instruments, caches, JIT
  globalThis.gc(); globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  await api.withActor(actor, () => burst(n));
  globalThis.gc(); globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  leakInstr.disable();
  const growthMiB = (after - before) / 1048576;
  row(`heap after ${n.toLocaleString('en')} events (after GC)`, 'heap before', `${(after / 1048576).toFixed(1)} MiB`, `${(before / 1048576).toFixed(1)} MiB`, after / before, 'no growth (< 1 MiB)', growthMiB < 1, `grew ${growthMiB.toFixed(2)} MiB`);
} else {
  console.warn('bench: run with --expose-gc for the heap row (npm run bench does)');
}
}

// 7. HTTP: the same service with all domain telemetry and with only the upstream HTTP
// instrumentation (OTEL_NODE_ENABLED_INSTRUMENTATIONS=http), both running, the load in
// alternating rounds (bench/http-rounds.mjs); ratios are per round, reported as median (min–max).
// Loopback, keep-alive; both export to a local OTLP endpoint that answers 200 at once.
const httpRows = (label, r, target) => {
  const base = r.results.base;
  const ours = r.results.ours;
  const rps = ratioSpread(base, ours, (x) => x.rps);
  const p99 = ratioSpread(base, ours, (x) => x.p99);
  const cpu = ratioSpread(base, ours, (x) => x.threadUsPerReq);
  const errors = ours.reduce((n, x) => n + x.errors, 0);
  const abs = (xs) => `${medianOf(xs, (x) => x.rps).toFixed(0)} req/s, p99 ${medianOf(xs, (x) => x.p99).toFixed(1)} ms`;
  const cpuAbs = (xs) => `${medianOf(xs, (x) => x.threadUsPerReq).toFixed(0)} µs/req (process ${medianOf(xs, (x) => x.processUsPerReq).toFixed(0)})`;
  const rpsPass = rps.median >= target.rps && (target.p99 === undefined || p99.median <= target.p99) && errors === 0;
  row(`HTTP throughput, ${label}, all domain telemetry`, 'only upstream HTTP instrumentation', abs(ours), abs(base), rps.median,
    `≥ ${target.rps}× req/s${target.p99 !== undefined ? `, p99 ≤ ${target.p99}×` : ''}`, rpsPass,
    `req/s ${fmtSpread(rps)}; p99 ${fmtSpread(p99)}${errors ? `; ${errors} error responses` : ''}`);
  const rss = (xs) => Math.max(...xs.map((x) => x.rssMiB)).toFixed(0);
  row(`request-thread CPU per request, ${label}, all domain telemetry`, 'only upstream HTTP instrumentation', cpuAbs(ours), cpuAbs(base), cpu.median,
    target.cpu !== undefined ? `≤ ${target.cpu}×` : 'reported', target.cpu !== undefined ? cpu.median <= target.cpu : null,
    `${fmtSpread(cpu)}; process.threadCpuUsage() of the server's main thread; RSS under load up to ${rss(ours)} MiB (base ${rss(base)} MiB)`);
  // measured alternatives, side by side (full run only): same service, one setting changed
  for (const [variant, what] of [['inthread', 'export on the request thread (DOMAIN_OTEL_EXPORT_THREAD=off)'], ['sdkrecords', 'domain records through the SDK LoggerProvider (DOMAIN_OTEL_RECORD_PATH=sdk)']]) {
    const alt = r.results[variant];
    if (!alt) continue;
    const altCpu = ratioSpread(base, alt, (x) => x.threadUsPerReq);
    const altRps = ratioSpread(base, alt, (x) => x.rps);
    row(`alternative: ${label}, ${what}`, 'only upstream HTTP instrumentation', `${cpuAbs(alt)}; ${medianOf(alt, (x) => x.rps).toFixed(0)} req/s`, cpuAbs(base), altCpu.median,
      `compare with the default (${cpu.median.toFixed(2)}× CPU, ${rps.median.toFixed(2)}× req/s)`, null,
      `CPU ${fmtSpread(altCpu)}; req/s ${fmtSpread(altRps)}; RSS under load up to ${rss(alt)} MiB`);
  }
  return { base, rps, cpu };
};
if (want('http')) {
{
  progress('HTTP, minimal service (alternating rounds)');
  const rounds = quick ? 3 : 8;
  const alternatives = quick ? [] : ['--variant', 'inthread=DOMAIN_OTEL_EXPORT_THREAD=off', '--variant', 'sdkrecords=DOMAIN_OTEL_RECORD_PATH=sdk'];
  const out = spawnSync(process.execPath, ['bench/http-minimal.mjs', '--rounds', String(rounds), '--round-ms', quick ? '1000' : '2000', ...alternatives], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  const line = out.stdout?.split('\n').find((l) => l.startsWith('{"bench":"http-minimal"'));
  if (line) httpRows('minimal service (no work per request)', JSON.parse(line), { rps: 0.6, cpu: 2 });
  else console.warn('bench: the minimal HTTP bench did not report (see its output above)');
}
}

// 7b. The same on the demo service (bench/http-orders.ts): real work per request (Express,
// CASL, Sequelize on a throwaway Postgres, json-rules-engine, lru-cache), plus the
// distribution's default (also upstream express and pg spans) as a third variant.
if (want('http')) {
{
  progress('HTTP, demo orders-service (alternating rounds)');
  const rounds = quick ? 2 : 6;
  const alternatives = quick ? [] : ['--variant', 'inthread=DOMAIN_OTEL_EXPORT_THREAD=off'];
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'bench/http-orders.ts', '--rounds', String(rounds), '--round-ms', quick ? '1500' : '3000', ...alternatives], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_200_000 });
  const line = out.stdout?.split('\n').find((l) => l.startsWith('{"bench":"http-orders"'));
  if (line) {
    const r = JSON.parse(line);
    const { base } = httpRows('demo orders-service', r, { rps: 0.95, p99: 1.1 });
    const def = r.results.default;
    const rps = ratioSpread(base, def, (x) => x.rps);
    const cpu = ratioSpread(base, def, (x) => x.threadUsPerReq);
    row('HTTP throughput, demo orders-service, distribution default (+ express, pg spans)', 'only upstream HTTP instrumentation',
      `${medianOf(def, (x) => x.rps).toFixed(0)} req/s, p99 ${medianOf(def, (x) => x.p99).toFixed(1)} ms`, `${medianOf(base, (x) => x.rps).toFixed(0)} req/s`, rps.median, '≥ 0.85× req/s', rps.median >= 0.85,
      `req/s ${fmtSpread(rps)}; request-thread CPU ${medianOf(def, (x) => x.threadUsPerReq).toFixed(0)} µs/req, ${fmtSpread(cpu)}`);
  } else {
    console.warn('bench: the orders-service bench did not report (see its output above)');
  }
}
}

if (want('sink')) {
progress('audit sink ingest (throwaway Postgres)');
// 8. Audit sink ingest against a raw COPY of the same rows (packages/audit-sink/bench/ingest.ts).
{
  const records = quick ? 20000 : 100000;
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'packages/audit-sink/bench/ingest.ts', '--records', String(records), '--batch', '5000'], { cwd: root, encoding: 'utf8' });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{"bench":"audit-sink-ingest"'));
  if (line) {
    const r = JSON.parse(line);
    const ratio = r.ratio_to_raw_copy['sink-http'];
    const cpu = (k) => `${k}: node ${r.cpu_us_per_record[k].node} µs + postgres ${r.cpu_us_per_record[k].postgres} µs`;
    row('audit sink ingest into Postgres (OTLP/HTTP → rows)', 'raw COPY of the same rows', `${r.records_per_s['sink-http']} rows/s`, `${r.records_per_s['raw-copy']} rows/s`, ratio, '≥ 0.5× and ≥ 50k rows/s', ratio >= 0.5 && r.records_per_s['sink-http'] >= 50000,
      `${r.workers} worker thread(s) as serve's default here; store path alone ${r.records_per_s['sink-store']} rows/s; CPU per record (${cpu('sink-http')}; ${cpu('sink-store')}; ${cpu('raw-copy')}) on ${os.cpus().length} cores shared by both`);
  } else {
    console.warn(`bench: the audit sink ingest bench did not report (needs Postgres server binaries): ${out.stderr.slice(-500)}`);
  }
}
}

if (want('e2e')) {
progress('end to end through the collector and the sink');
// 9. End to end: app → collector → audit sink → Postgres (bench/e2e.ts), counted in rows.
{
  const seconds = quick ? 5 : 60;
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'bench/e2e.ts', '--rate', '20000', '--seconds', String(seconds)], { cwd: root, encoding: 'utf8', timeout: (seconds + 240) * 1000 });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{"bench":"e2e"'));
  if (line) {
    const r = JSON.parse(line);
    row(`end to end, app → collector → sink → Postgres, ${seconds} s at 20k/s offered`, '—', `${r.rowsPerSecond} rows/s sustained, ${r.lost} lost, ${r.duplicated} duplicated`, `${r.sent} sent`, r.rowsPerSecond / 20000, '≥ 20k audit events/s, 0 lost', r.rowsPerSecond >= 20000 && r.lost === 0 && r.duplicated === 0, `stored ${r.stored} in ${r.sustainedSeconds.toFixed(1)} s; the app emitted for ${r.emitSeconds.toFixed(1)} s${r.stillQueued ? `; ${r.stillQueued} still queued in the collector after 10 min` : ''}${r.appWarnings?.length ? `; app: ${r.appWarnings[0]}` : ''}`);
    if (r.lost > 0) console.warn(out.stderr.slice(-6000));
  } else {
    row(`end to end, app → collector → sink → Postgres, ${seconds} s at 20k/s offered`, '—', 'did not report', '—', NaN, '≥ 20k audit events/s, 0 lost', false, `see stderr: ${out.stderr.trim().split('\n').at(-1) ?? ''}`);
    console.warn(`bench: the end-to-end bench did not report: ${out.stderr.slice(-800)}`);
  }
}
}

if (want('checkpoint')) {
progress('checkpoint and inclusion proofs');
// 10. Tamper evidence (bench/checkpoint.ts): a signed checkpoint over many rows, an inclusion proof's size, checking it offline.
{
  const rowsN = quick ? 50_000 : 1_000_000;
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'bench/checkpoint.ts', '--rows', String(rowsN)], { cwd: root, encoding: 'utf8', timeout: 1_800_000 });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{"bench":"checkpoint"'));
  if (line) {
    const r = JSON.parse(line);
    row(`checkpoint over ${r.rows.toLocaleString('en')} rows (every head + Merkle root, signed)`, "reading every row's hash in chain order", `${r.checkpointMs} ms`, `${r.rawReadMs} ms`, r.checkpointMs / r.rawReadMs, '≤ 5×', r.checkpointMs / r.rawReadMs <= 5, `next checkpoint, +${r.incrementRows} rows: ${r.incrementMs} ms; prove one record: ${r.proveMs} ms`);
    row('inclusion proof size (record + path + signed checkpoint)', "the record's own JSON", `${r.proofBytes} B, ${r.pathHashes} path hashes`, `${r.recordBytes} B`, r.proofBytes / r.recordBytes, '< 4 KB', r.proofBytes < 4096, `tree of ${r.treeSize} leaves`);
    row('inclusion proof, offline verification', 'one Ed25519 check of the same note', `${r.verifyProofMs} ms`, `${r.ed25519VerifyMs} ms`, r.verifyProofMs / r.ed25519VerifyMs, '< 10 ms', r.verifyProofMs < 10, 'median of 200');
  } else {
    console.warn(`bench: the checkpoint bench did not report (needs Postgres server binaries): ${out.stderr.slice(-500)}`);
  }
}
}

// 11. The sink tier scaled out (bench/scale-out.ts): three sinks behind HAProxy against one, same Postgres, same run.
{
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'bench/scale-out.ts', ...(quick ? ['--records', '20000', '--rounds', '1'] : [])], { cwd: root, encoding: 'utf8', timeout: 900_000 });
  const line = out.stdout.split('\n').find((l) => l.startsWith('{"bench":"scale-out"'));
  if (line) {
    const r = JSON.parse(line);
    const cpu = (p) => `sinks ${p.cpuUsPerRecord.sinks} µs + postgres ${p.cpuUsPerRecord.postgres} µs + haproxy ${p.cpuUsPerRecord.haproxy} µs, ${p.coresBusy} cores busy`;
    row('audit rows/s, 3 sinks behind HAProxy (sustained)', '1 sink behind the same HAProxy', `${r.three.rowsPerS} rows/s`, `${r.one.rowsPerS} rows/s`, r.ratio, '≥ 0.9×, 0 lost', r.ratio >= 0.9 && r.lost === 0 && r.duplicated === 0,
      `CPU per record: 1 sink: ${cpu(r.one)}; 3 sinks: ${cpu(r.three)}; ${r.cores} cores shared by all; ${r.lost} lost, ${r.duplicated} duplicated`);
  } else {
    console.warn(`bench: the scale-out bench did not report (needs Postgres server binaries and HAProxy): ${out.stderr.slice(-500)}`);
  }
}

console.log(`\ndomain-otel benchmarks (Node ${process.version}, ${quick ? 'quick' : 'full'} run)\n`);
console.table(rows.map((r) => ({ measure: r.measure, ours: r.ours, baseline: `${r.baseline}: ${r.baselineValue}`, ratio: `${r.ratio}×`, target: r.target, result: r.pass === null ? '—' : r.pass ? 'PASS' : 'MISS', note: r.note })));
if (only === undefined) {
  writeFileSync(path.join(root, 'bench/results.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, rows }, null, 2)}\n`);
  console.log('written bench/results.json');
}
process.exit(0);
