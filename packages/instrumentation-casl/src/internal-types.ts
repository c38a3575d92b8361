// Structural views of the parts of @casl/ability (6.x and 7.x) this package touches. We do
// not import the library's own types: they differ between majors and the library is an
// optional peer.

/** Arguments of `can`, `cannot`, `relevantRuleFor`, `unlessCan` and `throwUnlessCan`. */
export type CheckArgs = [action: string, subject?: unknown, field?: string];

/** A compiled CASL rule (`Rule` class). */
export interface CaslRule {
  action: string | string[];
  subject?: unknown;
  inverted: boolean;
  conditions?: unknown;
  fields?: string[];
  reason?: string;
  /** The raw rule the app wrote (present in 6.x and 7.x). */
  origin?: {
    action?: unknown;
    subject?: unknown;
    fields?: unknown;
    conditions?: unknown;
    inverted?: boolean;
    reason?: unknown;
  };
}

/** The prototype that owns `can` (`PureAbility` in 6.x, `Ability` in 7.x). */
export interface AbilityPrototype {
  can(this: AbilityLike, ...args: CheckArgs): boolean;
  cannot(this: AbilityLike, ...args: CheckArgs): boolean;
  relevantRuleFor(this: AbilityLike, ...args: CheckArgs): CaslRule | null;
}

export interface AbilityLike extends AbilityPrototype {
  detectSubjectType(subject?: unknown): unknown;
}

/** `ForbiddenError.prototype`: 6.0 has only `throwUnlessCan`; later versions add `unlessCan`. */
export interface ForbiddenErrorPrototype {
  throwUnlessCan(this: ForbiddenErrorLike, ...args: CheckArgs): void;
  unlessCan?(this: ForbiddenErrorLike, ...args: CheckArgs): unknown;
}

export interface ForbiddenErrorLike extends ForbiddenErrorPrototype {
  ability: AbilityLike;
}

export interface CaslModuleExports {
  PureAbility?: { prototype: object };
  Ability?: { prototype: object };
  ForbiddenError?: { prototype: object };
}

/**
 * State of one check while CASL runs it. The patched `relevantRuleFor` stores the rule it
 * returned for the outermost call, so recording needs no second rule lookup.
 */
export interface CheckFrame {
  captured: boolean;
  rule: CaslRule | null;
  /** Nesting depth of `relevantRuleFor` calls inside this check. */
  depth: number;
  /** Set on a `cannot` frame: the ability whose inner `can` records on its behalf. */
  cannotOf?: object;
  recorded?: boolean;
}
