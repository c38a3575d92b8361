import type { LogAttributes } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, CacheInvalidation } from '@domain-otel/api';
import {
  ATTR_DOMAIN_CACHE_CAUSE, ATTR_DOMAIN_CACHE_KEY_COUNT, ATTR_DOMAIN_CACHE_KEYS, ATTR_DOMAIN_CACHE_NAME, ATTR_DOMAIN_CACHE_REASON,
  EVENT_DOMAIN_CACHE_INVALIDATION,
} from '@domain-otel/semantic-conventions';
import { actorAttributes, emitEvent } from './recorder';
import type { Recorder } from './recorder';

/** `domain.cache.invalidation`: log event + invalidation and key counters. Keys listed up to a cap; the count is exact. */
export function recordCacheInvalidation(r: Recorder, c: CacheInvalidation, actor: Actor | undefined, timestamp: number): void {
  const keyCount = c.keyCount ?? c.keys?.length ?? 0;
  const bounded = { [ATTR_DOMAIN_CACHE_NAME]: c.cache, [ATTR_DOMAIN_CACHE_REASON]: c.reason };
  r.instruments.cacheInvalidations.add(1, bounded);
  if (keyCount > 0) r.instruments.cacheInvalidatedKeys.add(keyCount, bounded);
  const attrs: LogAttributes = { ...bounded, [ATTR_DOMAIN_CACHE_KEY_COUNT]: keyCount };
  if (c.keys?.length) attrs[ATTR_DOMAIN_CACHE_KEYS] = c.keys.slice(0, r.maxCacheKeys).map((k) => String(k));
  if (c.cause !== undefined) attrs[ATTR_DOMAIN_CACHE_CAUSE] = c.cause;
  actorAttributes(r, actor, attrs);
  emitEvent(r, {
    eventName: EVENT_DOMAIN_CACHE_INVALIDATION,
    severity: SeverityNumber.INFO,
    body: `cache ${c.cache}: ${keyCount} key(s) invalidated (${c.reason})`,
    timestamp,
    attributes: attrs,
    audit: false,
  });
}
