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
