// Shapes of what the api publishes. Enum unions come from @domain-otel/semantic-conventions.
import type {
  AuditAction,
  AuditOutcome,
  CacheInvalidationReason,
  MutationAction,
  RuleOutcome,
} from '@domain-otel/semantic-conventions';
import type { Actor } from './actor';
import type { DeliveryTicket } from './delivery';

export type { AuditAction, AuditOutcome, CacheInvalidationReason, MutationAction, RuleOutcome };

// ---- audit decisions (plain channel) ----

export interface AuditDecision {
  action: AuditAction;
  outcome: AuditOutcome;
  /** Manager (domain service / repository) the decision was made for. */
  manager: string;
  entityId?: string | number;
  /** Field names the decision covered. */
  attributes?: readonly string[];
  /** Permission expressions that matched. */
  permissions?: readonly string[];
  reason?: string;
  metadata?: Record<string, unknown>;
  /** Replaces (does not merge with) the scope's actor for this record. */
  actor?: Actor;
  /** When the decision was made, ms since the epoch (default: now). */
  timestamp?: number;
}

export interface AuditDecisionMessage {
  /** The caller's object, as given (do not mutate it in a subscriber). */
  decision: AuditDecision;
  /** `decision.actor`, else a copy of the scope's actor. */
  actor: Actor | undefined;
  /** ms since the epoch. */
  timestamp: number;
  /**
   * Strict delivery: the ticket of this decision's audit record (see delivery.ts), set by
   * the api when a distribution registered a delivery ledger. The recording subscriber
   * emits the record with it; `audit.decision()` settles with it.
   */
  delivery?: DeliveryTicket;
}

// ---- cache invalidations (plain channel) ----

export interface CacheInvalidation {
  cache: string;
  reason: CacheInvalidationReason;
  /** The keys dropped (the mapping layer caps the list). */
  keys?: readonly unknown[];
  /** Number of keys dropped, when `keys` is absent or partial. */
  keyCount?: number;
  /** What triggered it: a record uid or an entity reference. */
  cause?: string;
}

export interface CacheInvalidationMessage {
  invalidation: CacheInvalidation;
  actor: Actor | undefined;
  timestamp: number;
}

// ---- rule evaluations (plain channel: one rule's result) ----

export interface RuleEvaluation {
  name: string;
  set?: string;
  outcome: RuleOutcome;
  /** Per-condition trace, structured. */
  conditions?: unknown;
  input?: unknown;
  durationMs?: number;
  errorType?: string;
}

export interface RuleEvaluationMessage {
  evaluation: RuleEvaluation;
  actor: Actor | undefined;
  timestamp: number;
}

// ---- traced operations (TracingChannel) ----

export interface FieldChange {
  old?: unknown;
  new?: unknown;
}

export interface MutationMeta {
  action: MutationAction;
  manager: string;
  entityId?: string | number;
  /** Number of entities touched (bulk actions). */
  count?: number;
  changes?: Record<string, FieldChange>;
  changedFields?: readonly string[];
  metadata?: Record<string, unknown>;
}

/** The traced function's return value decides: truthy → granted, falsy → denied, unless it sets `ctx.outcome`. */
export interface AuthzMeta {
  action: AuditAction;
  manager: string;
  entityId?: string | number;
  attributes?: readonly string[];
  metadata?: Record<string, unknown>;
}

export interface RuleMeta {
  name: string;
  set?: string;
  input?: unknown;
}

export type TracedKind = 'authz' | 'mutation' | 'rule';

/** The context object published on every event of one traced operation. */
export interface TracedContext<M> {
  kind: TracedKind;
  meta: M;
  /** Copy of the scope's actor when the operation started. */
  actor: Actor | undefined;
  /**
   * ms since the epoch, fractional (`performance.timeOrigin + performance.now()`,
   * the clock OpenTelemetry spans use). 0 when nothing was subscribed.
   */
  startTime: number;
  /** Set before `end` (sync) or `asyncStart` (async) when the operation succeeded. */
  result?: unknown;
  /** Set before `error` when the operation threw or rejected. */
  error?: unknown;
  /**
   * Strict delivery (authz and mutation): the ticket of the operation's audit record, set
   * by the api before `start` when a distribution registered a delivery ledger. See
   * `traceMutation`.
   */
  delivery?: DeliveryTicket;
  /**
   * Outcome: the traced function may set it; otherwise the api fills it in when
   * the operation settles: authz → `granted`/`denied` from the result's truthiness;
   * mutation → `success`/`failure`; rule → `error` on throw, `passed`/`failed`
   * for a boolean result, else left unset.
   */
  outcome?: string;
  /**
   * Set just before `end`: true when the function returned a thenable, so
   * `asyncStart`/`asyncEnd` (and maybe `error`) follow; false when it finished
   * synchronously (returned or threw).
   */
  async?: boolean;
  /** authz: the reason for the outcome (`domain.audit.reason`). */
  reason?: string;
  /** authz: the permission expressions that matched (`domain.audit.permissions`). */
  permissions?: string[];
  /** rule: the per-condition trace (`domain.rule.conditions`). */
  conditions?: unknown;
  /**
   * rule: `false` when the traced function reports each rule itself through
   * `ruleEvaluated()` (as the json-rules-engine adapter does), so the run span gets
   * no evaluation event of its own.
   */
  emitEvaluation?: boolean;
  [extra: string]: unknown;
}
