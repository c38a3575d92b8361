import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, RuleEvaluation } from '@domain-otel/api';
import {
  ATTR_DOMAIN_RULE_CONDITIONS, ATTR_DOMAIN_RULE_INPUT, ATTR_DOMAIN_RULE_NAME, ATTR_DOMAIN_RULE_OUTCOME, ATTR_DOMAIN_RULE_SET,
  ATTR_ERROR_TYPE, EVENT_DOMAIN_RULE_EVALUATION,
} from '@domain-otel/semantic-conventions';
import { emitEvent, levelAtLeast, metricText, who } from './recorder';
import type { Recorder } from './recorder';
import { RecordBuilder } from './record-builder';

/** `domain.rule.evaluation`: log event + counter (+ duration when known). Conditions from `changes`, input only at `full`. */
export function recordRuleEvaluation(r: Recorder, e: RuleEvaluation, actor: Actor | undefined, timestamp: number): void {
  const bounded = { [ATTR_DOMAIN_RULE_NAME]: metricText(r, e.name), [ATTR_DOMAIN_RULE_OUTCOME]: metricText(r, e.outcome) };
  r.instruments.ruleEvaluations.add(1, bounded);
  if (e.durationMs !== undefined) r.instruments.ruleDuration.record(e.durationMs / 1000, bounded);
  const b = new RecordBuilder(r, actor, timestamp)
    .text(ATTR_DOMAIN_RULE_NAME, e.name)
    .text(ATTR_DOMAIN_RULE_OUTCOME, e.outcome)
    .text(ATTR_DOMAIN_RULE_SET, e.set)
    .text(ATTR_ERROR_TYPE, e.errorType);
  if (levelAtLeast(r, 'changes')) b.value(ATTR_DOMAIN_RULE_CONDITIONS, e.conditions);
  if (levelAtLeast(r, 'full')) b.value(ATTR_DOMAIN_RULE_INPUT, e.input);
  const body = b.body(`rule ${e.set ? `${e.set}/` : ''}${e.name} ${e.outcome} for ${who(actor)}`);
  emitEvent(r, {
    eventName: EVENT_DOMAIN_RULE_EVALUATION,
    severity: e.outcome === 'error' ? SeverityNumber.ERROR : SeverityNumber.INFO,
    body,
    timestamp,
    attributes: b.finish(),
    audit: false,
  });
}
