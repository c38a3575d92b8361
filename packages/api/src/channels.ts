import diagnosticsChannel, { type Channel, type TracingChannel } from 'node:diagnostics_channel';
import type {
  AuditDecisionMessage,
  AuthzMeta,
  CacheInvalidationMessage,
  MutationMeta,
  RuleEvaluationMessage,
  RuleMeta,
  TracedContext,
} from './types';

/**
 * Channel names. Plain channels carry point events; tracing channels
 * (`tracing:<name>:start|end|asyncStart|asyncEnd|error`) carry operations with duration.
 */
export const CHANNEL_NAMES = {
  auditDecision: 'domain-otel:audit.decision',
  cacheInvalidation: 'domain-otel:cache.invalidation',
  ruleEvaluation: 'domain-otel:rule.evaluation',
  authz: 'domain-otel:authz',
  mutation: 'domain-otel:mutation',
  rule: 'domain-otel:rule',
} as const;

/** A plain channel whose messages are of type `M` (typing only: it is Node's own `Channel`). */
export interface MessageChannel<M> extends Channel<unknown, M> {
  subscribe(onMessage: (message: M, name: string | symbol) => void): void;
  unsubscribe(onMessage: (message: M, name: string | symbol) => void): void;
  publish(message: M): void;
}

export type TracedChannel<M> = TracingChannel<unknown, TracedContext<M>>;

function messageChannel<M>(name: string): MessageChannel<M> {
  // Node's Channel is untyped; MessageChannel only narrows the message type.
  return diagnosticsChannel.channel(name) as MessageChannel<M>;
}

/**
 * The channel objects. diagnostics_channel channels are global by name, so these
 * are the same channels any other copy of this package uses; subscribers should
 * still use these objects rather than look names up.
 *
 * Subscribers must never throw: Node turns a throwing subscriber into an
 * uncaught exception of the application.
 */
export const channels = {
  auditDecision: messageChannel<AuditDecisionMessage>(CHANNEL_NAMES.auditDecision),
  cacheInvalidation: messageChannel<CacheInvalidationMessage>(CHANNEL_NAMES.cacheInvalidation),
  ruleEvaluation: messageChannel<RuleEvaluationMessage>(CHANNEL_NAMES.ruleEvaluation),
  authz: diagnosticsChannel.tracingChannel<unknown, TracedContext<AuthzMeta>>(CHANNEL_NAMES.authz),
  mutation: diagnosticsChannel.tracingChannel<unknown, TracedContext<MutationMeta>>(CHANNEL_NAMES.mutation),
  rule: diagnosticsChannel.tracingChannel<unknown, TracedContext<RuleMeta>>(CHANNEL_NAMES.rule),
} as const;
