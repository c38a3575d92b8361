// Operations with duration, published on TracingChannels with the semantics of
// Node's traceSync/tracePromise combined: one call traces sync and async work.
import {
  AUDIT_ACTION_VALUES,
  AUDIT_OUTCOME_VALUES,
  MUTATION_ACTION_VALUES,
  MUTATION_OUTCOME_VALUES,
  RULE_OUTCOME_VALUES,
} from '@domain-otel/semantic-conventions';
import { getActor, snapshotActor } from './actor.js';
import { channels, type TracedChannel } from './channels.js';
import type { AuthzMeta, MutationMeta, RuleMeta, TracedContext, TracedKind } from './types.js';
import { hrNow, isThenable, noop } from './util.js';
import { checkEnum, checkName, valueSet } from './validate.js';

const AUDIT_ACTIONS = valueSet(AUDIT_ACTION_VALUES);
const MUTATION_ACTIONS = valueSet(MUTATION_ACTION_VALUES);

type OutcomeRule = (ctx: TracedContext<unknown>, failed: boolean) => void;

/** Fills `ctx.outcome` when the traced function did not set it (see TracedContext.outcome). */
const OUTCOME_RULES: Record<TracedKind, OutcomeRule> = {
  authz(ctx, failed) {
    if (ctx.outcome === undefined && !failed) {
      ctx.outcome = ctx.result ? AUDIT_OUTCOME_VALUES.GRANTED : AUDIT_OUTCOME_VALUES.DENIED;
    }
  },
  mutation(ctx, failed) {
    if (ctx.outcome === undefined) ctx.outcome = failed ? MUTATION_OUTCOME_VALUES.FAILURE : MUTATION_OUTCOME_VALUES.SUCCESS;
  },
  rule(ctx, failed) {
    if (ctx.outcome !== undefined) return;
    if (failed) ctx.outcome = RULE_OUTCOME_VALUES.ERROR;
    else if (typeof ctx.result === 'boolean') ctx.outcome = ctx.result ? RULE_OUTCOME_VALUES.PASSED : RULE_OUTCOME_VALUES.FAILED;
  },
};

/**
 * Context handed to a traced function when nothing listens (only if it declares
 * a parameter). No clock read: `startTime` is 0, and `actor` is the live scope object.
 */
function idleContext<M>(kind: TracedKind, meta: M): TracedContext<M> {
  return { kind, meta, actor: getActor(), startTime: 0 };
}

function settleAsync<M>(channel: TracedChannel<M>, ctx: TracedContext<M>, thenable: PromiseLike<unknown>): Promise<unknown> {
  const decide = OUTCOME_RULES[ctx.kind];
  return Promise.resolve(thenable).then(
    (value) => {
      ctx.result = value;
      decide(ctx, false);
      channel.asyncStart.publish(ctx);
      channel.asyncEnd.publish(ctx);
      const ack = ctx.ack;
      return isThenable(ack) ? Promise.resolve(ack).then(() => value) : value;
    },
    (error: unknown) => {
      ctx.error = error;
      decide(ctx, true);
      channel.error.publish(ctx);
      channel.asyncStart.publish(ctx);
      channel.asyncEnd.publish(ctx);
      const ack = ctx.ack;
      if (!isThenable(ack)) throw error;
      // The operation's own error wins over a delivery failure.
      const rethrow = (): never => {
        throw error;
      };
      return Promise.resolve(ack).then(rethrow, rethrow);
    },
  );
}

function runTraced<M, T>(channel: TracedChannel<M>, ctx: TracedContext<M>, fn: (ctx: TracedContext<M>) => T): T {
  const decide = OUTCOME_RULES[ctx.kind];
  let result: T;
  try {
    result = fn(ctx);
  } catch (error) {
    ctx.async = false;
    ctx.error = error;
    decide(ctx, true);
    channel.error.publish(ctx);
    channel.end.publish(ctx);
    throw error;
  }
  if (isThenable(result)) {
    ctx.async = true;
    channel.end.publish(ctx);
    // T is the thenable's type; the caller gets a native promise of the same value.
    return settleAsync(channel, ctx, result) as T;
  }
  ctx.async = false;
  ctx.result = result;
  decide(ctx, false);
  channel.end.publish(ctx);
  // Sync results cannot wait for an acknowledgement; keep an ignored ack from
  // becoming an unhandled rejection.
  const ack: unknown = ctx.ack;
  if (isThenable(ack)) ack.then(undefined, noop);
  return result;
}

function traceSubscribed<M, T>(channel: TracedChannel<M>, kind: TracedKind, meta: M, fn: (ctx: TracedContext<M>) => T): T {
  const ctx: TracedContext<M> = { kind, meta, actor: snapshotActor(getActor()), startTime: hrNow() };
  return channel.start.runStores(ctx, () => runTraced(channel, ctx, fn));
}

/**
 * Traces an authorization check. `fn`'s result decides the outcome (truthy →
 * granted, falsy → denied) unless `fn` sets `ctx.outcome`.
 * See {@link traceMutation} for the publishing and strict-delivery semantics.
 */
export function traceAuthz<T>(meta: AuthzMeta, fn: (ctx: TracedContext<AuthzMeta>) => T): T {
  const channel = channels.authz;
  if (!channel.hasSubscribers) return fn.length === 0 ? (fn as () => T)() : fn(idleContext('authz', meta));
  checkEnum('traceAuthz()', 'action', meta.action, AUDIT_ACTIONS);
  checkName('traceAuthz()', 'manager', meta.manager);
  return traceSubscribed(channel, 'authz', meta, fn);
}

/**
 * Traces a mutation through a manager.
 *
 * - Nothing subscribed: calls `fn` directly (with a context only if it declares a parameter).
 * - Subscribed: `start` is published through `start.runStores(ctx, …)` around `fn`,
 *   so stores bound on `start` are active inside `fn`; `end` when `fn` returns or
 *   throws; `error` when it throws or its thenable rejects; `asyncStart` then
 *   `asyncEnd` when a returned thenable settles. `ctx.result` / `ctx.error` are set first.
 * - Errors propagate unchanged (same object). Sync results are returned as is;
 *   thenables are replaced by a native promise of the same value.
 * - Strict delivery: if a subscriber sets `ctx.ack` by the time an async operation
 *   settles, the returned promise waits for it: it resolves with the operation's
 *   value once `ctx.ack` resolves, or rejects with `ctx.ack`'s reason (an
 *   `AuditDeliveryError`). A failed operation still rejects with its own error.
 *   For synchronous results `ctx.ack` is ignored.
 */
export function traceMutation<T>(meta: MutationMeta, fn: (ctx: TracedContext<MutationMeta>) => T): T {
  const channel = channels.mutation;
  if (!channel.hasSubscribers) return fn.length === 0 ? (fn as () => T)() : fn(idleContext('mutation', meta));
  checkEnum('traceMutation()', 'action', meta.action, MUTATION_ACTIONS);
  checkName('traceMutation()', 'manager', meta.manager);
  return traceSubscribed(channel, 'mutation', meta, fn);
}

/**
 * Traces a rule (or rule set) run. A boolean result sets the outcome
 * (`passed`/`failed`); otherwise `fn` may set `ctx.outcome`.
 * See {@link traceMutation} for the publishing and strict-delivery semantics.
 */
export function traceRule<T>(meta: RuleMeta, fn: (ctx: TracedContext<RuleMeta>) => T): T {
  const channel = channels.rule;
  if (!channel.hasSubscribers) return fn.length === 0 ? (fn as () => T)() : fn(idleContext('rule', meta));
  checkName('traceRule()', 'name', meta.name);
  return traceSubscribed(channel, 'rule', meta, fn);
}
