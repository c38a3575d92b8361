// The OpenTelemetry standard variables the distribution reads (OTLP ones: otlp.ts).
import * as p from '../parsers';
import { specsOf } from './spec';
import { LOG_LEVELS, PROPAGATORS, RESOURCE_DETECTORS, SAMPLERS, TEMPORALITY_PREFERENCES } from './values';
import type { PropagatorName, ResourceDetectorName } from './values';

const { spec, millis, count, oneOf } = specsOf('OpenTelemetry');

const exporters = (signal: string, meaning: string) => spec({
  name: `OTEL_${signal}_EXPORTER`, parse: p.listOf(['otlp', 'console', 'none'] as const), default: ['otlp'], defaultText: 'otlp',
  accepted: 'otlp, console, none (comma list)', meaning,
});

export const TRACES_EXPORTER = exporters('TRACES', 'Where spans go.');
export const METRICS_EXPORTER = exporters('METRICS', 'Where metrics go.');
export const LOGS_EXPORTER = exporters('LOGS',
  'Where ordinary log records go (app logs from pino/winston/bunyan). Audit records always go over OTLP unless this is `none`.');

export const OPENTELEMETRY_VARIABLES = {
  otelConfigFile: spec<string | undefined>({
    name: 'OTEL_CONFIG_FILE', parse: p.nonEmptyString, default: undefined, defaultText: '(none)',
    accepted: 'path of a YAML file',
    meaning: 'OpenTelemetry declarative configuration (file_format 1.0 or 1.1). When set, the SDK settings come from the file and the other `OTEL_*` variables of this table are not read (except `OTEL_NODE_*`); it may hold a `domain_otel:` section. `OTEL_EXPERIMENTAL_CONFIG_FILE`, its former name, is read when it is not set. See "Configuration file" below.',
  }),
  sdkDisabled: spec({
    name: 'OTEL_SDK_DISABLED', parse: p.boolean, default: false, defaultText: 'false', accepted: 'true, false',
    meaning: 'true: load nothing, patch nothing.',
  }),
  logLevel: oneOf('OTEL_LOG_LEVEL', LOG_LEVELS, 'info',
    'Diagnostic output of the SDK and of domain-otel (stderr). At info or more verbose a one-line preamble is printed at start.'),
  serviceName: spec<string | undefined>({
    name: 'OTEL_SERVICE_NAME', parse: p.nonEmptyString, default: undefined,
    defaultText: 'package.json name of the app, else unknown_service:node', accepted: 'string',
    meaning: '`service.name` on the resource.',
  }),
  resourceAttributes: spec<Record<string, string>>({
    name: 'OTEL_RESOURCE_ATTRIBUTES', parse: p.keyValueList, default: {}, defaultText: '(none)',
    accepted: 'key=value,key2=value2', meaning: 'Extra resource attributes.',
  }),
  resourceDetectors: spec<ResourceDetectorName[]>({
    name: 'OTEL_NODE_RESOURCE_DETECTORS', parse: p.listOf(RESOURCE_DETECTORS), default: ['env', 'host', 'os', 'process', 'serviceinstance'],
    defaultText: 'env,host,os,process,serviceinstance', accepted: RESOURCE_DETECTORS.join(', '),
    meaning: 'Resource detectors. Only local ones exist here: no cloud metadata endpoint is ever probed.',
  }),
  enabledInstrumentations: spec<string[] | undefined>({
    name: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', parse: p.stringList, default: undefined, defaultText: '(all)',
    accepted: 'comma list of instrumentation names (see table below)', meaning: 'Only these instrumentations are enabled.',
  }),
  disabledInstrumentations: spec<string[]>({
    name: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', parse: p.stringList, default: [], defaultText: '(none)',
    accepted: 'comma list of instrumentation names', meaning: 'These instrumentations are disabled (applied after the enabled list).',
  }),
  propagators: spec<PropagatorName[]>({
    name: 'OTEL_PROPAGATORS', parse: p.listOf(PROPAGATORS), default: ['tracecontext', 'baggage'],
    defaultText: 'tracecontext,baggage', accepted: PROPAGATORS.join(', '), meaning: 'Context propagation formats.',
  }),
  sampler: oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on',
    'Trace sampler. Audit decisions and mutations are log events and are never sampled away.'),
  samplerArg: spec<number>({
    name: 'OTEL_TRACES_SAMPLER_ARG', parse: p.ratio, default: 1, defaultText: '1', accepted: 'number from 0 to 1',
    meaning: 'Ratio for the traceidratio samplers.',
  }),
  metricExportInterval: millis('OTEL_METRIC_EXPORT_INTERVAL', 60000, 'Metric export interval.'),
  metricExportTimeout: millis('OTEL_METRIC_EXPORT_TIMEOUT', 30000, 'Metric export timeout.'),
  bspScheduleDelay: millis('OTEL_BSP_SCHEDULE_DELAY', 5000, 'Span batch delay.'),
  bspMaxQueueSize: count('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 'Span queue size (spans beyond it are dropped and counted).'),
  bspMaxExportBatchSize: count('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 'Spans per export.'),
  blrpScheduleDelay: millis('OTEL_BLRP_SCHEDULE_DELAY', 1000, 'Log record batch delay (ordinary logs and audit records).'),
  blrpMaxQueueSize: count('OTEL_BLRP_MAX_QUEUE_SIZE', 2048, 'Queue size for ordinary log records.'),
  blrpMaxExportBatchSize: count('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512, 'Log records per export.'),
  metricsTemporality: oneOf('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', TEMPORALITY_PREFERENCES, 'cumulative',
    'Aggregation temporality of exported metrics: `delta` for counters, histograms and gauges, `lowmemory` for counters and histograms only, `cumulative` for none.'),
};
