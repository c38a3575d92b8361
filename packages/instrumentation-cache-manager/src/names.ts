// Cache names registered by the app. Module-level so `nameCache` works before, after and
// without the instrumentation being enabled.
const names = new WeakMap<object, string>();

/**
 * Names a cache-manager cache: its invalidations are reported as `domain.cache.name = <name>`.
 * Returns the cache, so it can wrap the factory call:
 * `const orders = nameCache(createCache({ ttl: 60_000 }), 'orders')`.
 */
export function nameCache<C extends object>(cache: C, name: string): C {
  if (typeof name === 'string' && name !== '') names.set(cache, name);
  return cache;
}

export function registeredCacheName(cache: object): string | undefined {
  return names.get(cache);
}

/** The `cacheId` option when the app gave one (cache-manager 7), else `cache-manager`. */
export function defaultCacheName(options: Readonly<Record<string, unknown>>): string {
  const id = options.cacheId;
  return typeof id === 'string' && id !== '' ? id : 'cache-manager';
}
