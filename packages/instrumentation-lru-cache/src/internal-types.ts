// Structural views of lru-cache 10.x / 11.x. The library's own typings are not used: it is
// an optional peer, and its `dispose` reasons changed between minor versions.

/** `dispose(value, key, reason)` reasons: 10.0 has evict/set/delete; 'expire' and 'fetch' came later. */
export type DisposeReason = 'evict' | 'set' | 'delete' | 'expire' | 'fetch' | (string & {});

export type DisposeFn = (this: unknown, value: unknown, key: unknown, reason: DisposeReason) => unknown;

export interface LruCacheLike {
  getRemainingTTL?(key: unknown): number;
}

export interface LruPrototype {
  delete(this: LruCacheLike, key: unknown): boolean;
  clear(this: LruCacheLike): void;
}

export interface LruCacheClass {
  new (...args: unknown[]): LruCacheLike;
  prototype: LruPrototype;
}

export interface LruCacheExports {
  LRUCache?: LruCacheClass;
}

/** The public method a disposal happened under (outermost call on that cache). */
export type FrameKind = 'delete' | 'clear';
