import * as audit from '../audit';
import * as cache from '../cache';
import * as metrics from '../metrics';
import * as mutation from '../mutation';
import * as rule from '../rule';
import { enumOf } from './entries';
import type { EnumEntry } from './model';

export const ENUMS: readonly EnumEntry[] = [
  enumOf(audit, 'AUDIT_ACTION_VALUES', audit.ATTR_DOMAIN_AUDIT_ACTION, 'What the actor asked to do.', {
    CREATE: 'Create an entity.',
    READ: 'Read an entity or some of its fields.',
    UPDATE: 'Update an entity.',
    DELETE: 'Delete an entity.',
    MUTATION: 'Run a named mutation (an operation that changes state).',
    CUSTOM: 'Any other application-defined action.',
  }),
  enumOf(audit, 'AUDIT_OUTCOME_VALUES', audit.ATTR_DOMAIN_AUDIT_OUTCOME, 'How the decision went.', {
    GRANTED: 'A permission allowed it.',
    DENIED: 'No permission allowed it.',
    BYPASSED: 'Allowed without a permission check (e.g. superuser).',
  }),
  enumOf(audit, 'AUDIT_ACCESS_OUTCOME_VALUES', audit.ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME, 'How a domain-otel-audit run ended.', {
    SUCCESS: 'The command did what it was asked (verify: found nothing wrong).',
    FAILURE: 'It failed, was refused, or verify found a problem.',
  }),
  enumOf(mutation, 'MUTATION_ACTION_VALUES', mutation.ATTR_DOMAIN_MUTATION_ACTION, 'Kind of mutation.', {
    CREATE: 'An entity was created.',
    UPDATE: 'An entity was updated.',
    DELETE: 'An entity was deleted.',
    DEACTIVATE: 'An entity was deactivated (soft delete).',
    BULK_UPDATE: 'Several entities were updated by one operation.',
    BULK_DELETE: 'Several entities were deleted by one operation.',
  }),
  enumOf(mutation, 'MUTATION_OUTCOME_VALUES', mutation.ATTR_DOMAIN_MUTATION_OUTCOME, 'Whether the mutation succeeded.', {
    SUCCESS: 'The mutation completed.',
    FAILURE: 'The mutation threw or rejected.',
  }),
  enumOf(rule, 'RULE_OUTCOME_VALUES', rule.ATTR_DOMAIN_RULE_OUTCOME, 'Result of a rule evaluation.', {
    PASSED: 'The rule held.',
    FAILED: 'The rule did not hold.',
    ERROR: 'The rule could not be evaluated (it threw).',
  }),
  enumOf(cache, 'CACHE_REASON_VALUES', cache.ATTR_DOMAIN_CACHE_REASON, 'Why cached entries were dropped.', {
    MUTATION: 'An entity they were built from changed.',
    DEPENDENCY: 'Another cache entry they depend on was dropped.',
    TTL: 'They expired.',
    EVICT: 'The cache evicted them to make room.',
    MANUAL: 'Application code dropped them explicitly.',
    CLEAR: 'The whole cache was cleared.',
  }),
  enumOf(metrics, 'TELEMETRY_SIGNAL_VALUES', metrics.ATTR_DOMAIN_TELEMETRY_SIGNAL, 'Signal that lost a record.', {
    TRACES: 'A span.',
    LOGS: 'A log record or event.',
    METRICS: 'Reserved: metric points that fail to export are not counted (the failure is reported once through the diag logger).',
    AUDIT: 'An audit record (decision or mutation) in its own queue.',
  }),
  enumOf(metrics, 'TELEMETRY_DROP_REASON_VALUES', metrics.ATTR_DOMAIN_TELEMETRY_DROP_REASON, 'Why a record was lost (open set).', {
    QUEUE_FULL: 'The export queue was full.',
    EXPORT_FAILED: 'The exporter gave up (non-retryable error or retries exhausted).',
    INTERNAL_ERROR: 'A bug in the telemetry pipeline.',
    REJECTED: 'The receiver refused the record for good (HTTP 400/413, gRPC INVALID_ARGUMENT); audit records are kept in the dead-letter file.',
    SPOOL_FULL: 'The queue was full or the collector unreachable, and the audit spool on disk had reached its size bound.',
    SHUTDOWN: 'The record arrived after the pipeline had shut down.',
  }),
];
