import { AUDIT_ACTION_VALUES, AUDIT_OUTCOME_VALUES } from '@domain-otel/semantic-conventions';
import { getActor, snapshotActor } from './actor';
import { channels } from './channels';
import { openDeliveryTicket } from './delivery';
import type { AuditDecision, AuditDecisionMessage } from './types';
import { RESOLVED } from './util';
import { checkEnum, checkName, valueSet } from './validate';

const ACTIONS = valueSet(AUDIT_ACTION_VALUES);
const OUTCOMES = valueSet(AUDIT_OUTCOME_VALUES);
const WHERE = 'audit.decision()';

/**
 * Publishes one authorization decision.
 *
 * Resolves at once unless strict delivery is on (a distribution registered a delivery
 * ledger, see delivery.ts); then it resolves once the record was acknowledged and rejects
 * with `AuditDeliveryError` when it was not (dropped, refused, never recorded, timed out).
 * The returned promise is marked handled, so a caller that does not await it never gets an
 * unhandled rejection. With nothing subscribed and no strict delivery it does no work at all.
 */
function decision(d: AuditDecision): Promise<void> {
  const channel = channels.auditDecision;
  if (!channel.hasSubscribers) return openDeliveryTicket()?.seal() ?? RESOLVED;
  checkEnum(WHERE, 'action', d.action, ACTIONS);
  checkEnum(WHERE, 'outcome', d.outcome, OUTCOMES);
  checkName(WHERE, 'manager', d.manager);
  const message: AuditDecisionMessage = {
    decision: d,
    actor: snapshotActor(d.actor ?? getActor()),
    timestamp: d.timestamp ?? Date.now(),
  };
  const ticket = openDeliveryTicket();
  if (ticket) message.delivery = ticket;
  channel.publish(message);
  return ticket ? ticket.seal() : RESOLVED;
}

/** Audit decisions: `audit.decision({ action, outcome, manager, ... })`. */
export const audit = { decision } as const;
