import path from 'node:path';
import { channels } from '@domain-otel/api';
import type { AuditDecisionMessage } from '@domain-otel/api';
export { assertExactly, ensureInstalled, runNode, jsonLines } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** What the adapter published on the api's audit-decision channel, in order. */
export interface Published {
  decision: AuditDecisionMessage['decision'];
  actor: AuditDecisionMessage['actor'];
}

/**
 * Subscribes to every api channel. Audit decisions are kept; anything published on another
 * channel is kept in `others` (an adapter for CASL must publish nothing else).
 */
export function captureApi() {
  const decisions: Published[] = [];
  const others: string[] = [];
  const onDecision = (m: AuditDecisionMessage) => decisions.push({ decision: m.decision, actor: m.actor });
  const other = (name: string) => () => others.push(name);
  const onCache = other('cache.invalidation');
  const onRule = other('rule.evaluation');
  const traced = (name: string) => ({ start: other(name), end() {}, asyncStart() {}, asyncEnd() {}, error() {} });
  const authz = traced('authz');
  const mutation = traced('mutation');
  const rule = traced('rule');
  channels.auditDecision.subscribe(onDecision);
  channels.cacheInvalidation.subscribe(onCache);
  channels.ruleEvaluation.subscribe(onRule);
  channels.authz.subscribe(authz);
  channels.mutation.subscribe(mutation);
  channels.rule.subscribe(rule);
  return {
    decisions,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return decisions.splice(0);
    },
    stop(): void {
      channels.auditDecision.unsubscribe(onDecision);
      channels.cacheInvalidation.unsubscribe(onCache);
      channels.ruleEvaluation.unsubscribe(onRule);
      channels.authz.unsubscribe(authz);
      channels.mutation.unsubscribe(mutation);
      channels.rule.unsubscribe(rule);
    },
  };
}
