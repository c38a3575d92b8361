// Which events are audit records: the one list the distribution's audit pipeline, the
// collector's `filter/audit` (collector-config/otelcol.yaml, checked by a test) and the audit
// sink select by.
import { EVENT_DOMAIN_AUDIT_DECISION } from './audit';
import { EVENT_DOMAIN_MANAGER_MUTATION } from './mutation';

/**
 * The events that are audit records: never sampled away, delivered through their own queue,
 * stored once by the audit sink. Rule evaluations and cache invalidations are ordinary telemetry.
 */
export const AUDIT_EVENT_NAMES = [EVENT_DOMAIN_AUDIT_DECISION, EVENT_DOMAIN_MANAGER_MUTATION] as const;
export type AuditEventName = (typeof AUDIT_EVENT_NAMES)[number];

/** True when a record with this event name is an audit record. */
export function isAuditEventName(eventName: string | undefined): eventName is AuditEventName {
  return (AUDIT_EVENT_NAMES as readonly (string | undefined)[]).includes(eventName);
}
