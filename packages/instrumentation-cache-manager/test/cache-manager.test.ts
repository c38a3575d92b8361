// The adapter against the real cache-manager (7.x) and keyv (5.x) installed at the root:
// every path, event by event.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { traceMutation, traceRule, withActor } from '@domain-otel/api';
import type { CacheInvalidation } from '@domain-otel/api';
import { CacheManagerInstrumentation, nameCache } from '../src';
import { assertExactly, captureApi, nextTurn } from './helpers';

type CacheManager = typeof import('cache-manager');
type Cache = ReturnType<CacheManager['createCache']>;
type KeyvModule = typeof import('keyv');

const inv = (invalidation: CacheInvalidation, actor?: object) => ({ invalidation, actor: actor as undefined });

/** A Keyv store adapter whose writes fail (a Redis that went away, say). */
function failingStore(error: Error) {
  const data = new Map<string, unknown>();
  return {
    get: async (key: string) => data.get(key),
    set: async (key: string, value: unknown) => { data.set(key, value); return true; },
    delete: async () => { throw error; },
    clear: async () => { throw error; },
  };
}

/** A Keyv store adapter that is not an in-memory Map (its content cannot be seen in process). */
function remoteLikeStore() {
  const data = new Map<string, unknown>();
  return {
    get: async (key: string) => data.get(key),
    set: async (key: string, value: unknown) => { data.set(key, value); return true; },
    delete: async (key: string) => data.delete(key),
    clear: async () => { data.clear(); },
  };
}

describe('cache-manager instrumentation (in process, root version)', () => {
  let instrumentation: CacheManagerInstrumentation;
  let createCache: CacheManager['createCache'];
  let Keyv: KeyvModule['Keyv'];
  let capture: ReturnType<typeof captureApi>;

  before(() => {
    instrumentation = new CacheManagerInstrumentation();
    createCache = (require('cache-manager') as CacheManager).createCache;
    Keyv = (require('keyv') as KeyvModule).Keyv;
  });
  after(() => instrumentation.disable());
  beforeEach(() => {
    instrumentation.setConfig({});
    capture = captureApi();
  });
  afterEach(() => capture.stop());

  const named = (name: string, options?: Parameters<CacheManager['createCache']>[0]) => nameCache(createCache(options), name);
  const fill = async (cache: Cache, keys: string[]) => {
    for (const k of keys) await cache.set(k, `v-${k}`);
  };

  describe('what is reported', () => {
    it('del(key): reason manual with the key, once the stores have dropped it', async () => {
      const cache = named('orders');
      await fill(cache, ['a', 'b']);
      assert.equal(await cache.del('a'), true);
      assert.equal(await cache.get('a'), undefined);
      assert.equal(await cache.get('b'), 'v-b');
      assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'manual', keys: ['a'], keyCount: 1 })]);
      assert.deepEqual(capture.others, []);
    });

    it('del() of a key that was not cached is reported too (cache-manager does not say; documented)', async () => {
      const cache = named('orders');
      assert.equal(await cache.del('missing'), true);
      assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'manual', keys: ['missing'], keyCount: 1 })]);
    });

    it('mdel(keys): one manual event with the distinct keys; mdel([]) publishes nothing', async () => {
      const cache = named('orders');
      await fill(cache, ['a', 'b', 'c']);
      assert.equal(await cache.mdel(['a', 'b', 'a']), true);
      assert.equal(await cache.mdel([]), true);
      assert.deepEqual(await cache.mget(['a', 'b', 'c']), [undefined, undefined, 'v-c']);
      assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'manual', keys: ['a', 'b'], keyCount: 2 })]);
    });

    it('clear(): reason clear with every key the store held; clearing an empty cache publishes nothing', async () => {
      const cache = named('orders');
      await fill(cache, ['a', 'b', 'c']);
      assert.equal(await cache.clear(), true);
      assert.equal(await cache.clear(), true);
      assert.equal(await cache.get('a'), undefined);
      assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'clear', keys: ['a', 'b', 'c'], keyCount: 3 })]);
    });

    it('several stores (tiers): one event per call, not one per store; clear counts the largest in-memory store', async () => {
      const l1 = new Keyv();
      const l2 = new Keyv({ namespace: 'l2' });
      const cache = named('tiered', { stores: [l1, l2] });
      await fill(cache, ['a', 'b']);
      await l2.set('only-in-l2', 'x');
      await cache.del('a');
      await cache.mdel(['b']);
      await cache.set('c', 'y');
      await cache.clear();
      assertExactly(capture.take(), [
        inv({ cache: 'tiered', reason: 'manual', keys: ['a'], keyCount: 1 }),
        inv({ cache: 'tiered', reason: 'manual', keys: ['b'], keyCount: 1 }),
        inv({ cache: 'tiered', reason: 'clear', keys: ['only-in-l2', 'c'], keyCount: 2 }),
      ]);
    });

    it('clear() with a store whose content cannot be seen (not a Map): reported without keys or count', async () => {
      const cache = named('remote', { stores: [new Keyv({ store: remoteLikeStore() })] });
      await fill(cache, ['a', 'b']);
      await cache.clear();
      assertExactly(capture.take(), [inv({ cache: 'remote', reason: 'clear' })]);
    });

    it('nonBlocking caches are reported the same way', async () => {
      const cache = named('fast', { nonBlocking: true });
      await fill(cache, ['a', 'b']);
      await cache.del('a');
      await cache.mdel(['b']);
      await cache.set('c', 'z');
      await cache.clear();
      assertExactly(capture.take(), [
        inv({ cache: 'fast', reason: 'manual', keys: ['a'], keyCount: 1 }),
        inv({ cache: 'fast', reason: 'manual', keys: ['b'], keyCount: 1 }),
        inv({ cache: 'fast', reason: 'clear', keys: ['c'], keyCount: 1 }),
      ]);
    });

    it('set, replacement, get, mget, wrap and ttl are not invalidations', async () => {
      const cache = named('orders');
      await cache.set('a', '1');
      await cache.set('a', '2');
      await cache.mset([{ key: 'b', value: '3' }]);
      await cache.get('a');
      await cache.mget(['a', 'b']);
      await cache.ttl('a');
      assert.equal(await cache.wrap('w', async () => 'computed'), 'computed');
      await nextTurn();
      assert.deepEqual(capture.take(), []);
    });

    it('TTL expiry is not reported (blind spot: keyv drops expired entries lazily, without an event)', async () => {
      const cache = named('sessions', { ttl: 10 });
      await fill(cache, ['s1']);
      await sleep(40);
      assert.equal(await cache.get('s1'), undefined, 'keyv treats the entry as expired');
      await nextTurn();
      assert.deepEqual(capture.take(), []);
    });

    it('the key list is capped by maxKeysPerEvent; the count stays exact', async () => {
      instrumentation.setConfig({ maxKeysPerEvent: 2 });
      const cache = named('orders');
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      await fill(cache, keys);
      await cache.mdel(keys.slice(0, 5));
      await cache.clear();
      assertExactly(capture.take(), [
        inv({ cache: 'orders', reason: 'manual', keys: ['k0', 'k1'], keyCount: 5 }),
        inv({ cache: 'orders', reason: 'clear', keys: ['k5', 'k6'], keyCount: 5 }),
      ]);
    });
  });

  describe('actor and nesting', () => {
    it('anonymous vs withActor: each event carries the actor of the scope that called', async () => {
      const cache = named('orders');
      await fill(cache, ['a', 'b', 'c']);
      await cache.del('a');
      await withActor({ id: '42', name: 'Ada', tenant: 'acme' }, () => cache.del('b'));
      // two requests at once: never merged, never swapped
      await Promise.all([
        withActor({ id: '1', name: 'Kim' }, () => cache.mdel(['c'])),
        withActor({ id: '2', name: 'Bob' }, () => cache.del('d')),
      ]);
      assertExactly(capture.take(), [
        inv({ cache: 'orders', reason: 'manual', keys: ['a'], keyCount: 1 }),
        inv({ cache: 'orders', reason: 'manual', keys: ['b'], keyCount: 1 }, { id: '42', name: 'Ada', tenant: 'acme' }),
        inv({ cache: 'orders', reason: 'manual', keys: ['c'], keyCount: 1 }, { id: '1', name: 'Kim' }),
        inv({ cache: 'orders', reason: 'manual', keys: ['d'], keyCount: 1 }, { id: '2', name: 'Bob' }),
      ]);
    });

    it('inside a traceMutation inside a traceRule: published in the mutation (its parent), with the actor', async () => {
      const cache = named('orders');
      await fill(cache, ['order:7', 'order:8']);
      let ruleCtx: object | undefined;
      let mutationCtx: object | undefined;
      await withActor({ id: '7' }, () => traceRule({ name: 'close-orders' }, async (rctx) => {
        ruleCtx = rctx;
        await cache.del('order:8'); // directly in the rule
        return traceMutation({ action: 'update', manager: 'Order', entityId: 7 }, async (mctx) => {
          mutationCtx = mctx;
          await cache.del('order:7');
          return true;
        });
      }));
      const [inRule, inMutation] = capture.take();
      assert.deepEqual(inRule?.invalidation, { cache: 'orders', reason: 'manual', keys: ['order:8'], keyCount: 1 });
      assert.deepEqual(inMutation?.invalidation, { cache: 'orders', reason: 'manual', keys: ['order:7'], keyCount: 1 });
      assert.deepEqual(inMutation?.actor, { id: '7' });
      assert.equal(capture.parentOf(inRule!), ruleCtx);
      assert.equal(capture.parentOf(inMutation!), mutationCtx);
      assert.deepEqual(capture.others.splice(0), ['rule', 'mutation'], 'the test\'s own rule and mutation');
    });
  });

  describe('failures', () => {
    it('a failing store (throwOnErrors): the error is rethrown unchanged and nothing is published', async () => {
      const boom = new Error('store down');
      const cache = named('orders', { stores: [new Keyv({ store: failingStore(boom), throwOnErrors: true })] });
      await cache.set('a', '1');
      await assert.rejects(cache.del('a'), (e: unknown) => e === boom);
      await assert.rejects(cache.mdel(['a', 'b']), (e: unknown) => e === boom);
      await assert.rejects(cache.clear(), (e: unknown) => e === boom);
      await nextTurn();
      assert.deepEqual(capture.take(), []);
    });

    it('a failing tier among several: the call rejects and nothing is published (the healthy tier may have dropped the key)', async () => {
      const boom = new Error('l2 down');
      const healthy = new Keyv();
      const cache = named('tiered', { stores: [healthy, new Keyv({ store: failingStore(boom), throwOnErrors: true })] });
      await healthy.set('a', '1');
      await assert.rejects(cache.del('a'), (e: unknown) => e === boom);
      assert.equal(await healthy.get('a'), undefined, 'dropped from the healthy tier all the same');
      await nextTurn();
      assert.deepEqual(capture.take(), []);
    });

    it('keyv swallowing a store error (its default): cache-manager sees success, and so does the adapter', async () => {
      const cache = named('orders', { stores: [new Keyv({ store: failingStore(new Error('swallowed')) })] });
      assert.equal(await cache.del('a'), true);
      assertExactly(capture.take(), [inv({ cache: 'orders', reason: 'manual', keys: ['a'], keyCount: 1 })]);
    });

    it('a failure inside the adapter (a throwing cacheName hook) never reaches the app', async () => {
      instrumentation.setConfig({ cacheName: () => { throw new Error('hook failed'); } });
      const cache = createCache();
      const seen: unknown[] = [];
      cache.on('del', (e) => seen.push(e));
      await cache.set('a', '1');
      assert.equal(await cache.del('a'), true);
      assert.deepEqual(seen, [{ key: 'a' }], 'the app\'s own listener still runs, with the original payload');
      assert.deepEqual(capture.take(), []);
    });
  });

  describe('names', () => {
    it('default `cache-manager`; the cacheId option; the cacheName hook; nameCache wins; named after creation', async () => {
      const plain = createCache();
      const withId = createCache({ cacheId: 'sessions' });
      const late = createCache();
      nameCache(late, 'named-late');
      for (const c of [plain, withId, late]) await c.del('k');
      instrumentation.setConfig({ cacheName: (_cache, options) => (options.ttl === 7 ? 'seven' : undefined) });
      const seven = createCache({ ttl: 7 });
      const explicit = nameCache(createCache({ ttl: 7 }), 'explicit');
      for (const c of [seven, explicit]) await c.del('k');
      assert.deepEqual(capture.take().map((p) => p.invalidation.cache), ['cache-manager', 'sessions', 'named-late', 'seven', 'explicit']);
    });

    it('onlyNamed: caches without a name are not reported', async () => {
      instrumentation.setConfig({ onlyNamed: true });
      const anonymous = createCache({ cacheId: 'an-id-is-not-a-name' });
      const cache = named('orders');
      for (const c of [anonymous, cache]) await c.del('k');
      assert.deepEqual(capture.take().map((p) => p.invalidation.cache), ['orders']);
    });
  });

  describe('lifecycle', () => {
    it('the app\'s own event listeners see exactly what they saw without instrumentation', async () => {
      const cache = named('orders');
      const seen: unknown[][] = [];
      const on = cache.on.bind(cache) as (event: string, listener: (...args: unknown[]) => void) => void;
      for (const event of ['del', 'mdel', 'clear']) on(event, (...args) => seen.push([event, ...args]));
      await fill(cache, ['a', 'b']);
      await cache.del('a');
      await cache.mdel(['b']);
      await cache.clear();
      assert.deepEqual(seen, [['del', { key: 'a' }], ['mdel', { keys: ['b'] }], ['clear']]);
      assert.equal(capture.take().length, 2, 'del and mdel; the clear found the store empty');
    });

    it('nothing subscribed: the cache works as usual and nothing is published', async () => {
      capture.stop();
      const cache = named('orders');
      await fill(cache, ['a', 'b', 'c']);
      await cache.del('a');
      await cache.mdel(['b']);
      await cache.clear();
      assert.equal(await cache.get('c'), undefined);
      capture = captureApi();
      await nextTurn();
      assert.deepEqual(capture.take(), []);
    });

    it('disable(): the original createCache is exported again and existing caches stop reporting; enable() restores', async () => {
      const before = named('before');
      instrumentation.disable();
      try {
        const { createCache: exported } = require('cache-manager') as CacheManager;
        assert.notEqual(exported, createCache, 'the original createCache is exported while disabled');
        const during = nameCache(exported(), 'during');
        await before.del('a');
        await during.del('a');
        await during.clear();
        assert.deepEqual(capture.take(), []);
      } finally {
        instrumentation.enable();
      }
      const { createCache: again } = require('cache-manager') as CacheManager;
      assert.notEqual(again, createCache, 'wrapped anew');
      assert.notEqual((again as { __original?: unknown }).__original, undefined);
      const after = nameCache(again(), 'after');
      await before.del('b');
      await after.del('b');
      assert.deepEqual(capture.take().map((p) => p.invalidation.cache), ['before', 'after']);
    });
  });
});
