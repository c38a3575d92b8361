import { context, logs, metrics, propagation, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { createContextManager } from '../context';
import { registerLegacyLogsGlobal } from '../logs/legacy-logs-global';
import type { createPropagator, createSampler } from '../sampling';

export interface ProviderParts {
  resource: Resource;
  sampler: ReturnType<typeof createSampler>;
  propagator: ReturnType<typeof createPropagator>;
  contextManager: ReturnType<typeof createContextManager>['manager'];
  spanProcessors: SpanProcessor[];
  logProcessors: LogRecordProcessor[];
  metricReaders: IMetricReader[];
  instrumentations: Instrumentation[];
}

export interface StartedProviders {
  /** Registers an instrumentation loaded later (with its library) with the providers. */
  register(instrumentation: Instrumentation): void;
  shutdown(): Promise<void>;
}

/**
 * The SDK preset: the same providers NodeSDK would register, composed directly. NodeSDK's
 * package loads every exporter it could ever use (gRPC, Prometheus, Zipkin) on require,
 * which costs ~170 ms and ~16 MiB at start-up; here only the configured ones are loaded.
 * A signal with no processor or reader gets no provider.
 */
export function startProviders(o: ProviderParts): StartedProviders {
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
