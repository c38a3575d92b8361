import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, AuditDecision } from '@domain-otel/api';
import {
  ATTR_DOMAIN_AUDIT_ACTION, ATTR_DOMAIN_AUDIT_ATTRIBUTES, ATTR_DOMAIN_AUDIT_METADATA, ATTR_DOMAIN_AUDIT_OUTCOME,
  ATTR_DOMAIN_AUDIT_PERMISSIONS, ATTR_DOMAIN_AUDIT_REASON, ATTR_DOMAIN_MANAGER_NAME, ATTR_ERROR_TYPE,
  EVENT_DOMAIN_AUDIT_DECISION,
} from '@domain-otel/semantic-conventions';
import { startOperationRecord } from './manager-operation';
import { emitEvent, levelAtLeast, metricText, who } from './recorder';
import type { Recorder } from './recorder';

const DECISION_KEYS = { action: ATTR_DOMAIN_AUDIT_ACTION, outcome: ATTR_DOMAIN_AUDIT_OUTCOME };

/**
 * `domain.audit.decision`: one log event (never sampled: logs are not subject to trace
 * sampling) plus the `domain.audit.decisions` counter. Denials are WARN.
 */
export function recordDecision(
  r: Recorder, d: AuditDecision, actor: Actor | undefined, timestamp: number, error?: string,
): Promise<void> | undefined {
  r.instruments.decisions.add(1, {
    [ATTR_DOMAIN_AUDIT_ACTION]: metricText(r, d.action),
    [ATTR_DOMAIN_AUDIT_OUTCOME]: metricText(r, d.outcome),
    [ATTR_DOMAIN_MANAGER_NAME]: metricText(r, d.manager),
  });
  if (!levelAtLeast(r, 'metadata')) return undefined;
  const { b, target } = startOperationRecord(r, actor, timestamp, {
    keys: DECISION_KEYS, action: d.action, outcome: d.outcome, manager: d.manager, entityId: d.entityId,
  });
  b.text(ATTR_ERROR_TYPE, error)
    .value(ATTR_DOMAIN_AUDIT_REASON, d.reason)
    .strings(ATTR_DOMAIN_AUDIT_PERMISSIONS, d.permissions);
  if (levelAtLeast(r, 'changes')) b.strings(ATTR_DOMAIN_AUDIT_ATTRIBUTES, d.attributes);
  b.metadata(ATTR_DOMAIN_AUDIT_METADATA, d.metadata);
  const body = b.body(`${who(actor)} ${d.outcome} ${d.action} on ${target}${d.reason ? `: ${d.reason}` : ''}`);
  return emitEvent(r, {
    eventName: EVENT_DOMAIN_AUDIT_DECISION,
    severity: d.outcome === 'denied' ? SeverityNumber.WARN : SeverityNumber.INFO,
    body,
    timestamp,
    attributes: b.finish(),
    audit: true,
  });
}
