import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  METRIC_DOMAIN_AUDIT_DECISIONS, METRIC_DOMAIN_CACHE_INVALIDATED_KEYS, METRIC_DOMAIN_CACHE_INVALIDATIONS,
  METRIC_DOMAIN_MANAGER_MUTATION_DURATION, METRIC_DOMAIN_MANAGER_MUTATIONS, METRIC_DOMAIN_RULE_EVALUATION_DURATION,
  METRIC_DOMAIN_RULE_EVALUATIONS, METRIC_DOMAIN_TELEMETRY_DROPPED, METRIC_DESCRIPTIONS, METRIC_UNITS,
} from '@domain-otel/semantic-conventions';
import type { MetricName } from '@domain-otel/semantic-conventions';
import { BatchedCounter, flushBeforeCollection } from './batched-counter';

export interface Instruments {
  decisions: Counter;
  mutations: Counter;
  mutationDuration: Histogram;
  ruleEvaluations: Counter;
  ruleDuration: Histogram;
  cacheInvalidations: Counter;
  cacheInvalidatedKeys: Counter;
  /** Records lost to a bug in the mapping (the handler threw). */
  dropped: Counter;
}

const DURATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Instruments with the fixed names, units and descriptions of docs/semantic-conventions.md;
 * attributes stay bounded (no ids, keys or users).
 */
export function createInstruments(meter: Meter): Instruments {
  const counter = (name: MetricName) => meter.createCounter(name, { description: METRIC_DESCRIPTIONS[name], unit: METRIC_UNITS[name] });
  const histogram = (name: MetricName) => meter.createHistogram(name, {
    description: METRIC_DESCRIPTIONS[name], unit: METRIC_UNITS[name], advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  // per-event counters are summed here and handed to the SDK once per collection (batched-counter.ts)
  const batched: BatchedCounter[] = [];
  const perEvent = (name: MetricName) => {
    const c = new BatchedCounter(counter(name));
    batched.push(c);
    return c;
  };
  const instruments = {
    decisions: perEvent(METRIC_DOMAIN_AUDIT_DECISIONS),
    mutations: perEvent(METRIC_DOMAIN_MANAGER_MUTATIONS),
    mutationDuration: histogram(METRIC_DOMAIN_MANAGER_MUTATION_DURATION),
    ruleEvaluations: perEvent(METRIC_DOMAIN_RULE_EVALUATIONS),
    ruleDuration: histogram(METRIC_DOMAIN_RULE_EVALUATION_DURATION),
    cacheInvalidations: perEvent(METRIC_DOMAIN_CACHE_INVALIDATIONS),
    cacheInvalidatedKeys: perEvent(METRIC_DOMAIN_CACHE_INVALIDATED_KEYS),
    dropped: counter(METRIC_DOMAIN_TELEMETRY_DROPPED),
  };
  flushBeforeCollection(meter, batched);
  return instruments;
}
