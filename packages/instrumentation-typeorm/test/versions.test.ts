// The declared range (>=0.3.0 <0.4) at its ends: 0.3.0 (lowest) and the root's 0.3.31
// (highest), each in a child process with the library loaded from its own prefix outside the
// clone, against a throwaway Postgres; 0.2.45 (outside the range) must be left alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, ROOT, assertExactly, ensureInstalled, jsonLines, runNode, scenarioPostgres } from './helpers';

const ADA = { id: '1', name: 'Ada' };
const save = { 'typeorm.method': 'save' };
const EXPECTED = [
  { action: 'create', manager: 'Order', changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 1 }, code: { new: 'a' } }, metadata: save, entityId: 1, outcome: 'success', actor: ADA },
  { action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'paid' }, total: { old: 1, new: 2 } }, metadata: save, outcome: 'success', actor: null },
  { action: 'create', manager: 'Order', changes: { id: { new: 2 }, status: { new: 'x' }, total: { new: 0 }, code: { new: 'b' } }, metadata: save, entityId: 2, outcome: 'success', actor: null },
  { action: 'create', manager: 'Order', changes: { id: { new: 3 }, status: { new: 'x' }, total: { new: 0 }, code: { new: 'c' } }, metadata: save, entityId: 3, outcome: 'success', actor: null },
  { action: 'bulk_update', manager: 'Order', metadata: { 'typeorm.method': 'update', 'typeorm.where': { status: { operator: 'in', value: ['x'] } } }, changes: { status: { new: 'y' } }, count: 2, outcome: 'success', actor: null },
  { action: 'delete', manager: 'Order', entityId: 2, metadata: { 'typeorm.method': 'delete' }, count: 1, outcome: 'success', actor: null },
  { action: 'create', manager: 'Order', metadata: { 'typeorm.method': 'insert' }, changes: { id: { new: 4 }, status: { new: 'ins' }, total: { new: 0 }, code: { new: 'd' } }, entityId: 4, outcome: 'success', actor: null },
  { action: 'create', manager: 'Order', changes: { status: { new: 'dup' }, code: { new: 'a' } }, metadata: save, outcome: 'failure', actor: null },
  { action: 'bulk_update', manager: 'Order', metadata: { 'typeorm.method': 'QueryBuilder.update', 'typeorm.query': '<query>' }, changes: { total: { new: 9 } }, count: 1, outcome: 'success', actor: null },
  { action: 'create', manager: 'Doc', changes: { id: { new: 1 }, title: { new: 't' } }, metadata: save, entityId: 1, outcome: 'success', actor: null },
  { action: 'deactivate', manager: 'Doc', entityId: 1, metadata: { 'typeorm.method': 'softRemove' }, changes: { deletedAt: { old: null, new: '<Date>' } }, outcome: 'success', actor: null },
  { action: 'delete', manager: 'Order', entityId: 1, metadata: { 'typeorm.method': 'remove' }, outcome: 'success', actor: null },
];

describe('typeorm versions (child processes, Postgres)', function () {
  this.timeout(240000);
  const pg = scenarioPostgres();

  const cases: [string, () => string][] = [
    ['0.3.0', () => ensureInstalled('typeorm-0.3.0', 'typeorm@0.3.0')],
    ['0.3.31', () => ROOT],
  ];
  for (const [version, dir] of cases) {
    it(`${version}: the exact mutations, and the writes behave as without instrumentation`, async () => {
      const out = await pg.run([path.join(FIXTURES, 'scenario.cjs'), dir()], `v_${version.replace(/\./g, '_')}`);
      assert.equal(out.version, version);
      assert.deepEqual(out.errors, ['QueryFailedError']);
      assert.deepEqual(out.counts, [2]);
      assertExactly(out.events, EXPECTED);
    });
  }

  it('0.2.45 (outside the declared range) is not patched; 0.3.0 is', async () => {
    const check = async (dir: string) => {
      const result = await runNode([path.join(FIXTURES, 'wrapped.cjs'), dir]);
      assert.equal(result.code, 0, result.stderr);
      return { version: jsonLines<string>(result.stdout, 'VERSION ')[0], wrapped: jsonLines<Record<string, boolean>>(result.stdout, 'WRAPPED ')[0] };
    };
    assert.deepEqual(await check(ensureInstalled('typeorm-0.2.45', 'typeorm@0.2.45')), { version: '0.2.45', wrapped: { execute: false, insert: false, update: false } });
    assert.deepEqual(await check(ensureInstalled('typeorm-0.3.0', 'typeorm@0.3.0')), { version: '0.3.0', wrapped: { execute: true, insert: true, update: true } });
  });
});
