import * as audit from '../audit';
import * as cache from '../cache';
import * as common from '../common';
import * as metrics from '../metrics';
import * as mutation from '../mutation';
import * as rule from '../rule';
import { attribute, attributesOf } from './entries';
import { ACCESS, AUDIT, CACHE, MUTATION, RULE } from './events';
import type { AttributeEntry } from './model';

const ON_ALL_EVENTS = { [AUDIT]: 'recommended', [MUTATION]: 'recommended', [RULE]: 'recommended', [CACHE]: 'recommended' } as const;
const CONDITIONALLY = 'conditionally_required';
const RESOURCE = 'Resource attribute.';
const OF_DROPPED = 'Metric attribute of `domain.telemetry.dropped`.';

const commonAttributes: readonly AttributeEntry[] = [
  attribute(common, 'ATTR_USER_ID', 'string', { ...ON_ALL_EVENTS, [ACCESS]: 'required' }, 'Stable identifier of the actor.',
    'On `domain.audit.access`: the database login that ran the command.'),
  attribute(common, 'ATTR_USER_NAME', 'string', ON_ALL_EVENTS, 'Display representation of the actor.'),
  attribute(common, 'ATTR_DOMAIN_TENANT_ID', 'string', ON_ALL_EVENTS, 'Tenant / organization the operation belongs to.'),
  attribute(common, 'ATTR_DOMAIN_CORRELATION_ID', 'string', ON_ALL_EVENTS, 'Request / correlation id.',
    'Filled by the distribution for incoming HTTP requests: the first header of `DOMAIN_OTEL_CORRELATION_HEADERS` present (default `x-request-id`, `x-correlation-id`), else the request\'s trace id. Outside an HTTP request it is absent unless the application sets `correlationId` (`withActor` / `setActor`).'),
  attribute(common, 'ATTR_CLIENT_ADDRESS', 'string', ON_ALL_EVENTS, 'Address of the client that made the request.'),
  attribute(common, 'ATTR_USER_AGENT_ORIGINAL', 'string', ON_ALL_EVENTS, "The client's User-Agent header, unmodified."),
  attribute(common, 'ATTR_LOG_RECORD_UID', 'string', { [AUDIT]: 'required', [MUTATION]: 'required', [RULE]: 'recommended', [CACHE]: 'recommended' },
    'Unique id of the record (UUIDv7).', 'The audit sink stores each uid once, turning at-least-once delivery into exactly-once storage.'),
  attribute(common, 'ATTR_ERROR_TYPE', 'string', { [AUDIT]: CONDITIONALLY, [MUTATION]: CONDITIONALLY, [RULE]: CONDITIONALLY },
    'Class of the error that made the operation fail.',
    'Required when the mutation outcome is `failure`, the rule outcome is `error`, or a traced authorization check (`traceAuthz`) threw (the decision is then recorded as `denied`).'),
  attribute(common, 'ATTR_DOMAIN_MANAGER_NAME', 'string', { [AUDIT]: 'required', [MUTATION]: 'required' },
    'Manager (domain service / repository) the operation went through.'),
  attribute(common, 'ATTR_DOMAIN_ENTITY_ID', 'string or int', { [AUDIT]: 'recommended', [MUTATION]: 'conditionally_required' },
    'Identifier of the entity concerned, as the application gave it: a string, or an integer (numbers are not stringified; bigints are).',
    'Required on mutations of a single entity; bulk mutations carry `domain.mutation.count` instead.'),
  attribute(common, 'ATTR_DOMAIN_RECORD_TRUNCATED_VALUES', 'int', { [AUDIT]: CONDITIONALLY, [MUTATION]: CONDITIONALLY, [RULE]: CONDITIONALLY, [CACHE]: CONDITIONALLY },
    'Number of values on the record shortened to the size cap (`DOMAIN_OTEL_MAX_VALUE_BYTES`) or cut at the nesting limit.',
    'Required when anything was shortened; absent otherwise. A shortened string ends with `…[truncated N bytes]`, a cut subtree is `[…]`.'),
  attribute(common, 'ATTR_DOMAIN_RECORD_DROPPED_ENTRIES', 'int', { [AUDIT]: CONDITIONALLY, [MUTATION]: CONDITIONALLY, [RULE]: CONDITIONALLY },
    'Number of entries left out of the record: metadata keys beyond 64, map entries and list items beyond 256, values beyond the record\'s byte budget.',
    'Required when anything was left out; absent otherwise. Never on `domain.cache.invalidation`: its key list is capped on purpose and `domain.cache.key_count` is exact.'),
  attribute(common, 'ATTR_TELEMETRY_DISTRO_NAME', 'string', {}, 'Name of the telemetry distribution.', RESOURCE),
  attribute(common, 'ATTR_TELEMETRY_DISTRO_VERSION', 'string', {}, 'Version of the telemetry distribution.', RESOURCE),
];

const ofAudit = attributesOf(audit, AUDIT);
const auditAttributes: readonly AttributeEntry[] = [
  ofAudit('ATTR_DOMAIN_AUDIT_ACTION', 'string', 'required', 'What the actor asked to do.'),
  ofAudit('ATTR_DOMAIN_AUDIT_OUTCOME', 'string', 'required', 'How the decision went.'),
  ofAudit('ATTR_DOMAIN_AUDIT_ATTRIBUTES', 'string[]', 'recommended', 'Field names the decision covered.'),
  ofAudit('ATTR_DOMAIN_AUDIT_PERMISSIONS', 'string[]', 'recommended', 'Permission expressions that matched.'),
  ofAudit('ATTR_DOMAIN_AUDIT_REASON', 'string', 'recommended', 'Human-readable reason for the decision.'),
  ofAudit('ATTR_DOMAIN_AUDIT_METADATA', 'map', 'recommended', 'Free-form metadata of the decision, as one map.',
    'At most 64 keys (the first ones); keys left out are counted in `domain.record.dropped_entries`. Loki flattens the map into `domain_audit_metadata_<key>` structured metadata.'),
];

const ofAccess = attributesOf(audit, ACCESS);
const hostOfAccess = attributesOf(common, ACCESS);
const accessAttributes: readonly AttributeEntry[] = [
  ofAccess('ATTR_DOMAIN_AUDIT_ACCESS_COMMAND', 'string', 'required',
    'The domain-otel-audit command that ran (query, verify, retain, checkpoint, prove), or the viewer action (ui-search, ui-record, ui-export, ui-proof).'),
  ofAccess('ATTR_DOMAIN_AUDIT_ACCESS_ARGUMENTS', 'string[]', 'required', 'Its arguments, connection strings and tokens redacted.'),
  ofAccess('ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME', 'string', 'required', 'How the run ended.'),
  ofAccess('ATTR_DOMAIN_AUDIT_ACCESS_RESULT', 'string', 'required',
    'One line of what came out: rows returned, verify\'s verdict, segments retired, checkpoint written.'),
  hostOfAccess('ATTR_PROCESS_OWNER', 'string', 'recommended', 'The OS user who ran the command, as the process reports it.'),
  hostOfAccess('ATTR_HOST_NAME', 'string', 'recommended', 'The host the command ran on.'),
];

const ofMutation = attributesOf(mutation, MUTATION);
const mutationAttributes: readonly AttributeEntry[] = [
  ofMutation('ATTR_DOMAIN_MUTATION_ACTION', 'string', 'required', 'Kind of mutation.'),
  ofMutation('ATTR_DOMAIN_MUTATION_COUNT', 'int', 'conditionally_required', 'Number of entities a bulk mutation touched.',
    'Required for `bulk_update` and `bulk_delete`.'),
  ofMutation('ATTR_DOMAIN_MUTATION_CHANGED_FIELDS', 'string[]', 'recommended', 'Names of the fields that changed.'),
  ofMutation('ATTR_DOMAIN_MUTATION_CHANGES', 'map', 'recommended', 'Map field → `{old, new}`.',
    'Present at audit level `changes` and above; redacted keys keep their name with value `[REDACTED]`.'),
  ofMutation('ATTR_DOMAIN_MUTATION_METADATA', 'map', 'recommended', 'Free-form metadata of the mutation, as one map.',
    'At most 64 keys, like `domain.audit.metadata`.'),
  ofMutation('ATTR_DOMAIN_MUTATION_OUTCOME', 'string', 'recommended', 'Whether the mutation succeeded.'),
];

const ofRule = attributesOf(rule, RULE);
const ruleAttributes: readonly AttributeEntry[] = [
  ofRule('ATTR_DOMAIN_RULE_NAME', 'string', 'required', 'Name of the rule.'),
  ofRule('ATTR_DOMAIN_RULE_OUTCOME', 'string', 'required', 'Result of the evaluation.'),
  ofRule('ATTR_DOMAIN_RULE_SET', 'string', 'recommended', 'Rule set (engine, policy) the rule belongs to.'),
  ofRule('ATTR_DOMAIN_RULE_CONDITIONS', 'any', 'recommended', 'Per-condition trace of the evaluation.'),
  ofRule('ATTR_DOMAIN_RULE_INPUT', 'any', 'opt_in', 'Input the rule was evaluated on.', 'Recorded at audit level `full` only.'),
];

const ofCache = attributesOf(cache, CACHE);
const cacheAttributes: readonly AttributeEntry[] = [
  ofCache('ATTR_DOMAIN_CACHE_NAME', 'string', 'required', 'Name of the cache.'),
  ofCache('ATTR_DOMAIN_CACHE_REASON', 'string', 'required', 'Why the entries were dropped.'),
  ofCache('ATTR_DOMAIN_CACHE_KEY_COUNT', 'int', 'required', 'Number of keys dropped.'),
  ofCache('ATTR_DOMAIN_CACHE_KEYS', 'string[]', 'recommended', 'Keys dropped.',
    'Capped list; `domain.cache.key_count` always carries the full count.'),
  ofCache('ATTR_DOMAIN_CACHE_CAUSE', 'string', 'recommended', 'What triggered the invalidation: a record uid or an entity reference.'),
];

const metricAttributes: readonly AttributeEntry[] = [
  attribute(metrics, 'ATTR_DOMAIN_TELEMETRY_SIGNAL', 'string', {}, 'Signal that lost a record.', OF_DROPPED),
  attribute(metrics, 'ATTR_DOMAIN_TELEMETRY_DROP_REASON', 'string', {}, 'Why a record was lost.', OF_DROPPED),
];

export const ATTRIBUTES: readonly AttributeEntry[] = [
  ...commonAttributes, ...auditAttributes, ...accessAttributes, ...mutationAttributes, ...ruleAttributes, ...cacheAttributes, ...metricAttributes,
];
