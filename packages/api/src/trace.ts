// Operations with duration, published on TracingChannels with the semantics of
// Node's traceSync/tracePromise combined: one call traces sync and async work.
import {
  AUDIT_ACTION_VALUES,
  AUDIT_OUTCOME_VALUES,
  MUTATION_ACTION_VALUES,
  MUTATION_OUTCOME_VALUES,
  RULE_OUTCOME_VALUES,
} from '@domain-otel/semantic-conventions';
import { getActor, snapshotActor } from './actor';
import { channels, type TracedChannel } from './channels';
import { openDeliveryTicket } from './delivery';
import type { DeliveryTicket } from './delivery';
import type { AuthzMeta, MutationMeta, RuleMeta, TracedContext, TracedKind } from './types';
import { hrNow, isThenable } from './util';
import { checkEnum, checkName, valueSet } from './validate';

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

/** Strict delivery: the operation's result once its audit record was acknowledged. */
function afterDelivery<T>(ticket: DeliveryTicket | undefined, value: T): T | Promise<T> {
  return ticket ? ticket.seal().then(() => value) : value;
}

/** Strict delivery: a failed operation rejects with its own error, after the record settled. */
function failAfterDelivery(ticket: DeliveryTicket | undefined, error: unknown): Promise<never> {
  const rethrow = (): never => {
    throw error;
  };
  return ticket ? ticket.seal().then(rethrow, rethrow) : Promise.reject(error);
}

function settleAsync<M>(channel: TracedChannel<M>, ctx: TracedContext<M>, thenable: PromiseLike<unknown>): Promise<unknown> {
  const decide = OUTCOME_RULES[ctx.kind];
  return Promise.resolve(thenable).then(
    (value) => {
      ctx.result = value;
      decide(ctx, false);
      channel.asyncStart.publish(ctx);
      channel.asyncEnd.publish(ctx);
      return afterDelivery(ctx.delivery, value);
    },
    (error: unknown) => {
      ctx.error = error;
      decide(ctx, true);
      channel.error.publish(ctx);
      channel.asyncStart.publish(ctx);
      channel.asyncEnd.publish(ctx);
      return failAfterDelivery(ctx.delivery, error);
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
    void ctx.delivery?.seal(); // synchronous: nothing can wait for the acknowledgement
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
  // Sync results cannot wait for an acknowledgement (the ticket's rejection is handled).
  void ctx.delivery?.seal();
  return result;
}

function traceSubscribed<M, T>(channel: TracedChannel<M>, kind: TracedKind, meta: M, fn: (ctx: TracedContext<M>) => T): T {
  const ctx: TracedContext<M> = { kind, meta, actor: snapshotActor(getActor()), startTime: hrNow() };
  if (kind !== 'rule') {
    const ticket = openDeliveryTicket();
    if (ticket) ctx.delivery = ticket;
  }
  return channel.start.runStores(ctx, () => runTraced(channel, ctx, fn));
}

/**
 * Nothing subscribed but strict delivery on (e.g. after the distribution shut down): the
 * operation runs, and an async one then settles with its ticket, which nobody queued.
 */
function traceUnrecorded<M, T>(ticket: DeliveryTicket, kind: TracedKind, meta: M, fn: (ctx: TracedContext<M>) => T): T {
  let result: T;
  try {
    result = fn.length === 0 ? (fn as () => T)() : fn(idleContext(kind, meta));
  } catch (error) {
    void ticket.seal();
    throw error;
  }
  if (!isThenable(result)) {
    void ticket.seal();
    return result;
  }
  return Promise.resolve(result).then((value) => afterDelivery(ticket, value), (error: unknown) => failAfterDelivery(ticket, error)) as T;
}

function idleOrUnrecorded<M, T>(kind: TracedKind, meta: M, fn: (ctx: TracedContext<M>) => T): T {
  const ticket = openDeliveryTicket();
  if (ticket) return traceUnrecorded(ticket, kind, meta, fn);
  return fn.length === 0 ? (fn as () => T)() : fn(idleContext(kind, meta));
}

/**
 * Traces an authorization check. `fn`'s result decides the outcome (truthy →
 * granted, falsy → denied) unless `fn` sets `ctx.outcome`.
 * See {@link traceMutation} for the publishing and strict-delivery semantics.
 */
export function traceAuthz<T>(meta: AuthzMeta, fn: (ctx: TracedContext<AuthzMeta>) => T): T {
  const channel = channels.authz;
  if (!channel.hasSubscribers) return idleOrUnrecorded('authz', meta, fn);
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
 * - Strict delivery (a distribution registered a delivery ledger, see delivery.ts): the
 *   api opens the record's ticket (`ctx.delivery`) before `start`; an async operation's
 *   promise resolves with its value once the record was acknowledged, or rejects with
 *   `AuditDeliveryError` when it was not (also when nothing recorded it, e.g. after
 *   shutdown). A failed operation still rejects with its own error, after the record
 *   settled. Synchronous results cannot wait: they are returned as is.
 */
export function traceMutation<T>(meta: MutationMeta, fn: (ctx: TracedContext<MutationMeta>) => T): T {
  const channel = channels.mutation;
  if (!channel.hasSubscribers) return idleOrUnrecorded('mutation', meta, fn);
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
