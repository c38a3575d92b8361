import { context, diag, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { Actor, AuthzMeta, MutationMeta, RuleMeta, TracedContext } from '@domain-otel/api';
import {
  ATTR_DOMAIN_AUDIT_ACTION, ATTR_DOMAIN_AUDIT_OUTCOME, ATTR_DOMAIN_CORRELATION_ID, ATTR_DOMAIN_ENTITY_ID,
  ATTR_DOMAIN_MANAGER_NAME, ATTR_DOMAIN_MUTATION_ACTION, ATTR_DOMAIN_MUTATION_COUNT, ATTR_DOMAIN_RULE_NAME,
  ATTR_DOMAIN_RULE_OUTCOME, ATTR_DOMAIN_RULE_SET, ATTR_DOMAIN_TENANT_ID, ATTR_ERROR_TYPE, ATTR_USER_ID,
} from '@domain-otel/semantic-conventions';
import { toScalar } from '../any-value';
import { recordDecision } from './decision';
import { recordMutation } from './mutation';
import { recordRuleEvaluation } from './rule';
import { errorType } from './recorder';
import type { Recorder } from './recorder';

export type TracedKind = 'authz' | 'mutation' | 'rule';
type AnyTraced = TracedContext<AuthzMeta> | TracedContext<MutationMeta> | TracedContext<RuleMeta>;

interface OpState {
  /** undefined: an authorization check recorded without a span (Recorder.authzSpans). */
  span: Span | undefined;
  started: number;
  finished: boolean;
}

/** The operation's state, kept on the api's context object itself (a WeakMap entry per operation cost more). */
const STATE = Symbol('domain-otel.operation');
type WithState = AnyTraced & { [STATE]?: OpState };

/**
 * Fallback store when no AsyncLocalStorage was handed over: Node < 26 enters stores with
 * `store.run(value, fn)`, which maps onto context.with(); Node 26 uses `withScope`, which
 * cannot be expressed through the public context API, so spans there do not parent inner work.
 */
export const fallbackContextStore = {
  run<R>(ctx: Context, fn: (...args: unknown[]) => R, ...args: unknown[]): R {
    return context.with(ctx, fn, undefined, ...args);
  },
  withScope(): Disposable {
    diag.debug('domain-otel: no context storage given; traced operations do not parent inner work on this Node version');
    return { [Symbol.dispose]() {} };
  },
};

function spanName(kind: TracedKind, c: AnyTraced): string {
  if (kind === 'authz') { const m = c.meta as AuthzMeta; return `authz ${m.action} ${m.manager}`; }
  if (kind === 'mutation') { const m = c.meta as MutationMeta; return `${m.action} ${m.manager}`; }
  const m = c.meta as RuleMeta;
  return `rule ${m.set ?? m.name}`;
}

function spanAttributes(kind: TracedKind, c: AnyTraced): Attributes {
  const a: Attributes = {};
  const actor: Actor | undefined = c.actor;
  if (actor?.id !== undefined) a[ATTR_USER_ID] = String(actor.id);
  if (actor?.tenant !== undefined) a[ATTR_DOMAIN_TENANT_ID] = String(actor.tenant);
  if (actor?.correlationId !== undefined) a[ATTR_DOMAIN_CORRELATION_ID] = actor.correlationId;
  if (kind === 'rule') {
    const m = c.meta as RuleMeta;
    a[ATTR_DOMAIN_RULE_NAME] = m.name;
    if (m.set !== undefined) a[ATTR_DOMAIN_RULE_SET] = m.set;
    return a;
  }
  const m = c.meta as AuthzMeta | MutationMeta;
  a[ATTR_DOMAIN_MANAGER_NAME] = m.manager;
  a[kind === 'authz' ? ATTR_DOMAIN_AUDIT_ACTION : ATTR_DOMAIN_MUTATION_ACTION] = m.action;
  const entity = toScalar(m.entityId);
  if (entity !== undefined) a[ATTR_DOMAIN_ENTITY_ID] = entity;
  if (kind === 'mutation' && (m as MutationMeta).count !== undefined) a[ATTR_DOMAIN_MUTATION_COUNT] = (m as MutationMeta).count as number;
  return a;
}

/** start: open the span as a child of the active one; the returned context is active while fn runs. */
export function startOperation(r: Recorder, kind: TracedKind, c: AnyTraced): Context {
  const parent = context.active();
  if (kind === 'authz' && !r.authzSpans) {
    (c as WithState)[STATE] = { span: undefined, started: performance.now(), finished: false };
    return parent;
  }
  const span = r.tracer.startSpan(spanName(kind, c), { kind: SpanKind.INTERNAL, attributes: spanAttributes(kind, c) }, parent);
  (c as WithState)[STATE] = { span, started: performance.now(), finished: false };
  return trace.setSpan(parent, span);
}

/**
 * end/asyncEnd: close the span, emit the record and metrics. Strict delivery: the caller runs
 * this in a context holding the operation's DeliveryTicket (see instrumentation.ts).
 */
export function finishOperation(r: Recorder, kind: TracedKind, c: AnyTraced): void {
  const state = (c as WithState)[STATE];
  if (!state || state.finished) return;
  state.finished = true;
  const { span } = state;
  const durationS = (performance.now() - state.started) / 1000;
  const endTime = Date.now();
  const failed = 'error' in c && c.error !== undefined;
  const error = failed ? errorType(c.error) : undefined;
  if (failed && span) {
    span.setAttribute(ATTR_ERROR_TYPE, error as string);
    if (c.error instanceof Error) span.recordException(c.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: c.error instanceof Error ? c.error.message : String(c.error) });
  }
  if (kind === 'mutation') {
    recordMutation(r, c.meta as MutationMeta, c.actor, { durationS, error, endTime });
  } else if (kind === 'authz') {
    const m = c.meta as AuthzMeta;
    const outcome = (c.outcome as 'granted' | 'denied' | 'bypassed' | undefined) ?? (!failed && c.result ? 'granted' : 'denied');
    span?.setAttribute(ATTR_DOMAIN_AUDIT_OUTCOME, outcome);
    recordDecision(r, {
      action: m.action,
      outcome,
      manager: m.manager,
      entityId: m.entityId,
      attributes: m.attributes,
      metadata: m.metadata,
      reason: typeof c.reason === 'string' ? c.reason : undefined,
      permissions: Array.isArray(c.permissions) ? (c.permissions as string[]) : undefined,
    }, c.actor, endTime, error);
  } else {
    const m = c.meta as RuleMeta;
    const outcome = failed ? 'error' : ((c.outcome as 'passed' | 'failed' | undefined) ?? (c.result === false ? 'failed' : 'passed'));
    span?.setAttribute(ATTR_DOMAIN_RULE_OUTCOME, outcome);
    if (c.emitEvaluation !== false) {
      recordRuleEvaluation(r, {
        name: m.name, set: m.set, outcome, input: m.input, conditions: c.conditions, durationMs: durationS * 1000, errorType: error,
      }, c.actor, endTime);
    }
  }
  span?.end();
}
