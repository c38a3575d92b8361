// The declared range (>=6 <7) at its ends: 6.1.0 (the lowest published 6.x: 6.0.0 never
// reached the registry) and the root's 6.37.8 (highest), each in a child process with the
// library loaded from its own prefix outside the clone, against a throwaway Postgres; 5.x
// (outside the range) must be left alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, ROOT, assertExactly, ensureInstalled, scenarioPostgres } from './helpers';

const ADA = { id: '1', name: 'Ada' };
const EXPECTED = [
  { action: 'create', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 1 }, code: { new: 'a' } }, metadata: { 'sequelize.method': 'save' }, outcome: 'success', actor: ADA },
  { action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'paid' }, total: { old: 1, new: 2 } }, metadata: { 'sequelize.method': 'save' }, outcome: 'success', actor: null },
  { action: 'create', manager: 'Order', count: 2, changedFields: ['status', 'code'], metadata: { 'sequelize.method': 'Model.bulkCreate', 'sequelize.entity_ids': [2, 3] }, outcome: 'success', actor: null },
  { action: 'bulk_update', manager: 'Order', changes: { status: { new: 'y' } }, metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { status: 'x' } }, count: 2, outcome: 'success', actor: null },
  { action: 'update', manager: 'Order', changes: { total: { old: 0, new: 5 } }, entityId: 2, metadata: { 'sequelize.method': 'Model.update' }, outcome: 'success', actor: null },
  { action: 'bulk_update', manager: 'Order', changes: { total: { new: 5 } }, metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { code: 'b' }, 'sequelize.individual_hooks': true }, count: 1, outcome: 'success', actor: null },
  { action: 'bulk_delete', manager: 'Order', metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.where': { status: 'y' } }, count: 2, outcome: 'success', actor: null },
  { action: 'create', manager: 'Order', changes: { status: { new: 'dup' }, total: { new: 0 }, code: { new: 'a' } }, metadata: { 'sequelize.method': 'save' }, outcome: 'failure', actor: null },
  { action: 'update', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'upserted' }, code: { new: 'a' } }, metadata: { 'sequelize.method': 'Model.upsert' }, outcome: 'success', actor: null },
  { action: 'create', manager: 'Doc', entityId: 1, changes: { id: { new: 1 }, title: { new: 't' } }, metadata: { 'sequelize.method': 'save' }, outcome: 'success', actor: null },
  { action: 'deactivate', manager: 'Doc', entityId: 1, metadata: { 'sequelize.method': 'destroy' }, changes: { deletedAt: { old: null, new: '<Date>' } }, outcome: 'success', actor: null },
  { action: 'delete', manager: 'Order', entityId: 1, metadata: { 'sequelize.method': 'destroy' }, outcome: 'success', actor: null },
];

describe('sequelize versions (child processes, Postgres)', function () {
  this.timeout(240000);
  const pg = scenarioPostgres();
  const run = (prefix: string, database: string) => pg.run([path.join(FIXTURES, 'scenario.cjs'), prefix], database);

  const cases: [string, () => string][] = [
    ['6.1.0', () => ensureInstalled('sequelize-6.1.0', 'sequelize@6.1.0')],
    ['6.37.8', () => ROOT],
  ];
  for (const [version, dir] of cases) {
    it(`${version}: the exact mutations, and the writes behave as without instrumentation`, async () => {
      const out = await run(dir(), `v_${version.replace(/\./g, '_')}`);
      assert.equal(out.version, version);
      assert.deepEqual(out.errors, ['SequelizeUniqueConstraintError']);
      assert.deepEqual(out.counts, [0]);
      assertExactly(out.events, EXPECTED);
    });
  }

  it('5.22.5 (outside the declared range) is not patched', async () => {
    const out = await run(ensureInstalled('sequelize-5.22.5', 'sequelize@5.22.5'), 'v_5');
    assert.equal(out.version, '5.22.5');
    assert.deepEqual(out.errors, ['SequelizeUniqueConstraintError']);
    assert.deepEqual(out.events, []);
  });
});
