import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT_CONTEXT, SeverityNumber, trace } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  AuditSinkStandIn,
  BUILD_TIMEOUT_MS,
  JAEGER_CONFIG,
  OTELCOL_CONFIG,
  Proc,
  buildBinary,
  cleanEnv,
  collectorEnv,
  flattenLogs,
  freePorts,
  httpGet,
  sleep,
  tempDir,
  waitFor,
  waitForHttpOk,
} from './helpers';
import type { CollectorPorts, SinkRecord } from './helpers';

const AUDIT_EVENTS = ['domain.audit.decision', 'domain.manager.mutation'];
const TOKEN = 'test-token-123';

/** Starts otelcol-domain with otelcol.yaml on the given ports, writing under `dir`. */
async function startCollector(bin: string, dir: string, ports: CollectorPorts, extra: Record<string, string>, tag: string): Promise<Proc> {
  const env = collectorEnv(ports, dir, { DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN, ...extra });
  const proc = new Proc(`collector-${tag}`, bin, ['--config', OTELCOL_CONFIG], env, path.join(dir, `collector-${tag}.log`), dir);
  try {
    await waitForHttpOk(`http://127.0.0.1:${ports.health}/`);
  } catch (err) {
    await proc.stop();
    throw new Error(`collector did not become healthy: ${String(err)}\n${proc.log().slice(-3000)}`, { cause: err });
  }
  return proc;
}

/** Every log record in the NDJSON file (each line is one OTLP/JSON ExportLogsServiceRequest). */
function fileLogs(file: string): SinkRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
    .flatMap((line) => flattenLogs(JSON.parse(line) as Record<string, unknown>));
}

function emitAll(logger: Logger, runId: string): void {
  const base = { 'test.run': runId };
  logger.emit({ eventName: 'domain.audit.decision', severityNumber: SeverityNumber.INFO, body: 'allow order.read', attributes: { ...base, 'domain.audit.action': 'order.read', 'domain.audit.outcome': 'allow' } });
  logger.emit({ eventName: 'domain.manager.mutation', severityNumber: SeverityNumber.INFO, body: 'order updated', attributes: { ...base, 'domain.manager.name': 'orders' } });
  logger.emit({ eventName: 'domain.rule.evaluation', severityNumber: SeverityNumber.DEBUG, body: 'rule ok', attributes: { ...base, 'domain.rule.name': 'max-total' } });
  logger.emit({ eventName: 'domain.cache.invalidation', severityNumber: SeverityNumber.DEBUG, body: 'evicted', attributes: { ...base } });
  logger.emit({ severityNumber: SeverityNumber.WARN, body: 'a plain log line', attributes: { ...base } });
}

describe('bundled collector: live routes (collector + Jaeger + audit sink stand-in)', function () {
  this.timeout(BUILD_TIMEOUT_MS);

  let otelcol: string;
  let jaegerBin: string;
  let dir: string;
  const procs: Proc[] = [];
  let sink: AuditSinkStandIn;
  let ports: CollectorPorts;
  let jaegerQuery: number;
  let jaeger: Proc;
  let collector: Proc;
  const providers: { shutdown(): Promise<void> }[] = [];

  before(async function () {
    [otelcol, jaegerBin] = [await buildBinary('build-collector.sh'), await buildBinary('build-jaeger.sh')];
    dir = tempDir('collector-live');
    const p = await freePorts(11);
    ports = { grpc: p[0]!, http: p[1]!, health: p[2]!, self: p[3]!, prom: p[4]! };
    const [jGrpc, jHttp, jQuery, jQueryGrpc, jHealth] = p.slice(5, 10) as [number, number, number, number, number];
    jaegerQuery = jQuery;

    jaeger = new Proc('jaeger', jaegerBin, ['--config', JAEGER_CONFIG], cleanEnv({
      DOMAIN_OTEL_JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${jGrpc}`,
      DOMAIN_OTEL_JAEGER_OTLP_HTTP_ENDPOINT: `127.0.0.1:${jHttp}`,
      DOMAIN_OTEL_JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${jQuery}`,
      DOMAIN_OTEL_JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${jQueryGrpc}`,
      DOMAIN_OTEL_JAEGER_HEALTH_ENDPOINT: `127.0.0.1:${jHealth}`,
    }), path.join(dir, 'jaeger.log'), dir);
    procs.push(jaeger);
    await waitForHttpOk(`http://127.0.0.1:${jHealth}/status`).catch((err) => {
      throw new Error(`Jaeger did not become healthy: ${String(err)}\n${jaeger.log().slice(-3000)}`);
    });

    sink = await new AuditSinkStandIn().start(p[10]);

    collector = await startCollector(otelcol, dir, ports, {
      DOMAIN_OTEL_JAEGER_ENDPOINT: `127.0.0.1:${jGrpc}`,
      DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: sink.url,
    }, 'main');
    procs.push(collector);
  });

  let failed = false;

  after(async function () {
    await Promise.allSettled(providers.map((p) => p.shutdown()));
    await Promise.allSettled(procs.map((p) => p.stop()));
    await sink?.stop();
    if (dir && !failed) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.error(`collector live test: logs and data kept in ${dir}`);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      for (const p of procs) console.error(`--- ${p.name} log (tail) ---\n${p.log().slice(-2500)}`);
    }
  });

  it('a trace sent over OTLP/HTTP appears in Jaeger, parent and child, and in the traces file', async function () {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'collector-live-test' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${ports.http}/v1/traces` }) })],
    });
    providers.push(provider);
    const tracer = provider.getTracer('collector-test');
    let traceId = '';
    let parentId = '';
    tracer.startActiveSpan('GET /orders/:id', (parent) => {
      traceId = parent.spanContext().traceId;
      parentId = parent.spanContext().spanId;
      // explicit parent context: no context manager is registered in this process
      const child = tracer.startSpan('orders.read', {}, trace.setSpan(ROOT_CONTEXT, parent));
      child.end();
      parent.end();
    });
    await provider.forceFlush();

    const found = await waitFor('the trace in Jaeger', async () => {
      const r = await httpGet(`http://127.0.0.1:${jaegerQuery}/api/traces/${traceId}`);
      if (!r || r.status !== 200) return undefined;
      const body = JSON.parse(r.body) as { data: { spans: { spanID: string; operationName: string; references: { spanID: string }[] }[]; processes: Record<string, { serviceName: string }> }[] };
      return body.data?.[0]?.spans.length === 2 ? body.data[0] : undefined;
    });
    const child = found.spans.find((s) => s.operationName === 'orders.read');
    assert.ok(child, 'child span present');
    assert.equal(child.references[0]?.spanID, parentId, 'child references the parent');
    assert.ok(Object.values(found.processes).some((p) => p.serviceName === 'collector-live-test'));

    const v3 = await httpGet(`http://127.0.0.1:${jaegerQuery}/api/v3/traces/${traceId}`);
    assert.equal(v3?.status, 200);

    const tracesFile = path.join(dir, 'files', 'traces.ndjson');
    await waitFor('the trace in traces.ndjson', async () => (existsSync(tracesFile) && readFileSync(tracesFile, 'utf8').includes(traceId) ? true : undefined));
  });

  it('every log record reaches logs.ndjson; only decisions and mutations reach the audit sink', async function () {
    const runId = `run-${Date.now()}`;
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'collector-live-test' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${ports.http}/v1/logs` }) })],
    });
    providers.push(provider);
    // The provider is used directly rather than registered with the global `logs` API, so this
    // file does not interfere with other test files in the same mocha process.
    const logger: Logger = provider.getLogger('collector-test');
    emitAll(logger, runId);
    await provider.forceFlush();

    const logsFile = path.join(dir, 'files', 'logs.ndjson');
    const inFile = await waitFor('5 records in logs.ndjson', async () => {
      const mine = fileLogs(logsFile).filter((r) => r.attributes['test.run'] === runId);
      return mine.length >= 5 ? mine : undefined;
    });
    assert.equal(inFile.length, 5);
    assert.deepEqual(inFile.map((r) => r.eventName).sort(), ['', 'domain.audit.decision', 'domain.cache.invalidation', 'domain.manager.mutation', 'domain.rule.evaluation']);
    // the event name is copied to an attribute (for Loki's LogQL)
    assert.equal(inFile.find((r) => r.eventName === 'domain.rule.evaluation')!.attributes['event.name'], 'domain.rule.evaluation');

    const audited = await waitFor('2 records at the audit sink', async () => {
      const mine = sink.records.filter((r) => r.attributes['test.run'] === runId);
      return mine.length >= 2 ? mine : undefined;
    });
    await sleep(1500); // anything else would have arrived by now (batch flush is 200ms)
    const finalAudit = sink.records.filter((r) => r.attributes['test.run'] === runId);
    assert.deepEqual(finalAudit.map((r) => r.eventName).sort(), AUDIT_EVENTS);
    assert.equal(audited[0]!.serviceName, 'collector-live-test');
    assert.equal(finalAudit.find((r) => r.eventName === 'domain.audit.decision')!.attributes['domain.audit.action'], 'order.read');
    for (const req of sink.requests) {
      assert.equal(req.path, '/v1/logs');
      assert.equal(req.authorization, `Bearer ${TOKEN}`);
    }
  });

  it('metrics reach the Prometheus endpoint and the metrics file', async function () {
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'collector-live-test' }),
      readers: [new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${ports.http}/v1/metrics` }),
        exportIntervalMillis: 60_000,
      })],
    });
    providers.push(provider);
    const meter = provider.getMeter('collector-test');
    meter.createCounter('domain.audit.decisions').add(3, { 'domain.audit.outcome': 'deny' });
    meter.createHistogram('domain.manager.mutation.duration', { unit: 's' }).record(0.25, { 'domain.manager.name': 'orders' });
    await provider.forceFlush();

    const scrape = await waitFor('our metrics on /metrics', async () => {
      const r = await httpGet(`http://127.0.0.1:${ports.prom}/metrics`);
      return r && r.status === 200 && r.body.includes('domain_audit_decisions_total') ? r.body : undefined;
    });
    assert.match(scrape, /domain_audit_decisions_total\{[^}]*domain_audit_outcome="deny"[^}]*\} 3/);
    assert.match(scrape, /domain_manager_mutation_duration_seconds_bucket\{/);

    const metricsFile = path.join(dir, 'files', 'metrics.ndjson');
    await waitFor('metrics.ndjson', async () => (existsSync(metricsFile) && readFileSync(metricsFile, 'utf8').includes('domain.audit.decisions') ? true : undefined));

    // the collector's own metrics are on their own port
    const self = await httpGet(`http://127.0.0.1:${ports.self}/metrics`);
    assert.equal(self?.status, 200);
    assert.match(self!.body, /otelcol_/);
  });

  it('audit records survive a sink outage and a collector restart (persistent queue)', async function () {
    const runId = `outage-${Date.now()}`;
    const sinkPort = sink.port;
    await sink.stop(); // the sink is down: the exporter retries and the records wait on disk

    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${ports.http}/v1/logs` }) })],
    });
    providers.push(provider);
    emitAll(provider.getLogger('collector-test'), runId);
    await provider.forceFlush();
    // accepted by the collector (they are in the logs file), then stop the collector with them queued
    await waitFor('the outage records in logs.ndjson', async () =>
      (fileLogs(path.join(dir, 'files', 'logs.ndjson')).filter((r) => r.attributes['test.run'] === runId).length >= 5 ? true : undefined));
    await sleep(500);
    await collector.stop();
    assert.ok(readdirSync(path.join(dir, 'queue')).some((f) => f.includes('otlp_http_audit')), 'queue file on disk');

    // sink back (same port), collector restarted on the same data directory
    sink = await new AuditSinkStandIn().start(sinkPort);
    collector = await startCollector(otelcol, dir, ports, {
      DOMAIN_OTEL_JAEGER_ENDPOINT: '127.0.0.1:1', // traces are not part of this test
      DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: sink.url,
    }, 'restarted');
    procs.push(collector);

    const delivered = await waitFor('queued audit records delivered after restart', async () => {
      const mine = sink.records.filter((r) => r.attributes['test.run'] === runId);
      return mine.length >= 2 ? mine : undefined;
    }, 30_000);
    assert.deepEqual(delivered.map((r) => r.eventName).sort(), AUDIT_EVENTS);
  });
});
