// The SDK proper, loaded by sdk.ts only when telemetry is enabled.
import { context, diag, logs, metrics, propagation, trace } from '@opentelemetry/api';
import type { Counter } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { BatchLogRecordProcessor, ConsoleLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { createContextManager } from './context';
import { countingLogPipeline, countingSpanPipeline } from './counting';
import {
  ATTR_DOMAIN_TELEMETRY_DROP_REASON, ATTR_DOMAIN_TELEMETRY_SIGNAL, isAuditEventName,
  METRIC_DOMAIN_TELEMETRY_DROPPED, TELEMETRY_SIGNAL_VALUES,
} from '@domain-otel/semantic-conventions';
import type { DistroConfig } from './config/load';
import { createLogExporter, createMetricExporter, createSpanExporter, describeEndpoint } from './exporters';
import { createInstrumentations, selectInstrumentationNames } from './instrumentations';
import { LazyInstrumentations } from './lazy-instrumentations';
import { buildResource } from './resource';
import { createPropagator, createSampler } from './sampling';
import { isAtLeast, reportOnce } from './diag';
import { installShutdownHandlers, bounded } from './shutdown';
import { exportBatchesSync } from './logs/exit-export';
import type { AuditLogRecordProcessor } from './logs/audit-processor';
import { createAuditPipeline } from './logs/audit-pipeline';
import { startStrictDelivery } from './logs/strict-delivery';
import { FilteringLogRecordProcessor } from './logs/filtering-processor';
import { directRecordSink } from './logs/direct-records';
import { registerLegacyLogsGlobal } from './logs/legacy-logs-global';
import { addRedaction } from './redaction/processors';
import { DISTRO_NAME, DISTRO_VERSION } from './version';

import type { DomainOtelHandle, StartedBy } from './sdk';

export function startSdk(config: DistroConfig, startedBy: StartedBy, configWarnings: string[]): DomainOtelHandle {
  const warnings = [...configWarnings];
  const names = selectInstrumentationNames(config, (line) => warnings.push(`domain-otel: ${line}`));
  for (const w of warnings) diag.warn(w);

  let dropped: Counter | undefined;
  const countDropped = (signal: string, reason: string, count: number) => {
    try {
      dropped ??= metrics.getMeter(DISTRO_NAME, DISTRO_VERSION).createCounter(METRIC_DOMAIN_TELEMETRY_DROPPED, {
        description: 'Telemetry records domain-otel failed to deliver',
      });
      dropped.add(count, { [ATTR_DOMAIN_TELEMETRY_SIGNAL]: signal, [ATTR_DOMAIN_TELEMETRY_DROP_REASON]: reason });
    } catch {
      // metrics unavailable: the diag line below still reports it
    }
    reportOnce(`dropped:${signal}:${reason}`, `domain-otel: ${count} ${signal} record(s) dropped (${reason}); further drops are counted in ${METRIC_DOMAIN_TELEMETRY_DROPPED}`);
  };

  const spanProcessors: SpanProcessor[] = [];
  for (const name of config.exporters.traces) {
    if (name === 'otlp') {
      spanProcessors.push(countingSpanPipeline(createSpanExporter(config), config.spanBatch.maxQueueSize,
        (reason, n) => countDropped(TELEMETRY_SIGNAL_VALUES.TRACES, reason, n),
        (exporter) => new BatchSpanProcessor({ exporter, ...config.spanBatch, exportTimeoutMillis: config.otlp.traces.timeoutMillis })));
    }
    if (name === 'console') spanProcessors.push(new BatchSpanProcessor({ exporter: new ConsoleSpanExporter() }));
  }

  const isAudit = (r: { eventName?: string }) => isAuditEventName(r.eventName);
  const logProcessors: LogRecordProcessor[] = [];
  let audit: AuditLogRecordProcessor | undefined;
  let spoolDir: string | undefined;
  const resource = buildResource(config);
  if (!config.exporters.logs.includes('none')) {
    ({ processor: audit, spoolDir } = createAuditPipeline(config, resource, (reason, n) => countDropped(TELEMETRY_SIGNAL_VALUES.AUDIT, reason, n)));
    logProcessors.push(new FilteringLogRecordProcessor(audit, isAudit));
    for (const name of config.exporters.logs) {
      const inner = name === 'otlp'
        ? countingLogPipeline(createLogExporter(config), config.logBatch.maxQueueSize,
          (reason, n) => countDropped(TELEMETRY_SIGNAL_VALUES.LOGS, reason, n),
          (exporter) => new BatchLogRecordProcessor({ exporter, ...config.logBatch, exportTimeoutMillis: config.otlp.logs.timeoutMillis }))
        : new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() });
      logProcessors.push(new FilteringLogRecordProcessor(inner, (r) => !isAudit(r)));
    }
  }
  addRedaction(config.redact, spanProcessors, logProcessors);
  const ledger = startStrictDelivery(config, names);

  const metricReaders: IMetricReader[] = [];
  for (const name of config.exporters.metrics) {
    const exporter = name === 'otlp' ? createMetricExporter(config) : name === 'console' ? new ConsoleMetricExporter() : undefined;
    if (exporter) {
      metricReaders.push(new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: config.metricExportInterval,
        exportTimeoutMillis: Math.min(config.metricExportTimeout, config.metricExportInterval),
      }));
    }
  }

  const contextManager = createContextManager();
  const instrumentationFailed = (name: string, err: unknown) =>
    diag.warn(`domain-otel: instrumentation ${name} could not be loaded and is skipped: ${err instanceof Error ? err.message : String(err)}`);
  // Under --require, instrumentations of libraries load with the library (lazy-instrumentations.ts).
  const records = config.recordPath === 'direct' && logProcessors.length > 0 ? directRecordSink(resource, logProcessors) : undefined;
  const created = createInstrumentations(names, config, { contextStorage: contextManager.storage, records }, instrumentationFailed, startedBy === 'require');

  const sdk = startProviders({
    resource,
    sampler: createSampler(config),
    propagator: createPropagator(config),
    contextManager: contextManager.manager,
    spanProcessors,
    logProcessors,
    metricReaders,
    instrumentations: created.eager,
  });
  const lazy = new LazyInstrumentations(created.deferred, sdk.register, instrumentationFailed);
  lazy.install();

  if (isAtLeast(config.logLevel, 'info')) {
    const dest = (signal: 'traces' | 'metrics' | 'logs', list: readonly string[]) =>
      list.map((e) => (e === 'otlp' ? describeEndpoint(config.otlp[signal]) : e)).join(' + ');
    diag.info(`domain-otel ${DISTRO_VERSION} (Node ${process.version}, started by ${startedBy}): traces → ${dest('traces', config.exporters.traces)}; metrics → ${dest('metrics', config.exporters.metrics)}; logs → ${dest('logs', config.exporters.logs)}; audit delivery ${config.auditDelivery}; instrumentations: ${names.join(', ') || 'none'}`);
  }

  const flush = async () => {
    await Promise.all([
      ...spanProcessors.map((p) => p.forceFlush()),
      ...logProcessors.map((p) => p.forceFlush()),
      ...metricReaders.map((r) => r.forceFlush()),
    ]);
  };
  let shutdownRun: Promise<void> | undefined;
  const handle: DomainOtelHandle = {
    config,
    startedBy,
    instrumentations: names,
    flush: () => bounded(flush, config.shutdownTimeoutMillis, 'flush'),
    shutdown: () => (shutdownRun ??= bounded(async () => {
      ledger?.close();
      removeHandlers();
      lazy.uninstall();
      for (const i of [...created.eager, ...lazy.loaded]) i.disable();
      await sdk.shutdown();
    }, config.shutdownTimeoutMillis, 'shutdown')),
  };
  const removeHandlers = installShutdownHandlers({
    flush,
    pendingAudit: () => audit?.pending() ?? 0,
    exitSync: () => {
      const http = config.otlp.logs.protocol !== 'grpc';
      const outcome = audit?.exitSync(http ? (batches) => exportBatchesSync(batches, config.otlp.logs, config.shutdownTimeoutMillis) : undefined);
      return { spooled: outcome?.spooled ?? 0, undelivered: outcome?.undelivered ?? 0, spoolDir };
    },
    shutdown: () => {
      ledger?.close();
      return sdk.shutdown();
    },
    timeoutMillis: config.shutdownTimeoutMillis,
  });
  return handle;
}

/**
 * The SDK preset: the same providers NodeSDK would register, composed directly. NodeSDK's
 * package loads every exporter it could ever use (gRPC, Prometheus, Zipkin) on require,
 * which costs ~170 ms and ~16 MiB at start-up; here only the configured ones are loaded.
 */
function startProviders(o: {
  resource: ReturnType<typeof buildResource>;
  sampler: ReturnType<typeof createSampler>;
  propagator: ReturnType<typeof createPropagator>;
  contextManager: ReturnType<typeof createContextManager>['manager'];
  spanProcessors: SpanProcessor[];
  logProcessors: LogRecordProcessor[];
  metricReaders: IMetricReader[];
  instrumentations: Instrumentation[];
}): { register(instrumentation: Instrumentation): void; shutdown(): Promise<void> } {
  context.setGlobalContextManager(o.contextManager.enable());
  if (o.propagator) propagation.setGlobalPropagator(o.propagator);
  const meterProvider = o.metricReaders.length > 0 ? new MeterProvider({ resource: o.resource, readers: o.metricReaders }) : undefined;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  const tracerProvider = o.spanProcessors.length > 0
    ? new TracerProvider({ resource: o.resource, sampler: o.sampler, spanProcessors: o.spanProcessors })
    : undefined;
  if (tracerProvider) trace.setGlobalTracerProvider(tracerProvider);
  const loggerProvider = o.logProcessors.length > 0 ? new LoggerProvider({ resource: o.resource, processors: o.logProcessors }) : undefined;
  if (loggerProvider) logs.setGlobalLoggerProvider(loggerProvider);
  // winston's OTLP sender (@opentelemetry/winston-transport) is still on the pre-3.x logs API.
  const unregisterLegacyLogs = loggerProvider ? registerLegacyLogsGlobal(loggerProvider) : () => {};
  registerInstrumentations({ instrumentations: o.instrumentations, tracerProvider, meterProvider, loggerProvider });
  return {
    register(instrumentation) {
      registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider, loggerProvider });
    },
    async shutdown() {
      unregisterLegacyLogs();
      await Promise.all([tracerProvider?.shutdown(), loggerProvider?.shutdown(), meterProvider?.shutdown()]);
    },
  };
}
