// The SDK proper, loaded by sdk.ts only when telemetry is enabled: composed of the builders in
// start/ (spans, logs with the audit pipeline, metrics, providers with resource and propagation).
import { diag } from '@opentelemetry/api';
import type { DistroConfig } from './config/load';
import { createContextManager } from './context';
import { isAtLeast } from './diag';
import { describeEndpoint, usesExportThread } from './exporters';
import { createInstrumentations, selectInstrumentationNames } from './instrumentations';
import { LazyInstrumentations } from './lazy-instrumentations';
import { directRecordSink } from './logs/direct-records';
import { startStrictDelivery } from './logs/strict-delivery';
import { addRedaction } from './redaction/processors';
import { buildResource } from './resource';
import { createPropagator, createSampler } from './sampling';
import type { DomainOtelHandle, StartedBy } from './sdk';
import { dropCounter } from './start/dropped';
import { handleFor } from './start/handle';
import { buildLogProcessors } from './start/logs';
import { buildMetricReaders } from './start/metrics';
import { startProviders } from './start/providers';
import { buildSpanProcessors } from './start/spans';
import { DISTRO_VERSION } from './version';

export function startSdk(config: DistroConfig, startedBy: StartedBy, configWarnings: string[]): DomainOtelHandle {
  const warnings = [...configWarnings];
  const names = selectInstrumentationNames(config, (line) => warnings.push(`domain-otel: ${line}`));
  for (const w of warnings) diag.warn(w);

  const countDropped = dropCounter();
  const spanProcessors = buildSpanProcessors(config, countDropped);
  const resource = buildResource(config);
  const logs = buildLogProcessors(config, resource, countDropped);
  addRedaction(config.redact, spanProcessors, logs.processors);
  const ledger = startStrictDelivery(config, names);
  const metricReaders = buildMetricReaders(config);

  const contextManager = createContextManager();
  const instrumentationFailed = (name: string, err: unknown) =>
    diag.warn(`domain-otel: instrumentation ${name} could not be loaded and is skipped: ${err instanceof Error ? err.message : String(err)}`);
  // Under --require, instrumentations of libraries load with the library (lazy-instrumentations.ts).
  const records = config.recordPath === 'direct' && logs.processors.length > 0 ? directRecordSink(resource, logs.processors) : undefined;
  const created = createInstrumentations(names, config, { contextStorage: contextManager.storage, records }, instrumentationFailed, startedBy === 'require');

  const providers = startProviders({
    resource,
    sampler: createSampler(config),
    propagator: createPropagator(config),
    contextManager: contextManager.manager,
    spanProcessors,
    logProcessors: logs.processors,
    metricReaders,
    instrumentations: created.eager,
  });
  const lazy = new LazyInstrumentations(created.deferred, providers.register, instrumentationFailed);
  lazy.install();
  logPreamble(config, startedBy, names);

  return handleFor({
    config, startedBy, instrumentationNames: names, spanProcessors, logs, metricReaders, ledger, providers,
    disableInstrumentations: () => {
      lazy.uninstall();
      for (const i of [...created.eager, ...lazy.loaded]) i.disable();
    },
  });
}

/** At log level info or more verbose: one line saying where each signal goes. */
function logPreamble(config: DistroConfig, startedBy: StartedBy, names: readonly string[]): void {
  if (!isAtLeast(config.logLevel, 'info')) return;
  const dest = (signal: 'traces' | 'metrics' | 'logs', list: readonly string[]) =>
    list.map((e) => (e === 'otlp' ? describeEndpoint(config.otlp[signal]) : e)).join(' + ');
  diag.info(`domain-otel ${DISTRO_VERSION} (Node ${process.version}, started by ${startedBy}): traces → ${dest('traces', config.exporters.traces)}; metrics → ${dest('metrics', config.exporters.metrics)}; logs → ${dest('logs', config.exporters.logs)}; audit delivery ${config.auditDelivery}; export thread ${usesExportThread(config) ? 'on' : 'off'}${config.exportThread === 'auto' ? ' (auto)' : ''}; instrumentations: ${names.join(', ') || 'none'}`);
}
