import { nameRegistry } from '@domain-otel/api';

/** Cache names registered by the app (module-level: `nameCache` works before, after and without the instrumentation). */
export const cacheNames = nameRegistry();

/**
 * Names a cache-manager cache: its invalidations are reported as `domain.cache.name = <name>`.
 * Returns the cache, so it can wrap the factory call:
 * `const orders = nameCache(createCache({ ttl: 60_000 }), 'orders')`.
 */
export function nameCache<C extends object>(cache: C, name: string): C {
  return cacheNames.name(cache, name);
}

/** The `cacheId` option when the app gave one (cache-manager 7), else `cache-manager`. */
export function defaultCacheName(options: Readonly<Record<string, unknown>>): string {
  const id = options.cacheId;
  return typeof id === 'string' && id !== '' ? id : 'cache-manager';
}
