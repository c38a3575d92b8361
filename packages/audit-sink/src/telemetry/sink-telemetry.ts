/**
 * The audit sink observing itself with the OpenTelemetry SDK: metrics on a Prometheus endpoint
 * (`serve --metrics-port`, loopback by default) and, when an OTLP endpoint is configured with the
 * standard OTEL_* variables, metrics and traces over OTLP (a server span per request, child spans
 * for decode and store). Pool use, requests in flight and the checkpoint age are observed at
 * collection time; the request path only adds to counters and histograms.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Counter, type Histogram, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Pool } from 'pg';
import type { RecordOutcomes, RequestObserver, SinkObserver, StoreObserver } from './observer';
import * as N from './names';

export interface SinkTelemetryOptions {
  /** Prometheus endpoint: `http://host:port/metrics`; no endpoint when port is undefined. */
  prometheus?: { host: string; port: number };
  /** The OTEL_* variables (OTLP endpoints, headers, service name, export interval). */
  env: Readonly<Record<string, string | undefined>>;
  pool: Pool;
  /** Requests in flight, read at collection time. */
  inflight?: () => number;
  /** Seconds since the last successful checkpoint run, when checkpoints are scheduled. */
  checkpointAge?: () => number | undefined;
  version: string;
  log: (line: string) => void;
}

export interface SinkTelemetry {
  readonly observer: SinkObserver;
  /** `http://host:port/metrics` when a Prometheus endpoint is served. */
  readonly metricsUrl: string | undefined;
  /** Late-bound readings (the receiver exists after the telemetry). */
  observe(sources: { inflight?: () => number; checkpointAge?: () => number | undefined }): void;
  shutdown(): Promise<void>;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** OTLP/HTTP URL of a signal from the standard variables, or undefined when none is configured. */
function otlpUrl(env: SinkTelemetryOptions['env'], signal: 'traces' | 'metrics'): string | undefined {
  const exporter = env[`OTEL_${signal.toUpperCase()}_EXPORTER`];
  if (exporter !== undefined && exporter.split(',').map((s) => s.trim()).includes('none')) return undefined;
  const specific = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`];
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base) return `${base.replace(/\/+$/, '')}/v1/${signal}`;
  return exporter?.includes('otlp') ? `http://localhost:4318/v1/${signal}` : undefined;
}

export async function startSinkTelemetry(o: SinkTelemetryOptions): Promise<SinkTelemetry> {
  const resource = resourceFromAttributes({
    'service.name': o.env.OTEL_SERVICE_NAME || 'domain-otel-audit',
    'service.version': o.version,
  });
  const readers: IMetricReader[] = [];
  let metricsUrl: string | undefined;
  if (o.prometheus) {
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    const { host, port } = o.prometheus;
    const exporter = await new Promise<InstanceType<typeof PrometheusExporter>>((resolve, reject) => {
      const e: InstanceType<typeof PrometheusExporter> = new PrometheusExporter({ host, port, endpoint: '/metrics', withoutScopeInfo: true }, (err) => (err ? reject(err) : resolve(e)));
    });
    readers.push(exporter);
    metricsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  }
  const metricsOtlp = otlpUrl(o.env, 'metrics');
  if (metricsOtlp) {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    const interval = Number(o.env.OTEL_METRIC_EXPORT_INTERVAL) > 0 ? Number(o.env.OTEL_METRIC_EXPORT_INTERVAL) : 60_000;
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: metricsOtlp }), exportIntervalMillis: interval, exportTimeoutMillis: Math.min(30_000, interval) }));
  }
  const meterProvider = new MeterProvider({ resource, readers });
  const meter = meterProvider.getMeter('@domain-otel/audit-sink', o.version);

  const tracesOtlp = otlpUrl(o.env, 'traces');
  let tracerProvider: TracerProvider | undefined;
  let tracer: Tracer | undefined;
  if (tracesOtlp) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    tracerProvider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesOtlp }) })] });
    tracer = tracerProvider.getTracer('@domain-otel/audit-sink', o.version);
  }

  const sources = { inflight: o.inflight, checkpointAge: o.checkpointAge };
  const instruments = createInstruments(meter, o.pool, sources);
  const observer = new Observer(instruments, tracer);
  if (metricsOtlp || tracesOtlp) o.log(`domain-otel-audit: own telemetry over OTLP: ${[metricsOtlp && `metrics → ${metricsOtlp}`, tracesOtlp && `traces → ${tracesOtlp}`].filter(Boolean).join(', ')}`);
  return {
    observer,
    metricsUrl,
    observe(s) {
      if (s.inflight) sources.inflight = s.inflight;
      if (s.checkpointAge) sources.checkpointAge = s.checkpointAge;
    },
    async shutdown() {
      await Promise.allSettled([meterProvider.shutdown(), tracerProvider?.shutdown()]);
    },
  };
}

interface Instruments {
  received: Counter;
  records: Counter;
  requestDuration: Histogram;
  lockWait: Histogram;
  copy: Histogram;
  commit: Histogram;
  workerRestarts: Counter;
}

function createInstruments(meter: Meter, pool: Pool, sources: { inflight?: () => number; checkpointAge?: () => number | undefined }): Instruments {
  const seconds = (name: string, description: string) => meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
  const instruments: Instruments = {
    received: meter.createCounter(N.METRIC_SINK_RECORDS_RECEIVED, { description: 'Audit records decoded from requests (those answered 503 are counted again when resent)', unit: '{record}' }),
    records: meter.createCounter(N.METRIC_SINK_RECORDS, { description: 'What became of received records: stored, duplicate, conflict, refused (by reason), ignored (not audit records)', unit: '{record}' }),
    requestDuration: seconds(N.METRIC_SINK_REQUEST_DURATION, 'Time from request to response'),
    lockWait: seconds(N.METRIC_SINK_CHAIN_LOCK_WAIT, 'Wait for a hash chain\'s advisory lock'),
    copy: seconds(N.METRIC_SINK_COPY_DURATION, 'One COPY of rows into a leaf partition'),
    commit: seconds(N.METRIC_SINK_COMMIT_DURATION, 'COMMIT of a request\'s transaction'),
    workerRestarts: meter.createCounter(N.METRIC_SINK_WORKER_RESTARTS, { description: 'Decoding worker threads that died and were replaced', unit: '{restart}' }),
  };
  // Zero points, so a rate() or increase() over them exists before the first event.
  instruments.workerRestarts.add(0);
  for (const outcome of ['stored', 'duplicate', 'conflict', 'ignored']) instruments.records.add(0, { [N.ATTR_SINK_OUTCOME]: outcome });
  instruments.received.add(0);
  for (const reason of ['malformed', 'time_window', 'record_limit', 'retired_chain']) {
    instruments.records.add(0, { [N.ATTR_SINK_OUTCOME]: 'refused', [N.ATTR_SINK_REASON]: reason });
  }

  meter.createObservableUpDownCounter(N.METRIC_DB_CONNECTIONS, { description: 'Postgres connections of the pool by state', unit: '{connection}' })
    .addCallback((r) => {
      r.observe(pool.totalCount - pool.idleCount, { 'db.client.connection.state': 'used', 'db.client.connection.pool.name': 'audit-sink' });
      r.observe(pool.idleCount, { 'db.client.connection.state': 'idle', 'db.client.connection.pool.name': 'audit-sink' });
    });
  meter.createObservableUpDownCounter(N.METRIC_DB_CONNECTIONS_MAX, { description: 'Connections the pool may open', unit: '{connection}' })
    .addCallback((r) => r.observe((pool as unknown as { options: { max: number } }).options.max, { 'db.client.connection.pool.name': 'audit-sink' }));
  meter.createObservableUpDownCounter(N.METRIC_DB_CONNECTIONS_PENDING, { description: 'Requests waiting for a connection', unit: '{request}' })
    .addCallback((r) => r.observe(pool.waitingCount, { 'db.client.connection.pool.name': 'audit-sink' }));
  meter.createObservableUpDownCounter(N.METRIC_SINK_REQUESTS_INFLIGHT, { description: 'Requests being processed', unit: '{request}' })
    .addCallback((r) => { if (sources.inflight) r.observe(sources.inflight()); });
  meter.createObservableGauge(N.METRIC_SINK_CHECKPOINT_AGE, { description: 'Seconds since the last successful checkpoint run (only with --checkpoint-every)', unit: 's' })
    .addCallback((r) => {
      const age = sources.checkpointAge?.();
      if (age !== undefined) r.observe(age);
    });
  return instruments;
}

const REFUSED = { [N.ATTR_SINK_OUTCOME]: 'refused' };
const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
  get: (carrier: IncomingMessage['headers'], key: string) => carrier[key],
};

class Observer implements SinkObserver {
  readonly store: StoreObserver;

  constructor(
    private readonly i: Instruments,
    private readonly tracer: Tracer | undefined,
  ) {
    this.store = {
      chainLockWait: (s) => i.lockWait.record(s),
      copy: (s) => i.copy.record(s),
      commit: (s) => i.commit.record(s),
    };
  }

  request(req: IncomingMessage, res: ServerResponse): RequestObserver {
    const started = performance.now();
    const route = (req.url ?? '/').split('?')[0] === '/v1/logs' ? '/v1/logs' : 'other';
    const method = req.method === 'POST' || req.method === 'GET' || req.method === 'HEAD' ? req.method : '_OTHER';
    let span: Span | undefined;
    if (this.tracer && route === '/v1/logs') {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
      span = this.tracer.startSpan(`${method} /v1/logs`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'url.path': '/v1/logs', 'http.route': '/v1/logs' },
      }, parent);
    }
    res.once('close', () => {
      const status = res.headersSent ? res.statusCode : undefined;
      const attrs: Attributes = { 'http.request.method': method, 'http.route': route };
      if (status !== undefined) attrs['http.response.status_code'] = status;
      else attrs['error.type'] = 'client_closed';
      this.i.requestDuration.record((performance.now() - started) / 1000, attrs);
      if (span) {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (status === undefined || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: status === undefined ? 'client closed the connection' : `HTTP ${status}` });
        span.end();
      }
    });
    const i = this.i;
    const tracer = this.tracer;
    return {
      phase(name) {
        if (!span || !tracer) return noop;
        const child = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, span));
        return () => child.end();
      },
      received(count) {
        if (count > 0) i.received.add(count);
        span?.setAttribute('domain_otel.audit_sink.records.received', count);
      },
      outcomes(o: RecordOutcomes) {
        add(i.records, o.stored, 'stored');
        add(i.records, o.duplicate, 'duplicate');
        add(i.records, o.conflict, 'conflict');
        add(i.records, o.ignored, 'ignored');
        for (const [reason, n] of Object.entries(o.refused)) {
          if (n) i.records.add(n, { ...REFUSED, [N.ATTR_SINK_REASON]: reason });
        }
        span?.setAttributes({ 'domain_otel.audit_sink.records.stored': o.stored, 'domain_otel.audit_sink.records.duplicate': o.duplicate });
      },
    };
  }

  workerRestarted(): void {
    this.i.workerRestarts.add(1);
  }
}

const OUTCOME_ATTRS: Record<string, Attributes> = Object.fromEntries(
  ['stored', 'duplicate', 'conflict', 'ignored'].map((o) => [o, { [N.ATTR_SINK_OUTCOME]: o }]),
);

function add(counter: Counter, n: number, outcome: string): void {
  if (n > 0) counter.add(n, OUTCOME_ATTRS[outcome]);
}

function noop(): void {}

