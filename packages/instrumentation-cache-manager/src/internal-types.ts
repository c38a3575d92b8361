// Structural views of cache-manager 6.x / 7.x and keyv 5.x. The libraries' own typings are
// not used: cache-manager is an optional peer, and its shape changed between majors
// (6.x returns no `stores`, 7.x does; keyv 5.0 keeps its store in `opts.store` only).

/** What `createCache()` returns (only the members used here). */
export interface CacheLike {
  on?(event: string, listener: (...args: never[]) => void): unknown;
  /** 7.x: the Keyv stores, the internal default one included. */
  stores?: unknown;
}

export type CreateCache = (this: unknown, options?: unknown) => CacheLike;

export interface CacheManagerExports {
  createCache?: CreateCache;
}

/** `del` event payload: `{ key }`, or `{ key, error }` when a store failed. */
export interface DelEvent { key?: unknown; error?: unknown }
/** `mdel` event payload: `{ keys }`, or `{ keys, error }` when a store failed. */
export interface MdelEvent { keys?: unknown; error?: unknown }

/** A Keyv instance (5.x), as far as the `clear` snapshot needs it. */
export interface KeyvLike {
  on(event: 'clear', listener: () => void): unknown;
  opts?: { store?: unknown; namespace?: unknown; useKeyPrefix?: unknown };
  namespace?: unknown;
  useKeyPrefix?: unknown;
}

/** What a Keyv's in-memory store held when `clear()` started. */
export interface ClearSnapshot {
  size: number;
  keys: unknown[];
}
