import * as audit from '../audit';
import * as cache from '../cache';
import * as common from '../common';
import * as metrics from '../metrics';
import * as mutation from '../mutation';
import * as rule from '../rule';
import { metric } from './entries';
import type { MetricEntry } from './model';

const BY_MUTATION = [mutation.ATTR_DOMAIN_MUTATION_ACTION, common.ATTR_DOMAIN_MANAGER_NAME, mutation.ATTR_DOMAIN_MUTATION_OUTCOME];
const BY_RULE = [rule.ATTR_DOMAIN_RULE_NAME, rule.ATTR_DOMAIN_RULE_OUTCOME];
const BY_CACHE = [cache.ATTR_DOMAIN_CACHE_NAME, cache.ATTR_DOMAIN_CACHE_REASON];

export const METRICS: readonly MetricEntry[] = [
  metric('METRIC_DOMAIN_AUDIT_DECISIONS', 'counter', [audit.ATTR_DOMAIN_AUDIT_ACTION, audit.ATTR_DOMAIN_AUDIT_OUTCOME, common.ATTR_DOMAIN_MANAGER_NAME]),
  metric('METRIC_DOMAIN_MANAGER_MUTATIONS', 'counter', BY_MUTATION),
  metric('METRIC_DOMAIN_MANAGER_MUTATION_DURATION', 'histogram', BY_MUTATION),
  metric('METRIC_DOMAIN_RULE_EVALUATIONS', 'counter', BY_RULE),
  metric('METRIC_DOMAIN_RULE_EVALUATION_DURATION', 'histogram', BY_RULE),
  metric('METRIC_DOMAIN_CACHE_INVALIDATIONS', 'counter', BY_CACHE),
  metric('METRIC_DOMAIN_CACHE_INVALIDATED_KEYS', 'counter', BY_CACHE),
  metric('METRIC_DOMAIN_TELEMETRY_DROPPED', 'counter', [metrics.ATTR_DOMAIN_TELEMETRY_SIGNAL, metrics.ATTR_DOMAIN_TELEMETRY_DROP_REASON]),
];
