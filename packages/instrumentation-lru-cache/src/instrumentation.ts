import { types as utilTypes } from 'node:util';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { channels, failureReporter } from '@domain-otel/api';
import type { FailureReporter } from '@domain-otel/api';
import { InvalidationBatcher } from './batcher';
import type {
  DisposeFn, DisposeReason, FrameKind, LruCacheClass, LruCacheExports, LruCacheLike,
} from './internal-types';
import { cacheNames, defaultCacheName } from './names';
import type { LruCacheInstrumentationConfig, LruInvalidationReason } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose constructor options, `dispose` reasons and delete/clear paths were verified. */
export const SUPPORTED_VERSIONS = ['>=10 <12'];

const ALL_REASONS: readonly LruInvalidationReason[] = ['manual', 'clear', 'evict', 'ttl'];
const DEFAULT_MAX_KEYS = 100;

/** One instrumenting proxy per original class, so patching twice yields the same export. */
const proxies = new WeakMap<LruCacheClass, LruCacheClass>();
const originals = new WeakMap<LruCacheClass, LruCacheClass>();

/** Options each instrumented cache was built with (for naming). */
const cacheOptions = new WeakMap<object, Readonly<Record<string, unknown>>>();

/** Outermost public `delete()` / `clear()` running on a cache (calls are synchronous). */
const frames = new WeakMap<object, FrameKind>();

function setExport(exports: LruCacheExports, value: LruCacheClass): void {
  // Under import-in-the-middle the ESM namespace is a proxy that takes defineProperty.
  if (utilTypes.isProxy(exports)) Object.defineProperty(exports, 'LRUCache', { value, configurable: true, writable: true, enumerable: true });
  else exports.LRUCache = value;
}

/** Expired entry: lru-cache's own staleness test is `remaining TTL < 0` (same clock). */
function isExpired(cache: LruCacheLike, key: unknown): boolean {
  const remaining = typeof cache.getRemainingTTL === 'function' ? cache.getRemainingTTL(key) : Infinity;
  return remaining < 0;
}

function wrapInFrame<F extends (this: LruCacheLike, ...args: never[]) => unknown>(kind: FrameKind, original: F): F {
  return function (this: LruCacheLike, ...args: Parameters<F>): ReturnType<F> {
    if (!channels.cacheInvalidation.hasSubscribers || typeof this !== 'object' || this === null || frames.has(this)) {
      return original.apply(this, args) as ReturnType<F>;
    }
    frames.set(this, kind);
    try {
      return original.apply(this, args) as ReturnType<F>;
    } finally {
      frames.delete(this);
    }
  } as F;
}

/**
 * Reports entries dropped from lru-cache caches as `cacheInvalidated()` events of
 * @domain-otel/api: `delete()` → `manual`, `clear()` → `clear`, evictions for size → `evict`,
 * expirations → `ttl`, batched per cache, reason and actor scope within one tick.
 *
 * How: the exported `LRUCache` class is replaced by a transparent proxy whose construct trap
 * adds a `dispose` option (calling the app's own `dispose`, if any, unchanged). lru-cache
 * passes every disposal a reason; `delete()` and `clear()` are wrapped only to tell an
 * explicit clear from single deletions (both are reason `delete` inside lru-cache).
 */
export class LruCacheInstrumentation extends InstrumentationBase<LruCacheInstrumentationConfig> {
  // `declare`: InstrumentationBase calls setConfig() and enable() from its constructor,
  // before class field initialisers would run.
  declare private batcherInstance: InvalidationBatcher | undefined;
  declare private reasonSet: ReadonlySet<LruInvalidationReason> | undefined;

  constructor(config: LruCacheInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Reports a failure of this adapter's bookkeeping once per place, through its diag logger. */
  private get failures(): FailureReporter {
    return failureReporter(this._diag, 'the cache');
  }

  override setConfig(config: LruCacheInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.reasonSet = undefined;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'lru-cache',
        SUPPORTED_VERSIONS,
        (exports: LruCacheExports) => this.patch(exports),
        (exports: LruCacheExports) => this.unpatch(exports),
      ),
    ];
  }

  private patch(exports: LruCacheExports): LruCacheExports {
    const current = exports.LRUCache;
    if (typeof current !== 'function' || typeof current.prototype?.delete !== 'function') {
      this._diag.warn('lru-cache: no LRUCache class exported; invalidations are not recorded');
      return exports;
    }
    const original = originals.get(current) ?? current;
    this._wrap(original.prototype, 'delete', (fn) => wrapInFrame('delete', fn));
    this._wrap(original.prototype, 'clear', (fn) => wrapInFrame('clear', fn));
    setExport(exports, this.proxyFor(original));
    return exports;
  }

  private unpatch(exports: LruCacheExports): void {
    const current = exports.LRUCache;
    if (typeof current !== 'function') return;
    const original = originals.get(current) ?? current;
    for (const name of ['delete', 'clear'] as const) {
      if (isWrapped(original.prototype[name])) this._unwrap(original.prototype, name);
    }
    if (current !== original) setExport(exports, original);
  }

  private proxyFor(original: LruCacheClass): LruCacheClass {
    const existing = proxies.get(original);
    if (existing !== undefined) return existing;
    const self = this;
    const proxy = new Proxy(original, {
      construct(target, args: unknown[], newTarget): object {
        const options = args[0];
        if (!self.isEnabled() || typeof options !== 'object' || options === null) {
          return Reflect.construct(target, args, newTarget) as object;
        }
        const given = options as Record<string, unknown>;
        const appDispose = typeof given.dispose === 'function' ? (given.dispose as DisposeFn) : undefined;
        const holder: { cache?: object } = {};
        const dispose: DisposeFn = function (this: unknown, value, key, reason) {
          if (holder.cache !== undefined) self.onDispose(holder.cache, key, reason);
          return appDispose?.call(this, value, key, reason);
        };
        const cache = Reflect.construct(target, [{ ...given, dispose }, ...args.slice(1)], newTarget) as object;
        holder.cache = cache;
        cacheOptions.set(cache, given);
        return cache;
      },
    });
    proxies.set(original, proxy);
    originals.set(proxy, original);
    return proxy;
  }

  private get batcher(): InvalidationBatcher {
    this.batcherInstance ??= new InvalidationBatcher({
      nameOf: (cache) => this.nameOf(cache),
      maxKeys: () => {
        const max = this._config.maxKeysPerEvent;
        return typeof max === 'number' && max >= 0 ? max : DEFAULT_MAX_KEYS;
      },
      onError: (err) => this.failures.reportOnce('publishing an lru-cache invalidation', err),
    });
    return this.batcherInstance;
  }

  private reasons(): ReadonlySet<LruInvalidationReason> {
    this.reasonSet ??= new Set(this._config.reasons ?? ALL_REASONS);
    return this.reasonSet;
  }

  private nameOf(cache: object): string | undefined {
    const options = cacheOptions.get(cache) ?? {};
    return cacheNames.resolve(cache, () => this._config.cacheName?.(cache, options), this._config.onlyNamed === true, () => defaultCacheName(options));
  }


  private onDispose(cache: object, key: unknown, reason: DisposeReason): void {
    if (!this.isEnabled() || !channels.cacheInvalidation.hasSubscribers) return;
    try {
      let mapped: LruInvalidationReason;
      if (reason === 'evict') mapped = 'evict';
      else if (reason === 'expire') mapped = 'ttl';
      else if (reason === 'delete') {
        // 10.0.x also uses 'delete' for expired entries, and every version for clear().
        if (frames.get(cache) === 'clear') mapped = 'clear';
        else mapped = isExpired(cache as LruCacheLike, key) ? 'ttl' : 'manual';
      } else {
        return; // 'set' (value replaced or too large) and 'fetch' (failed fetch): not invalidations
      }
      if (!this.reasons().has(mapped)) return;
      this.batcher.add(cache, mapped, key);
    } catch (err) {
      this.failures.reportOnce('recording an lru-cache disposal', err);
    }
  }
}


