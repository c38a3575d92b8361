// Metric instrument names and units. Metric attributes are low-cardinality only:
// never ids, keys or users.

/** Counter of audit decisions; attributes: action, outcome, manager. */
export const METRIC_DOMAIN_AUDIT_DECISIONS = 'domain.audit.decisions';

/** Counter of manager mutations; attributes: action, manager, outcome. */
export const METRIC_DOMAIN_MANAGER_MUTATIONS = 'domain.manager.mutations';

/** Histogram of mutation durations in seconds; attributes: action, manager, outcome. */
export const METRIC_DOMAIN_MANAGER_MUTATION_DURATION = 'domain.manager.mutation.duration';

/** Counter of rule evaluations; attributes: rule, outcome. */
export const METRIC_DOMAIN_RULE_EVALUATIONS = 'domain.rule.evaluations';

/** Histogram of rule evaluation durations in seconds; attributes: rule, outcome. */
export const METRIC_DOMAIN_RULE_EVALUATION_DURATION = 'domain.rule.evaluation.duration';

/** Counter of cache invalidations; attributes: cache, reason. */
export const METRIC_DOMAIN_CACHE_INVALIDATIONS = 'domain.cache.invalidations';

/** Counter of invalidated cache keys; attributes: cache, reason. */
export const METRIC_DOMAIN_CACHE_INVALIDATED_KEYS = 'domain.cache.invalidated_keys';

/** Counter of telemetry records that could not be delivered; attributes: signal, reason. */
export const METRIC_DOMAIN_TELEMETRY_DROPPED = 'domain.telemetry.dropped';

export type MetricName =
  | typeof METRIC_DOMAIN_AUDIT_DECISIONS
  | typeof METRIC_DOMAIN_MANAGER_MUTATIONS
  | typeof METRIC_DOMAIN_MANAGER_MUTATION_DURATION
  | typeof METRIC_DOMAIN_RULE_EVALUATIONS
  | typeof METRIC_DOMAIN_RULE_EVALUATION_DURATION
  | typeof METRIC_DOMAIN_CACHE_INVALIDATIONS
  | typeof METRIC_DOMAIN_CACHE_INVALIDATED_KEYS
  | typeof METRIC_DOMAIN_TELEMETRY_DROPPED;

/** Unit of each instrument (UCUM, OpenTelemetry style: `s`, `{annotation}`). */
export const METRIC_UNITS: Readonly<Record<MetricName, string>> = {
  [METRIC_DOMAIN_AUDIT_DECISIONS]: '{decision}',
  [METRIC_DOMAIN_MANAGER_MUTATIONS]: '{mutation}',
  [METRIC_DOMAIN_MANAGER_MUTATION_DURATION]: 's',
  [METRIC_DOMAIN_RULE_EVALUATIONS]: '{evaluation}',
  [METRIC_DOMAIN_RULE_EVALUATION_DURATION]: 's',
  [METRIC_DOMAIN_CACHE_INVALIDATIONS]: '{invalidation}',
  [METRIC_DOMAIN_CACHE_INVALIDATED_KEYS]: '{key}',
  [METRIC_DOMAIN_TELEMETRY_DROPPED]: '{record}',
};

/**
 * Description of each instrument: the one text the instruments are created with and
 * docs/semantic-conventions.md shows.
 */
export const METRIC_DESCRIPTIONS: Readonly<Record<MetricName, string>> = {
  [METRIC_DOMAIN_AUDIT_DECISIONS]: 'Audit decisions.',
  [METRIC_DOMAIN_MANAGER_MUTATIONS]: 'Manager mutations.',
  [METRIC_DOMAIN_MANAGER_MUTATION_DURATION]: 'Duration of traced mutations.',
  [METRIC_DOMAIN_RULE_EVALUATIONS]: 'Rule evaluations.',
  [METRIC_DOMAIN_RULE_EVALUATION_DURATION]: 'Duration of rule evaluations.',
  [METRIC_DOMAIN_CACHE_INVALIDATIONS]: 'Cache invalidation calls.',
  [METRIC_DOMAIN_CACHE_INVALIDATED_KEYS]: 'Cache keys dropped by invalidations.',
  [METRIC_DOMAIN_TELEMETRY_DROPPED]: 'Spans, log records and audit records the distribution could not deliver, by signal and reason. Metric points that fail to export are not counted here (the failure is reported once through the diag logger).',
};

/** `domain.telemetry.dropped` attribute: which signal lost the record. */
export const ATTR_DOMAIN_TELEMETRY_SIGNAL = 'domain.telemetry.signal';

/** `domain.telemetry.dropped` attribute: why the record was lost. */
export const ATTR_DOMAIN_TELEMETRY_DROP_REASON = 'domain.telemetry.drop_reason';

/** Values of {@link ATTR_DOMAIN_TELEMETRY_SIGNAL}. */
export const TELEMETRY_SIGNAL_VALUES = {
  TRACES: 'traces',
  LOGS: 'logs',
  METRICS: 'metrics',
  AUDIT: 'audit',
} as const;
export type TelemetrySignal = (typeof TELEMETRY_SIGNAL_VALUES)[keyof typeof TELEMETRY_SIGNAL_VALUES];

/** Values of {@link ATTR_DOMAIN_TELEMETRY_DROP_REASON} (open set: other values may appear). */
export const TELEMETRY_DROP_REASON_VALUES = {
  QUEUE_FULL: 'queue_full',
  EXPORT_FAILED: 'export_failed',
  INTERNAL_ERROR: 'internal_error',
  REJECTED: 'rejected',
  SPOOL_FULL: 'spool_full',
  SHUTDOWN: 'shutdown',
} as const;
export type TelemetryDropReason = (typeof TELEMETRY_DROP_REASON_VALUES)[keyof typeof TELEMETRY_DROP_REASON_VALUES];
