// The adapter against the real lru-cache installed at the root (11.x): every path, event by event.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { withActor } from '@domain-otel/api';
import type { CacheInvalidation } from '@domain-otel/api';
import { LruCacheInstrumentation, nameCache } from '../src';
import { assertExactly, captureApi, nextTurn } from './helpers';

type Lru = typeof import('lru-cache');

const inv = (invalidation: CacheInvalidation, actor?: object) => ({ invalidation, actor: actor as undefined });

describe('lru-cache instrumentation (in process, root version)', () => {
  let instrumentation: LruCacheInstrumentation;
  let LRUCache: Lru['LRUCache'];
  let capture: ReturnType<typeof captureApi>;

  before(() => {
    instrumentation = new LruCacheInstrumentation();
    LRUCache = (require('lru-cache') as Lru).LRUCache;
  });
  after(() => instrumentation.disable());
  beforeEach(() => {
    instrumentation.setConfig({});
    capture = captureApi();
  });
  afterEach(() => capture.stop());

  const named = (name: string, options: { max?: number; maxSize?: number; ttl?: number; ttlAutopurge?: boolean; sizeCalculation?: (v: string) => number } = { max: 10 }) =>
    nameCache(new LRUCache<string, string>(options as { max: number }), name);
  const fill = (cache: { set(k: string, v: string): unknown }, keys: string[]) => keys.forEach((k) => cache.set(k, `v-${k}`));

  it('delete(): reason manual with the key; deleting a missing key publishes nothing', async () => {
    const cache = named('orders');
    fill(cache, ['a', 'b']);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('missing'), false);
    await nextTurn();
    assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'manual', keys: ['a'], keyCount: 1 })]);
    assert.deepEqual(capture.others, []);
  });

  it('deleting the last entry is still manual (lru-cache clears internally)', async () => {
    const cache = named('orders');
    fill(cache, ['only']);
    cache.delete('only');
    cache.set('again', 'x');
    cache.set('again', undefined as unknown as string); // set(k, undefined) is delete(k)
    await nextTurn();
    assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'manual', keys: ['only', 'again'], keyCount: 2 })]);
  });

  it('clear(): reason clear with every key; clearing an empty cache publishes nothing', async () => {
    const cache = named('orders');
    fill(cache, ['a', 'b', 'c']);
    cache.clear();
    cache.clear();
    await nextTurn();
    assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'clear', keys: ['a', 'b', 'c'], keyCount: 3 })]);
  });

  it('evictions by max and by maxSize: reason evict', async () => {
    const byCount = named('by-count', { max: 2 });
    fill(byCount, ['a', 'b', 'c', 'd']);
    const bySize = named('by-size', { maxSize: 10, sizeCalculation: (v: string) => v.length });
    bySize.set('x', '12345');
    bySize.set('y', '12345');
    bySize.set('z', '123456');
    await nextTurn();
    assertExactly(capture.take(), [
      inv({ cache: 'by-count', reason: 'evict', keys: ['a', 'b'], keyCount: 2 }),
      inv({ cache: 'by-size', reason: 'evict', keys: ['x', 'y'], keyCount: 2 }),
    ]);
  });

  it('replacing a value is not an invalidation', async () => {
    const cache = named('orders');
    cache.set('a', '1');
    cache.set('a', '2');
    await nextTurn();
    assert.deepEqual(capture.take(), []);
  });

  describe('expirations: reason ttl', () => {
    it('found stale by get() and by purgeStale()', async () => {
      const cache = named('sessions', { max: 10, ttl: 20 });
      fill(cache, ['a', 'b', 'c']);
      await sleep(40);
      assert.equal(cache.get('a'), undefined);
      await nextTurn();
      assert.equal(cache.purgeStale(), true);
      await nextTurn();
      assertExactly(capture.take(), [
        inv({ cache: 'sessions', reason: 'ttl', keys: ['a'], keyCount: 1 }),
        inv({ cache: 'sessions', reason: 'ttl', keys: ['b', 'c'], keyCount: 2 }),
      ]);
    });

    it('ttlAutopurge timers', async () => {
      const cache = named('tokens', { max: 10, ttl: 15, ttlAutopurge: true });
      cache.set('t1', 'x');
      await sleep(80);
      assertExactly(capture.take(), [inv({ cache: 'tokens', reason: 'ttl', keys: ['t1'], keyCount: 1 })]);
    });

    it('delete() of an entry that had already expired counts as ttl', async () => {
      const cache = named('sessions', { max: 10, ttl: 10 });
      fill(cache, ['old']);
      await sleep(30);
      cache.delete('old');
      await nextTurn();
      assertExactly(capture.take(), [inv({ cache: 'sessions', reason: 'ttl', keys: ['old'], keyCount: 1 })]);
    });
  });

  describe('batching', () => {
    it('one event per cache and reason within one tick; the count stays exact past maxKeysPerEvent', async () => {
      instrumentation.setConfig({ maxKeysPerEvent: 3 });
      const a = named('a', { max: 100 });
      const b = named('b', { max: 100 });
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      fill(a, keys);
      fill(b, keys);
      for (const k of keys) a.delete(k);
      b.delete('k0');
      b.clear();
      await nextTurn();
      assertExactly(capture.take(), [
        inv({ cache: 'a', reason: 'manual', keys: ['k0', 'k1', 'k2'], keyCount: 50 }),
        inv({ cache: 'b', reason: 'manual', keys: ['k0'], keyCount: 1 }),
        inv({ cache: 'b', reason: 'clear', keys: ['k1', 'k2', 'k3'], keyCount: 49 }),
      ]);
    });

    it('separate ticks give separate events', async () => {
      const cache = named('orders');
      fill(cache, ['a', 'b']);
      cache.delete('a');
      await nextTurn();
      cache.delete('b');
      await nextTurn();
      assert.deepEqual(capture.take().map((p) => p.invalidation.keys), [['a'], ['b']]);
    });

    it('different actors in one tick are not merged; each event carries its actor', async () => {
      const cache = named('orders');
      fill(cache, ['a', 'b', 'c']);
      withActor({ id: '1', name: 'Ada' }, () => cache.delete('a'));
      withActor({ id: '2', name: 'Bob' }, () => cache.delete('b'));
      withActor({ id: '1', name: 'Ada' }, () => cache.delete('c'));
      await nextTurn();
      assertExactly(capture.take(), [
        inv({ cache: 'orders', reason: 'manual', keys: ['a'], keyCount: 1 }, { id: '1', name: 'Ada' }),
        inv({ cache: 'orders', reason: 'manual', keys: ['b'], keyCount: 1 }, { id: '2', name: 'Bob' }),
        inv({ cache: 'orders', reason: 'manual', keys: ['c'], keyCount: 1 }, { id: '1', name: 'Ada' }),
      ]);
    });
  });

  describe('names', () => {
    it('default name from the limits; the cacheName hook; nameCache wins; named after construction', async () => {
      const plain = new LRUCache<string, string>({ max: 5, ttl: 60000 });
      const sized = new LRUCache<string, string>({ maxSize: 100, sizeCalculation: () => 1 });
      const late = new LRUCache<string, string>({ max: 5 });
      nameCache(late, 'named-late');
      for (const c of [plain, sized, late]) {
        c.set('k', 'v');
        c.delete('k');
      }
      await nextTurn();
      instrumentation.setConfig({ cacheName: (_cache, options) => (options.max === 7 ? 'seven' : undefined) });
      const seven = new LRUCache<string, string>({ max: 7 });
      const explicit = nameCache(new LRUCache<string, string>({ max: 7 }), 'explicit');
      for (const c of [seven, explicit]) {
        c.set('k', 'v');
        c.delete('k');
      }
      await nextTurn();
      assert.deepEqual(capture.take().map((p) => p.invalidation.cache), [
        'lru-cache(max=5,ttl=60000)', 'lru-cache(maxSize=100)', 'named-late', 'seven', 'explicit',
      ]);
    });

    it('onlyNamed: caches without a name are not reported', async () => {
      instrumentation.setConfig({ onlyNamed: true });
      const anonymous = new LRUCache<string, string>({ max: 5 });
      const cache = named('orders');
      for (const c of [anonymous, cache]) {
        c.set('k', 'v');
        c.delete('k');
      }
      await nextTurn();
      assert.deepEqual(capture.take().map((p) => p.invalidation.cache), ['orders']);
    });
  });

  it('reasons: only the configured reasons are reported', async () => {
    instrumentation.setConfig({ reasons: ['clear'] });
    const cache = named('orders', { max: 1 });
    fill(cache, ['a', 'b']);
    cache.delete('b');
    cache.set('c', 'x');
    cache.clear();
    await nextTurn();
    assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'clear', keys: ['c'], keyCount: 1 })]);
  });

  it('the app\'s own dispose is called exactly as without instrumentation (same arguments, same this)', async () => {
    const calls: unknown[][] = [];
    let self: unknown;
    const cache = nameCache(new LRUCache<string, string>({
      max: 2,
      dispose(value, key, reason) {
        self = this;
        calls.push([value, key, reason]);
      },
    }), 'orders');
    fill(cache, ['a', 'b', 'c']);
    cache.set('b', 'replaced');
    cache.delete('c');
    cache.clear();
    assert.deepEqual(calls, [['v-a', 'a', 'evict'], ['v-b', 'b', 'set'], ['v-c', 'c', 'delete'], ['replaced', 'b', 'delete']]);
    assert.equal(self, cache);
    await nextTurn();
    assert.deepEqual(capture.take().map((p) => p.invalidation.reason), ['evict', 'manual', 'clear']);
  });

  it('the app\'s dispose throwing propagates as before; the event is still published', async () => {
    const boom = new Error('app dispose failed');
    const cache = nameCache(new LRUCache<string, string>({ max: 5, dispose: () => { throw boom; } }), 'orders');
    fill(cache, ['a']);
    assert.throws(() => cache.delete('a'), (e: unknown) => e === boom);
    await nextTurn();
    assert.deepEqual(capture.take().map((p) => p.invalidation.reason), ['manual']);
  });

  it('the class stays usable: instanceof, subclasses, statics', async () => {
    class Tagged extends LRUCache<string, string> {
      tag = 'mine';
    }
    const sub = nameCache(new Tagged({ max: 1 }), 'sub');
    assert.ok(sub instanceof LRUCache);
    assert.ok(sub instanceof Tagged);
    assert.equal(sub.tag, 'mine');
    assert.equal(Object.getPrototypeOf(Tagged.prototype), LRUCache.prototype);
    fill(sub, ['a', 'b']);
    await nextTurn();
    assertExactly(capture.take(), [inv({ cache: 'sub', reason: 'evict', keys: ['a'], keyCount: 1 })]);
  });

  it('nothing subscribed: the cache works as usual and nothing is published', async () => {
    capture.stop();
    const cache = named('orders', { max: 2 });
    fill(cache, ['a', 'b', 'c']);
    cache.delete('b');
    cache.clear();
    assert.equal(cache.size, 0);
    await nextTurn();
    capture = captureApi();
    await nextTurn();
    assert.deepEqual(capture.take(), []);
  });

  it('disable(): the original class is exported again and existing caches stop reporting; enable() restores', async () => {
    const before = named('before');
    instrumentation.disable();
    try {
      const { LRUCache: Exported } = require('lru-cache') as Lru;
      assert.notEqual(Exported, LRUCache, 'the original class is exported while disabled');
      const during = nameCache(new Exported<string, string>({ max: 5 }), 'during');
      fill(before, ['a']);
      fill(during, ['a']);
      before.delete('a');
      during.delete('a');
      await nextTurn();
      assert.deepEqual(capture.take(), []);
    } finally {
      instrumentation.enable();
    }
    assert.equal((require('lru-cache') as Lru).LRUCache, LRUCache, 'the same instrumented class is exported again');
    fill(before, ['b']);
    before.delete('b');
    await nextTurn();
    assert.deepEqual(capture.take().map((p) => p.invalidation.cache), ['before']);
  });
});
