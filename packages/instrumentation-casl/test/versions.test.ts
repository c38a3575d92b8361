// The declared range (>=6 <8) at its ends: 6.0.0 (lowest), 6.8.1 (last 6.x) and the root's
// 7.0.1 (highest), each in a child process with the library loaded from its own prefix
// outside the clone; 5.x (outside the range) must be left alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AuditDecision } from '@domain-otel/api';
import { IMPLICIT_DENY_REASON } from '../src';
import { FIXTURES, ROOT, assertExactly, ensureInstalled, jsonLines, runNode } from './helpers';

const meta = (action: string, check: string, extra: Record<string, unknown> = {}) => ({ 'casl.action': action, 'casl.check': check, ...extra });

const EXPECTED: AuditDecision[] = [
  { action: 'read', outcome: 'granted', manager: 'Post', entityId: 1, permissions: ['can read Post {"authorId":42}'], reason: 'authors read their posts', metadata: meta('read', 'can') },
  { action: 'read', outcome: 'denied', manager: 'Post', entityId: 2, reason: IMPLICIT_DENY_REASON, metadata: meta('read', 'can', { 'casl.implicit_deny': true }) },
  { action: 'update', outcome: 'granted', manager: 'Post', entityId: 1, attributes: ['title'], permissions: ['can update Post [title]'], metadata: meta('update', 'can') },
  { action: 'update', outcome: 'denied', manager: 'Post', entityId: 1, attributes: ['body'], reason: IMPLICIT_DENY_REASON, metadata: meta('update', 'can', { 'casl.implicit_deny': true }) },
  { action: 'delete', outcome: 'denied', manager: 'Post', permissions: ['cannot delete Post'], reason: 'posts are never deleted', metadata: meta('delete', 'cannot', { 'casl.type_check': true }) },
  { action: 'delete', outcome: 'bypassed', manager: 'Post', entityId: 3, permissions: ['can manage all'], metadata: meta('delete', 'can') },
  { action: 'delete', outcome: 'denied', manager: 'Post', entityId: 4, permissions: ['cannot delete Post'], reason: 'posts are never deleted', metadata: meta('delete', 'ForbiddenError') },
];
const RESULTS = [true, false, true, false, true, true, 'ForbiddenError: posts are never deleted'];

async function run(prefix: string) {
  const result = await runNode([path.join(FIXTURES, 'checks.cjs'), prefix]);
  assert.equal(result.code, 0, result.stderr);
  return {
    decisions: jsonLines<AuditDecision>(result.stdout, 'DECISION '),
    results: jsonLines<unknown[]>(result.stdout, 'RESULT ')[0],
    version: jsonLines<string>(result.stdout, 'VERSION ')[0],
  };
}

describe('@casl/ability versions (child processes)', function () {
  this.timeout(180000);

  const cases: [string, () => string][] = [
    ['6.0.0', () => ensureInstalled('casl-6.0.0', '@casl/ability@6.0.0')],
    ['6.8.1', () => ensureInstalled('casl-6.8.1', '@casl/ability@6.8.1')],
    ['7.0.1', () => ROOT],
  ];
  for (const [version, dir] of cases) {
    it(`${version}: the exact decisions, and the checks answer as without instrumentation`, async () => {
      const out = await run(dir());
      assert.equal(out.version, version);
      assert.deepEqual(out.results, RESULTS);
      assertExactly(out.decisions, EXPECTED, 'decisions');
    });
  }

  it('5.4.4 (outside the declared range) is not patched', async () => {
    const out = await run(ensureInstalled('casl-5.4.4', '@casl/ability@5.4.4'));
    assert.equal(out.version, '5.4.4');
    assert.deepEqual(out.decisions, []);
  });
});
