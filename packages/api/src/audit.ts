import { AUDIT_ACTION_VALUES, AUDIT_OUTCOME_VALUES } from '@domain-otel/semantic-conventions';
import { getActor, snapshotActor } from './actor.js';
import { channels } from './channels.js';
import type { AuditDecision, AuditDecisionMessage } from './types.js';
import { RESOLVED, isThenable, noop } from './util.js';
import { checkEnum, checkName, valueSet } from './validate.js';

const ACTIONS = valueSet(AUDIT_ACTION_VALUES);
const OUTCOMES = valueSet(AUDIT_OUTCOME_VALUES);
const WHERE = 'audit.decision()';

/**
 * Publishes one authorization decision.
 *
 * Resolves at once unless a subscriber asked for strict delivery (by setting
 * `msg.ack`); then it settles with that acknowledgement and rejects with the
 * subscriber's `AuditDeliveryError` when the record could not be delivered. The
 * returned promise is marked handled, so a caller that does not await it never
 * gets an unhandled rejection. With nothing subscribed it does no work at all.
 */
function decision(d: AuditDecision): Promise<void> {
  const channel = channels.auditDecision;
  if (!channel.hasSubscribers) return RESOLVED;
  checkEnum(WHERE, 'action', d.action, ACTIONS);
  checkEnum(WHERE, 'outcome', d.outcome, OUTCOMES);
  checkName(WHERE, 'manager', d.manager);
  const message: AuditDecisionMessage = {
    decision: d,
    actor: snapshotActor(d.actor ?? getActor()),
    timestamp: d.timestamp ?? Date.now(),
  };
  channel.publish(message);
  const ack: unknown = message.ack;
  if (!isThenable(ack)) return RESOLVED;
  const promise = ack instanceof Promise ? (ack as Promise<void>) : Promise.resolve(ack).then(noop);
  promise.then(undefined, noop);
  return promise;
}

/** Audit decisions: `audit.decision({ action, outcome, manager, ... })`. */
export const audit = { decision } as const;
