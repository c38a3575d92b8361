import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DistroConfig } from '../config/load';
import { exportBatchesSync } from '../logs/exit-export';
import type { startStrictDelivery } from '../logs/strict-delivery';
import type { DomainOtelHandle, StartedBy } from '../sdk';
import { bounded, installShutdownHandlers } from '../shutdown';
import type { LogPipelines } from './logs';
import type { StartedProviders } from './providers';

export interface RunningSdk {
  config: DistroConfig;
  startedBy: StartedBy;
  instrumentationNames: readonly string[];
  spanProcessors: readonly SpanProcessor[];
  logs: LogPipelines;
  metricReaders: readonly IMetricReader[];
  ledger: ReturnType<typeof startStrictDelivery>;
  providers: StartedProviders;
  /** Unpatches every instrumentation, the eager ones and those loaded with their library. */
  disableInstrumentations(): void;
}

/**
 * The handle `start()` returns, and the process hooks that flush on exit, signals and crashes:
 * on a synchronous exit the audit records still queued are sent synchronously (HTTP) or spooled.
 */
export function handleFor(sdk: RunningSdk): DomainOtelHandle {
  const { config, logs, ledger, providers } = sdk;
  const flush = async () => {
    await Promise.all([
      ...sdk.spanProcessors.map((p) => p.forceFlush()),
      ...logs.processors.map((p) => p.forceFlush()),
      ...sdk.metricReaders.map((r) => r.forceFlush()),
    ]);
  };
  let shutdownRun: Promise<void> | undefined;
  const handle: DomainOtelHandle = {
    config,
    startedBy: sdk.startedBy,
    instrumentations: sdk.instrumentationNames,
    flush: () => bounded(flush, config.shutdownTimeoutMillis, 'flush'),
    shutdown: () => (shutdownRun ??= bounded(async () => {
      ledger?.close();
      removeHandlers();
      sdk.disableInstrumentations();
      await providers.shutdown();
    }, config.shutdownTimeoutMillis, 'shutdown')),
  };
  const removeHandlers = installShutdownHandlers({
    flush,
    pendingAudit: () => logs.audit?.pending() ?? 0,
    exitSync: () => {
      const http = config.otlp.logs.protocol !== 'grpc';
      const outcome = logs.audit?.exitSync(http ? (batches) => exportBatchesSync(batches, config.otlp.logs, config.shutdownTimeoutMillis) : undefined);
      return { spooled: outcome?.spooled ?? 0, undelivered: outcome?.undelivered ?? 0, spoolDir: logs.spoolDir };
    },
    shutdown: () => {
      ledger?.close();
      return providers.shutdown();
    },
    timeoutMillis: config.shutdownTimeoutMillis,
  });
  return handle;
}
