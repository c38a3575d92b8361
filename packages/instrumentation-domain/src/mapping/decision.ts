import type { LogAttributes } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, AuditDecision } from '@domain-otel/api';
import {
  ATTR_DOMAIN_AUDIT_ACTION, ATTR_DOMAIN_AUDIT_ATTRIBUTES, ATTR_DOMAIN_AUDIT_OUTCOME, ATTR_DOMAIN_AUDIT_PERMISSIONS,
  ATTR_DOMAIN_AUDIT_REASON, ATTR_DOMAIN_ENTITY_ID, ATTR_DOMAIN_MANAGER_NAME, ATTR_ERROR_TYPE, EVENT_DOMAIN_AUDIT_DECISION,
} from '@domain-otel/semantic-conventions';
import { toScalar } from '../any-value';
import { actorAttributes, emitEvent, levelAtLeast, metadataAttributes, who } from './recorder';
import type { Recorder } from './recorder';

/**
 * `domain.audit.decision`: one log event (never sampled: logs are not subject to trace
 * sampling) plus the `domain.audit.decisions` counter. Denials are WARN.
 */
export function recordDecision(
  r: Recorder, d: AuditDecision, actor: Actor | undefined, timestamp: number, error?: string,
): Promise<void> | undefined {
  r.instruments.decisions.add(1, {
    [ATTR_DOMAIN_AUDIT_ACTION]: d.action,
    [ATTR_DOMAIN_AUDIT_OUTCOME]: d.outcome,
    [ATTR_DOMAIN_MANAGER_NAME]: d.manager,
  });
  if (!levelAtLeast(r, 'metadata')) return undefined;
  const attrs: LogAttributes = {
    [ATTR_DOMAIN_AUDIT_ACTION]: d.action,
    [ATTR_DOMAIN_AUDIT_OUTCOME]: d.outcome,
    [ATTR_DOMAIN_MANAGER_NAME]: d.manager,
  };
  const entity = toScalar(d.entityId);
  if (entity !== undefined) attrs[ATTR_DOMAIN_ENTITY_ID] = entity;
  if (d.reason !== undefined) attrs[ATTR_DOMAIN_AUDIT_REASON] = d.reason;
  if (d.permissions?.length) attrs[ATTR_DOMAIN_AUDIT_PERMISSIONS] = [...d.permissions];
  if (levelAtLeast(r, 'changes') && d.attributes?.length) attrs[ATTR_DOMAIN_AUDIT_ATTRIBUTES] = [...d.attributes];
  if (error !== undefined) attrs[ATTR_ERROR_TYPE] = error;
  metadataAttributes(r, 'domain.audit.metadata', d.metadata, attrs);
  actorAttributes(r, actor, attrs);
  const target = `${d.manager}${entity !== undefined ? ` ${entity}` : ''}`;
  return emitEvent(r, {
    eventName: EVENT_DOMAIN_AUDIT_DECISION,
    severity: d.outcome === 'denied' ? SeverityNumber.WARN : SeverityNumber.INFO,
    body: `${who(actor)} ${d.outcome} ${d.action} on ${target}${d.reason ? `: ${d.reason}` : ''}`,
    timestamp,
    attributes: attrs,
    audit: true,
  });
}
