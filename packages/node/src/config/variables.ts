// The one table of environment variables the distribution reads, split by area under
// variables/: OpenTelemetry's standard ones, the OTLP exporter ones, domain-otel's own.
// `docs/configuration.md` is generated from allVariables() (scripts/gen-config-doc.mjs).
import { DOMAIN_OTEL_VARIABLES } from './variables/domain-otel';
import { LOGS_EXPORTER, METRICS_EXPORTER, OPENTELEMETRY_VARIABLES, TRACES_EXPORTER } from './variables/opentelemetry';
import { OTLP } from './variables/otlp';
import type { VariableSpec } from './variables/spec';

export type { VariableSpec } from './variables/spec';
export * from './variables/values';
export { LOGS_EXPORTER, METRICS_EXPORTER, OTLP, TRACES_EXPORTER };

export const VARIABLES = { ...OPENTELEMETRY_VARIABLES, ...DOMAIN_OTEL_VARIABLES };

/** Every variable, in documentation order. */
export function allVariables(): VariableSpec<unknown>[] {
  const v = VARIABLES;
  const otlp = (['general', 'traces', 'metrics', 'logs'] as const).flatMap((k) => Object.values(OTLP[k]));
  return [
    v.otelConfigFile, v.sdkDisabled, v.logLevel, v.serviceName, v.resourceAttributes, v.resourceDetectors,
    v.enabledInstrumentations, v.disabledInstrumentations, v.propagators, v.sampler, v.samplerArg,
    TRACES_EXPORTER, METRICS_EXPORTER, LOGS_EXPORTER, ...otlp,
    v.metricExportInterval, v.metricExportTimeout, v.bspScheduleDelay, v.bspMaxQueueSize, v.bspMaxExportBatchSize,
    v.blrpScheduleDelay, v.blrpMaxQueueSize, v.blrpMaxExportBatchSize,
    v.auditLevel, v.redact, v.maxValueBytes, v.auditDelivery, v.strictTimeout, v.auditQueueSize,
    v.auditSpool, v.auditSpoolDir, v.auditSpoolMaxBytes, v.auditDeadLetterDir, v.capture, v.correlationHeaders, v.shutdownTimeout, v.configFile,
    v.metricsTemporality, v.exportThread, v.recordPath, v.authzSpans, v.expressLayers, v.pgConnectSpans,
  ] as VariableSpec<unknown>[];
}
