/**
 * The part every adapter test's capture shares: subscribe to every api channel, with the
 * adapter's own handlers on the channels it publishes on, and on every other channel a
 * recorder of the channel's name (an adapter must publish nothing else).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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

/** A handler subscribed to a channel until `off()`. */
function subscription<H>(channel: { subscribe(handler: H): void; unsubscribe(handler: H): unknown }, handler: H) {
  return { on: () => channel.subscribe(handler), off: () => channel.unsubscribe(handler) };
}

/**
 * Subscribes `own` handlers, and a recorder pushing the channel's name into `others` on every
 * channel without one (traced channels: on `start`). When `operation` is given, its storage is
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
  const subscriptions = [
    subscription(channels.auditDecision, own.auditDecision ?? other('audit.decision')),
    subscription(channels.cacheInvalidation, own.cacheInvalidation ?? other('cache.invalidation')),
    subscription(channels.ruleEvaluation, own.ruleEvaluation ?? other('rule.evaluation')),
    subscription(channels.authz, own.authz ?? traced('authz')),
    subscription(channels.mutation, own.mutation ?? traced('mutation')),
    subscription(channels.rule, own.rule ?? traced('rule')),
  ];
  const starts = operation ? [channels.mutation.start, channels.rule.start] : [];
  for (const start of starts) start.bindStore(operation!.storage, operation!.enter ?? ((ctx: object) => ctx));
  for (const s of subscriptions) s.on();
  return () => {
    for (const start of starts) start.unbindStore(operation!.storage);
    for (const s of subscriptions) s.off();
  };
}

/** One cache invalidation, as an adapter published it. */
export interface PublishedInvalidation {
  invalidation: CacheInvalidationMessage['invalidation'];
  actor: CacheInvalidationMessage['actor'];
}

/**
 * For the cache adapters' tests: cache invalidations kept in order, anything published on another
 * channel in `others` (a cache adapter must publish nothing else), and `parentOf(published)`: the
 * traced operation (api context object) each one was published in, the mapping's parent span.
 */
export function captureInvalidations() {
  const invalidations: PublishedInvalidation[] = [];
  const others: string[] = [];
  const parents = new WeakMap<PublishedInvalidation, object | undefined>();
  const current = new AsyncLocalStorage<object>();
  const onCache = (m: CacheInvalidationMessage) => {
    const published = { invalidation: m.invalidation, actor: m.actor };
    parents.set(published, current.getStore());
    invalidations.push(published);
  };
  const stop = subscribeApi({ cacheInvalidation: onCache }, others, { storage: current });
  return {
    invalidations,
    others,
    /** Returns and forgets what was captured so far. */
    take(): PublishedInvalidation[] {
      return invalidations.splice(0);
    },
    parentOf(published: PublishedInvalidation): object | undefined {
      return parents.get(published);
    },
    stop,
  };
}
