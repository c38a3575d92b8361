// The distribution's own variables (DOMAIN_OTEL_*).
import * as p from '../parsers';
import { specsOf } from './spec';
import { AUDIT_LEVELS, CAPTURE_KINDS, DELIVERY_MODES, EXPRESS_LAYER_TYPES, RECORD_PATHS } from './values';
import type { CaptureKind, ExpressLayerTypeName } from './values';

const { spec, millis, count, onOff, oneOf } = specsOf('domain-otel');

export const DOMAIN_OTEL_VARIABLES = {
  auditLevel: oneOf('DOMAIN_OTEL_AUDIT_LEVEL', AUDIT_LEVELS, 'changes',
    '`metadata`: who/what/outcome; `changes`: + field names and old → new values; `full`: + rule inputs and request attributes; `none`: no audit records.'),
  redact: spec<string[]>({
    name: 'DOMAIN_OTEL_REDACT', parse: p.stringList, default: [], defaultText: '(built-in list only)',
    accepted: 'comma list of key names',
    meaning: 'Keys added to the built-in list (password, secret, token, authorization, auth, cookie, session, api_key, jwt, otp, pin, cvc, signature, connection_string, dsn, …). Matched by words (split at separators, camelCase and digits, joined lower case): an entry matches where it ends a word of the key, and an entry under 5 characters must also start one (whole words only): `accessToken`, `x-api-key`, `DB_PASSWORD` match, `shipping` (pin), `author` (auth) and `tokenizer` do not; a long entry at the end of a longer word does (`possession`: session). Matching keys keep their name, the value becomes `[REDACTED]`, at any depth, in domain records and in what upstream instrumentations and log bridges record (attributes, URL query parameters, SQL literals, exception messages and stack traces). The rules: docs/redaction.md.',
  }),
  maxValueBytes: spec({
    name: 'DOMAIN_OTEL_MAX_VALUE_BYTES', parse: p.integerInRange(256, 1048576), default: 8192, defaultText: '8192',
    accepted: 'whole number of bytes from 256 to 1048576',
    meaning: 'Cap of every string in a domain record (reason, body, change values, metadata values, rule inputs, cache keys, actor fields), in UTF-8 bytes. A longer one keeps its longest prefix that fits and ends with `…[truncated N bytes]`; a record\'s values together get 64 times this (at most 2 MiB). Cuts are counted on the record in `domain.record.truncated_values` and `domain.record.dropped_entries`.',
  }),
  auditDelivery: oneOf('DOMAIN_OTEL_AUDIT_DELIVERY', DELIVERY_MODES, 'async',
    '`async`: batched, retried, flushed on exit. `strict`: an awaited `traceAuthz`, `traceMutation` or `audit.decision` resolves only once the collector acknowledged its audit record, and rejects with `AuditDeliveryError` (its `reason`: queue_full, spool_full, shutdown, internal_error, rejected, export_failed, timeout, not_recorded) otherwise, also when the record never reached the queue: strict fails closed, even with OTEL_LOGS_EXPORTER=none (warned about at start).'),
  strictTimeout: millis('DOMAIN_OTEL_AUDIT_STRICT_TIMEOUT', 5000, 'How long strict delivery waits for the acknowledgement.'),
  auditQueueSize: count('DOMAIN_OTEL_AUDIT_QUEUE_SIZE', 65536,
    'Size of the audit records\' own in-memory queue (separate from ordinary logs). Records beyond it go to the spool (DOMAIN_OTEL_AUDIT_SPOOL); with the spool off they are dropped and counted in `domain.telemetry.dropped`.'),
  auditSpool: onOff('DOMAIN_OTEL_AUDIT_SPOOL', true,
    'Audit records that do not fit in the queue, or arrive while the collector is unreachable, go to an append-only file on local disk (group-committed fsync) and are sent from there, in order, when export recovers or on the next start; `off`: they are dropped and counted instead. An unwritable directory turns it off with one warning.'),
  auditSpoolDir: spec<string | undefined>({
    name: 'DOMAIN_OTEL_AUDIT_SPOOL_DIR', parse: p.absolutePath, default: undefined,
    defaultText: '$XDG_STATE_HOME/domain-otel/spool, else ~/.local/state/domain-otel/spool, else <tmpdir>/domain-otel-<uid>/spool',
    accepted: 'an absolute directory path',
    meaning: 'Where the spool lives (one subdirectory per `service.name`). A spool left by a process that died is sent by the next process of the same service that starts here.',
  }),
  auditSpoolMaxBytes: spec({
    name: 'DOMAIN_OTEL_AUDIT_SPOOL_MAX_BYTES', parse: p.byteSize, default: 1024 ** 3, defaultText: '1GiB',
    accepted: 'bytes, or a number with KiB, MiB, GiB',
    meaning: 'Upper bound of the spool on disk, per process. Records beyond it are dropped and counted as `spool_full`.',
  }),
  auditDeadLetterDir: spec<string | undefined>({
    name: 'DOMAIN_OTEL_AUDIT_DEADLETTER_DIR', parse: p.absolutePath, default: undefined,
    defaultText: '$XDG_STATE_HOME/domain-otel/dead-letter (same base as the spool)', accepted: 'an absolute directory path',
    meaning: 'Where audit records the collector refused for good (HTTP 400/413, gRPC INVALID_ARGUMENT) are written, one NDJSON line each, to be sent again with `domain-otel-resend`.',
  }),
  capture: spec<CaptureKind[]>({
    name: 'DOMAIN_OTEL_CAPTURE', parse: captureParser, default: [...CAPTURE_KINDS], defaultText: 'all',
    accepted: 'all, or a comma list of audit, mutation, rule, cache', meaning: 'Which kinds of domain events are recorded.',
  }),
  correlationHeaders: spec<string[]>({
    name: 'DOMAIN_OTEL_CORRELATION_HEADERS', parse: headerListParser, default: ['x-request-id', 'x-correlation-id'],
    defaultText: 'x-request-id,x-correlation-id', accepted: 'comma list of HTTP header names',
    meaning: 'Incoming request headers read, in order, for `domain.correlation.id`; the trace id is used when none is present.',
  }),
  exportThread: spec<'on' | 'off' | 'auto'>({
    name: 'DOMAIN_OTEL_EXPORT_THREAD', parse: p.onOffAuto, default: 'auto', defaultText: 'auto', accepted: 'on, off, auto',
    meaning: '`on`: spans, log records and audit records are serialised to OTLP and sent by a worker thread started on the first export; the request thread only copies them over. `off`: on the request thread. `auto`: `on` where the process may use 3 or more cores (`os.availableParallelism()`, lowered to a cgroup CPU limit when there is one), `off` on 1 or 2. Batching, queue limits, drop counting, the audit spool and strict acknowledgements are the same either way; metrics are always exported from the request thread (once per interval). The thread takes the export\'s CPU off the request thread where a core is free for it; it costs memory (about 36 MiB at its first export against 12 MiB for the exporters on the request thread) and, on two busy cores, more CPU in all for as many or fewer requests served (docs/performance.md).',
  }),
  recordPath: oneOf('DOMAIN_OTEL_RECORD_PATH', RECORD_PATHS, 'direct',
    '`direct`: the domain mapping hands its records (audit decisions, mutations, rule evaluations, cache invalidations) straight to the log processors as one plain record each. `sdk`: through the LoggerProvider like any log record (an SDK LogRecord per record, its attributes validated and copied again). The records are the same; `direct` costs less per record (docs/performance.md).'),
  authzSpans: onOff('DOMAIN_OTEL_AUTHZ_SPANS', true,
    '`on`: a span `authz <action> <manager>` around each `traceAuthz` check, parent of the work done inside it. `off`: the check is recorded by its `domain.audit.decision` record alone, in the trace of the active span (one telemetry item per check instead of two). Decision records are the same either way.'),
  expressLayers: spec<ExpressLayerTypeName[]>({
    name: 'DOMAIN_OTEL_EXPRESS_LAYERS', parse: expressLayersParser, default: ['request_handler'], defaultText: 'request_handler',
    accepted: 'all, none, or a comma list of router, middleware, request_handler',
    meaning: 'Which Express layers get a span of their own (upstream `express` instrumentation). The route is set on the HTTP server span (`http.route`) whatever this says. The default leaves out a span per middleware and per router on every request (`jsonParser`, `<anonymous>`, …), which carry only their timing.',
  }),
  pgConnectSpans: onOff('DOMAIN_OTEL_PG_CONNECT_SPANS', false,
    '`on`: the upstream `pg` instrumentation\'s `pg.connect` / `pg-pool.connect` spans (with `pg.Pool`, one per query, beside the query\'s own span). `off`: only the query spans; waiting for a pool connection shows in the pool metrics (`db.client.connection.*`).'),
  configFile: spec<string | undefined>({
    name: 'DOMAIN_OTEL_CONFIG_FILE', parse: p.nonEmptyString, default: undefined, defaultText: '(none)',
    accepted: 'path of a YAML file',
    meaning: 'A file with a `domain_otel:` section: the settings of this table and the options of each instrumentation (see "Configuration file" below). Read only when set; its values win over the variables.',
  }),
  shutdownTimeout: millis('DOMAIN_OTEL_SHUTDOWN_TIMEOUT', 5000, 'Upper bound for the final flush on exit, signals and crashes.'),
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
