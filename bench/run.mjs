// `npm run bench`: every cost as a ratio against a baseline measured in the same run.
// Prints a table and writes bench/results.json. Absolute numbers are noise on shared
// machines; the ratios are what we publish and check against the targets.
import { spawnSync } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const TIME_MS = quick ? 150 : 1000;

const otel = require('@opentelemetry/api');
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const { TracerProvider, AlwaysOnSampler } = require('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const api = require('@domain-otel/api');
const { DomainInstrumentation } = require('@domain-otel/instrumentation-domain');
const { AuditLogRecordProcessor } = require(path.join(root, 'packages/node/dist/logs/audit-processor.js'));

const rows = [];
function row(measure, baseline, ours, baselineValue, ratio, target, pass, note = '') {
  rows.push({ measure, baseline, ours, baselineValue, ratio: Number(ratio.toFixed(3)), target, pass, note });
}

async function pair(name, baselineFn, oursFn) {
  const bench = new Bench({ name, time: TIME_MS, warmup: true, warmupTime: Math.min(TIME_MS, 300) });
  bench.add('baseline', baselineFn).add('ours', oursFn);
  await bench.run();
  const [b, o] = bench.tasks.map((t) => t.result);
  return { baseline: b.latency, ours: o.latency };
}
const fmt = (lat) => `${(lat.p50 * 1e6).toFixed(0)} ns med, ±${lat.rme.toFixed(1)}%`;

// 1. Nothing listening: audit.decision() against a bare diagnostics_channel publish.
{
  const bare = diagnosticsChannel.channel('bench:bare');
  const decision = { action: 'read', outcome: 'granted', manager: 'orders', entityId: 7 };
  // blocks: a task returning a promise would be awaited by tinybench and measure that instead
  const r = await pair('idle publish', () => { bare.publish(decision); }, () => { api.audit.decision(decision); });
  const ratio = r.ours.p50 / r.baseline.p50;
  row('api publish, nothing listening', 'bare diagnostics_channel publish', fmt(r.ours), fmt(r.baseline), ratio, '≤ 2×', ratio <= 2);
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

// 4. Strict delivery with 64 concurrent callers against async delivery. The exporter acks
// each export one event-loop turn later (an in-process stand-in for a fast collector).
async function throughput(strict) {
  const exporter = { export(records, cb) { setImmediate(() => cb({ code: 0 })); }, shutdown: async () => {}, forceFlush: async () => {} };
  const processor = new AuditLogRecordProcessor({ exporter, maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 200, strict, strictTimeoutMillis: 30000, onDropped() {} });
  logSink = { onEmit: (r) => { if (r.eventName === 'domain.manager.mutation') processor.onEmit(r); }, forceFlush: async () => {}, shutdown: async () => {} };
  instrumentation.setConfig({ contextStorage: storage, awaitAuditDelivery: strict ? (uid) => processor.whenDelivered(uid) : undefined });
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
  instrumentation.disable();
}

// 5. Startup time and peak memory of a trivial app: bare node against --require register.
{
  const runs = quick ? 3 : 9;
  const measure = (args) => {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = spawnSync(process.execPath, [...args, path.join(root, 'bench/fixtures/trivial.cjs')], {
        cwd: root, encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'none' },
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
  const addedMs = ours.wall - bare.wall;
  const addedMiB = ours.rss - bare.rss;
  row('startup time, trivial app, --require register', 'bare node', `${ours.wall.toFixed(0)} ms`, `${bare.wall.toFixed(0)} ms`, ours.wall / bare.wall, 'added ≤ 150 ms', addedMs <= 150, `adds ${addedMs.toFixed(0)} ms`);
  row('peak memory, trivial app, --require register', 'bare node', `${ours.rss.toFixed(1)} MiB`, `${bare.rss.toFixed(1)} MiB`, ours.rss / bare.rss, 'added ≤ 20 MiB', addedMiB <= 20, `adds ${addedMiB.toFixed(1)} MiB`);
}

console.log(`\ndomain-otel benchmarks (Node ${process.version}, ${quick ? 'quick' : 'full'} run)\n`);
console.table(rows.map((r) => ({ measure: r.measure, ours: r.ours, baseline: `${r.baseline}: ${r.baselineValue}`, ratio: `${r.ratio}×`, target: r.target, met: r.pass ? 'yes' : 'NO', note: r.note })));
writeFileSync(path.join(root, 'bench/results.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, rows }, null, 2)}\n`);
console.log('written bench/results.json');
process.exit(0);
