import path from 'node:path';
import type { CacheInvalidationMessage } from '@domain-otel/api';
import { subscribeApi } from '../../../test/helpers/api-capture';
export { assertExactly, ensureInstalled, runNode, jsonLines, nextTurn } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** One cache invalidation, as the adapter published it. */
export interface Published {
  invalidation: CacheInvalidationMessage['invalidation'];
  actor: CacheInvalidationMessage['actor'];
}

/**
 * Subscribes to every api channel. Cache invalidations are kept in order; anything
 * published on another channel goes to `others` (this adapter must publish nothing else).
 */
export function captureApi() {
  const invalidations: Published[] = [];
  const others: string[] = [];
  const stop = subscribeApi({ cacheInvalidation: (m) => invalidations.push({ invalidation: m.invalidation, actor: m.actor }) }, others);
  return {
    invalidations,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return invalidations.splice(0);
    },
    stop,
  };
}
