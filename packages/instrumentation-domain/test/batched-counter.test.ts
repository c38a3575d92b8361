import assert from 'node:assert/strict';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { CollectionResult } from '@opentelemetry/sdk-metrics';
import { BatchedCounter, flushBeforeCollection } from '../src/batched-counter';

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const points = (r: CollectionResult, name: string) => r.resourceMetrics.scopeMetrics
  .flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name)
  .flatMap((m) => m.dataPoints.map((p) => [JSON.stringify(p.attributes), p.value]))
  .sort();

describe('instrumentation-domain: batched counters', () => {
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    it(`${temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative'}: every collection sees exactly what a plain SDK counter would`, async () => {
      const reader = new Reader({ aggregationTemporalitySelector: () => temporality });
      const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
      const plain = meter.createCounter('plain');
      const batched = new BatchedCounter(meter.createCounter('batched'));
      flushBeforeCollection(meter, [batched]);
      const add = (v: number, a: Record<string, string | number | boolean>) => { plain.add(v, a); batched.add(v, a); };
      for (let i = 0; i < 100; i++) add(1, { action: 'read', outcome: i % 3 ? 'granted' : 'denied' });
      add(5, { manager: 'orders', n: 1 });
      add(2, { manager: 'orders', n: '1' }); // a number and a string that print alike stay apart
      add(3, { outcome: 'granted', action: 'read' }); // same set, other key order
      const first = await reader.collect();
      assert.deepEqual(points(first, 'batched'), points(first, 'plain'));
      assert.equal(points(first, 'batched').length, 4);
      add(7, { action: 'read', outcome: 'denied' });
      const second = await reader.collect();
      assert.deepEqual(points(second, 'batched'), points(second, 'plain'));
      const third = await reader.collect(); // nothing new
      assert.deepEqual(points(third, 'batched'), points(third, 'plain'));
    });
  }

  it('the trigger instrument is never exported; negative values and non-scalar attributes go straight to the SDK', async () => {
    const reader = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
    const seen: [number, unknown][] = [];
    const inner = meter.createCounter('c');
    const spy = { add: (v: number, a?: unknown) => { seen.push([v, a]); inner.add(v, a as never); } };
    const batched = new BatchedCounter(spy);
    flushBeforeCollection(meter, [batched]);
    batched.add(-1, { a: 'x' });
    batched.add(1, { a: ['x', 'y'] as never });
    assert.equal(seen.length, 2, 'passed through at once');
    batched.add(4, { a: 'x' });
    assert.equal(seen.length, 2, 'batched until the collection');
    const r = await reader.collect();
    const names = r.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    assert.deepEqual(names, ['c']);
    assert.deepEqual(points(r, 'c'), [['{"a":"x"}', 4], ['{"a":["x","y"]}', 1]]);
  });
});
