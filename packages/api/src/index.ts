export { ACTOR_ATTRIBUTES, actorStorage, getActor, setActor, withActor, type Actor } from './actor';
export { audit } from './audit';
export { failureReporter, isThenable, type FailureLog, type FailureReporter } from './adapter-kit';
export { nameRegistry, type NameRegistry } from './object-names';
export { CHANNEL_NAMES, channels, type MessageChannel, type TracedChannel } from './channels';
export { AuditDeliveryError, type AuditDeliveryFailure } from './errors';
export {
  DeliveryTicket,
  setAuditDeliveryLedger,
  type AuditDeliveryLedger,
  type DeliveryState,
  type DeliveryTicketOptions,
  type NotQueued,
} from './delivery';
export { cacheInvalidated, ruleEvaluated } from './events';
export { traceAuthz, traceMutation, traceRule } from './trace';
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
} from './types';
