// Cache invalidations: cached entries were dropped.

/** Event emitted for every invalidation (one event per call, not per key). */
export const EVENT_DOMAIN_CACHE_INVALIDATION = 'domain.cache.invalidation';

/** Name of the cache. */
export const ATTR_DOMAIN_CACHE_NAME = 'domain.cache.name';

/** Why entries were dropped; one of {@link CACHE_REASON_VALUES}. */
export const ATTR_DOMAIN_CACHE_REASON = 'domain.cache.reason';

/** Number of keys dropped. */
export const ATTR_DOMAIN_CACHE_KEY_COUNT = 'domain.cache.key_count';

/** Keys dropped (string array, capped). */
export const ATTR_DOMAIN_CACHE_KEYS = 'domain.cache.keys';

/** What triggered the invalidation: a record uid or an entity reference. */
export const ATTR_DOMAIN_CACHE_CAUSE = 'domain.cache.cause';

/** Accepted values of {@link ATTR_DOMAIN_CACHE_REASON}. */
export const CACHE_REASON_VALUES = {
  MUTATION: 'mutation',
  DEPENDENCY: 'dependency',
  TTL: 'ttl',
  EVICT: 'evict',
  MANUAL: 'manual',
  CLEAR: 'clear',
} as const;
export type CacheInvalidationReason = (typeof CACHE_REASON_VALUES)[keyof typeof CACHE_REASON_VALUES];
