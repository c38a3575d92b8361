import { types as utilTypes } from 'node:util';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { cacheInvalidated, channels, failureReporter } from '@domain-otel/api';
import type { CacheInvalidation, FailureReporter } from '@domain-otel/api';
import type {
  CacheLike, CacheManagerExports, ClearSnapshot, CreateCache, DelEvent, KeyvLike, MdelEvent,
} from './internal-types';
import { cacheNames, defaultCacheName } from './names';
import type { CacheManagerInstrumentationConfig, CacheManagerInvalidationReason } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose `createCache()` result, `del` / `mdel` / `clear` events and stores were verified. */
export const SUPPORTED_VERSIONS = ['>=6 <8'];

const DEFAULT_MAX_KEYS = 100;

/** Options each instrumented cache was created with (for naming), and its stores. */
const cacheOptions = new WeakMap<object, Readonly<Record<string, unknown>>>();
const cacheStores = new WeakMap<object, readonly unknown[]>();

/** Keyv instances that carry our `clear` listener (one per instance, however many caches share it). */
const hookedKeyvs = new WeakSet<object>();
/** What each Keyv's in-memory store held when its latest `clear()` started (`undefined`: unknowable). */
const clearSnapshots = new WeakMap<object, ClearSnapshot | undefined>();

/**
 * cache-manager 6.0's CommonJS build exports getters only (esbuild `__export`): there the
 * module's exports are replaced by this facade, which forwards everything else to them.
 */
const facades = new WeakMap<object, CacheManagerExports>();

function isKeyv(store: unknown): store is KeyvLike {
  return typeof store === 'object' && store !== null && typeof (store as KeyvLike).on === 'function'
    && typeof (store as { delete?: unknown }).delete === 'function' && typeof (store as { clear?: unknown }).clear === 'function';
}

/** Keys and count of a Keyv whose store is an in-memory `Map` (the default); `undefined` otherwise. */
function snapshotOf(keyv: KeyvLike, maxKeys: number): ClearSnapshot | undefined {
  const store = keyv.opts?.store ?? (keyv as { store?: unknown }).store;
  if (!(store instanceof Map)) return undefined;
  const namespace = keyv.namespace ?? keyv.opts?.namespace;
  const prefixed = (keyv.useKeyPrefix ?? keyv.opts?.useKeyPrefix) !== false; // older 5.x: always prefixed
  const prefix = prefixed && typeof namespace === 'string' && namespace !== '' ? `${namespace}:` : undefined;
  const keys: unknown[] = [];
  for (const key of store.keys()) {
    if (keys.length >= maxKeys) break;
    keys.push(prefix !== undefined && typeof key === 'string' && key.startsWith(prefix) ? key.slice(prefix.length) : key);
  }
  return { size: store.size, keys };
}

function writable(target: object, name: string): boolean {
  if (utilTypes.isProxy(target)) return true; // import-in-the-middle's ESM namespace takes defineProperty
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  return descriptor === undefined || descriptor.writable === true || typeof descriptor.set === 'function' || descriptor.configurable === true;
}

function facadeFor(exports: CacheManagerExports): CacheManagerExports {
  let facade = facades.get(exports);
  if (facade !== undefined) return facade;
  facade = Object.create(Object.getPrototypeOf(exports) as object | null) as CacheManagerExports;
  for (const key of Reflect.ownKeys(exports)) {
    if (key === 'createCache') continue;
    const descriptor = Object.getOwnPropertyDescriptor(exports, key);
    Object.defineProperty(facade, key, {
      get: () => (exports as Record<PropertyKey, unknown>)[key],
      enumerable: descriptor?.enumerable ?? true,
      configurable: true,
    });
  }
  Object.defineProperty(facade, 'createCache', { value: exports.createCache, writable: true, enumerable: true, configurable: true });
  facades.set(exports, facade);
  return facade;
}

/**
 * Reports cache-manager invalidations as `cacheInvalidated()` events of @domain-otel/api:
 * `del(key)` and `mdel(keys)` → `manual`, `clear()` → `clear`, one event per call.
 *
 * How: `createCache()` is wrapped; each cache it returns gets listeners on the library's own
 * `del`, `mdel` and `clear` events (emitted once every store has finished, in the async
 * context of the call, so the actor and the active span are the caller's). A failed call
 * (the event carries `error`) is not reported. For `clear`, the Keyv stores' own `clear`
 * event (emitted before the store is emptied) is used to count what in-memory stores held.
 */
export class CacheManagerInstrumentation extends InstrumentationBase<CacheManagerInstrumentationConfig> {
  constructor(config: CacheManagerInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Reports a failure of this adapter's bookkeeping once per place, through its diag logger. */
  private get failures(): FailureReporter {
    return failureReporter(this._diag, 'the cache');
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'cache-manager',
        SUPPORTED_VERSIONS,
        (exports: CacheManagerExports) => this.patch(exports),
        (exports: CacheManagerExports) => this.unpatch(exports),
      ),
    ];
  }

  private patch(exports: CacheManagerExports): CacheManagerExports {
    const facade = facades.get(exports);
    const target = facade ?? (writable(exports, 'createCache') ? exports : undefined);
    const current = (target ?? exports).createCache;
    if (typeof current !== 'function') {
      this._diag.warn('cache-manager: no createCache function exported; invalidations are not recorded');
      return exports;
    }
    const into = target ?? facadeFor(exports);
    this._wrap(into as { createCache: CreateCache }, 'createCache', (original) => this.wrapCreateCache(original));
    return into;
  }

  private unpatch(exports: CacheManagerExports): void {
    const target = facades.get(exports) ?? exports;
    if (isWrapped(target.createCache)) this._unwrap(target, 'createCache');
  }

  private wrapCreateCache(original: CreateCache): CreateCache {
    const self = this;
    return function createCache(this: unknown, ...args: [options?: unknown]): CacheLike {
      const cache = original.apply(this, args);
      try {
        self.attach(cache, args[0]);
      } catch (err) {
        self.failures.reportOnce('instrumenting a cache-manager cache', err);
      }
      return cache;
    };
  }

  private attach(cache: CacheLike, options: unknown): void {
    if (typeof cache !== 'object' || cache === null || typeof cache.on !== 'function' || cacheOptions.has(cache)) return;
    const given = typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : {};
    cacheOptions.set(cache, given);
    // 7.x returns its stores (the internal default Keyv included); 6.x only has the option.
    const stores = Array.isArray(cache.stores) ? cache.stores : Array.isArray(given.stores) ? given.stores : [];
    cacheStores.set(cache, stores.length > 0 ? [...stores] : []);
    for (const store of stores) this.hookKeyv(store);

    const on = cache.on.bind(cache) as (event: string, listener: (...args: unknown[]) => void) => unknown;
    on('del', (event: unknown) => this.guard('a cache-manager del', () => {
      const e = (event ?? {}) as DelEvent;
      if (e.error !== undefined) return;
      this.publish(cache, 'manual', [e.key], 1);
    }));
    on('mdel', (event: unknown) => this.guard('a cache-manager mdel', () => {
      const e = (event ?? {}) as MdelEvent;
      if (e.error !== undefined || !Array.isArray(e.keys)) return;
      const keys = [...new Set(e.keys as unknown[])];
      if (keys.length > 0) this.publish(cache, 'manual', keys, keys.length);
    }));
    on('clear', (error: unknown) => this.guard('a cache-manager clear', () => {
      if (error !== undefined) return;
      this.onClear(cache);
    }));
  }

  /** One `clear` listener per Keyv: snapshots its in-memory store before it is emptied. */
  private hookKeyv(store: unknown): void {
    if (!isKeyv(store) || hookedKeyvs.has(store)) return;
    hookedKeyvs.add(store);
    store.on('clear', () => this.guard('a keyv clear snapshot', () => {
      if (!this.isEnabled() || !channels.cacheInvalidation.hasSubscribers) return;
      clearSnapshots.set(store, snapshotOf(store, this.maxKeys()));
    }));
  }

  private onClear(cache: object): void {
    if (!this.isEnabled() || !channels.cacheInvalidation.hasSubscribers) return;
    const stores = cacheStores.get(cache) ?? [];
    // The largest in-memory store stands for the cache (tiers usually hold subsets of each
    // other); unknown as soon as one store's content cannot be seen (remote store, 6.x default).
    let largest: ClearSnapshot | undefined;
    let known = stores.length > 0;
    for (const store of stores) {
      const snapshot = typeof store === 'object' && store !== null ? clearSnapshots.get(store) : undefined;
      if (typeof store === 'object' && store !== null) clearSnapshots.delete(store);
      if (snapshot === undefined) known = false;
      else if (largest === undefined || snapshot.size > largest.size) largest = snapshot;
    }
    if (!known || largest === undefined) {
      this.publish(cache, 'clear', undefined, undefined);
      return;
    }
    if (largest.size === 0) return; // nothing was cached: nothing was invalidated
    this.publish(cache, 'clear', largest.keys, largest.size);
  }

  private publish(cache: object, reason: CacheManagerInvalidationReason, keys: unknown[] | undefined, count: number | undefined): void {
    if (!this.isEnabled() || !channels.cacheInvalidation.hasSubscribers) return;
    const name = this.nameOf(cache);
    if (name === undefined) return;
    const invalidation: CacheInvalidation = { cache: name, reason };
    if (keys !== undefined) invalidation.keys = keys.slice(0, this.maxKeys());
    if (count !== undefined) invalidation.keyCount = count;
    cacheInvalidated(invalidation);
  }

  private guard(where: string, fn: () => void): void {
    // A throwing listener would make cache-manager reject the app's call: never let one out.
    this.failures.safely(`recording ${where}`, fn);
  }

  private maxKeys(): number {
    const max = this._config.maxKeysPerEvent;
    return typeof max === 'number' && max >= 0 ? max : DEFAULT_MAX_KEYS;
  }

  private nameOf(cache: object): string | undefined {
    const options = cacheOptions.get(cache) ?? {};
    return cacheNames.resolve(cache, () => this._config.cacheName?.(cache, options), this._config.onlyNamed === true, () => defaultCacheName(options));
  }

}
