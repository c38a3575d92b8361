// Audit decisions: an actor asked to do something and was granted, denied or let through.

/** Event emitted for every authorization decision. */
export const EVENT_DOMAIN_AUDIT_DECISION = 'domain.audit.decision';

/** What the actor asked to do; one of {@link AUDIT_ACTION_VALUES}. */
export const ATTR_DOMAIN_AUDIT_ACTION = 'domain.audit.action';

/** How the decision went; one of {@link AUDIT_OUTCOME_VALUES}. */
export const ATTR_DOMAIN_AUDIT_OUTCOME = 'domain.audit.outcome';

/** Field names the decision covered (string array). */
export const ATTR_DOMAIN_AUDIT_ATTRIBUTES = 'domain.audit.attributes';

/** Permission expressions that matched (string array). */
export const ATTR_DOMAIN_AUDIT_PERMISSIONS = 'domain.audit.permissions';

/** Human-readable reason for the decision. */
export const ATTR_DOMAIN_AUDIT_REASON = 'domain.audit.reason';

/**
 * Free-form metadata of a decision: one map attribute (an AnyValue kvlist) holding at most 64
 * keys; keys left out are counted in `domain.record.dropped_entries`.
 */
export const ATTR_DOMAIN_AUDIT_METADATA = 'domain.audit.metadata';

/** Accepted values of {@link ATTR_DOMAIN_AUDIT_ACTION}. */
export const AUDIT_ACTION_VALUES = {
  CREATE: 'create',
  READ: 'read',
  UPDATE: 'update',
  DELETE: 'delete',
  MUTATION: 'mutation',
  CUSTOM: 'custom',
} as const;
export type AuditAction = (typeof AUDIT_ACTION_VALUES)[keyof typeof AUDIT_ACTION_VALUES];

/** Accepted values of {@link ATTR_DOMAIN_AUDIT_OUTCOME}. */
export const AUDIT_OUTCOME_VALUES = {
  GRANTED: 'granted',
  DENIED: 'denied',
  BYPASSED: 'bypassed',
} as const;
export type AuditOutcome = (typeof AUDIT_OUTCOME_VALUES)[keyof typeof AUDIT_OUTCOME_VALUES];

// Audit of the audit: who read or checked the audit log.

/**
 * Written by the audit sink's own CLI for every query, verify, retain, checkpoint and prove run, and
 * by its viewer for every search, record view, export and proof download; never accepted from applications.
 */
export const EVENT_DOMAIN_AUDIT_ACCESS = 'domain.audit.access';

/** The domain-otel-audit command that ran (query, verify, retain, checkpoint, prove), or the viewer action (ui-search, ui-record, ui-export, ui-proof). */
export const ATTR_DOMAIN_AUDIT_ACCESS_COMMAND = 'domain.audit.access.command';

/** Its arguments (string array), with connection strings and tokens redacted. */
export const ATTR_DOMAIN_AUDIT_ACCESS_ARGUMENTS = 'domain.audit.access.arguments';

/** How the run ended; one of {@link AUDIT_ACCESS_OUTCOME_VALUES}. */
export const ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME = 'domain.audit.access.outcome';

/** One line of what came out: rows returned, verify's verdict, segments retired, checkpoint written. */
export const ATTR_DOMAIN_AUDIT_ACCESS_RESULT = 'domain.audit.access.result';

/** Accepted values of {@link ATTR_DOMAIN_AUDIT_ACCESS_OUTCOME}. */
export const AUDIT_ACCESS_OUTCOME_VALUES = {
  SUCCESS: 'success',
  FAILURE: 'failure',
} as const;
export type AuditAccessOutcome = (typeof AUDIT_ACCESS_OUTCOME_VALUES)[keyof typeof AUDIT_ACCESS_OUTCOME_VALUES];
