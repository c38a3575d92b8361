// The adapter against the real Sequelize installed at the root (6.37.x) and a throwaway
// Postgres: every write path, event by event, with the SQL each one ran.
import assert from 'node:assert/strict';
import { withActor } from '@domain-otel/api';
import type { Sequelize as SequelizeType, ModelStatic, Model } from 'sequelize';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { SequelizeInstrumentation } from '../src';
import { assertExactly, assertNoteInOrderInRule, captureMutations, capturePerTest, mutation } from './helpers';

type Lib = typeof import('sequelize');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = ModelStatic<Model<any, any>>;

const save = { 'sequelize.method': 'save' };

describe('sequelize instrumentation (in process, root version, Postgres)', function () {
  this.timeout(60000);
  let pg: ThrowawayPostgres;
  let instrumentation: SequelizeInstrumentation;
  let lib: Lib;
  let sequelize: SequelizeType;
  const captures = capturePerTest(captureMutations);
  let Order: AnyModel;
  let Doc: AnyModel;
  let Account: AnyModel;
  let Line: AnyModel;
  let Note: AnyModel;
  let Tag: AnyModel;

  const cap = () => captures.current;

  before(async () => {
    instrumentation = new SequelizeInstrumentation();
    lib = require('sequelize') as Lib;
    pg = await startThrowawayPostgres();
    const url = await pg.createDatabase('sequelize_adapter');
    const { DataTypes } = lib;
    sequelize = new lib.Sequelize(url, { logging: (sql: string) => captures.running?.logging(sql) });
    Order = sequelize.define('Order', {
      status: { type: DataTypes.STRING, allowNull: false },
      total: { type: DataTypes.INTEGER, defaultValue: 0 },
      code: { type: DataTypes.STRING, unique: true },
      label: { type: DataTypes.VIRTUAL, get(this: Model) { return `order ${String(this.get('code'))}`; } },
    });
    Doc = sequelize.define('Doc', { title: DataTypes.STRING }, { paranoid: true });
    Account = sequelize.define('Account', { email: DataTypes.STRING, name: DataTypes.STRING }, {
      hooks: {
        // a hook that changes a field on the way: the change must be reported too
        beforeSave(account: Model) {
          const email = account.get('email');
          if (typeof email === 'string') account.set('email', email.toLowerCase());
        },
      },
    });
    Line = sequelize.define('Line', {
      orderId: { type: DataTypes.INTEGER, primaryKey: true },
      lineNo: { type: DataTypes.INTEGER, primaryKey: true },
      qty: DataTypes.INTEGER,
    }, { timestamps: false });
    Note = sequelize.define('Note', { text: DataTypes.STRING }, { timestamps: false });
    Tag = sequelize.define('Tag', { name: DataTypes.STRING }, { timestamps: false });
    Order.hasMany(Tag);
    await sequelize.sync();
  });

  after(async () => {
    instrumentation?.disable();
    await sequelize?.close();
    await pg?.destroy();
  });

  beforeEach(async () => {
    instrumentation.setConfig({});
    await sequelize.query('TRUNCATE "Orders", "Docs", "Accounts", "Lines", "Notes", "Tags" RESTART IDENTITY');
    captures.start();
  });

  /** Runs `fn` without capturing (fixtures for a test). */
  const quietly = captures.quietly;

  describe('instance writes', () => {
    it('create: one create with the new id and every stored value; the INSERT runs inside it', async () => {
      const order = await Order.create({ status: 'new', total: 10, code: 'A-1' });
      assert.equal(order.get('id'), 1);
      const [created] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', entityId: 1,
        changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 10 }, code: { new: 'A-1' } },
        metadata: save,
      })]);
      assert.deepEqual(cap().sqlOf(created!).map((s) => s.slice(0, 22)), ['INSERT INTO "Orders" (']);
      assert.deepEqual(cap().untracedSql(), []);
    });

    it('update of one field: old → new of that field only (timestamps left out)', async () => {
      const order = await quietly(() => Order.create({ status: 'new', total: 10, code: 'A-1' }));
      await order.update({ status: 'paid' });
      const [updated] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'paid' } }, metadata: save,
      })]);
      assert.equal(cap().sqlOf(updated!).length, 1);
      assert.match(cap().sqlOf(updated!)[0]!, /^UPDATE "Orders" SET "status"=\$1,"updatedAt"=\$2 WHERE "id" = \$3/);
    });

    it('multi-field update through set() + save(), including a field a beforeSave hook changed', async () => {
      const account = await quietly(() => Account.create({ email: 'ada@example.com', name: 'Ada' }));
      account.set({ email: 'Ada.Lovelace@Example.COM', name: 'Ada L.' });
      await account.save();
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Account', entityId: 1,
        changes: { email: { old: 'ada@example.com', new: 'ada.lovelace@example.com' }, name: { old: 'Ada', new: 'Ada L.' } },
        metadata: save,
      })]);
      assert.equal((await Account.findByPk(1))?.get('email'), 'ada.lovelace@example.com');
    });

    it('save({ fields }) reports only the fields it wrote; the others stay pending', async () => {
      const order = await quietly(() => Order.create({ status: 'new', total: 10, code: 'A-1' }));
      order.set({ status: 'paid', total: 12 });
      await order.save({ fields: ['total'] });
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1, changes: { total: { old: 10, new: 12 } }, metadata: save,
      })]);
      assert.deepEqual(order.changed(), ['status']);
    });

    it('save() with nothing changed runs no SQL and reports nothing', async () => {
      const order = await quietly(() => Order.create({ status: 'new', code: 'A-1' }));
      await order.save();
      await order.update({ status: 'new' });
      assert.deepEqual(cap().take(), []);
      assert.deepEqual(cap().untracedSql(), []);
    });

    it('destroy(): delete with the entity id; the DELETE runs inside it', async () => {
      const order = await quietly(() => Order.create({ status: 'new', code: 'A-1' }));
      await order.destroy();
      const [deleted] = cap().mutations;
      assertExactly(cap().take(), [mutation({ action: 'delete', manager: 'Order', entityId: 1, metadata: { 'sequelize.method': 'destroy' } })]);
      assert.deepEqual(cap().sqlOf(deleted!), ['DELETE FROM "Orders" WHERE "id" = 1']);
    });

    it('paranoid destroy(): deactivate with deletedAt old → new (its inner save is not a second event); force: delete', async () => {
      const [a, b] = await quietly(() => Promise.all([Doc.create({ title: 'a' }), Doc.create({ title: 'b' })]));
      await a!.destroy();
      const deletedAt = a!.get('deletedAt');
      assert.ok(deletedAt instanceof Date);
      await b!.destroy({ force: true });
      const [deactivated, deleted] = cap().mutations;
      assertExactly(cap().take(), [
        mutation({ action: 'deactivate', manager: 'Doc', entityId: 1, changes: { deletedAt: { old: null, new: deletedAt } }, metadata: { 'sequelize.method': 'destroy' } }),
        mutation({ action: 'delete', manager: 'Doc', entityId: 2, metadata: { 'sequelize.method': 'destroy' } }),
      ]);
      assert.match(cap().sqlOf(deactivated!).join(), /^UPDATE "Docs" SET "deletedAt"=\$1,"updatedAt"=\$2 WHERE "id" = \$3/);
      assert.match(cap().sqlOf(deleted!).join(), /^DELETE FROM "Docs" WHERE "id" = 2/);
    });

    it('restore(): update with deletedAt old → null', async () => {
      const doc = await quietly(async () => {
        const d = await Doc.create({ title: 'a' });
        await d.destroy();
        return d;
      });
      const deletedAt = doc.get('deletedAt');
      await doc.restore();
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Doc', entityId: 1, changes: { deletedAt: { old: deletedAt, new: null } }, metadata: { 'sequelize.method': 'restore' },
      })]);
    });

    it('composite primary key: entity id `orderId=7,lineNo=2`', async () => {
      const line = await Line.create({ orderId: 7, lineNo: 2, qty: 1 });
      await line.update({ qty: 3 });
      assertExactly(cap().take(), [
        mutation({ action: 'create', manager: 'Line', entityId: 'orderId=7,lineNo=2', changes: { orderId: { new: 7 }, lineNo: { new: 2 }, qty: { new: 1 } }, metadata: save }),
        mutation({ action: 'update', manager: 'Line', entityId: 'orderId=7,lineNo=2', changes: { qty: { old: 1, new: 3 } }, metadata: save }),
      ]);
    });

    it('instance increment()/decrement(): update with the fields and amounts', async () => {
      const order = await quietly(() => Order.create({ status: 'new', total: 10, code: 'A-1' }));
      await order.increment('total', { by: 5 });
      await order.decrement(['total']);
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changedFields: ['total'], metadata: { 'sequelize.method': 'increment', 'sequelize.increment': { total: 5 } } }),
        mutation({ action: 'update', manager: 'Order', entityId: 1, changedFields: ['total'], metadata: { 'sequelize.method': 'increment', 'sequelize.increment': { total: -1 } } }),
      ]);
      assert.equal((await Order.findByPk(1))?.get('total'), 14);
    });
  });

  describe('bulk writes without individualHooks: one event per call', () => {
    it('Model.update: bulk_update with the where filter (operators as Op.*), the values and the row count', async () => {
      await quietly(() => Order.bulkCreate([{ status: 'new', total: 5, code: 'a' }, { status: 'new', total: 50, code: 'b' }, { status: 'new', total: 500, code: 'c' }]));
      const { Op } = lib;
      const [count] = await Order.update({ status: 'flagged', total: undefined }, { where: { total: { [Op.gte]: 50 }, status: 'new' } });
      assert.equal(count, 2);
      const [bulk] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { new: 'flagged' } },
        metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { total: { 'Op.gte': 50 }, status: 'new' } },
      })]);
      assert.deepEqual(cap().sqlOf(bulk!), ['UPDATE "Orders" SET "status"=$1,"updatedAt"=$2 WHERE "total" >= 50 AND "status" = $3']);
    });

    it('Model.update with returning: the count from the returned rows; Op.or / Op.in / literal() described', async () => {
      await quietly(() => Order.bulkCreate([{ status: 'new', code: 'a' }, { status: 'new', code: 'b' }]));
      const { Op } = lib;
      await Order.update({ total: 9 }, { where: { [Op.or]: [{ code: { [Op.in]: ['a', 'x'] } }, lib.literal('1 = 0')] }, returning: true });
      assertExactly(cap().take(), [mutation({
        action: 'bulk_update', manager: 'Order', count: 1, changes: { total: { new: 9 } },
        metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { 'Op.or': [{ code: { 'Op.in': ['a', 'x'] } }, { literal: { val: '1 = 0' } }] } },
      })]);
    });

    it('Model.destroy: bulk_delete with the count; paranoid models: paranoid flag; force: hard; Model.restore: bulk_update', async () => {
      await quietly(() => Promise.all([
        Order.bulkCreate([{ status: 'x', code: 'a' }, { status: 'x', code: 'b' }, { status: 'y', code: 'c' }]),
        Doc.bulkCreate([{ title: 'a' }, { title: 'a' }, { title: 'b' }]),
      ]));
      assert.equal(await Order.destroy({ where: { status: 'x' } }), 2);
      await Doc.destroy({ where: { title: 'a' } });
      await Doc.restore({ where: { title: 'a' } });
      await Doc.destroy({ where: { title: 'b' }, force: true });
      const [orders, soft, restored, hard] = cap().mutations;
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_delete', manager: 'Order', count: 2, metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.where': { status: 'x' } } }),
        mutation({ action: 'bulk_delete', manager: 'Doc', count: 2, metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.where': { title: 'a' }, 'sequelize.paranoid': true } }),
        mutation({ action: 'bulk_update', manager: 'Doc', count: 2, changes: { deletedAt: { new: null } }, metadata: { 'sequelize.method': 'Model.restore', 'sequelize.where': { title: 'a' } } }),
        mutation({ action: 'bulk_delete', manager: 'Doc', count: 1, metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.where': { title: 'b' } } }),
      ]);
      assert.deepEqual(cap().sqlOf(orders!), ['DELETE FROM "Orders" WHERE "status" = \'x\'']);
      assert.match(cap().sqlOf(soft!).join(), /^UPDATE "Docs" SET "deletedAt"=\$1 WHERE "deletedAt" IS NULL AND "title" = \$2/);
      assert.match(cap().sqlOf(restored!).join(), /^UPDATE "Docs" SET "deletedAt"=\$1 WHERE "title" = \$2/);
      assert.match(cap().sqlOf(hard!).join(), /^DELETE FROM "Docs"/);
    });

    it('Model.truncate: bulk_delete flagged truncate, without a count', async () => {
      await quietly(() => Note.bulkCreate([{ text: 'a' }]));
      await Note.truncate();
      assertExactly(cap().take(), [mutation({ action: 'bulk_delete', manager: 'Note', metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.truncate': true } })]);
      assert.equal(await Note.count(), 0);
    });

    it('Model.bulkCreate: one create with count, the fields written and the new ids', async () => {
      const rows = await Order.bulkCreate([{ status: 'new', code: 'a' }, { status: 'new', total: 3, code: 'b' }]);
      assert.equal(rows.length, 2);
      const [bulk] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', count: 2, changedFields: ['status', 'total', 'code'],
        metadata: { 'sequelize.method': 'Model.bulkCreate', 'sequelize.entity_ids': [1, 2] },
      })]);
      assert.equal(cap().sqlOf(bulk!).length, 1);
      assert.match(cap().sqlOf(bulk!)[0]!, /^INSERT INTO "Orders"/);
    });

    it('Model.bulkCreate of nothing writes nothing and reports nothing; maxEntityIds caps the id list', async () => {
      await Order.bulkCreate([]);
      instrumentation.setConfig({ maxEntityIds: 1 });
      await Order.bulkCreate([{ status: 'a' }, { status: 'b' }], { ignoreDuplicates: true });
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', count: 2, changedFields: ['status'],
        metadata: { 'sequelize.method': 'Model.bulkCreate', 'sequelize.ignore_duplicates': true, 'sequelize.entity_ids': [1] },
      })]);
    });

    it('Model.upsert: update with the entity id and the values written (Postgres cannot tell insert from update)', async () => {
      await quietly(() => Order.create({ status: 'new', code: 'a' }));
      await Order.upsert({ id: 1, status: 'paid', code: 'a' });
      await Order.upsert({ status: 'fresh', code: 'z' });
      const [existing] = cap().mutations;
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'paid' }, code: { new: 'a' } }, metadata: { 'sequelize.method': 'Model.upsert' } }),
        mutation({ action: 'update', manager: 'Order', entityId: 2, changes: { status: { new: 'fresh' }, code: { new: 'z' } }, metadata: { 'sequelize.method': 'Model.upsert' } }),
      ]);
      assert.match(cap().sqlOf(existing!).join(), /^INSERT INTO "Orders" .* ON CONFLICT \("id"\) DO UPDATE/);
    });

    it('Model.increment / decrement: bulk_update with the where, amounts and row count', async () => {
      await quietly(() => Order.bulkCreate([{ status: 'x', total: 1, code: 'a' }, { status: 'x', total: 2, code: 'b' }]));
      await Order.increment({ total: 10 }, { where: { status: 'x' } });
      await Order.decrement('total', { where: { code: 'a' }, by: 2 });
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_update', manager: 'Order', count: 2, changedFields: ['total'], metadata: { 'sequelize.method': 'Model.increment', 'sequelize.where': { status: 'x' }, 'sequelize.increment': { total: 10 } } }),
        mutation({ action: 'bulk_update', manager: 'Order', count: 1, changedFields: ['total'], metadata: { 'sequelize.method': 'Model.increment', 'sequelize.where': { code: 'a' }, 'sequelize.increment': { total: -2 } } }),
      ]);
    });
  });

  describe('bulk writes with individualHooks: the call plus one event per row', () => {
    const byEntity = (a: { entityId?: unknown }, b: { entityId?: unknown }) => Number(a.entityId) - Number(b.entityId);

    it('Model.update: each row with its own old → new, as children of the bulk_update that ran the SELECT and the UPDATE', async () => {
      await quietly(() => Order.bulkCreate([{ status: 'new', total: 1, code: 'a' }, { status: 'old', total: 2, code: 'b' }, { status: 'new', total: 3, code: 'c' }]));
      await Order.update({ status: 'done' }, { where: { total: [1, 2] }, individualHooks: true });
      const all = cap().take();
      const bulk = all.find((m) => m.action === 'bulk_update');
      const rows = all.filter((m) => m.action === 'update').sort(byEntity);
      assertExactly([...rows, bulk], [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'done' } }, metadata: { 'sequelize.method': 'Model.update' } }),
        mutation({ action: 'update', manager: 'Order', entityId: 2, changes: { status: { old: 'old', new: 'done' } }, metadata: { 'sequelize.method': 'Model.update' } }),
        mutation({
          action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { new: 'done' } },
          metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { total: [1, 2] }, 'sequelize.individual_hooks': true },
        }),
      ]);
      assert.equal(all.length, 3);
      for (const row of rows) assert.equal(cap().parentOf(row), bulk);
      assert.deepEqual(cap().sqlOf(bulk!).map((s) => s.split(' ')[0]), ['SELECT', 'UPDATE']);
    });

    it('Model.update where a beforeUpdate hook makes rows differ (Sequelize saves row by row): still one event per row', async () => {
      await quietly(() => Order.bulkCreate([{ status: 'new', total: 1, code: 'a' }, { status: 'new', total: 2, code: 'b' }]));
      const hook = (order: Model) => {
        order.set('code', `${String(order.get('code'))}-${String(order.get('total'))}`);
      };
      Order.addHook('beforeUpdate', 'suffix', hook);
      try {
        await Order.update({ status: 'done' }, { where: { status: 'new' }, individualHooks: true });
      } finally {
        Order.removeHook('beforeUpdate', 'suffix');
      }
      const all = cap().take();
      const bulk = all.find((m) => m.action === 'bulk_update');
      const rows = all.filter((m) => m.action === 'update').sort(byEntity);
      assertExactly([...rows, bulk], [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'done' }, code: { old: 'a', new: 'a-1' } }, metadata: { 'sequelize.method': 'Model.update' } }),
        mutation({ action: 'update', manager: 'Order', entityId: 2, changes: { status: { old: 'new', new: 'done' }, code: { old: 'b', new: 'b-2' } }, metadata: { 'sequelize.method': 'Model.update' } }),
        mutation({
          action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { new: 'done' } },
          metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { status: 'new' }, 'sequelize.individual_hooks': true },
        }),
      ]);
      assert.equal(all.length, 3);
      assert.deepEqual(cap().sqlOf(bulk!).map((s) => s.split(' ')[0]), ['SELECT', 'UPDATE', 'UPDATE']);
    });

    it('Model.destroy: each row a delete (deactivate when paranoid) inside the bulk_delete', async () => {
      await quietly(() => Promise.all([
        Order.bulkCreate([{ status: 'x', code: 'a' }, { status: 'x', code: 'b' }]),
        Doc.bulkCreate([{ title: 'a' }]),
      ]));
      await Order.destroy({ where: { status: 'x' }, individualHooks: true });
      await Doc.destroy({ where: { title: 'a' }, individualHooks: true });
      const all = cap().take();
      const rows = all.filter((m) => m.action === 'delete').sort(byEntity);
      assertExactly([...rows, ...all.filter((m) => m.action !== 'delete')], [
        mutation({ action: 'delete', manager: 'Order', entityId: 1, metadata: { 'sequelize.method': 'Model.destroy' } }),
        mutation({ action: 'delete', manager: 'Order', entityId: 2, metadata: { 'sequelize.method': 'Model.destroy' } }),
        mutation({ action: 'bulk_delete', manager: 'Order', count: 2, metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.where': { status: 'x' }, 'sequelize.individual_hooks': true } }),
        mutation({ action: 'deactivate', manager: 'Doc', entityId: 1, metadata: { 'sequelize.method': 'Model.destroy' } }),
        mutation({ action: 'bulk_delete', manager: 'Doc', count: 1, metadata: { 'sequelize.method': 'Model.destroy', 'sequelize.where': { title: 'a' }, 'sequelize.paranoid': true, 'sequelize.individual_hooks': true } }),
      ]);
    });

    it('Model.bulkCreate: each row through save(), a create per row with its INSERT', async () => {
      // The rows are saved concurrently: which one gets which id is up to the race.
      const [a, b] = await Order.bulkCreate([{ status: 'a', code: 'a' }, { status: 'b', code: 'b' }], { individualHooks: true });
      const idA = a!.get('id') as number;
      const idB = b!.get('id') as number;
      assert.deepEqual([idA, idB].sort(), [1, 2]);
      const rows = cap().take().sort(byEntity);
      const expected = [
        mutation({ action: 'create', manager: 'Order', entityId: idA, changes: { id: { new: idA }, status: { new: 'a' }, total: { new: 0 }, code: { new: 'a' } }, metadata: save }),
        mutation({ action: 'create', manager: 'Order', entityId: idB, changes: { id: { new: idB }, status: { new: 'b' }, total: { new: 0 }, code: { new: 'b' } }, metadata: save }),
      ];
      assertExactly(rows, expected.sort(byEntity));
      for (const row of rows) assert.equal(cap().sqlOf(row).length, 1);
    });
  });

  describe('failures: outcome failure, the original error rethrown unchanged', () => {
    it('create hitting a unique violation', async () => {
      await quietly(() => Order.create({ status: 'new', code: 'dup' }));
      let thrown: unknown;
      await Order.create({ status: 'again', code: 'dup' }).catch((err: unknown) => { thrown = err; });
      assert.ok(thrown instanceof lib.UniqueConstraintError);
      const [failed] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', changes: { status: { new: 'again' }, total: { new: 0 }, code: { new: 'dup' } }, metadata: save,
      }, 'failure', undefined, 'SequelizeUniqueConstraintError')]);
      assert.equal(cap().errorOf(failed!), thrown, 'the same error object');
      assert.equal(cap().sqlOf(failed!).length, 1);
    });

    it('update hitting a unique violation: the intended change is reported', async () => {
      const [, b] = await quietly(() => Promise.all([Order.create({ status: 'new', code: 'a' }), Order.create({ status: 'new', code: 'b' })]));
      await assert.rejects(b!.update({ code: 'a' }), lib.UniqueConstraintError);
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: b!.get('id') as number, changes: { code: { old: 'b', new: 'a' } }, metadata: save,
      }, 'failure', undefined, 'SequelizeUniqueConstraintError')]);
    });

    it('validation failure: reported as a failed create, no SQL ran', async () => {
      await assert.rejects(Order.create({ code: 'no-status' }), lib.ValidationError);
      const [failed] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', changes: { total: { new: 0 }, code: { new: 'no-status' } }, metadata: save,
      }, 'failure', undefined, 'SequelizeValidationError')]);
      assert.deepEqual(cap().sqlOf(failed!), []);
    });

    it('bulk update failing in the database', async () => {
      await quietly(() => Order.bulkCreate([{ status: 'x', code: 'a' }, { status: 'x', code: 'b' }]));
      await assert.rejects(Order.update({ code: 'same' }, { where: { status: 'x' } }), lib.UniqueConstraintError);
      assertExactly(cap().take(), [mutation({
        action: 'bulk_update', manager: 'Order', changes: { code: { new: 'same' } },
        metadata: { 'sequelize.method': 'Model.update', 'sequelize.where': { status: 'x' } },
      }, 'failure', undefined, 'SequelizeUniqueConstraintError')]);
    });
  });

  describe('actor, nesting, transactions', () => {
    it('anonymous vs withActor: the actor of the scope that wrote', async () => {
      await Order.create({ status: 'anon', code: 'a' });
      await withActor({ id: '42', name: 'Ada', tenant: 'acme' }, () => Order.create({ status: 'known', code: 'b' }));
      const [anon, known] = cap().take();
      assert.equal(anon?.actor, undefined);
      assert.deepEqual(known?.actor, { id: '42', name: 'Ada', tenant: 'acme' });
    });

    it('a write inside a hook of another write is its child; a write inside a rule is the rule\'s child', async () => {
      Order.addHook('afterCreate', 'note', async (order: Model, options: { transaction?: unknown }) => {
        await Note.create({ text: `created ${String(order.get('code'))}` }, { transaction: options.transaction as never });
      });
      try {
        await assertNoteInOrderInRule(cap(), () => Order.create({ status: 'new', code: 'n1' }));
      } finally {
        Order.removeHook('afterCreate', 'note');
      }
    });

    it('Model.create with include: the included rows are creates of their own, children of the parent create', async () => {
      await Order.create({ status: 'new', code: 'i1', Tags: [{ name: 'red' }] }, { include: [Tag] });
      const [tag, order] = cap().take();
      assertExactly([tag!, order!], [
        mutation({ action: 'create', manager: 'Tag', entityId: 1, changes: { id: { new: 1 }, name: { new: 'red' }, OrderId: { new: 1 } }, metadata: save }),
        mutation({ action: 'create', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 0 }, code: { new: 'i1' } }, metadata: save }),
      ]);
      assert.equal(cap().parentOf(tag!), order);
    });

    it('inside a transaction that rolls back: the mutation is reported as it ran (success)', async () => {
      const t = await sequelize.transaction();
      await Order.create({ status: 'new', code: 't' }, { transaction: t });
      await t.rollback();
      assert.equal(await Order.count(), 0);
      const [created] = cap().take();
      assert.equal(created?.outcome, 'success');
      assert.equal(created?.entityId, 1);
    });
  });

  describe('configuration and lifecycle', () => {
    it('managerName, ignoreModels and includeTimestamps', async () => {
      instrumentation.setConfig({
        managerName: ({ name, tableName }) => (name === 'Order' ? `${tableName ?? ''}Manager` : name === 'Note' ? null : undefined),
        ignoreModels: ['Line'],
        includeTimestamps: true,
      });
      const order = await Order.create({ status: 'new', code: 'a' });
      await Note.create({ text: 'skipped (null)' });
      await Line.create({ orderId: 1, lineNo: 1, qty: 1 });
      const account = await Account.create({ email: 'a@b.c' });
      const [o, a] = cap().take();
      assert.equal(o?.manager, 'OrdersManager');
      assert.deepEqual(Object.keys(o?.changes ?? {}).sort(), ['code', 'createdAt', 'id', 'status', 'total', 'updatedAt']);
      assert.deepEqual(o?.changes?.createdAt, { new: order.get('createdAt') });
      assert.equal(a?.manager, 'Account');
      assert.deepEqual(a?.changes?.updatedAt, { new: account.get('updatedAt') });
    });

    it('a model whose attributes change after first use: the changes follow (an attribute added, then removed)', async () => {
      const { DataTypes } = lib;
      const Memo = sequelize.define('Memo', { title: DataTypes.STRING }, { timestamps: false });
      await Memo.sync();
      await Memo.create({ title: 't1' });
      // how plugins add an attribute to a defined model: into rawAttributes, then refreshAttributes()
      (Memo.rawAttributes as Record<string, unknown>).body = { type: DataTypes.STRING, fieldName: 'body', field: 'body' };
      Memo.refreshAttributes();
      await Memo.sync({ alter: true });
      await Memo.create({ title: 't2', body: 'b2' });
      Memo.removeAttribute('body');
      await Memo.create({ title: 't3' });
      const changes = cap().take().map((m) => Object.keys(m.changes ?? {}).sort());
      assert.deepEqual(changes, [['id', 'title'], ['body', 'id', 'title'], ['id', 'title']]);
      await Memo.drop();
    });

    it('nothing subscribed: writes work as usual and nothing is published', async () => {
      captures.pause();
      const order = await Order.create({ status: 'new', code: 'a' });
      await order.update({ status: 'x' });
      await Order.update({ total: 3 }, { where: {} });
      await order.destroy();
      captures.start();
      assert.deepEqual(cap().take(), []);
      assert.equal(await Order.count(), 0);
    });

    it('disable() restores the original methods; enable() wraps them again', async () => {
      const { Model: Base } = lib;
      const wrappedSave = Base.prototype.save;
      instrumentation.disable();
      const originalSave = Base.prototype.save;
      try {
        assert.notEqual(originalSave, wrappedSave);
        await Order.create({ status: 'new', code: 'a' });
        await Order.update({ total: 1 }, { where: {} });
        assert.deepEqual(cap().take(), []);
      } finally {
        instrumentation.enable();
      }
      assert.notEqual(Base.prototype.save, originalSave);
      await Order.create({ status: 'new', code: 'b' });
      assert.deepEqual(cap().take().map((m) => m.action), ['create']);
    });
  });
});
