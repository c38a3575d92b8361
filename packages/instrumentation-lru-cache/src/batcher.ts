// One event per cache + reason + actor scope per tick, instead of one per key.
import { actorStorage, cacheInvalidated } from '@domain-otel/api';
import type { LruInvalidationReason } from './types';

interface Batch {
  cache: object;
  reason: LruInvalidationReason;
  scope: object | undefined;
  keys: unknown[];
  count: number;
}

export interface BatcherOptions {
  /** The cache's name at flush time, or `undefined` to drop the batch (unnamed, `onlyNamed`). */
  nameOf(cache: object): string | undefined;
  maxKeys(): number;
  onError(err: unknown): void;
}

/**
 * Collects the keys one cache drops for one reason and publishes them as one
 * `cacheInvalidated()` on the next tick. Batches are also keyed by the actor scope (the
 * api's AsyncLocalStorage store), and each batch is flushed from a `process.nextTick`
 * scheduled by its first key, so it carries that code's actor and trace context.
 */
export class InvalidationBatcher {
  private readonly pending = new Map<object, Batch[]>();

  constructor(private readonly options: BatcherOptions) {}

  add(cache: object, reason: LruInvalidationReason, key: unknown): void {
    const scope = actorStorage.getStore();
    let batches = this.pending.get(cache);
    if (batches === undefined) {
      batches = [];
      this.pending.set(cache, batches);
    }
    let batch = batches.find((b) => b.reason === reason && b.scope === scope);
    if (batch === undefined) {
      const created: Batch = { cache, reason, scope, keys: [], count: 0 };
      batches.push(created);
      batch = created;
      process.nextTick(() => this.flush(created));
    }
    batch.count++;
    if (batch.keys.length < this.options.maxKeys()) batch.keys.push(key);
  }

  private flush(batch: Batch): void {
    const batches = this.pending.get(batch.cache);
    if (batches !== undefined) {
      const at = batches.indexOf(batch);
      if (at >= 0) batches.splice(at, 1);
      if (batches.length === 0) this.pending.delete(batch.cache);
    }
    try {
      const name = this.options.nameOf(batch.cache);
      if (name === undefined) return;
      cacheInvalidated({ cache: name, reason: batch.reason, keys: batch.keys, keyCount: batch.count });
    } catch (err) {
      this.options.onError(err);
    }
  }
}
