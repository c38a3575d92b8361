/**
 * The part every adapter test's capture shares: subscribe to every api channel, with the
 * adapter's own handlers on the channels it publishes on, and on every other channel a
 * recorder of the channel's name (an adapter must publish nothing else).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { TracingChannelSubscribers } from 'node:diagnostics_channel';
import { channels } from '@domain-otel/api';
import type {
  AuditDecisionMessage, AuthzMeta, CacheInvalidationMessage, MutationMeta, RuleEvaluationMessage, RuleMeta, TracedContext,
} from '@domain-otel/api';

export interface ApiHandlers {
  auditDecision?: (m: AuditDecisionMessage) => void;
  cacheInvalidation?: (m: CacheInvalidationMessage) => void;
  ruleEvaluation?: (m: RuleEvaluationMessage) => void;
  authz?: TracingChannelSubscribers<TracedContext<AuthzMeta>>;
  mutation?: TracingChannelSubscribers<TracedContext<MutationMeta>>;
  rule?: TracingChannelSubscribers<TracedContext<RuleMeta>>;
}

/** Names recorded in `others`, per channel. */
const OTHER_NAMES = {
  auditDecision: 'audit.decision', cacheInvalidation: 'cache.invalidation', ruleEvaluation: 'rule.evaluation',
  authz: 'authz', mutation: 'mutation', rule: 'rule',
} as const;

/**
 * Subscribes `own` handlers, and a recorder pushing the channel's name into `others` on every
 * channel without one (traced channels: on `start`). When `operation` is given, the store is
 * bound on the mutation and rule `start` channels, so it tells which traced operation (the
 * mapping's parent span) a piece of code ran in; `enter` maps the operation's context first.
 * Returns the unsubscribe function.
 */
export function subscribeApi(
  own: ApiHandlers,
  others: string[],
  operation?: { storage: AsyncLocalStorage<object>; enter?: (ctx: object) => object },
): () => void {
  const other = (name: string) => () => { others.push(name); };
  const traced = (name: string) => ({ start: other(name), end() {}, asyncStart() {}, asyncEnd() {}, error() {} });
  const h = {
    auditDecision: own.auditDecision ?? other(OTHER_NAMES.auditDecision),
    cacheInvalidation: own.cacheInvalidation ?? other(OTHER_NAMES.cacheInvalidation),
    ruleEvaluation: own.ruleEvaluation ?? other(OTHER_NAMES.ruleEvaluation),
    authz: own.authz ?? traced(OTHER_NAMES.authz),
    mutation: own.mutation ?? traced(OTHER_NAMES.mutation),
    rule: own.rule ?? traced(OTHER_NAMES.rule),
  };
  const enter = operation?.enter ?? ((ctx: object) => ctx);
  if (operation) {
    channels.mutation.start.bindStore(operation.storage, enter);
    channels.rule.start.bindStore(operation.storage, enter);
  }
  channels.auditDecision.subscribe(h.auditDecision);
  channels.cacheInvalidation.subscribe(h.cacheInvalidation);
  channels.ruleEvaluation.subscribe(h.ruleEvaluation);
  channels.authz.subscribe(h.authz);
  channels.mutation.subscribe(h.mutation);
  channels.rule.subscribe(h.rule);
  return () => {
    if (operation) {
      channels.mutation.start.unbindStore(operation.storage);
      channels.rule.start.unbindStore(operation.storage);
    }
    channels.auditDecision.unsubscribe(h.auditDecision);
    channels.cacheInvalidation.unsubscribe(h.cacheInvalidation);
    channels.ruleEvaluation.unsubscribe(h.ruleEvaluation);
    channels.authz.unsubscribe(h.authz);
    channels.mutation.unsubscribe(h.mutation);
    channels.rule.unsubscribe(h.rule);
  };
}
