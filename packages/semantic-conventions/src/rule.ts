// Rule evaluations: a business or validation rule ran.

/** Event emitted for every rule evaluation. */
export const EVENT_DOMAIN_RULE_EVALUATION = 'domain.rule.evaluation';

/** Name of the rule. */
export const ATTR_DOMAIN_RULE_NAME = 'domain.rule.name';

/** Result of the evaluation; one of {@link RULE_OUTCOME_VALUES}. */
export const ATTR_DOMAIN_RULE_OUTCOME = 'domain.rule.outcome';

/** Rule set (engine, policy) the rule belongs to. */
export const ATTR_DOMAIN_RULE_SET = 'domain.rule.set';

/** Per-condition trace of the evaluation (structured value). */
export const ATTR_DOMAIN_RULE_CONDITIONS = 'domain.rule.conditions';

/** Input the rule was evaluated on (structured value; audit level `full` only). */
export const ATTR_DOMAIN_RULE_INPUT = 'domain.rule.input';

/** Accepted values of {@link ATTR_DOMAIN_RULE_OUTCOME}. */
export const RULE_OUTCOME_VALUES = {
  PASSED: 'passed',
  FAILED: 'failed',
  ERROR: 'error',
} as const;
export type RuleOutcome = (typeof RULE_OUTCOME_VALUES)[keyof typeof RULE_OUTCOME_VALUES];
