import { SeverityNumber } from '@opentelemetry/api';
import type { Actor, CacheInvalidation } from '@domain-otel/api';
import {
  ATTR_DOMAIN_CACHE_CAUSE, ATTR_DOMAIN_CACHE_KEY_COUNT, ATTR_DOMAIN_CACHE_KEYS, ATTR_DOMAIN_CACHE_NAME, ATTR_DOMAIN_CACHE_REASON,
  EVENT_DOMAIN_CACHE_INVALIDATION,
} from '@domain-otel/semantic-conventions';
import { emitEvent, metricText } from './recorder';
import type { Recorder } from './recorder';
import { RecordBuilder } from './record-builder';

/** `domain.cache.invalidation`: log event + invalidation and key counters. Keys listed up to a cap; the count is exact. */
export function recordCacheInvalidation(r: Recorder, c: CacheInvalidation, actor: Actor | undefined, timestamp: number): void {
  const keyCount = c.keyCount ?? c.keys?.length ?? 0;
  const bounded = { [ATTR_DOMAIN_CACHE_NAME]: metricText(r, c.cache), [ATTR_DOMAIN_CACHE_REASON]: metricText(r, c.reason) };
  r.instruments.cacheInvalidations.add(1, bounded);
  if (keyCount > 0) r.instruments.cacheInvalidatedKeys.add(keyCount, bounded);
  const b = new RecordBuilder(r, actor, timestamp)
    .text(ATTR_DOMAIN_CACHE_NAME, c.cache)
    .text(ATTR_DOMAIN_CACHE_REASON, c.reason)
    .number(ATTR_DOMAIN_CACHE_KEY_COUNT, keyCount)
    .text(ATTR_DOMAIN_CACHE_CAUSE, c.cause);
  // the list is capped on purpose (domain.cache.key_count is exact): keys beyond it are not cuts
  if (c.keys?.length) b.set(ATTR_DOMAIN_CACHE_KEYS, c.keys.slice(0, r.maxCacheKeys).map((k) => b.shapeValue(String(k)) as string));
  const body = b.body(`cache ${c.cache}: ${keyCount} key(s) invalidated (${c.reason})`);
  emitEvent(r, {
    eventName: EVENT_DOMAIN_CACHE_INVALIDATION,
    severity: SeverityNumber.INFO,
    body,
    timestamp,
    attributes: b.finish(),
    audit: false,
  });
}
