import type { Actor } from '@domain-otel/api';
import { ATTR_DOMAIN_ENTITY_ID, ATTR_DOMAIN_MANAGER_NAME } from '@domain-otel/semantic-conventions';
import { toScalar } from '../any-value';
import { RecordBuilder } from './record-builder';
import type { Recorder } from './recorder';

/** An operation an actor ran through a manager: an audit decision or a mutation. */
export interface ManagerOperation {
  /** The attribute keys of this event's action and outcome. */
  readonly keys: { readonly action: string; readonly outcome: string };
  readonly action: string;
  readonly outcome: string;
  readonly manager: string;
  readonly entityId?: string | number;
}

/**
 * Starts the record of a manager operation with what decisions and mutations share: the action,
 * outcome, manager and entity id. `target` is the manager and the entity as the body names them.
 */
export function startOperationRecord(
  r: Recorder, actor: Actor | undefined, timestamp: number, op: ManagerOperation,
): { b: RecordBuilder; entity: string | number | undefined; target: string } {
  const entity = toScalar(op.entityId);
  const b = new RecordBuilder(r, actor, timestamp)
    .text(op.keys.action, op.action)
    .text(op.keys.outcome, op.outcome)
    .text(ATTR_DOMAIN_MANAGER_NAME, op.manager)
    .scalar(ATTR_DOMAIN_ENTITY_ID, entity);
  return { b, entity, target: `${op.manager}${entity !== undefined ? ` ${entity}` : ''}` };
}
