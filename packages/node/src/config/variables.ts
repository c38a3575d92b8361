import * as p from './parsers';
import type { Parser } from './parsers';

/**
 * The one table of environment variables the distribution reads. `docs/configuration.md`
 * is generated from it (scripts/gen-config-doc.mjs) and a test keeps the two equal.
 */
export interface VariableSpec<T> {
  readonly name: string;
  readonly parse: Parser<T>;
  readonly default: T;
  /** Default as shown to people (docs and warnings). */
  readonly defaultText: string;
  /** Accepted values as shown in the docs. */
  readonly accepted: string;
  readonly meaning: string;
  readonly origin: 'OpenTelemetry' | 'domain-otel';
}

function spec<T>(s: VariableSpec<T>): VariableSpec<T> {
  return s;
}

export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];

export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const SAMPLERS = [
  'parentbased_always_on',
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export const LOG_LEVELS = ['info', 'none', 'error', 'warn', 'debug', 'verbose', 'all'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const AUDIT_LEVELS = ['changes', 'none', 'metadata', 'full'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export const DELIVERY_MODES = ['async', 'strict'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const CAPTURE_KINDS = ['audit', 'mutation', 'rule', 'cache'] as const;
export type CaptureKind = (typeof CAPTURE_KINDS)[number];

export const RESOURCE_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'container', 'all', 'none'] as const;
export type ResourceDetectorName = (typeof RESOURCE_DETECTORS)[number];

export const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'] as const;

export const TEMPORALITY_PREFERENCES = ['cumulative', 'delta', 'lowmemory'] as const;
export type TemporalityPreference = (typeof TEMPORALITY_PREFERENCES)[number];

export const RECORD_PATHS = ['direct', 'sdk'] as const;
export type RecordPath = (typeof RECORD_PATHS)[number];

export const EXPRESS_LAYER_TYPES = ['router', 'middleware', 'request_handler'] as const;
export type ExpressLayerTypeName = (typeof EXPRESS_LAYER_TYPES)[number];
export type PropagatorName = (typeof PROPAGATORS)[number];

const exporterNames = (extra: readonly string[]) => ['otlp', 'console', 'none', ...extra] as const;

export const TRACES_EXPORTER = spec({
  name: 'OTEL_TRACES_EXPORTER', parse: p.listOf(exporterNames([])), default: ['otlp'], defaultText: 'otlp',
  accepted: 'otlp, console, none (comma list)', meaning: 'Where spans go.', origin: 'OpenTelemetry',
});
export const METRICS_EXPORTER = spec({
  name: 'OTEL_METRICS_EXPORTER', parse: p.listOf(exporterNames([])), default: ['otlp'], defaultText: 'otlp',
  accepted: 'otlp, console, none (comma list)', meaning: 'Where metrics go.', origin: 'OpenTelemetry',
});
export const LOGS_EXPORTER = spec({
  name: 'OTEL_LOGS_EXPORTER', parse: p.listOf(exporterNames([])), default: ['otlp'], defaultText: 'otlp',
  accepted: 'otlp, console, none (comma list)',
  meaning: 'Where ordinary log records go (app logs from pino/winston/bunyan). Audit records always go over OTLP unless this is `none`.',
  origin: 'OpenTelemetry',
});

/** OTEL_EXPORTER_OTLP_{,TRACES_,METRICS_,LOGS_}{PROTOCOL,ENDPOINT,HEADERS,TIMEOUT,COMPRESSION}. */
function otlpVariables(signal: Signal | undefined) {
  const infix = signal ? `${signal.toUpperCase()}_` : '';
  const scope = signal ? `for ${signal} only (overrides the general variable)` : 'for all signals';
  return {
    protocol: spec<Protocol | undefined>({
      name: `OTEL_EXPORTER_OTLP_${infix}PROTOCOL`, parse: p.oneOf(PROTOCOLS), default: undefined,
      defaultText: signal ? '(general value)' : 'http/protobuf', accepted: PROTOCOLS.join(', '),
      meaning: `OTLP transport ${scope}.`, origin: 'OpenTelemetry',
    }),
    endpoint: spec<string | undefined>({
      name: `OTEL_EXPORTER_OTLP_${infix}ENDPOINT`, parse: p.url, default: undefined,
      defaultText: signal ? '(general value + /v1/' + signal + ')' : 'http://localhost:4318 (http), http://localhost:4317 (grpc)',
      accepted: 'http:// or https:// URL',
      meaning: signal
        ? `Full URL ${scope}; used as is.`
        : 'Base URL; for HTTP the signal path (/v1/traces, …) is appended.',
      origin: 'OpenTelemetry',
    }),
    headers: spec<Record<string, string> | undefined>({
      name: `OTEL_EXPORTER_OTLP_${infix}HEADERS`, parse: p.keyValueList, default: undefined, defaultText: '(none)',
      accepted: 'key=value,key2=value2 (values percent-encoded)', meaning: `Headers sent with each export ${scope}.`,
      origin: 'OpenTelemetry',
    }),
    timeout: spec<number | undefined>({
      name: `OTEL_EXPORTER_OTLP_${infix}TIMEOUT`, parse: p.positiveInteger, default: undefined,
      defaultText: signal ? '(general value)' : '10000', accepted: 'positive integer (ms)',
      meaning: `Export timeout ${scope}.`, origin: 'OpenTelemetry',
    }),
    compression: spec<'gzip' | 'none' | undefined>({
      name: `OTEL_EXPORTER_OTLP_${infix}COMPRESSION`, parse: p.oneOf(['gzip', 'none'] as const), default: undefined,
      defaultText: signal ? '(general value)' : 'none', accepted: 'gzip, none', meaning: `Payload compression ${scope}.`,
      origin: 'OpenTelemetry',
    }),
  };
}

export const OTLP = {
  general: otlpVariables(undefined),
  traces: otlpVariables('traces'),
  metrics: otlpVariables('metrics'),
  logs: otlpVariables('logs'),
};

export const VARIABLES = {
  otelConfigFile: spec<string | undefined>({
    name: 'OTEL_CONFIG_FILE', parse: p.nonEmptyString, default: undefined, defaultText: '(none)',
    accepted: 'path of a YAML file',
    meaning: 'OpenTelemetry declarative configuration (file_format 1.0 or 1.1). When set, the SDK settings come from the file and the other `OTEL_*` variables of this table are not read (except `OTEL_NODE_*`); it may hold a `domain_otel:` section. `OTEL_EXPERIMENTAL_CONFIG_FILE`, its former name, is read when it is not set. See "Configuration file" below.',
    origin: 'OpenTelemetry',
  }),
  sdkDisabled: spec({
    name: 'OTEL_SDK_DISABLED', parse: p.boolean, default: false, defaultText: 'false', accepted: 'true, false',
    meaning: 'true: load nothing, patch nothing.', origin: 'OpenTelemetry',
  }),
  logLevel: spec<LogLevelName>({
    name: 'OTEL_LOG_LEVEL', parse: p.oneOf(LOG_LEVELS), default: 'info', defaultText: 'info',
    accepted: LOG_LEVELS.join(', '),
    meaning: 'Diagnostic output of the SDK and of domain-otel (stderr). At info or more verbose a one-line preamble is printed at start.',
    origin: 'OpenTelemetry',
  }),
  serviceName: spec<string | undefined>({
    name: 'OTEL_SERVICE_NAME', parse: p.nonEmptyString, default: undefined,
    defaultText: 'package.json name of the app, else unknown_service:node', accepted: 'string',
    meaning: '`service.name` on the resource.', origin: 'OpenTelemetry',
  }),
  resourceAttributes: spec<Record<string, string>>({
    name: 'OTEL_RESOURCE_ATTRIBUTES', parse: p.keyValueList, default: {}, defaultText: '(none)',
    accepted: 'key=value,key2=value2', meaning: 'Extra resource attributes.', origin: 'OpenTelemetry',
  }),
  resourceDetectors: spec<ResourceDetectorName[]>({
    name: 'OTEL_NODE_RESOURCE_DETECTORS', parse: p.listOf(RESOURCE_DETECTORS), default: ['env', 'host', 'os', 'process', 'serviceinstance'],
    defaultText: 'env,host,os,process,serviceinstance', accepted: RESOURCE_DETECTORS.join(', '),
    meaning: 'Resource detectors. Only local ones exist here: no cloud metadata endpoint is ever probed.',
    origin: 'OpenTelemetry',
  }),
  enabledInstrumentations: spec<string[] | undefined>({
    name: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', parse: p.stringList, default: undefined, defaultText: '(all)',
    accepted: 'comma list of instrumentation names (see table below)', meaning: 'Only these instrumentations are enabled.',
    origin: 'OpenTelemetry',
  }),
  disabledInstrumentations: spec<string[]>({
    name: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', parse: p.stringList, default: [], defaultText: '(none)',
    accepted: 'comma list of instrumentation names', meaning: 'These instrumentations are disabled (applied after the enabled list).',
    origin: 'OpenTelemetry',
  }),
  propagators: spec<PropagatorName[]>({
    name: 'OTEL_PROPAGATORS', parse: p.listOf(PROPAGATORS), default: ['tracecontext', 'baggage'],
    defaultText: 'tracecontext,baggage', accepted: PROPAGATORS.join(', '), meaning: 'Context propagation formats.',
    origin: 'OpenTelemetry',
  }),
  sampler: spec<SamplerName>({
    name: 'OTEL_TRACES_SAMPLER', parse: p.oneOf(SAMPLERS), default: 'parentbased_always_on',
    defaultText: 'parentbased_always_on', accepted: SAMPLERS.join(', '),
    meaning: 'Trace sampler. Audit decisions and mutations are log events and are never sampled away.',
    origin: 'OpenTelemetry',
  }),
  samplerArg: spec<number>({
    name: 'OTEL_TRACES_SAMPLER_ARG', parse: p.ratio, default: 1, defaultText: '1', accepted: 'number from 0 to 1',
    meaning: 'Ratio for the traceidratio samplers.', origin: 'OpenTelemetry',
  }),
  metricExportInterval: spec({
    name: 'OTEL_METRIC_EXPORT_INTERVAL', parse: p.positiveInteger, default: 60000, defaultText: '60000',
    accepted: 'positive integer (ms)', meaning: 'Metric export interval.', origin: 'OpenTelemetry',
  }),
  metricExportTimeout: spec({
    name: 'OTEL_METRIC_EXPORT_TIMEOUT', parse: p.positiveInteger, default: 30000, defaultText: '30000',
    accepted: 'positive integer (ms)', meaning: 'Metric export timeout.', origin: 'OpenTelemetry',
  }),
  bspScheduleDelay: spec({
    name: 'OTEL_BSP_SCHEDULE_DELAY', parse: p.positiveInteger, default: 5000, defaultText: '5000',
    accepted: 'positive integer (ms)', meaning: 'Span batch delay.', origin: 'OpenTelemetry',
  }),
  bspMaxQueueSize: spec({
    name: 'OTEL_BSP_MAX_QUEUE_SIZE', parse: p.positiveInteger, default: 2048, defaultText: '2048',
    accepted: 'positive integer', meaning: 'Span queue size (spans beyond it are dropped and counted).', origin: 'OpenTelemetry',
  }),
  bspMaxExportBatchSize: spec({
    name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', parse: p.positiveInteger, default: 512, defaultText: '512',
    accepted: 'positive integer', meaning: 'Spans per export.', origin: 'OpenTelemetry',
  }),
  blrpScheduleDelay: spec({
    name: 'OTEL_BLRP_SCHEDULE_DELAY', parse: p.positiveInteger, default: 1000, defaultText: '1000',
    accepted: 'positive integer (ms)', meaning: 'Log record batch delay (ordinary logs and audit records).', origin: 'OpenTelemetry',
  }),
  blrpMaxQueueSize: spec({
    name: 'OTEL_BLRP_MAX_QUEUE_SIZE', parse: p.positiveInteger, default: 2048, defaultText: '2048',
    accepted: 'positive integer', meaning: 'Queue size for ordinary log records.', origin: 'OpenTelemetry',
  }),
  blrpMaxExportBatchSize: spec({
    name: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', parse: p.positiveInteger, default: 512, defaultText: '512',
    accepted: 'positive integer', meaning: 'Log records per export.', origin: 'OpenTelemetry',
  }),
  auditLevel: spec<AuditLevel>({
    name: 'DOMAIN_OTEL_AUDIT_LEVEL', parse: p.oneOf(AUDIT_LEVELS), default: 'changes', defaultText: 'changes',
    accepted: AUDIT_LEVELS.join(', '),
    meaning: '`metadata`: who/what/outcome; `changes`: + field names and old → new values; `full`: + rule inputs and request attributes; `none`: no audit records.',
    origin: 'domain-otel',
  }),
  redact: spec<string[]>({
    name: 'DOMAIN_OTEL_REDACT', parse: p.stringList, default: [], defaultText: '(built-in list only)',
    accepted: 'comma list of key names',
    meaning: 'Keys added to the built-in list (password, secret, token, authorization, auth, cookie, session, api_key, jwt, otp, pin, cvc, signature, connection_string, dsn, …). Matched by words (split at separators, camelCase and digits, joined lower case): an entry matches where it ends a word of the key, and an entry under 5 characters must also start one (whole words only): `accessToken`, `x-api-key`, `DB_PASSWORD` match, `shipping` (pin), `author` (auth) and `tokenizer` do not; a long entry at the end of a longer word does (`possession`: session). Matching keys keep their name, the value becomes `[REDACTED]`, at any depth, in domain records and in what upstream instrumentations and log bridges record (attributes, URL query parameters, SQL literals, exception messages and stack traces). The rules: docs/redaction.md.',
    origin: 'domain-otel',
  }),
  maxValueBytes: spec({
    name: 'DOMAIN_OTEL_MAX_VALUE_BYTES', parse: p.integerInRange(256, 1048576), default: 8192, defaultText: '8192',
    accepted: 'whole number of bytes from 256 to 1048576',
    meaning: 'Cap of every string in a domain record (reason, body, change values, metadata values, rule inputs, cache keys, actor fields), in UTF-8 bytes. A longer one keeps its longest prefix that fits and ends with `…[truncated N bytes]`; a record\'s values together get 64 times this (at most 2 MiB). Cuts are counted on the record in `domain.record.truncated_values` and `domain.record.dropped_entries`.',
    origin: 'domain-otel',
  }),
  auditDelivery: spec<DeliveryMode>({
    name: 'DOMAIN_OTEL_AUDIT_DELIVERY', parse: p.oneOf(DELIVERY_MODES), default: 'async', defaultText: 'async',
    accepted: DELIVERY_MODES.join(', '),
    meaning: '`async`: batched, retried, flushed on exit. `strict`: an awaited `traceAuthz`, `traceMutation` or `audit.decision` resolves only once the collector acknowledged its audit record, and rejects with `AuditDeliveryError` (its `reason`: queue_full, spool_full, shutdown, internal_error, rejected, export_failed, timeout, not_recorded) otherwise, also when the record never reached the queue: strict fails closed, even with OTEL_LOGS_EXPORTER=none (warned about at start).',
    origin: 'domain-otel',
  }),
  strictTimeout: spec({
    name: 'DOMAIN_OTEL_AUDIT_STRICT_TIMEOUT', parse: p.positiveInteger, default: 5000, defaultText: '5000',
    accepted: 'positive integer (ms)', meaning: 'How long strict delivery waits for the acknowledgement.', origin: 'domain-otel',
  }),
  auditQueueSize: spec({
    name: 'DOMAIN_OTEL_AUDIT_QUEUE_SIZE', parse: p.positiveInteger, default: 65536, defaultText: '65536',
    accepted: 'positive integer',
    meaning: 'Size of the audit records\' own in-memory queue (separate from ordinary logs). Records beyond it go to the spool (DOMAIN_OTEL_AUDIT_SPOOL); with the spool off they are dropped and counted in `domain.telemetry.dropped`.',
    origin: 'domain-otel',
  }),
  auditSpool: spec<boolean>({
    name: 'DOMAIN_OTEL_AUDIT_SPOOL', parse: p.onOff, default: true, defaultText: 'on', accepted: 'on, off',
    meaning: 'Audit records that do not fit in the queue, or arrive while the collector is unreachable, go to an append-only file on local disk (group-committed fsync) and are sent from there, in order, when export recovers or on the next start; `off`: they are dropped and counted instead. An unwritable directory turns it off with one warning.',
    origin: 'domain-otel',
  }),
  auditSpoolDir: spec<string | undefined>({
    name: 'DOMAIN_OTEL_AUDIT_SPOOL_DIR', parse: p.absolutePath, default: undefined,
    defaultText: '$XDG_STATE_HOME/domain-otel/spool, else ~/.local/state/domain-otel/spool, else <tmpdir>/domain-otel-<uid>/spool',
    accepted: 'an absolute directory path',
    meaning: 'Where the spool lives (one subdirectory per `service.name`). A spool left by a process that died is sent by the next process of the same service that starts here.',
    origin: 'domain-otel',
  }),
  auditSpoolMaxBytes: spec({
    name: 'DOMAIN_OTEL_AUDIT_SPOOL_MAX_BYTES', parse: p.byteSize, default: 1024 ** 3, defaultText: '1GiB',
    accepted: 'bytes, or a number with KiB, MiB, GiB',
    meaning: 'Upper bound of the spool on disk, per process. Records beyond it are dropped and counted as `spool_full`.',
    origin: 'domain-otel',
  }),
  auditDeadLetterDir: spec<string | undefined>({
    name: 'DOMAIN_OTEL_AUDIT_DEADLETTER_DIR', parse: p.absolutePath, default: undefined,
    defaultText: '$XDG_STATE_HOME/domain-otel/dead-letter (same base as the spool)', accepted: 'an absolute directory path',
    meaning: 'Where audit records the collector refused for good (HTTP 400/413, gRPC INVALID_ARGUMENT) are written, one NDJSON line each, to be sent again with `domain-otel-resend`.',
    origin: 'domain-otel',
  }),
  capture: spec<CaptureKind[]>({
    name: 'DOMAIN_OTEL_CAPTURE', parse: captureParser, default: [...CAPTURE_KINDS], defaultText: 'all',
    accepted: 'all, or a comma list of audit, mutation, rule, cache', meaning: 'Which kinds of domain events are recorded.',
    origin: 'domain-otel',
  }),
  correlationHeaders: spec<string[]>({
    name: 'DOMAIN_OTEL_CORRELATION_HEADERS', parse: headerListParser, default: ['x-request-id', 'x-correlation-id'],
    defaultText: 'x-request-id,x-correlation-id', accepted: 'comma list of HTTP header names',
    meaning: 'Incoming request headers read, in order, for `domain.correlation.id`; the trace id is used when none is present.',
    origin: 'domain-otel',
  }),
  metricsTemporality: spec<TemporalityPreference>({
    name: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', parse: p.oneOf(TEMPORALITY_PREFERENCES), default: 'cumulative',
    defaultText: 'cumulative', accepted: TEMPORALITY_PREFERENCES.join(', '),
    meaning: 'Aggregation temporality of exported metrics: `delta` for counters, histograms and gauges, `lowmemory` for counters and histograms only, `cumulative` for none.',
    origin: 'OpenTelemetry',
  }),
  exportThread: spec<boolean>({
    name: 'DOMAIN_OTEL_EXPORT_THREAD', parse: p.onOff, default: true, defaultText: 'on', accepted: 'on, off',
    meaning: '`on`: spans, log records and audit records are serialised to OTLP and sent by a worker thread started on the first export; the request thread only copies them over (docs/performance.md). Batching, queue limits, drop counting, the audit spool and strict acknowledgements are the same either way. `off`: on the request thread. Metrics are always exported from the request thread (once per interval).',
    origin: 'domain-otel',
  }),
  recordPath: spec<RecordPath>({
    name: 'DOMAIN_OTEL_RECORD_PATH', parse: p.oneOf(RECORD_PATHS), default: 'direct', defaultText: 'direct', accepted: RECORD_PATHS.join(', '),
    meaning: '`direct`: the domain mapping hands its records (audit decisions, mutations, rule evaluations, cache invalidations) straight to the log processors as one plain record each. `sdk`: through the LoggerProvider like any log record (an SDK LogRecord per record, its attributes validated and copied again). The records are the same; `direct` costs less per record (docs/performance.md).',
    origin: 'domain-otel',
  }),
  authzSpans: spec<boolean>({
    name: 'DOMAIN_OTEL_AUTHZ_SPANS', parse: p.onOff, default: true, defaultText: 'on', accepted: 'on, off',
    meaning: '`on`: a span `authz <action> <manager>` around each `traceAuthz` check, parent of the work done inside it. `off`: the check is recorded by its `domain.audit.decision` record alone, in the trace of the active span (one telemetry item per check instead of two). Decision records are the same either way.',
    origin: 'domain-otel',
  }),
  expressLayers: spec<ExpressLayerTypeName[]>({
    name: 'DOMAIN_OTEL_EXPRESS_LAYERS', parse: expressLayersParser, default: ['request_handler'], defaultText: 'request_handler',
    accepted: 'all, none, or a comma list of router, middleware, request_handler',
    meaning: 'Which Express layers get a span of their own (upstream `express` instrumentation). The route is set on the HTTP server span (`http.route`) whatever this says. The default leaves out a span per middleware and per router on every request (`jsonParser`, `<anonymous>`, …), which carry only their timing.',
    origin: 'domain-otel',
  }),
  pgConnectSpans: spec<boolean>({
    name: 'DOMAIN_OTEL_PG_CONNECT_SPANS', parse: p.onOff, default: false, defaultText: 'off', accepted: 'on, off',
    meaning: '`on`: the upstream `pg` instrumentation\'s `pg.connect` / `pg-pool.connect` spans (with `pg.Pool`, one per query, beside the query\'s own span). `off`: only the query spans; waiting for a pool connection shows in the pool metrics (`db.client.connection.*`).',
    origin: 'domain-otel',
  }),
  configFile: spec<string | undefined>({
    name: 'DOMAIN_OTEL_CONFIG_FILE', parse: p.nonEmptyString, default: undefined, defaultText: '(none)',
    accepted: 'path of a YAML file',
    meaning: 'A file with a `domain_otel:` section: the settings of this table and the options of each instrumentation (see "Configuration file" below). Read only when set; its values win over the variables.',
    origin: 'domain-otel',
  }),
  shutdownTimeout: spec({
    name: 'DOMAIN_OTEL_SHUTDOWN_TIMEOUT', parse: p.positiveInteger, default: 5000, defaultText: '5000',
    accepted: 'positive integer (ms)', meaning: 'Upper bound for the final flush on exit, signals and crashes.',
    origin: 'domain-otel',
  }),
};

function captureParser(raw: string) {
  if (raw.trim().toLowerCase() === 'all') return { ok: true as const, value: [...CAPTURE_KINDS] };
  return p.listOf(CAPTURE_KINDS)(raw);
}

function expressLayersParser(raw: string) {
  const v = raw.trim().toLowerCase();
  if (v === 'all') return { ok: true as const, value: [...EXPRESS_LAYER_TYPES] };
  if (v === 'none') return { ok: true as const, value: [] };
  return p.listOf(EXPRESS_LAYER_TYPES)(raw);
}

function headerListParser(raw: string) {
  const items = p.splitList(raw).map((h) => h.toLowerCase());
  const badName = items.find((h) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h));
  if (badName !== undefined) return { ok: false as const, expected: `a comma list of HTTP header names (bad name: "${badName}")` };
  return { ok: true as const, value: items };
}

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
