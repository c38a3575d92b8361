// Structural views of the parts of json-rules-engine (6.x and 7.x) this package touches.
// The library's own typings are not used: it is an optional peer.

/** A condition node after evaluation (leaf, boolean group, or unresolved reference). */
export interface ConditionNode {
  all?: ConditionNode[];
  any?: ConditionNode[];
  not?: ConditionNode;
  /** Name of a shared condition (only while unresolved: references are inlined when evaluated). */
  condition?: string;
  fact?: string;
  operator?: string;
  value?: unknown;
  path?: string;
  params?: unknown;
  name?: string;
  factResult?: unknown;
  /** 7.x: the right-hand side's value when `value` is itself a fact reference. */
  valueResult?: unknown;
  result?: boolean;
}

export interface RuleResultLike {
  name?: unknown;
  result: boolean | null;
  conditions?: ConditionNode;
  event?: { type?: unknown };
}

export interface RuleLike {
  name?: unknown;
  ruleEvent?: { type?: unknown };
  evaluate(this: RuleLike, almanac: unknown): Promise<RuleResultLike>;
}

export interface EngineResultLike {
  results?: unknown[];
  failureResults?: unknown[];
}

export interface EngineLike {
  run(this: EngineLike, facts?: Record<string, unknown>, options?: object): Promise<EngineResultLike>;
}

export interface JsonRulesEngineExports {
  Engine?: { prototype: EngineLike };
  Rule?: { prototype: RuleLike };
}

/** One `engine.run()` in progress, visible to the rule evaluations it starts. */
export interface RunState {
  engine: string;
  /** The run's facts, as given (converted lazily for the events). */
  facts: unknown;
  input?: unknown;
}
