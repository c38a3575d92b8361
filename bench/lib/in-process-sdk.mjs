// The in-process SDK of the per-call, strict-delivery and heap scenarios: global providers whose
// processors do no I/O, so a scenario measures our mapping, not an exporter. The log processor
// forwards to a sink a scenario may swap (setLogSink). Installed once, on first use.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const otel = require('@opentelemetry/api');
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const { TracerProvider, AlwaysOnSampler } = require('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { DomainInstrumentation } = require('@domain-otel/instrumentation-domain');

const NO_SINK = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };

function install() {
  const contextManager = new AsyncLocalStorageContextManager();
  otel.context.setGlobalContextManager(contextManager.enable());
  let logSink = NO_SINK;
  const switchable = { onEmit: (r, c) => logSink.onEmit(r, c), forceFlush: () => logSink.forceFlush(), shutdown: () => logSink.shutdown() };
  otel.logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [switchable] }));
  otel.trace.setGlobalTracerProvider(new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }] }));
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })] });
  otel.metrics.setGlobalMeterProvider(meterProvider);
  const storage = contextManager._asyncLocalStorage; // the same private field @domain-otel/node uses (pinned version)
  const instrumentation = new DomainInstrumentation({ contextStorage: storage });
  instrumentation.setMeterProvider(meterProvider);
  return {
    storage, meterProvider, instrumentation,
    /** Another instance of the mapping on the same providers. */
    newInstrumentation: () => { const i = new DomainInstrumentation({ contextStorage: storage }); i.setMeterProvider(meterProvider); return i; },
    /** Where the log records go; undefined: nowhere. */
    setLogSink: (sink) => { logSink = sink ?? NO_SINK; },
    logger: otel.logs.getLogger('bench-manual'),
    meter: meterProvider.getMeter('bench-manual'),
    tracer: otel.trace.getTracer('bench-manual'),
  };
}

let sdk;
export const inProcessSdk = () => (sdk ??= install());

/** The actor every scenario's calls run as. */
export const ACTOR = { id: '42', name: 'Ada', tenant: 'acme', correlationId: 'req-1' };
