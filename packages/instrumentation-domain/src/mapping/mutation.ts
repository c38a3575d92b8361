import type { AnyValueMap } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, MutationMeta } from '@domain-otel/api';
import {
  ATTR_DOMAIN_MANAGER_NAME, ATTR_DOMAIN_MUTATION_ACTION, ATTR_DOMAIN_MUTATION_CHANGED_FIELDS,
  ATTR_DOMAIN_MUTATION_CHANGES, ATTR_DOMAIN_MUTATION_COUNT, ATTR_DOMAIN_MUTATION_METADATA, ATTR_DOMAIN_MUTATION_OUTCOME,
  ATTR_ERROR_TYPE, EVENT_DOMAIN_MANAGER_MUTATION,
} from '@domain-otel/semantic-conventions';
import { MAX_ENTRIES } from '../any-value';
import { REDACTED } from '../redact';
import { startOperationRecord } from './manager-operation';
import { emitEvent, levelAtLeast, metricText, who } from './recorder';
import type { Recorder } from './recorder';
import type { RecordBuilder } from './record-builder';

const MUTATION_KEYS = { action: ATTR_DOMAIN_MUTATION_ACTION, outcome: ATTR_DOMAIN_MUTATION_OUTCOME };

export interface MutationResult {
  durationS: number;
  error?: string;
  endTime: number;
}

/** `domain.manager.mutation`: log event + counter + duration histogram. */
export function recordMutation(r: Recorder, m: MutationMeta, actor: Actor | undefined, res: MutationResult): Promise<void> | undefined {
  const outcome = res.error === undefined ? 'success' : 'failure';
  const bounded = {
    [ATTR_DOMAIN_MUTATION_ACTION]: metricText(r, m.action),
    [ATTR_DOMAIN_MANAGER_NAME]: metricText(r, m.manager),
    [ATTR_DOMAIN_MUTATION_OUTCOME]: outcome,
  };
  r.instruments.mutations.add(1, bounded);
  r.instruments.mutationDuration.record(res.durationS, bounded);
  if (!levelAtLeast(r, 'metadata')) return undefined;
  const { b, entity, target } = startOperationRecord(r, actor, res.endTime, {
    keys: MUTATION_KEYS, action: m.action, outcome, manager: m.manager, entityId: m.entityId,
  });
  b.number(ATTR_DOMAIN_MUTATION_COUNT, m.count).text(ATTR_ERROR_TYPE, res.error);
  if (levelAtLeast(r, 'changes')) {
    b.strings(ATTR_DOMAIN_MUTATION_CHANGED_FIELDS, m.changedFields ?? (m.changes ? Object.keys(m.changes) : undefined));
    if (m.changes && Object.keys(m.changes).length > 0) b.set(ATTR_DOMAIN_MUTATION_CHANGES, changesMap(r, b, m.changes));
  }
  b.metadata(ATTR_DOMAIN_MUTATION_METADATA, m.metadata);
  const rows = entity === undefined && m.count !== undefined ? ` (${m.count} rows)` : '';
  const body = b.body(`${who(actor)} ${m.action} ${target}${rows}${outcome === 'failure' ? ` failed (${res.error})` : ''}`);
  return emitEvent(r, {
    eventName: EVENT_DOMAIN_MANAGER_MUTATION,
    severity: outcome === 'success' ? SeverityNumber.INFO : SeverityNumber.ERROR,
    body,
    timestamp: res.endTime,
    attributes: b.finish(),
    audit: true,
  });
}

/** field → { old, new }: at most MAX_ENTRIES fields; a secret field keeps its name, not its values. */
function changesMap(r: Recorder, b: RecordBuilder, changes: NonNullable<MutationMeta['changes']>): AnyValueMap {
  const out: AnyValueMap = {};
  const entries = Object.entries(changes);
  let kept = 0;
  for (const [field, change] of entries) {
    if (kept >= MAX_ENTRIES || b.spent) break;
    const name = b.shapeValue(field) as string;
    out[name] = r.isSecret(field)
      ? { old: REDACTED, new: REDACTED }
      : { old: b.shapeValue(change?.old), new: b.shapeValue(change?.new) };
    kept++;
  }
  b.countDropped(entries.length - kept);
  return out;
}
