// The declared range (>=6 <8) at its ends: 6.0.0 (lowest), 6.6.0 (last 6.x) and the root's
// 7.3.1 (highest), each in a child process with the library loaded from its own prefix
// outside the clone; 5.x (outside the range) must be left alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, ROOT, assertExactly, ensureInstalled, jsonLines, runNode } from './helpers';

const meta = { name: 'pricing', set: 'pricing' };
const leaf = (fact: string, operator: string, value: unknown, factResult: unknown, result: boolean) => ({ fact, operator, value, factResult, result });
const runOf = (evaluation: object, outcome: string, error = false): unknown[] => [
  ['start', { meta }],
  ['end', { meta }],
  ['evaluation', evaluation],
  ...(error ? [['error', { meta }]] : []),
  ['asyncStart', { meta }],
  ['asyncEnd', { meta, outcome }],
];

const EXPECTED = [
  ...runOf({
    name: 'big-order', set: 'pricing', outcome: 'passed', input: { total: 150, country: 'DE' }, timed: true,
    conditions: { all: [leaf('total', 'greaterThan', 100, 150, true), leaf('country', 'equal', 'DE', 'DE', true)] },
  }, 'passed'),
  ...runOf({
    name: 'big-order', set: 'pricing', outcome: 'failed', input: { total: 50, country: 'DE' }, timed: true,
    conditions: { all: [leaf('total', 'greaterThan', 100, 50, false), leaf('country', 'equal', 'DE', 'DE', true)] },
  }, 'failed'),
  ...runOf({ name: 'big-order', set: 'pricing', outcome: 'error', input: { total: 150 }, errorType: 'UNDEFINED_FACT', timed: true }, 'error', true),
];
const RESULTS = [[{ type: 'discount' }], [{ type: 'discount' }], 'rejected: Undefined fact: country'];

async function run(prefix: string) {
  const result = await runNode([path.join(FIXTURES, 'runs.cjs'), prefix]);
  assert.equal(result.code, 0, result.stderr);
  return {
    events: jsonLines<unknown>(result.stdout, 'EVENT '),
    results: jsonLines<unknown[]>(result.stdout, 'RESULT ')[0],
    version: jsonLines<string>(result.stdout, 'VERSION ')[0],
  };
}

describe('json-rules-engine versions (child processes)', function () {
  this.timeout(180000);

  const cases: [string, () => string][] = [
    ['6.0.0', () => ensureInstalled('json-rules-engine-6.0.0', 'json-rules-engine@6.0.0')],
    ['6.6.0', () => ensureInstalled('json-rules-engine-6.6.0', 'json-rules-engine@6.6.0')],
    ['7.3.1', () => ROOT],
  ];
  for (const [version, dir] of cases) {
    it(`${version}: the exact events, and the runs answer as without instrumentation`, async () => {
      const out = await run(dir());
      assert.equal(out.version, version);
      assert.deepEqual(out.results, RESULTS);
      assertExactly(out.events, EXPECTED);
    });
  }

  it('5.3.0 (outside the declared range) is not patched', async () => {
    const out = await run(ensureInstalled('json-rules-engine-5.3.0', 'json-rules-engine@5.3.0'));
    assert.equal(out.version, '5.3.0');
    assert.deepEqual(out.events, []);
  });
});
