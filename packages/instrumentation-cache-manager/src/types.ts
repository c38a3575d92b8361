import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** The invalidation reasons this adapter reports (a subset of `domain.cache.reason`). */
export type CacheManagerInvalidationReason = 'manual' | 'clear';

export interface CacheManagerInstrumentationConfig extends InstrumentationConfig {
  /**
   * Name of a cache that was not named with `nameCache()`. Receives the options given to
   * `createCache()` (`{}` when none were). Return `undefined` for the default: the
   * `cacheId` option when one was given, else plain `cache-manager`.
   */
  cacheName?: (cache: object, options: Readonly<Record<string, unknown>>) => string | undefined;
  /** Report only caches named with `nameCache()` or by `cacheName` (default false). */
  onlyNamed?: boolean;
  /** Most keys listed on one event (the count stays exact). Default 100. */
  maxKeysPerEvent?: number;
}
