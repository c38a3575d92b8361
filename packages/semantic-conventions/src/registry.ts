// Machine-readable list of every name this package exports. The documentation
// (docs/semantic-conventions.md) is generated from it, and a test checks that no
// exported constant is missing here.
import * as audit from './audit';
import * as cache from './cache';
import * as common from './common';
import * as metrics from './metrics';
import * as mutation from './mutation';
import * as rule from './rule';

export type DomainEventName =
  | typeof audit.EVENT_DOMAIN_AUDIT_DECISION
  | typeof mutation.EVENT_DOMAIN_MANAGER_MUTATION
  | typeof rule.EVENT_DOMAIN_RULE_EVALUATION
  | typeof cache.EVENT_DOMAIN_CACHE_INVALIDATION
  | typeof audit.EVENT_DOMAIN_AUDIT_ACCESS;

export type RequirementLevel = 'required' | 'conditionally_required' | 'recommended' | 'opt_in';
/** `string or int`: an id the application gave as a string or as a number (kept as it was given). */
export type AttributeType = 'string' | 'string[]' | 'int' | 'string or int' | 'map' | 'any';

interface EntryBase {
  /** Dotted name as it appears on the wire (template attributes end in `.<key>`). */
  readonly name: string;
  /** Name of the exported constant holding it. */
  readonly constant: string;
  readonly brief: string;
}

export interface EventEntry extends EntryBase {
  readonly kind: 'event';
  readonly severity: string;
}

export interface AttributeEntry extends EntryBase {
  readonly kind: 'attribute';
  readonly type: AttributeType;
  /** True when the constant is a function of a key (`name` then shows `<key>`). */
  readonly template?: true;
  /** Requirement level per event; empty for resource and metric-only attributes. */
  readonly requirement: Readonly<Partial<Record<DomainEventName, RequirementLevel>>>;
  readonly note?: string;
}

export interface MetricEntry extends EntryBase {
  readonly kind: 'metric';
  readonly instrument: 'counter' | 'histogram';
  readonly unit: string;
  /** Attribute keys recorded on the instrument (all low-cardinality). */
  readonly attributes: readonly string[];
}

export interface EnumValueEntry {
  /** Key in the `*_VALUES` object. */
  readonly key: string;
  readonly value: string;
  readonly brief: string;
}

export interface EnumEntry extends EntryBase {
  readonly kind: 'enum';
  /** `name` is the attribute whose values these are. */
  readonly values: readonly EnumValueEntry[];
}

export type RegistryEntry = EventEntry | AttributeEntry | MetricEntry | EnumEntry;

const AUDIT = audit.EVENT_DOMAIN_AUDIT_DECISION;
const MUTATION = mutation.EVENT_DOMAIN_MANAGER_MUTATION;
const RULE = rule.EVENT_DOMAIN_RULE_EVALUATION;
const CACHE = cache.EVENT_DOMAIN_CACHE_INVALIDATION;
const ACCESS = audit.EVENT_DOMAIN_AUDIT_ACCESS;

const ON_ALL_EVENTS = {
  [AUDIT]: 'recommended',
  [MUTATION]: 'recommended',
  [RULE]: 'recommended',
  [CACHE]: 'recommended',
} as const;

const events: readonly EventEntry[] = [
  {
    kind: 'event',
    name: AUDIT,
    constant: 'EVENT_DOMAIN_AUDIT_DECISION',
    severity: 'INFO; WARN when denied',
    brief: 'An actor asked to create/read/update/delete/mutate something and was granted, denied, or let through by a bypass.',
  },
  {
    kind: 'event',
    name: MUTATION,
    constant: 'EVENT_DOMAIN_MANAGER_MUTATION',
    severity: 'INFO; ERROR when the mutation failed',
    brief: 'An entity was created, updated, deactivated or deleted through a manager.',
  },
  {
    kind: 'event',
    name: RULE,
    constant: 'EVENT_DOMAIN_RULE_EVALUATION',
    severity: 'INFO; ERROR when the rule threw',
    brief: 'A business or validation rule ran.',
  },
  {
    kind: 'event',
    name: CACHE,
    constant: 'EVENT_DOMAIN_CACHE_INVALIDATION',
    severity: 'INFO',
    brief: 'Cached entries were dropped (one event per invalidation call).',
  },
  {
    kind: 'event',
    name: ACCESS,
    constant: 'EVENT_DOMAIN_AUDIT_ACCESS',
    severity: 'INFO',
    brief: 'Someone ran a domain-otel-audit query, verify, retain, checkpoint or prove, or searched, opened, exported or proved records in its viewer: written by the audit sink itself, chained and checkpointed like every audit record, never accepted from applications.',
  },
];

const commonAttributes: readonly AttributeEntry[] = [
  {
    kind: 'attribute',
    name: common.ATTR_USER_ID,
    constant: 'ATTR_USER_ID',
    type: 'string',
    requirement: { ...ON_ALL_EVENTS, [ACCESS]: 'required' },
    brief: 'Stable identifier of the actor.',
    note: 'On `domain.audit.access`: the database login that ran the command.',
  },
  { kind: 'attribute', name: common.ATTR_USER_NAME, constant: 'ATTR_USER_NAME', type: 'string', requirement: ON_ALL_EVENTS, brief: 'Display representation of the actor.' },
  { kind: 'attribute', name: common.ATTR_DOMAIN_TENANT_ID, constant: 'ATTR_DOMAIN_TENANT_ID', type: 'string', requirement: ON_ALL_EVENTS, brief: 'Tenant / organization the operation belongs to.' },
  {
    kind: 'attribute',
    name: common.ATTR_DOMAIN_CORRELATION_ID,
    constant: 'ATTR_DOMAIN_CORRELATION_ID',
    type: 'string',
    requirement: ON_ALL_EVENTS,
    brief: 'Request / correlation id.',
    note: 'Filled by the distribution for incoming HTTP requests: the first header of `DOMAIN_OTEL_CORRELATION_HEADERS` present (default `x-request-id`, `x-correlation-id`), else the request\'s trace id. Outside an HTTP request it is absent unless the application sets `correlationId` (`withActor` / `setActor`).',
  },
  { kind: 'attribute', name: common.ATTR_CLIENT_ADDRESS, constant: 'ATTR_CLIENT_ADDRESS', type: 'string', requirement: ON_ALL_EVENTS, brief: 'Address of the client that made the request.' },
  { kind: 'attribute', name: common.ATTR_USER_AGENT_ORIGINAL, constant: 'ATTR_USER_AGENT_ORIGINAL', type: 'string', requirement: ON_ALL_EVENTS, brief: "The client's User-Agent header, unmodified." },
  {
    kind: 'attribute',
    name: common.ATTR_LOG_RECORD_UID,
    constant: 'ATTR_LOG_RECORD_UID',
    type: 'string',
    requirement: { [AUDIT]: 'required', [MUTATION]: 'required', [RULE]: 'recommended', [CACHE]: 'recommended' },
    brief: 'Unique id of the record (UUIDv7).',
    note: 'The audit sink stores each uid once, turning at-least-once delivery into exactly-once storage.',
  },
  {
    kind: 'attribute',
    name: common.ATTR_ERROR_TYPE,
    constant: 'ATTR_ERROR_TYPE',
    type: 'string',
    requirement: { [AUDIT]: 'conditionally_required', [MUTATION]: 'conditionally_required', [RULE]: 'conditionally_required' },
    brief: 'Class of the error that made the operation fail.',
    note: 'Required when the mutation outcome is `failure`, the rule outcome is `error`, or a traced authorization check (`traceAuthz`) threw (the decision is then recorded as `denied`).',
  },
  {
    kind: 'attribute',
    name: common.ATTR_DOMAIN_MANAGER_NAME,
    constant: 'ATTR_DOMAIN_MANAGER_NAME',
    type: 'string',
    requirement: { [AUDIT]: 'required', [MUTATION]: 'required' },
    brief: 'Manager (domain service / repository) the operation went through.',
  },
  {
    kind: 'attribute',
    name: common.ATTR_DOMAIN_ENTITY_ID,
    constant: 'ATTR_DOMAIN_ENTITY_ID',
    type: 'string or int',
    requirement: { [AUDIT]: 'recommended', [MUTATION]: 'conditionally_required' },
    brief: 'Identifier of the entity concerned, as the application gave it: a string, or an integer (numbers are not stringified; bigints are).',
    note: 'Required on mutations of a single entity; bulk mutations carry `domain.mutation.count` instead.',
  },
  {
    kind: 'attribute',
    name: common.ATTR_DOMAIN_RECORD_TRUNCATED_VALUES,
    constant: 'ATTR_DOMAIN_RECORD_TRUNCATED_VALUES',
    type: 'int',
    requirement: { [AUDIT]: 'conditionally_required', [MUTATION]: 'conditionally_required', [RULE]: 'conditionally_required', [CACHE]: 'conditionally_required' },
    brief: 'Number of values on the record shortened to the size cap (`DOMAIN_OTEL_MAX_VALUE_BYTES`) or cut at the nesting limit.',
    note: 'Required when anything was shortened; absent otherwise. A shortened string ends with `…[truncated N bytes]`, a cut subtree is `[…]`.',
  },
  {
    kind: 'attribute',
    name: common.ATTR_DOMAIN_RECORD_DROPPED_ENTRIES,
    constant: 'ATTR_DOMAIN_RECORD_DROPPED_ENTRIES',
    type: 'int',
    requirement: { [AUDIT]: 'conditionally_required', [MUTATION]: 'conditionally_required', [RULE]: 'conditionally_required' },
    brief: 'Number of entries left out of the record: metadata keys beyond 64, map entries and list items beyond 256, values beyond the record\'s byte budget.',
    note: 'Required when anything was left out; absent otherwise. Never on `domain.cache.invalidation`: its key list is capped on purpose and `domain.cache.key_count` is exact.',
  },
  {
    kind: 'attribute',
    name: common.ATTR_TELEMETRY_DISTRO_NAME,
    constant: 'ATTR_TELEMETRY_DISTRO_NAME',
    type: 'string',
    requirement: {},
    brief: 'Name of the telemetry distribution.',
    note: 'Resource attribute.',
  },
  {
    kind: 'attribute',
    name: common.ATTR_TELEMETRY_DISTRO_VERSION,
    constant: 'ATTR_TELEMETRY_DISTRO_VERSION',
    type: 'string',
    requirement: {},
    brief: 'Version of the telemetry distribution.',
    note: 'Resource attribute.',
  },
];

const auditAttributes: readonly AttributeEntry[] = [
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_ACTION, constant: 'ATTR_DOMAIN_AUDIT_ACTION', type: 'string', requirement: { [AUDIT]: 'required' }, brief: 'What the actor asked to do.' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_OUTCOME, constant: 'ATTR_DOMAIN_AUDIT_OUTCOME', type: 'string', requirement: { [AUDIT]: 'required' }, brief: 'How the decision went.' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_ATTRIBUTES, constant: 'ATTR_DOMAIN_AUDIT_ATTRIBUTES', type: 'string[]', requirement: { [AUDIT]: 'recommended' }, brief: 'Field names the decision covered.' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_PERMISSIONS, constant: 'ATTR_DOMAIN_AUDIT_PERMISSIONS', type: 'string[]', requirement: { [AUDIT]: 'recommended' }, brief: 'Permission expressions that matched.' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_REASON, constant: 'ATTR_DOMAIN_AUDIT_REASON', type: 'string', requirement: { [AUDIT]: 'recommended' }, brief: 'Human-readable reason for the decision.' },
  {
    kind: 'attribute',
    name: audit.ATTR_DOMAIN_AUDIT_METADATA,
    constant: 'ATTR_DOMAIN_AUDIT_METADATA',
    type: 'map',
    requirement: { [AUDIT]: 'recommended' },
    brief: 'Free-form metadata of the decision, as one map.',
    note: 'At most 64 keys (the first ones); keys left out are counted in `domain.record.dropped_entries`. Loki flattens the map into `domain_audit_metadata_<key>` structured metadata.',
  },
];

const accessAttributes: readonly AttributeEntry[] = [
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_ACCESS_COMMAND, constant: 'ATTR_DOMAIN_AUDIT_ACCESS_COMMAND', type: 'string', requirement: { [ACCESS]: 'required' }, brief: 'The domain-otel-audit command that ran (query, verify, retain, checkpoint, prove), or the viewer action (ui-search, ui-record, ui-export, ui-proof).' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_ACCESS_ARGUMENTS, constant: 'ATTR_DOMAIN_AUDIT_ACCESS_ARGUMENTS', type: 'string[]', requirement: { [ACCESS]: 'required' }, brief: 'Its arguments, connection strings and tokens redacted.' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME, constant: 'ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME', type: 'string', requirement: { [ACCESS]: 'required' }, brief: 'How the run ended.' },
  { kind: 'attribute', name: audit.ATTR_DOMAIN_AUDIT_ACCESS_RESULT, constant: 'ATTR_DOMAIN_AUDIT_ACCESS_RESULT', type: 'string', requirement: { [ACCESS]: 'required' }, brief: 'One line of what came out: rows returned, verify\'s verdict, segments retired, checkpoint written.' },
  { kind: 'attribute', name: common.ATTR_PROCESS_OWNER, constant: 'ATTR_PROCESS_OWNER', type: 'string', requirement: { [ACCESS]: 'recommended' }, brief: 'The OS user who ran the command, as the process reports it.' },
  { kind: 'attribute', name: common.ATTR_HOST_NAME, constant: 'ATTR_HOST_NAME', type: 'string', requirement: { [ACCESS]: 'recommended' }, brief: 'The host the command ran on.' },
];

const mutationAttributes: readonly AttributeEntry[] = [
  { kind: 'attribute', name: mutation.ATTR_DOMAIN_MUTATION_ACTION, constant: 'ATTR_DOMAIN_MUTATION_ACTION', type: 'string', requirement: { [MUTATION]: 'required' }, brief: 'Kind of mutation.' },
  {
    kind: 'attribute',
    name: mutation.ATTR_DOMAIN_MUTATION_COUNT,
    constant: 'ATTR_DOMAIN_MUTATION_COUNT',
    type: 'int',
    requirement: { [MUTATION]: 'conditionally_required' },
    brief: 'Number of entities a bulk mutation touched.',
    note: 'Required for `bulk_update` and `bulk_delete`.',
  },
  { kind: 'attribute', name: mutation.ATTR_DOMAIN_MUTATION_CHANGED_FIELDS, constant: 'ATTR_DOMAIN_MUTATION_CHANGED_FIELDS', type: 'string[]', requirement: { [MUTATION]: 'recommended' }, brief: 'Names of the fields that changed.' },
  {
    kind: 'attribute',
    name: mutation.ATTR_DOMAIN_MUTATION_CHANGES,
    constant: 'ATTR_DOMAIN_MUTATION_CHANGES',
    type: 'map',
    requirement: { [MUTATION]: 'recommended' },
    brief: 'Map field → `{old, new}`.',
    note: 'Present at audit level `changes` and above; redacted keys keep their name with value `[REDACTED]`.',
  },
  {
    kind: 'attribute',
    name: mutation.ATTR_DOMAIN_MUTATION_METADATA,
    constant: 'ATTR_DOMAIN_MUTATION_METADATA',
    type: 'map',
    requirement: { [MUTATION]: 'recommended' },
    brief: 'Free-form metadata of the mutation, as one map.',
    note: 'At most 64 keys, like `domain.audit.metadata`.',
  },
  { kind: 'attribute', name: mutation.ATTR_DOMAIN_MUTATION_OUTCOME, constant: 'ATTR_DOMAIN_MUTATION_OUTCOME', type: 'string', requirement: { [MUTATION]: 'recommended' }, brief: 'Whether the mutation succeeded.' },
];

const ruleAttributes: readonly AttributeEntry[] = [
  { kind: 'attribute', name: rule.ATTR_DOMAIN_RULE_NAME, constant: 'ATTR_DOMAIN_RULE_NAME', type: 'string', requirement: { [RULE]: 'required' }, brief: 'Name of the rule.' },
  { kind: 'attribute', name: rule.ATTR_DOMAIN_RULE_OUTCOME, constant: 'ATTR_DOMAIN_RULE_OUTCOME', type: 'string', requirement: { [RULE]: 'required' }, brief: 'Result of the evaluation.' },
  { kind: 'attribute', name: rule.ATTR_DOMAIN_RULE_SET, constant: 'ATTR_DOMAIN_RULE_SET', type: 'string', requirement: { [RULE]: 'recommended' }, brief: 'Rule set (engine, policy) the rule belongs to.' },
  { kind: 'attribute', name: rule.ATTR_DOMAIN_RULE_CONDITIONS, constant: 'ATTR_DOMAIN_RULE_CONDITIONS', type: 'any', requirement: { [RULE]: 'recommended' }, brief: 'Per-condition trace of the evaluation.' },
  {
    kind: 'attribute',
    name: rule.ATTR_DOMAIN_RULE_INPUT,
    constant: 'ATTR_DOMAIN_RULE_INPUT',
    type: 'any',
    requirement: { [RULE]: 'opt_in' },
    brief: 'Input the rule was evaluated on.',
    note: 'Recorded at audit level `full` only.',
  },
];

const cacheAttributes: readonly AttributeEntry[] = [
  { kind: 'attribute', name: cache.ATTR_DOMAIN_CACHE_NAME, constant: 'ATTR_DOMAIN_CACHE_NAME', type: 'string', requirement: { [CACHE]: 'required' }, brief: 'Name of the cache.' },
  { kind: 'attribute', name: cache.ATTR_DOMAIN_CACHE_REASON, constant: 'ATTR_DOMAIN_CACHE_REASON', type: 'string', requirement: { [CACHE]: 'required' }, brief: 'Why the entries were dropped.' },
  { kind: 'attribute', name: cache.ATTR_DOMAIN_CACHE_KEY_COUNT, constant: 'ATTR_DOMAIN_CACHE_KEY_COUNT', type: 'int', requirement: { [CACHE]: 'required' }, brief: 'Number of keys dropped.' },
  {
    kind: 'attribute',
    name: cache.ATTR_DOMAIN_CACHE_KEYS,
    constant: 'ATTR_DOMAIN_CACHE_KEYS',
    type: 'string[]',
    requirement: { [CACHE]: 'recommended' },
    brief: 'Keys dropped.',
    note: 'Capped list; `domain.cache.key_count` always carries the full count.',
  },
  { kind: 'attribute', name: cache.ATTR_DOMAIN_CACHE_CAUSE, constant: 'ATTR_DOMAIN_CACHE_CAUSE', type: 'string', requirement: { [CACHE]: 'recommended' }, brief: 'What triggered the invalidation: a record uid or an entity reference.' },
];

const metricAttributes: readonly AttributeEntry[] = [
  {
    kind: 'attribute',
    name: metrics.ATTR_DOMAIN_TELEMETRY_SIGNAL,
    constant: 'ATTR_DOMAIN_TELEMETRY_SIGNAL',
    type: 'string',
    requirement: {},
    brief: 'Signal that lost a record.',
    note: 'Metric attribute of `domain.telemetry.dropped`.',
  },
  {
    kind: 'attribute',
    name: metrics.ATTR_DOMAIN_TELEMETRY_DROP_REASON,
    constant: 'ATTR_DOMAIN_TELEMETRY_DROP_REASON',
    type: 'string',
    requirement: {},
    brief: 'Why a record was lost.',
    note: 'Metric attribute of `domain.telemetry.dropped`.',
  },
];

const enums: readonly EnumEntry[] = [
  {
    kind: 'enum',
    name: audit.ATTR_DOMAIN_AUDIT_ACTION,
    constant: 'AUDIT_ACTION_VALUES',
    brief: 'What the actor asked to do.',
    values: [
      { key: 'CREATE', value: audit.AUDIT_ACTION_VALUES.CREATE, brief: 'Create an entity.' },
      { key: 'READ', value: audit.AUDIT_ACTION_VALUES.READ, brief: 'Read an entity or some of its fields.' },
      { key: 'UPDATE', value: audit.AUDIT_ACTION_VALUES.UPDATE, brief: 'Update an entity.' },
      { key: 'DELETE', value: audit.AUDIT_ACTION_VALUES.DELETE, brief: 'Delete an entity.' },
      { key: 'MUTATION', value: audit.AUDIT_ACTION_VALUES.MUTATION, brief: 'Run a named mutation (an operation that changes state).' },
      { key: 'CUSTOM', value: audit.AUDIT_ACTION_VALUES.CUSTOM, brief: 'Any other application-defined action.' },
    ],
  },
  {
    kind: 'enum',
    name: audit.ATTR_DOMAIN_AUDIT_OUTCOME,
    constant: 'AUDIT_OUTCOME_VALUES',
    brief: 'How the decision went.',
    values: [
      { key: 'GRANTED', value: audit.AUDIT_OUTCOME_VALUES.GRANTED, brief: 'A permission allowed it.' },
      { key: 'DENIED', value: audit.AUDIT_OUTCOME_VALUES.DENIED, brief: 'No permission allowed it.' },
      { key: 'BYPASSED', value: audit.AUDIT_OUTCOME_VALUES.BYPASSED, brief: 'Allowed without a permission check (e.g. superuser).' },
    ],
  },
  {
    kind: 'enum',
    name: audit.ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME,
    constant: 'AUDIT_ACCESS_OUTCOME_VALUES',
    brief: 'How a domain-otel-audit run ended.',
    values: [
      { key: 'SUCCESS', value: audit.AUDIT_ACCESS_OUTCOME_VALUES.SUCCESS, brief: 'The command did what it was asked (verify: found nothing wrong).' },
      { key: 'FAILURE', value: audit.AUDIT_ACCESS_OUTCOME_VALUES.FAILURE, brief: 'It failed, was refused, or verify found a problem.' },
    ],
  },
  {
    kind: 'enum',
    name: mutation.ATTR_DOMAIN_MUTATION_ACTION,
    constant: 'MUTATION_ACTION_VALUES',
    brief: 'Kind of mutation.',
    values: [
      { key: 'CREATE', value: mutation.MUTATION_ACTION_VALUES.CREATE, brief: 'An entity was created.' },
      { key: 'UPDATE', value: mutation.MUTATION_ACTION_VALUES.UPDATE, brief: 'An entity was updated.' },
      { key: 'DELETE', value: mutation.MUTATION_ACTION_VALUES.DELETE, brief: 'An entity was deleted.' },
      { key: 'DEACTIVATE', value: mutation.MUTATION_ACTION_VALUES.DEACTIVATE, brief: 'An entity was deactivated (soft delete).' },
      { key: 'BULK_UPDATE', value: mutation.MUTATION_ACTION_VALUES.BULK_UPDATE, brief: 'Several entities were updated by one operation.' },
      { key: 'BULK_DELETE', value: mutation.MUTATION_ACTION_VALUES.BULK_DELETE, brief: 'Several entities were deleted by one operation.' },
    ],
  },
  {
    kind: 'enum',
    name: mutation.ATTR_DOMAIN_MUTATION_OUTCOME,
    constant: 'MUTATION_OUTCOME_VALUES',
    brief: 'Whether the mutation succeeded.',
    values: [
      { key: 'SUCCESS', value: mutation.MUTATION_OUTCOME_VALUES.SUCCESS, brief: 'The mutation completed.' },
      { key: 'FAILURE', value: mutation.MUTATION_OUTCOME_VALUES.FAILURE, brief: 'The mutation threw or rejected.' },
    ],
  },
  {
    kind: 'enum',
    name: rule.ATTR_DOMAIN_RULE_OUTCOME,
    constant: 'RULE_OUTCOME_VALUES',
    brief: 'Result of a rule evaluation.',
    values: [
      { key: 'PASSED', value: rule.RULE_OUTCOME_VALUES.PASSED, brief: 'The rule held.' },
      { key: 'FAILED', value: rule.RULE_OUTCOME_VALUES.FAILED, brief: 'The rule did not hold.' },
      { key: 'ERROR', value: rule.RULE_OUTCOME_VALUES.ERROR, brief: 'The rule could not be evaluated (it threw).' },
    ],
  },
  {
    kind: 'enum',
    name: cache.ATTR_DOMAIN_CACHE_REASON,
    constant: 'CACHE_REASON_VALUES',
    brief: 'Why cached entries were dropped.',
    values: [
      { key: 'MUTATION', value: cache.CACHE_REASON_VALUES.MUTATION, brief: 'An entity they were built from changed.' },
      { key: 'DEPENDENCY', value: cache.CACHE_REASON_VALUES.DEPENDENCY, brief: 'Another cache entry they depend on was dropped.' },
      { key: 'TTL', value: cache.CACHE_REASON_VALUES.TTL, brief: 'They expired.' },
      { key: 'EVICT', value: cache.CACHE_REASON_VALUES.EVICT, brief: 'The cache evicted them to make room.' },
      { key: 'MANUAL', value: cache.CACHE_REASON_VALUES.MANUAL, brief: 'Application code dropped them explicitly.' },
      { key: 'CLEAR', value: cache.CACHE_REASON_VALUES.CLEAR, brief: 'The whole cache was cleared.' },
    ],
  },
  {
    kind: 'enum',
    name: metrics.ATTR_DOMAIN_TELEMETRY_SIGNAL,
    constant: 'TELEMETRY_SIGNAL_VALUES',
    brief: 'Signal that lost a record.',
    values: [
      { key: 'TRACES', value: metrics.TELEMETRY_SIGNAL_VALUES.TRACES, brief: 'A span.' },
      { key: 'LOGS', value: metrics.TELEMETRY_SIGNAL_VALUES.LOGS, brief: 'A log record or event.' },
      { key: 'METRICS', value: metrics.TELEMETRY_SIGNAL_VALUES.METRICS, brief: 'Reserved: metric points that fail to export are not counted (the failure is reported once through the diag logger).' },
      { key: 'AUDIT', value: metrics.TELEMETRY_SIGNAL_VALUES.AUDIT, brief: 'An audit record (decision or mutation) in its own queue.' },
    ],
  },
  {
    kind: 'enum',
    name: metrics.ATTR_DOMAIN_TELEMETRY_DROP_REASON,
    constant: 'TELEMETRY_DROP_REASON_VALUES',
    brief: 'Why a record was lost (open set).',
    values: [
      { key: 'QUEUE_FULL', value: metrics.TELEMETRY_DROP_REASON_VALUES.QUEUE_FULL, brief: 'The export queue was full.' },
      { key: 'EXPORT_FAILED', value: metrics.TELEMETRY_DROP_REASON_VALUES.EXPORT_FAILED, brief: 'The exporter gave up (non-retryable error or retries exhausted).' },
      { key: 'INTERNAL_ERROR', value: metrics.TELEMETRY_DROP_REASON_VALUES.INTERNAL_ERROR, brief: 'A bug in the telemetry pipeline.' },
      { key: 'REJECTED', value: metrics.TELEMETRY_DROP_REASON_VALUES.REJECTED, brief: 'The receiver refused the record for good (HTTP 400/413, gRPC INVALID_ARGUMENT); audit records are kept in the dead-letter file.' },
      { key: 'SPOOL_FULL', value: metrics.TELEMETRY_DROP_REASON_VALUES.SPOOL_FULL, brief: 'The queue was full or the collector unreachable, and the audit spool on disk had reached its size bound.' },
      { key: 'SHUTDOWN', value: metrics.TELEMETRY_DROP_REASON_VALUES.SHUTDOWN, brief: 'The record arrived after the pipeline had shut down.' },
    ],
  },
];

const m = metrics;
const metricEntries: readonly MetricEntry[] = [
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_AUDIT_DECISIONS,
    constant: 'METRIC_DOMAIN_AUDIT_DECISIONS',
    instrument: 'counter',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_AUDIT_DECISIONS],
    attributes: [audit.ATTR_DOMAIN_AUDIT_ACTION, audit.ATTR_DOMAIN_AUDIT_OUTCOME, common.ATTR_DOMAIN_MANAGER_NAME],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_AUDIT_DECISIONS],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_MANAGER_MUTATIONS,
    constant: 'METRIC_DOMAIN_MANAGER_MUTATIONS',
    instrument: 'counter',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_MANAGER_MUTATIONS],
    attributes: [mutation.ATTR_DOMAIN_MUTATION_ACTION, common.ATTR_DOMAIN_MANAGER_NAME, mutation.ATTR_DOMAIN_MUTATION_OUTCOME],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_MANAGER_MUTATIONS],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_MANAGER_MUTATION_DURATION,
    constant: 'METRIC_DOMAIN_MANAGER_MUTATION_DURATION',
    instrument: 'histogram',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_MANAGER_MUTATION_DURATION],
    attributes: [mutation.ATTR_DOMAIN_MUTATION_ACTION, common.ATTR_DOMAIN_MANAGER_NAME, mutation.ATTR_DOMAIN_MUTATION_OUTCOME],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_MANAGER_MUTATION_DURATION],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_RULE_EVALUATIONS,
    constant: 'METRIC_DOMAIN_RULE_EVALUATIONS',
    instrument: 'counter',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_RULE_EVALUATIONS],
    attributes: [rule.ATTR_DOMAIN_RULE_NAME, rule.ATTR_DOMAIN_RULE_OUTCOME],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_RULE_EVALUATIONS],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_RULE_EVALUATION_DURATION,
    constant: 'METRIC_DOMAIN_RULE_EVALUATION_DURATION',
    instrument: 'histogram',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_RULE_EVALUATION_DURATION],
    attributes: [rule.ATTR_DOMAIN_RULE_NAME, rule.ATTR_DOMAIN_RULE_OUTCOME],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_RULE_EVALUATION_DURATION],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_CACHE_INVALIDATIONS,
    constant: 'METRIC_DOMAIN_CACHE_INVALIDATIONS',
    instrument: 'counter',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_CACHE_INVALIDATIONS],
    attributes: [cache.ATTR_DOMAIN_CACHE_NAME, cache.ATTR_DOMAIN_CACHE_REASON],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_CACHE_INVALIDATIONS],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_CACHE_INVALIDATED_KEYS,
    constant: 'METRIC_DOMAIN_CACHE_INVALIDATED_KEYS',
    instrument: 'counter',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_CACHE_INVALIDATED_KEYS],
    attributes: [cache.ATTR_DOMAIN_CACHE_NAME, cache.ATTR_DOMAIN_CACHE_REASON],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_CACHE_INVALIDATED_KEYS],
  },
  {
    kind: 'metric',
    name: m.METRIC_DOMAIN_TELEMETRY_DROPPED,
    constant: 'METRIC_DOMAIN_TELEMETRY_DROPPED',
    instrument: 'counter',
    unit: m.METRIC_UNITS[m.METRIC_DOMAIN_TELEMETRY_DROPPED],
    attributes: [m.ATTR_DOMAIN_TELEMETRY_SIGNAL, m.ATTR_DOMAIN_TELEMETRY_DROP_REASON],
    brief: m.METRIC_DESCRIPTIONS[m.METRIC_DOMAIN_TELEMETRY_DROPPED],
  },
];

/** Every event, attribute, enum and metric of the domain-otel conventions. */
export const REGISTRY: readonly RegistryEntry[] = [
  ...events,
  ...commonAttributes,
  ...auditAttributes,
  ...accessAttributes,
  ...mutationAttributes,
  ...ruleAttributes,
  ...cacheAttributes,
  ...metricAttributes,
  ...enums,
  ...metricEntries,
];
