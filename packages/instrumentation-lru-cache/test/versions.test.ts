// The declared range (>=10 <12) at its ends: 10.0.0 (lowest), 10.4.3 (last 10.x) and the
// root's 11.5.3 (highest), each in a child process with the library loaded from its own
// prefix outside the clone; 9.x (outside the range) must be left alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CacheInvalidation } from '@domain-otel/api';
import { FIXTURES, ROOT, assertExactly, ensureInstalled, jsonLines, runNode } from './helpers';

const EXPECTED: CacheInvalidation[] = [
  { cache: 'orders', reason: 'evict', keys: ['a', 'b'], keyCount: 2 },
  { cache: 'orders', reason: 'manual', keys: ['c'], keyCount: 1 },
  { cache: 'orders', reason: 'clear', keys: ['d', 'e'], keyCount: 2 },
  { cache: 'tokens', reason: 'ttl', keys: ['t1'], keyCount: 1 },
  { cache: 'sessions', reason: 'ttl', keys: ['s1'], keyCount: 1 },
  { cache: 'sessions', reason: 'ttl', keys: ['s2', 's3'], keyCount: 2 },
];

async function run(prefix: string) {
  const result = await runNode([path.join(FIXTURES, 'cache.cjs'), prefix]);
  assert.equal(result.code, 0, result.stderr);
  return {
    events: jsonLines<CacheInvalidation>(result.stdout, 'EVENT '),
    result: jsonLines<{ disposed: string[]; sizes: number[] }>(result.stdout, 'RESULT ')[0],
    version: jsonLines<string>(result.stdout, 'VERSION ')[0],
  };
}

describe('lru-cache versions (child processes)', function () {
  this.timeout(180000);

  const cases: [string, string[], () => string][] = [
    // 10.0.x reports expirations to dispose() as 'delete'; later versions as 'expire'.
    ['10.0.0', ['a:evict', 'b:evict', 'c:delete', 'd:delete', 'e:delete'], () => ensureInstalled('lru-cache-10.0.0', 'lru-cache@10.0.0')],
    ['10.4.3', ['a:evict', 'b:evict', 'c:delete', 'd:delete', 'e:delete'], () => ensureInstalled('lru-cache-10.4.3', 'lru-cache@10.4.3')],
    ['11.5.3', ['a:evict', 'b:evict', 'c:delete', 'd:delete', 'e:delete'], () => ROOT],
  ];
  for (const [version, disposed, dir] of cases) {
    it(`${version}: the exact invalidations, and the caches behave as without instrumentation`, async () => {
      const out = await run(dir());
      assert.equal(out.version, version);
      assert.deepEqual(out.result, { disposed, sizes: [0, 0, 0] });
      assertExactly(out.events, EXPECTED, 'invalidations');
    });
  }

  it('9.1.2 (outside the declared range) is not patched', async () => {
    const out = await run(ensureInstalled('lru-cache-9.1.2', 'lru-cache@9.1.2'));
    assert.equal(out.version, '9.1.2');
    assert.deepEqual(out.events, []);
  });
});
