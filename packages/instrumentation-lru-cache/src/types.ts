import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** The invalidation reasons this adapter reports (a subset of `domain.cache.reason`). */
export type LruInvalidationReason = 'manual' | 'clear' | 'evict' | 'ttl';

export interface LruCacheInstrumentationConfig extends InstrumentationConfig {
  /**
   * Name of a cache that was not named with `nameCache()`. Receives the options the cache
   * was constructed with. Return `undefined` for the default: `lru-cache(max=…,maxSize=…,ttl=…)`
   * (the limits that were set), or plain `lru-cache` when none was.
   */
  cacheName?: (cache: object, options: Readonly<Record<string, unknown>>) => string | undefined;
  /**
   * Report only caches named with `nameCache()` or by `cacheName` (default false). Many
   * libraries use lru-cache internally; this keeps their caches out of your telemetry.
   */
  onlyNamed?: boolean;
  /** Reasons to report; default all four (`manual`, `clear`, `evict`, `ttl`). */
  reasons?: readonly LruInvalidationReason[];
  /** Most keys listed on one event (the count stays exact). Default 100. */
  maxKeysPerEvent?: number;
}
