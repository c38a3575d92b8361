import type { AnyValueMap, LogAttributes } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, MutationMeta } from '@domain-otel/api';
import {
  ATTR_DOMAIN_ENTITY_ID, ATTR_DOMAIN_MANAGER_NAME, ATTR_DOMAIN_MUTATION_ACTION, ATTR_DOMAIN_MUTATION_CHANGED_FIELDS,
  ATTR_DOMAIN_MUTATION_CHANGES, ATTR_DOMAIN_MUTATION_COUNT, ATTR_DOMAIN_MUTATION_OUTCOME, ATTR_ERROR_TYPE,
  EVENT_DOMAIN_MANAGER_MUTATION,
} from '@domain-otel/semantic-conventions';
import { toScalar } from '../any-value';
import { REDACTED } from '../redact';
import { actorAttributes, emitEvent, levelAtLeast, metadataAttributes, redacted, who } from './recorder';
import type { Recorder } from './recorder';

export interface MutationResult {
  durationS: number;
  error?: string;
  endTime: number;
}

/** `domain.manager.mutation`: log event + counter + duration histogram. */
export function recordMutation(r: Recorder, m: MutationMeta, actor: Actor | undefined, res: MutationResult): Promise<void> | undefined {
  const outcome = res.error === undefined ? 'success' : 'failure';
  const bounded = {
    [ATTR_DOMAIN_MUTATION_ACTION]: m.action,
    [ATTR_DOMAIN_MANAGER_NAME]: m.manager,
    [ATTR_DOMAIN_MUTATION_OUTCOME]: outcome,
  };
  r.instruments.mutations.add(1, bounded);
  r.instruments.mutationDuration.record(res.durationS, bounded);
  if (!levelAtLeast(r, 'metadata')) return undefined;
  const attrs: LogAttributes = { ...bounded };
  const entity = toScalar(m.entityId);
  if (entity !== undefined) attrs[ATTR_DOMAIN_ENTITY_ID] = entity;
  if (m.count !== undefined) attrs[ATTR_DOMAIN_MUTATION_COUNT] = m.count;
  if (res.error !== undefined) attrs[ATTR_ERROR_TYPE] = res.error;
  if (levelAtLeast(r, 'changes')) {
    const fields = m.changedFields ?? (m.changes ? Object.keys(m.changes) : undefined);
    if (fields?.length) attrs[ATTR_DOMAIN_MUTATION_CHANGED_FIELDS] = [...fields];
    if (m.changes && Object.keys(m.changes).length > 0) {
      const changes: AnyValueMap = {};
      for (const [field, change] of Object.entries(m.changes)) {
        // the field name stays visible; a secret's old and new values do not
        changes[field] = r.isSecret(field)
          ? { old: REDACTED, new: REDACTED }
          : { old: redacted(r, change?.old), new: redacted(r, change?.new) };
      }
      attrs[ATTR_DOMAIN_MUTATION_CHANGES] = changes;
    }
  }
  metadataAttributes(r, 'domain.mutation.metadata', m.metadata, attrs);
  actorAttributes(r, actor, attrs);
  const target = `${m.manager}${entity !== undefined ? ` ${entity}` : m.count !== undefined ? ` (${m.count} rows)` : ''}`;
  return emitEvent(r, {
    eventName: EVENT_DOMAIN_MANAGER_MUTATION,
    severity: outcome === 'success' ? SeverityNumber.INFO : SeverityNumber.ERROR,
    body: `${who(actor)} ${m.action} ${target}${outcome === 'failure' ? ` failed (${res.error})` : ''}`,
    timestamp: res.endTime,
    attributes: attrs,
    audit: true,
  });
}
