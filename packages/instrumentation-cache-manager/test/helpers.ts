import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { channels } from '@domain-otel/api';
import type { CacheInvalidationMessage } from '@domain-otel/api';
export { assertExactly, ensureInstalled, runNode, jsonLines, nextTurn } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** One cache invalidation, as the adapter published it, and the traced operation it ran in. */
export interface Published {
  invalidation: CacheInvalidationMessage['invalidation'];
  actor: CacheInvalidationMessage['actor'];
}

/**
 * Subscribes to every api channel. Cache invalidations are kept in order; anything
 * published on another channel goes to `others` (this adapter must publish nothing else).
 * A store bound on the mutation and rule `start` channels tells in which traced operation
 * (the mapping's parent span) each invalidation was published: `parentOf(published)`.
 */
export function captureApi() {
  const invalidations: Published[] = [];
  const others: string[] = [];
  const parents = new WeakMap<Published, object | undefined>();
  const current = new AsyncLocalStorage<object>();
  const onCache = (m: CacheInvalidationMessage) => {
    const published = { invalidation: m.invalidation, actor: m.actor };
    parents.set(published, current.getStore());
    invalidations.push(published);
  };
  const other = (name: string) => () => others.push(name);
  const onDecision = other('audit.decision');
  const onRule = other('rule.evaluation');
  const traced = (name: string) => ({ start: other(name), end() {}, asyncStart() {}, asyncEnd() {}, error() {} });
  const authz = traced('authz');
  const mutation = traced('mutation');
  const rule = traced('rule');
  const enter = (ctx: object) => ctx;
  channels.mutation.start.bindStore(current, enter);
  channels.rule.start.bindStore(current, enter);
  channels.cacheInvalidation.subscribe(onCache);
  channels.auditDecision.subscribe(onDecision);
  channels.ruleEvaluation.subscribe(onRule);
  channels.authz.subscribe(authz);
  channels.mutation.subscribe(mutation);
  channels.rule.subscribe(rule);
  return {
    invalidations,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return invalidations.splice(0);
    },
    /** The traced operation (api context object) an invalidation was published in. */
    parentOf(published: Published): object | undefined {
      return parents.get(published);
    },
    stop(): void {
      channels.mutation.start.unbindStore(current);
      channels.rule.start.unbindStore(current);
      channels.cacheInvalidation.unsubscribe(onCache);
      channels.auditDecision.unsubscribe(onDecision);
      channels.ruleEvaluation.unsubscribe(onRule);
      channels.authz.unsubscribe(authz);
      channels.mutation.unsubscribe(mutation);
      channels.rule.unsubscribe(rule);
    },
  };
}
