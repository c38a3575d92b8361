import type { Attributes, Context, Counter, Meter } from '@opentelemetry/api';

/**
 * A counter that sums its increments per attribute set in a Map and adds them to the SDK counter
 * just before each collection, instead of on every event: the SDK hashes the attribute set of
 * every add (sorted keys, JSON), which costs more than the event's own bookkeeping. Exported
 * values, instrument type and temporality are those of the SDK counter; a collection sees every
 * increment made before it. Increments with attribute values that are not scalars, or values
 * that are not non-negative numbers, go to the SDK counter at once (it reports them as usual).
 */
export class BatchedCounter implements Counter {
  private readonly pending = new Map<string, { attributes: Attributes; value: number }>();

  constructor(private readonly inner: Counter) {}

  add(value: number, attributes: Attributes = {}, context?: Context): void {
    if (typeof value !== 'number' || !(value >= 0)) {
      this.inner.add(value, attributes, context);
      return;
    }
    let key = '';
    for (const k in attributes) {
      const v = attributes[k];
      if (v !== null && typeof v === 'object') {
        this.inner.add(value, attributes, context);
        return;
      }
      key += `${k}\u0000${typeof v}\u0000${String(v)}\u0001`;
    }
    const entry = this.pending.get(key);
    if (entry) entry.value += value;
    else this.pending.set(key, { attributes, value });
  }

  flush(): void {
    for (const { attributes, value } of this.pending.values()) this.inner.add(value, attributes);
    this.pending.clear();
  }
}

/** Flushes `counters` at the start of every collection of `meter` (its observable callbacks run first). */
export function flushBeforeCollection(meter: Meter, counters: readonly BatchedCounter[]): void {
  // never observed, so never exported: it only gives the meter a callback to run per collection
  const trigger = meter.createObservableGauge('domain.telemetry.batched_counters', { description: 'Internal: flushes batched domain counters before each collection; has no data points' });
  meter.addBatchObservableCallback(() => {
    for (const c of counters) c.flush();
  }, [trigger]);
}
