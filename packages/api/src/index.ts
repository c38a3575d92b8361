export { actorStorage, getActor, setActor, withActor, type Actor } from './actor.js';
export { audit } from './audit.js';
export { CHANNEL_NAMES, channels, type MessageChannel, type TracedChannel } from './channels.js';
export { AuditDeliveryError, type AuditDeliveryFailure } from './errors.js';
export {
  DeliveryTicket,
  setAuditDeliveryLedger,
  type AuditDeliveryLedger,
  type DeliveryState,
  type DeliveryTicketOptions,
  type NotQueued,
} from './delivery.js';
export { cacheInvalidated, ruleEvaluated } from './events.js';
export { traceAuthz, traceMutation, traceRule } from './trace.js';
export type {
  AuditAction,
  AuditDecision,
  AuditDecisionMessage,
  AuditOutcome,
  AuthzMeta,
  CacheInvalidation,
  CacheInvalidationMessage,
  CacheInvalidationReason,
  FieldChange,
  MutationAction,
  MutationMeta,
  RuleEvaluation,
  RuleEvaluationMessage,
  RuleMeta,
  RuleOutcome,
  TracedContext,
  TracedKind,
} from './types.js';
