// The declared range (>=6 <8) at its ends: cache-manager 6.0.0 with keyv 5.0.3 (lowest of
// both: 6.0.0 asks for keyv ^5.0.3) and the root's 7.2.9 with keyv 5.6.0 (highest), each in a
// child process with the library loaded from its own prefix outside the clone; 5.7.6
// (outside the range, the pre-keyv API) must be left alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CacheInvalidation } from '@domain-otel/api';
import { FIXTURES, ROOT, assertExactly, ensureInstalled, jsonLines, runNode } from './helpers';

type Event = CacheInvalidation & { actor?: object };

const COMMON: Event[] = [
  { cache: 'orders', reason: 'manual', keys: ['a'], keyCount: 1 },
  { cache: 'orders', reason: 'manual', keys: ['missing'], keyCount: 1, actor: { id: '42' } },
  { cache: 'orders', reason: 'manual', keys: ['b', 'c'], keyCount: 2 },
  { cache: 'orders', reason: 'clear', keys: ['d', 'e'], keyCount: 2 },
];

async function run(prefix: string, mode?: 'probe') {
  const result = await runNode([path.join(FIXTURES, 'cache.cjs'), prefix, ...(mode ? [mode] : [])]);
  assert.equal(result.code, 0, result.stderr);
  return {
    events: jsonLines<Event>(result.stdout, 'EVENT '),
    result: jsonLines<unknown>(result.stdout, 'RESULT ')[0],
    version: jsonLines<Record<string, string>>(result.stdout, 'VERSION ')[0],
    exports: jsonLines<string[]>(result.stdout, 'EXPORTS ')[0],
    patched: jsonLines<boolean>(result.stdout, 'PATCHED ')[0],
  };
}

describe('cache-manager versions (child processes)', function () {
  this.timeout(180000);

  const RESULT = { left: [null, null, null, null, null], expired: null, errors: ['same error', 'same error'] };
  const cases: [string, Record<string, string>, Event, () => string][] = [
    // 6.x does not return its stores: a clear() of the internal default store has no count.
    ['6.0.0', { 'cache-manager': '6.0.0', keyv: '5.0.3' }, { cache: 'default-store', reason: 'clear' },
      () => ensureInstalled('cache-manager-6.0.0', 'cache-manager@6.0.0', 'keyv@5.0.3')],
    ['7.2.9', { 'cache-manager': '7.2.9', keyv: '5.6.0' }, { cache: 'default-store', reason: 'clear', keys: ['p'], keyCount: 1 }, () => ROOT],
  ];
  for (const [name, versions, defaultStoreClear, dir] of cases) {
    it(`${name}: the exact invalidations, and the caches behave as without instrumentation`, async () => {
      const out = await run(dir());
      assert.deepEqual(out.version, versions);
      assert.equal(out.patched, true);
      assert.deepEqual(out.exports, ['KeyvAdapter', 'createCache']);
      assert.deepEqual(JSON.parse(JSON.stringify(out.result)), RESULT);
      assertExactly(out.events, [...COMMON, defaultStoreClear], 'invalidations');
    });
  }

  it('5.7.6 (outside the declared range) is not patched', async () => {
    const out = await run(ensureInstalled('cache-manager-5.7.6', 'cache-manager@5.7.6'), 'probe');
    assert.equal(out.version?.['cache-manager'], '5.7.6');
    assert.equal(out.patched, false);
  });
});
