import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  METRIC_DOMAIN_AUDIT_DECISIONS, METRIC_DOMAIN_CACHE_INVALIDATED_KEYS, METRIC_DOMAIN_CACHE_INVALIDATIONS,
  METRIC_DOMAIN_MANAGER_MUTATION_DURATION, METRIC_DOMAIN_MANAGER_MUTATIONS, METRIC_DOMAIN_RULE_EVALUATION_DURATION,
  METRIC_DOMAIN_RULE_EVALUATIONS, METRIC_DOMAIN_TELEMETRY_DROPPED, METRIC_UNITS,
} from '@domain-otel/semantic-conventions';
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

/** Instruments with the fixed names of docs/semantic-conventions.md; attributes stay bounded (no ids, keys or users). */
export function createInstruments(meter: Meter): Instruments {
  const counter = (name: keyof typeof METRIC_UNITS, description: string) =>
    meter.createCounter(name, { description, unit: METRIC_UNITS[name] });
  const histogram = (name: keyof typeof METRIC_UNITS, description: string) =>
    meter.createHistogram(name, { description, unit: METRIC_UNITS[name], advice: { explicitBucketBoundaries: DURATION_BUCKETS_S } });
  // per-event counters are summed here and handed to the SDK once per collection (batched-counter.ts)
  const batched: BatchedCounter[] = [];
  const perEvent = (name: keyof typeof METRIC_UNITS, description: string) => {
    const c = new BatchedCounter(counter(name, description));
    batched.push(c);
    return c;
  };
  const instruments = {
    decisions: perEvent(METRIC_DOMAIN_AUDIT_DECISIONS, 'Authorization decisions by action, outcome and manager'),
    mutations: perEvent(METRIC_DOMAIN_MANAGER_MUTATIONS, 'Entity mutations by action, manager and outcome'),
    mutationDuration: histogram(METRIC_DOMAIN_MANAGER_MUTATION_DURATION, 'Duration of traced mutations'),
    ruleEvaluations: perEvent(METRIC_DOMAIN_RULE_EVALUATIONS, 'Business rule evaluations by rule and outcome'),
    ruleDuration: histogram(METRIC_DOMAIN_RULE_EVALUATION_DURATION, 'Duration of rule evaluations'),
    cacheInvalidations: perEvent(METRIC_DOMAIN_CACHE_INVALIDATIONS, 'Cache invalidations by cache and reason'),
    cacheInvalidatedKeys: perEvent(METRIC_DOMAIN_CACHE_INVALIDATED_KEYS, 'Cache keys invalidated'),
    dropped: counter(METRIC_DOMAIN_TELEMETRY_DROPPED, 'Telemetry records lost, by signal and reason'),
  };
  flushBeforeCollection(meter, batched);
  return instruments;
}
