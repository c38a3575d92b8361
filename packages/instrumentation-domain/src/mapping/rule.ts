import type { LogAttributes } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, RuleEvaluation } from '@domain-otel/api';
import {
  ATTR_DOMAIN_RULE_CONDITIONS, ATTR_DOMAIN_RULE_INPUT, ATTR_DOMAIN_RULE_NAME, ATTR_DOMAIN_RULE_OUTCOME, ATTR_DOMAIN_RULE_SET,
  ATTR_ERROR_TYPE, EVENT_DOMAIN_RULE_EVALUATION,
} from '@domain-otel/semantic-conventions';
import { actorAttributes, emitEvent, levelAtLeast, redacted, who } from './recorder';
import type { Recorder } from './recorder';

/** `domain.rule.evaluation`: log event + counter (+ duration when known). Conditions from `changes`, input only at `full`. */
export function recordRuleEvaluation(r: Recorder, e: RuleEvaluation, actor: Actor | undefined, timestamp: number): void {
  const bounded = { [ATTR_DOMAIN_RULE_NAME]: e.name, [ATTR_DOMAIN_RULE_OUTCOME]: e.outcome };
  r.instruments.ruleEvaluations.add(1, bounded);
  if (e.durationMs !== undefined) r.instruments.ruleDuration.record(e.durationMs / 1000, bounded);
  const attrs: LogAttributes = { ...bounded };
  if (e.set !== undefined) attrs[ATTR_DOMAIN_RULE_SET] = e.set;
  if (e.errorType !== undefined) attrs[ATTR_ERROR_TYPE] = e.errorType;
  if (levelAtLeast(r, 'changes') && e.conditions !== undefined) attrs[ATTR_DOMAIN_RULE_CONDITIONS] = redacted(r, e.conditions);
  if (levelAtLeast(r, 'full') && e.input !== undefined) attrs[ATTR_DOMAIN_RULE_INPUT] = redacted(r, e.input);
  actorAttributes(r, actor, attrs);
  emitEvent(r, {
    eventName: EVENT_DOMAIN_RULE_EVALUATION,
    severity: e.outcome === 'error' ? SeverityNumber.ERROR : SeverityNumber.INFO,
    body: `rule ${e.set ? `${e.set}/` : ''}${e.name} ${e.outcome} for ${who(actor)}`,
    timestamp,
    attributes: attrs,
    audit: false,
  });
}
