import { nameRegistry } from '@domain-otel/api';

/** Cache names registered by the app (module-level: `nameCache` works before, after and without the instrumentation). */
export const cacheNames = nameRegistry();

/**
 * Names an lru-cache instance: its invalidations are reported as `domain.cache.name = <name>`.
 * Returns the cache, so it can wrap the constructor call:
 * `const orders = nameCache(new LRUCache({ max: 500 }), 'orders')`.
 */
export function nameCache<C extends object>(cache: C, name: string): C {
  return cacheNames.name(cache, name);
}

/** `lru-cache(max=500,ttl=60000)`: the limits that were set, else plain `lru-cache`. */
export function defaultCacheName(options: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const key of ['max', 'maxSize', 'ttl'] as const) {
    const value = options[key];
    if (typeof value === 'number' && value > 0) parts.push(`${key}=${value}`);
  }
  return parts.length > 0 ? `lru-cache(${parts.join(',')})` : 'lru-cache';
}
