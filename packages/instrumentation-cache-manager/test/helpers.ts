import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import type { CacheInvalidationMessage } from '@domain-otel/api';
import { subscribeApi } from '../../../test/helpers/api-capture';
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
  const stop = subscribeApi({ cacheInvalidation: onCache }, others, { storage: current });
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
    stop,
  };
}
