import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { AuditAction } from '@domain-otel/api';

/** How the check was made. */
export type CaslCheckKind = 'can' | 'cannot' | 'ForbiddenError';

/** A read-only view of the CASL rule that decided a check (as the app wrote it). */
export interface CaslRuleView {
  /** Actions of the rule as written (before alias resolution). */
  readonly action: readonly string[];
  /** Subject types of the rule (class subjects by their `modelName` or `name`); `['all']` when omitted. */
  readonly subject: readonly string[];
  /** `true` for `cannot` rules. */
  readonly inverted: boolean;
  readonly conditions?: unknown;
  readonly fields?: readonly string[];
  readonly reason?: string;
}

/** What a `bypass` hook is given: one authorization check, already decided by CASL. */
export interface CaslCheckInfo {
  /** The action exactly as checked (`'read'`, `'publish'`, `'manage'`, …). */
  readonly action: string;
  /** Subject type name (`'Post'`, `'all'`, …). */
  readonly subjectType: string;
  /** The subject passed to the check: a type (string or class) or an instance. */
  readonly subject: unknown;
  readonly field?: string;
  /** CASL's answer. */
  readonly granted: boolean;
  /** The rule that decided, or `null` when no rule matched (implicit deny). */
  readonly rule: CaslRuleView | null;
  /** The ability the check ran on. */
  readonly ability: object;
}

export interface CaslInstrumentationConfig extends InstrumentationConfig {
  /**
   * Fraction (0..1) of GRANTED checks of action `read` that are recorded; default 1 (all).
   * Denials, bypasses and every other action are always recorded, whatever this says.
   */
  grantedReadSampleRatio?: number;
  /**
   * CASL action → audit action, merged over the defaults (`create`, `read`, `update`,
   * `delete` map to themselves). Anything unmapped is recorded as `custom`; the original
   * action is always in the `casl.action` key of `domain.audit.metadata`.
   */
  actionMap?: Readonly<Record<string, AuditAction>>;
  /**
   * Entity id of a subject instance. Default: its `id` property when that is a string,
   * number or bigint. Return `undefined` for none. Never called for subject types.
   */
  entityId?: (subject: object, subjectType: string) => string | number | undefined;
  /** Manager name for a subject type; default: the subject type name itself. */
  managerName?: (subjectType: string) => string;
  /**
   * Marks a granted check as a bypass (outcome `bypassed` instead of `granted`), e.g. a
   * superuser's `manage all` rule: see {@link bypassWhenManageAll}. Only called for granted
   * checks; denials stay denials.
   */
  bypass?: (check: CaslCheckInfo) => boolean;
}
