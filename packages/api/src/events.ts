// Point events without strict delivery: cache invalidations and rule results.
import { CACHE_REASON_VALUES, RULE_OUTCOME_VALUES } from '@domain-otel/semantic-conventions';
import { getActor, snapshotActor } from './actor';
import { channels } from './channels';
import type { CacheInvalidation, RuleEvaluation } from './types';
import { checkEnum, checkName, valueSet } from './validate';

const REASONS = valueSet(CACHE_REASON_VALUES);
const RULE_OUTCOMES = valueSet(RULE_OUTCOME_VALUES);

/** Publishes that cached entries were dropped (one call per invalidation, not per key). */
export function cacheInvalidated(inv: CacheInvalidation): void {
  const channel = channels.cacheInvalidation;
  if (!channel.hasSubscribers) return;
  checkName('cacheInvalidated()', 'cache', inv.cache);
  checkEnum('cacheInvalidated()', 'reason', inv.reason, REASONS);
  channel.publish({ invalidation: inv, actor: snapshotActor(getActor()), timestamp: Date.now() });
}

/** Publishes one rule's result (e.g. from a rules engine's own callbacks). */
export function ruleEvaluated(ev: RuleEvaluation): void {
  const channel = channels.ruleEvaluation;
  if (!channel.hasSubscribers) return;
  checkName('ruleEvaluated()', 'name', ev.name);
  checkEnum('ruleEvaluated()', 'outcome', ev.outcome, RULE_OUTCOMES);
  channel.publish({ evaluation: ev, actor: snapshotActor(getActor()), timestamp: Date.now() });
}
