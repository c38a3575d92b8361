// The adapter against the real TypeORM installed at the root (0.3.x) and a throwaway
// Postgres: every write path, event by event, with the SQL each one ran. Entities are
// EntitySchemas (no decorators needed).
import assert from 'node:assert/strict';
import { withActor } from '@domain-otel/api';
import type { DataSource as DataSourceType, EntitySubscriberInterface, InsertEvent, Repository, UpdateEvent } from 'typeorm';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { TypeormInstrumentation } from '../src';
import { assertExactly, assertNoteInOrderInRule, captureMutations, capturePerTest, mutation } from './helpers';

type Lib = typeof import('typeorm');

interface Customer { id: number; name: string }
interface Order { id: number; status: string; total: number; code: string | null; customer?: Customer | null; lines?: Line[]; createdAt?: Date; updatedAt?: Date }
interface Line { orderId: number; lineNo: number; qty: number; order?: Order }
interface Doc { id: number; title: string; deletedAt?: Date | null }
interface Account { id: number; email: string; name: string }
interface Note { id: number; text: string }

const m = (method: string) => ({ 'typeorm.method': method });

describe('typeorm instrumentation (in process, root version, Postgres)', function () {
  this.timeout(60000);
  let pg: ThrowawayPostgres;
  let instrumentation: TypeormInstrumentation;
  let lib: Lib;
  let ds: DataSourceType;
  const captures = capturePerTest(captureMutations);
  let orders: Repository<Order>;
  let customers: Repository<Customer>;
  let lines: Repository<Line>;
  let docs: Repository<Doc>;
  let accounts: Repository<Account>;
  let notes: Repository<Note>;
  /** Set by a test: called by the Order subscriber after each insert. */
  let afterOrderInsert: ((event: InsertEvent<Order>) => Promise<void>) | undefined;

  const cap = () => captures.current;

  before(async function () {
    // loading typeorm, starting a Postgres cluster and synchronising the schema: slow on a busy machine
    this.timeout(180_000);
    instrumentation = new TypeormInstrumentation();
    lib = require('typeorm') as Lib;
    pg = await startThrowawayPostgres();
    const url = await pg.createDatabase('typeorm_adapter');
    const { EntitySchema, DataSource } = lib;
    const id = { type: Number, primary: true, generated: 'increment' } as const;
    const CustomerSchema = new EntitySchema<Customer>({ name: 'Customer', tableName: 'customers', columns: { id, name: { type: String } } });
    const OrderSchema = new EntitySchema<Order>({
      name: 'Order', tableName: 'orders',
      columns: {
        id,
        status: { type: String },
        total: { type: 'int', default: 0 },
        code: { type: String, nullable: true, unique: true },
        createdAt: { type: 'timestamptz', createDate: true },
        updatedAt: { type: 'timestamptz', updateDate: true },
      },
      relations: {
        customer: { type: 'many-to-one', target: 'Customer', nullable: true, joinColumn: { name: 'customerId' } },
        lines: { type: 'one-to-many', target: 'Line', inverseSide: 'order', cascade: ['insert'] },
      },
    });
    const LineSchema = new EntitySchema<Line>({
      name: 'Line', tableName: 'lines',
      columns: { orderId: { type: 'int', primary: true }, lineNo: { type: 'int', primary: true }, qty: { type: 'int' } },
      relations: { order: { type: 'many-to-one', target: 'Order', joinColumn: { name: 'orderId' } } },
    });
    const DocSchema = new EntitySchema<Doc>({
      name: 'Doc', tableName: 'docs',
      columns: { id, title: { type: String }, deletedAt: { type: 'timestamptz', deleteDate: true, nullable: true } },
    });
    const AccountSchema = new EntitySchema<Account>({ name: 'Account', tableName: 'accounts', columns: { id, email: { type: String }, name: { type: String } } });
    const NoteSchema = new EntitySchema<Note>({ name: 'Note', tableName: 'notes', columns: { id, text: { type: String } } });

    // A subscriber that changes a field on the way (the change must be reported) …
    class AccountSubscriber implements EntitySubscriberInterface<Account> {
      listenTo() { return 'Account'; }
      beforeInsert(event: InsertEvent<Account>) { event.entity.email = event.entity.email.toLowerCase(); }
      beforeUpdate(event: UpdateEvent<Account>) {
        const entity = event.entity as Account | undefined;
        if (entity !== undefined && typeof entity.email === 'string') entity.email = entity.email.toLowerCase();
      }
    }
    // … and one that writes inside a write (a child mutation). EventSubscriber() registers a
    // class without decorator syntax.
    class OrderSubscriber implements EntitySubscriberInterface<Order> {
      listenTo() { return 'Order'; }
      async afterInsert(event: InsertEvent<Order>) { await afterOrderInsert?.(event); }
    }
    lib.EventSubscriber()(AccountSubscriber);
    lib.EventSubscriber()(OrderSubscriber);
    ds = new DataSource({
      type: 'postgres', url,
      entities: [CustomerSchema, OrderSchema, LineSchema, DocSchema, AccountSchema, NoteSchema],
      subscribers: [AccountSubscriber, OrderSubscriber],
      synchronize: true,
      logging: ['query', 'error'],
      logger: {
        logQuery: (query: string) => captures.running?.logging(query),
        logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {},
      },
    });
    await ds.initialize();
    orders = ds.getRepository<Order>('Order');
    customers = ds.getRepository<Customer>('Customer');
    lines = ds.getRepository<Line>('Line');
    docs = ds.getRepository<Doc>('Doc');
    accounts = ds.getRepository<Account>('Account');
    notes = ds.getRepository<Note>('Note');
  });

  after(async () => {
    instrumentation?.disable();
    if (ds?.isInitialized) await ds.destroy();
    await pg?.destroy();
  });

  beforeEach(async () => {
    instrumentation.setConfig({});
    afterOrderInsert = undefined;
    await ds.query('TRUNCATE customers, orders, lines, docs, accounts, notes RESTART IDENTITY');
    captures.start();
  });

  /** Runs `fn` without capturing (fixtures for a test). */
  const quietly = captures.quietly;

  /** The statements of a mutation, without TypeORM's transaction brackets. */
  const writes = (sql: string[]) => sql.filter((s) => !/^(START TRANSACTION|COMMIT|ROLLBACK)/.test(s)).map((s) => s.replace(/\(.*$/s, '').split(' ').slice(0, 3).join(' '));

  describe('save / remove / softRemove / recover: one event per entity', () => {
    it('save() of a new entity: create with the generated id and every stored value (database defaults included); the INSERT inside', async () => {
      const order = await orders.save({ status: 'new', code: 'A-1' } as Order);
      assert.equal(order.id, 1);
      const [created] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', entityId: 1,
        changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 0 }, code: { new: 'A-1' } },
        metadata: m('save'),
      })]);
      assert.deepEqual(writes(cap().sqlOf(created!)), ['INSERT INTO "orders"']);
    });

    it('save() of a loaded entity: update with old → new from the databaseEntity TypeORM loaded', async () => {
      await quietly(() => orders.save({ status: 'new', total: 10, code: 'A-1' } as Order));
      const order = await orders.findOneByOrFail({ id: 1 });
      order.status = 'paid';
      await orders.save(order);
      const [updated] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'paid' } }, metadata: m('save'),
      })]);
      assert.deepEqual(writes(cap().sqlOf(updated!)), ['UPDATE "orders" SET']);
    });

    it('save() of a partial object with an id: TypeORM loads the row and updates what differs', async () => {
      await quietly(() => orders.save({ status: 'new', total: 10, code: 'A-1' } as Order));
      await orders.save({ id: 1, status: 'paid', total: 12 } as Order);
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1,
        changes: { status: { old: 'new', new: 'paid' }, total: { old: 10, new: 12 } }, metadata: m('save'),
      })]);
    });

    it('multi-field update including a field a subscriber\'s beforeUpdate changed (TypeORM recomputes its diff)', async () => {
      await quietly(() => accounts.save({ email: 'ada@example.com', name: 'Ada' } as Account));
      const account = await accounts.findOneByOrFail({ id: 1 });
      account.email = 'Ada.Lovelace@Example.COM';
      account.name = 'Ada L.';
      await accounts.save(account);
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Account', entityId: 1,
        changes: { email: { old: 'ada@example.com', new: 'ada.lovelace@example.com' }, name: { old: 'Ada', new: 'Ada L.' } },
        metadata: m('save'),
      })]);
    });

    it('a relation change: the related id old → new', async () => {
      const [c1, c2] = await quietly(() => customers.save([{ name: 'one' }, { name: 'two' }] as Customer[]));
      await quietly(() => orders.save({ status: 'new', code: 'a', customer: c1 } as Order));
      const order = await orders.findOneOrFail({ where: { id: 1 }, relations: { customer: true } });
      order.customer = c2;
      await orders.save(order);
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1, changes: { customer: { old: 1, new: 2 } }, metadata: m('save'),
      })]);
    });

    it('save() with nothing changed writes nothing and reports nothing', async () => {
      await quietly(() => orders.save({ status: 'new', code: 'a' } as Order));
      const order = await orders.findOneByOrFail({ id: 1 });
      await orders.save(order);
      assert.deepEqual(cap().take(), []);
    });

    it('save() with { listeners: false } (subscribers skipped) is reported the same', async () => {
      await orders.save({ status: 'quiet', code: 'q' } as Order, { listeners: false });
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'quiet' }, total: { new: 0 }, code: { new: 'q' } }, metadata: m('save'),
      })]);
    });

    it('a change a subscriber reverts: TypeORM writes nothing, the update event has no changes', async () => {
      await quietly(() => accounts.save({ email: 'ada@example.com', name: 'Ada' } as Account));
      const account = await accounts.findOneByOrFail({ id: 1 });
      account.email = 'ADA@EXAMPLE.COM';
      await accounts.save(account);
      const [updated] = cap().mutations;
      assertExactly(cap().take(), [mutation({ action: 'update', manager: 'Account', entityId: 1, metadata: m('save') })]);
      assert.deepEqual(writes(cap().sqlOf(updated!)), []);
    });

    it('remove(): delete with the entity id (the entity loses its id afterwards); the DELETE inside', async () => {
      await quietly(() => orders.save({ status: 'new', code: 'a' } as Order));
      const order = await orders.findOneByOrFail({ id: 1 });
      await orders.remove(order);
      const [deleted] = cap().mutations;
      assertExactly(cap().take(), [mutation({ action: 'delete', manager: 'Order', entityId: 1, metadata: m('remove') })]);
      assert.deepEqual(writes(cap().sqlOf(deleted!)), ['DELETE FROM "orders"']);
    });

    it('softRemove(): deactivate with deletedAt null → the time; recover(): update back to null', async () => {
      await quietly(() => docs.save({ title: 'a' } as Doc));
      const doc = await docs.findOneByOrFail({ id: 1 });
      await docs.softRemove(doc);
      const deletedAt = doc.deletedAt;
      assert.ok(deletedAt instanceof Date);
      await docs.recover(doc);
      const [deactivated] = cap().mutations;
      assertExactly(cap().take(), [
        mutation({ action: 'deactivate', manager: 'Doc', entityId: 1, changes: { deletedAt: { old: null, new: deletedAt } }, metadata: m('softRemove') }),
        mutation({ action: 'update', manager: 'Doc', entityId: 1, changes: { deletedAt: { old: deletedAt, new: null } }, metadata: m('recover') }),
      ]);
      assert.deepEqual(writes(cap().sqlOf(deactivated!)), ['UPDATE "docs" SET']);
    });

    it('composite primary key: entity id `orderId=1,lineNo=2`', async () => {
      await quietly(() => orders.save({ status: 'new', code: 'a' } as Order));
      await lines.save({ orderId: 1, lineNo: 2, qty: 1 } as Line);
      await lines.save({ orderId: 1, lineNo: 2, qty: 3 } as Line);
      assertExactly(cap().take(), [
        mutation({ action: 'create', manager: 'Line', entityId: 'orderId=1,lineNo=2', changes: { orderId: { new: 1 }, lineNo: { new: 2 }, qty: { new: 1 } }, metadata: m('save') }),
        mutation({ action: 'update', manager: 'Line', entityId: 'orderId=1,lineNo=2', changes: { qty: { old: 1, new: 3 } }, metadata: m('save') }),
      ]);
    });

    it('several entities in one save (array, cascade): one event each, spanning the one execution', async () => {
      await orders.save([{ status: 'a', code: 'a' }, { status: 'b', code: 'b' }] as Order[]);
      await orders.save({ status: 'c', code: 'c', lines: [{ lineNo: 1, qty: 5 }, { lineNo: 2, qty: 6 }] } as Order);
      const all = cap().take();
      assertExactly(all, [
        mutation({ action: 'create', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'a' }, total: { new: 0 }, code: { new: 'a' } }, metadata: m('save') }),
        mutation({ action: 'create', manager: 'Order', entityId: 2, changes: { id: { new: 2 }, status: { new: 'b' }, total: { new: 0 }, code: { new: 'b' } }, metadata: m('save') }),
        mutation({ action: 'create', manager: 'Order', entityId: 3, changes: { id: { new: 3 }, status: { new: 'c' }, total: { new: 0 }, code: { new: 'c' } }, metadata: m('save') }),
        mutation({ action: 'create', manager: 'Line', entityId: 'orderId=3,lineNo=1', changes: { orderId: { new: 3 }, lineNo: { new: 1 }, qty: { new: 5 } }, metadata: m('save') }),
        mutation({ action: 'create', manager: 'Line', entityId: 'orderId=3,lineNo=2', changes: { orderId: { new: 3 }, lineNo: { new: 2 }, qty: { new: 6 } }, metadata: m('save') }),
      ]);
      for (const event of all) assert.deepEqual(cap().sqlOf(event), [], 'with several entities, no single event owns the statements');
    });
  });

  describe('QueryBuilder-based calls: no before-image', () => {
    it('insert() of one row: create with the id and generated values; of several: create with count and ids', async () => {
      await orders.insert({ status: 'new', code: 'a' });
      await orders.insert([{ status: 'x', code: 'b' }, { status: 'y', code: 'c', total: 3 }]);
      const [single] = cap().mutations;
      assertExactly(cap().take(), [
        mutation({ action: 'create', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 0 }, code: { new: 'a' } }, metadata: m('insert') }),
        mutation({ action: 'create', manager: 'Order', count: 2, changedFields: ['status', 'total', 'code'], metadata: { 'typeorm.method': 'insert', 'typeorm.entity_ids': [2, 3] } }),
      ]);
      assert.deepEqual(writes(cap().sqlOf(single!)), ['INSERT INTO "orders"']);
    });

    it('update() by id or by primary-key object: update of that entity with the new values and the count', async () => {
      await quietly(() => orders.insert([{ status: 'a', code: 'a' }, { status: 'b', code: 'b' }]));
      await orders.update(1, { status: 'paid', total: 5 });
      await orders.update({ id: 2 }, { status: 'paid' });
      await orders.update(99, { status: 'ghost' });
      const [first] = cap().mutations;
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, count: 1, changes: { status: { new: 'paid' }, total: { new: 5 } }, metadata: m('update') }),
        mutation({ action: 'update', manager: 'Order', entityId: 2, count: 1, changes: { status: { new: 'paid' } }, metadata: m('update') }),
        mutation({ action: 'update', manager: 'Order', entityId: 99, count: 0, changes: { status: { new: 'ghost' } }, metadata: m('update') }),
      ]);
      assert.deepEqual(writes(cap().sqlOf(first!)), ['UPDATE "orders" SET']);
    });

    it('update() by other criteria: bulk_update with the criteria (find operators described) and the count', async () => {
      await quietly(() => orders.insert([{ status: 'a', code: 'a', total: 1 }, { status: 'b', code: 'b', total: 7 }, { status: 'c', code: 'c', total: 9 }]));
      await orders.update({ status: lib.In(['a', 'b']) }, { status: 'z' });
      await orders.update({ total: lib.MoreThan(8), code: lib.Not(lib.IsNull()) }, { total: () => 'total + 1' });
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { new: 'z' } }, metadata: { 'typeorm.method': 'update', 'typeorm.where': { status: { operator: 'in', value: ['a', 'b'] } } } }),
        mutation({
          action: 'bulk_update', manager: 'Order', count: 1, changes: { total: { new: '[raw SQL]' } },
          metadata: { 'typeorm.method': 'update', 'typeorm.where': { total: { operator: 'moreThan', value: 8 }, code: { operator: 'not', value: { operator: 'isNull' } } } },
        }),
      ]);
    });

    it('delete() by id: delete; by criteria: bulk_delete with the count', async () => {
      await quietly(() => orders.insert([{ status: 'a', code: 'a' }, { status: 'b', code: 'b' }, { status: 'b', code: 'c' }]));
      await orders.delete(1);
      await orders.delete({ status: 'b' });
      assertExactly(cap().take(), [
        mutation({ action: 'delete', manager: 'Order', entityId: 1, count: 1, metadata: m('delete') }),
        mutation({ action: 'bulk_delete', manager: 'Order', count: 2, metadata: { 'typeorm.method': 'delete', 'typeorm.where': { status: 'b' } } }),
      ]);
    });

    it('softDelete() by id: deactivate; by criteria: bulk_delete flagged soft; restore(): update of the delete date', async () => {
      await quietly(() => docs.insert([{ title: 'a' }, { title: 'b' }, { title: 'b' }]));
      await docs.softDelete(1);
      await docs.softDelete({ title: 'b' });
      await docs.restore(1);
      assertExactly(cap().take(), [
        mutation({ action: 'deactivate', manager: 'Doc', entityId: 1, count: 1, metadata: m('softDelete') }),
        mutation({ action: 'bulk_delete', manager: 'Doc', count: 2, metadata: { 'typeorm.method': 'softDelete', 'typeorm.where': { title: 'b' }, 'typeorm.soft': true } }),
        mutation({ action: 'update', manager: 'Doc', entityId: 1, count: 1, changes: { deletedAt: { new: null } }, metadata: m('restore') }),
      ]);
      assert.equal(await docs.count(), 1);
    });

    it('upsert(): update with the entity id and the values given', async () => {
      await quietly(() => orders.insert({ status: 'a', code: 'a' }));
      await orders.upsert({ code: 'a', status: 'upserted' }, ['code']);
      await orders.upsert([{ code: 'a', status: 'again' }, { code: 'n', status: 'new' }], { conflictPaths: ['code'] });
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { new: 'upserted' }, code: { new: 'a' } }, metadata: { 'typeorm.method': 'upsert', 'typeorm.conflict_paths': ['code'] } }),
        mutation({ action: 'bulk_update', manager: 'Order', count: 2, changedFields: ['status', 'code'], metadata: { 'typeorm.method': 'upsert', 'typeorm.conflict_paths': ['code'] } }),
      ]);
    });

    it('increment() / decrement(): update or bulk_update with the amount', async () => {
      await quietly(() => orders.insert([{ status: 'a', code: 'a', total: 1 }, { status: 'a', code: 'b', total: 1 }]));
      await orders.increment({ status: 'a' }, 'total', 5);
      await orders.decrement({ id: 1 }, 'total', 2);
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_update', manager: 'Order', count: 2, changedFields: ['total'], metadata: { 'typeorm.method': 'increment', 'typeorm.where': { status: 'a' }, 'typeorm.increment': { total: 5 } } }),
        mutation({ action: 'update', manager: 'Order', entityId: 1, count: 1, changedFields: ['total'], metadata: { 'typeorm.method': 'decrement', 'typeorm.increment': { total: -2 } } }),
      ]);
      assert.deepEqual((await orders.find({ order: { id: 'ASC' } })).map((o) => o.total), [4, 6]);
    });

    it('clear(): bulk_delete flagged truncate, without a count', async () => {
      await quietly(() => notes.insert({ text: 'x' }));
      await notes.clear();
      assertExactly(cap().take(), [mutation({ action: 'bulk_delete', manager: 'Note', metadata: { 'typeorm.method': 'clear', 'typeorm.truncate': true } })]);
    });

    it('QueryBuilder writes run directly: create / bulk_update / bulk_delete with the query text and count', async () => {
      await quietly(() => docs.insert({ title: 'd' }));
      await ds.createQueryBuilder().insert().into('Order').values({ status: 'qb', code: 'q' }).execute();
      await ds.createQueryBuilder().update('Order').set({ status: 'qb2' }).where('code = :code', { code: 'q' }).execute();
      await ds.createQueryBuilder().delete().from('Order').where('status = :s', { s: 'qb2' }).execute();
      await ds.getRepository('Doc').createQueryBuilder().softDelete().where('id = :id', { id: 1 }).execute();
      await ds.getRepository('Doc').createQueryBuilder().restore().where('id = :id', { id: 1 }).execute();
      const all = cap().take();
      const queries = all.map((e) => e.metadata?.['typeorm.query']);
      for (const e of all) delete e.metadata?.['typeorm.query'];
      assertExactly(all, [
        mutation({ action: 'create', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'qb' }, total: { new: 0 }, code: { new: 'q' } }, metadata: m('QueryBuilder.insert') }),
        mutation({ action: 'bulk_update', manager: 'Order', count: 1, changes: { status: { new: 'qb2' } }, metadata: m('QueryBuilder.update') }),
        mutation({ action: 'bulk_delete', manager: 'Order', count: 1, metadata: m('QueryBuilder.delete') }),
        mutation({ action: 'bulk_delete', manager: 'Doc', count: 1, metadata: { 'typeorm.method': 'QueryBuilder.softDelete', 'typeorm.soft': true } }),
        mutation({ action: 'bulk_update', manager: 'Doc', count: 1, changes: { deletedAt: { new: null } }, metadata: m('QueryBuilder.restore') }),
      ]);
      assert.equal(queries[0], undefined);
      // The query text with its parameter names, not their values.
      assert.match(String(queries[1]), /^UPDATE "orders" SET "status" = :orm_param_0, "updatedAt" = CURRENT_TIMESTAMP WHERE "?code"? = :code$/);
      assert.match(String(queries[2]), /^DELETE FROM "orders" WHERE "?status"? = :s$/);
    });
  });

  describe('failures: outcome failure, the original error rethrown unchanged', () => {
    it('save() of a new entity hitting a unique violation', async () => {
      await quietly(() => orders.insert({ status: 'a', code: 'dup' }));
      let thrown: unknown;
      await orders.save({ status: 'again', code: 'dup' } as Order).catch((err: unknown) => { thrown = err; });
      assert.ok(thrown instanceof lib.QueryFailedError);
      const [failed] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', changes: { status: { new: 'again' }, code: { new: 'dup' } }, metadata: m('save'),
      }, 'failure', undefined, 'QueryFailedError')]);
      assert.equal(cap().errorOf(failed!), thrown, 'the same error object');
    });

    it('save() of a loaded entity hitting a unique violation: the intended change is reported', async () => {
      await quietly(() => orders.insert([{ status: 'a', code: 'a' }, { status: 'b', code: 'b' }]));
      const order = await orders.findOneByOrFail({ id: 2 });
      order.code = 'a';
      await assert.rejects(orders.save(order), lib.QueryFailedError);
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 2, changes: { code: { old: 'b', new: 'a' } }, metadata: m('save'),
      }, 'failure', undefined, 'QueryFailedError')]);
    });

    it('update() and insert() failing in the database', async () => {
      await quietly(() => orders.insert([{ status: 'a', code: 'a' }, { status: 'b', code: 'b' }]));
      await assert.rejects(orders.update({ status: lib.In(['a', 'b']) }, { code: 'same' }), lib.QueryFailedError);
      await assert.rejects(orders.insert({ status: 'c', code: 'a' }), lib.QueryFailedError);
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_update', manager: 'Order', changes: { code: { new: 'same' } }, metadata: { 'typeorm.method': 'update', 'typeorm.where': { status: { operator: 'in', value: ['a', 'b'] } } } }, 'failure', undefined, 'QueryFailedError'),
        mutation({ action: 'create', manager: 'Order', changes: { status: { new: 'c' }, code: { new: 'a' } }, metadata: m('insert') }, 'failure', undefined, 'QueryFailedError'),
      ]);
    });
  });

  describe('actor, nesting, transactions', () => {
    it('anonymous vs withActor: the actor of the scope that wrote', async () => {
      await orders.save({ status: 'anon', code: 'a' } as Order);
      await withActor({ id: '42', name: 'Ada', tenant: 'acme' }, () => orders.save({ status: 'known', code: 'b' } as Order));
      const [anon, known] = cap().take();
      assert.equal(anon?.actor, undefined);
      assert.deepEqual(known?.actor, { id: '42', name: 'Ada', tenant: 'acme' });
    });

    it('a write made by a subscriber inside a save is its child; a save inside a rule is the rule\'s child', async () => {
      afterOrderInsert = async (event) => {
        await event.manager.getRepository<Note>('Note').insert({ text: `order ${event.entity.code ?? ''}` });
      };
      await assertNoteInOrderInRule(cap(), () => orders.save({ status: 'new', code: 'n1' } as Order));
    });

    it('inside dataSource.transaction(): the transactional manager is covered; a rolled-back write is still reported as it ran', async () => {
      await ds.transaction(async (em) => {
        await em.save('Order', { status: 'tx', code: 't1' });
        await em.update('Order', 1, { status: 'tx2' });
      });
      await assert.rejects(ds.transaction(async (em) => {
        await em.insert('Order', { status: 'rolled back', code: 't2' });
        throw new Error('abort');
      }), /abort/);
      assert.equal(await orders.count(), 1);
      assert.deepEqual(cap().take().map((e) => [e.action, e.entityId, e.outcome]), [['create', 1, 'success'], ['update', 1, 'success'], ['create', 2, 'success']]);
    });
  });

  describe('configuration and lifecycle', () => {
    it('managerName, ignoreEntities and includeTimestamps', async () => {
      instrumentation.setConfig({
        managerName: ({ name, tableName }) => (name === 'Order' ? `${tableName ?? ''}Manager` : name === 'Note' ? null : undefined),
        ignoreEntities: ['Customer'],
        includeTimestamps: true,
      });
      const order = await orders.save({ status: 'new', code: 'a' } as Order);
      await notes.save({ text: 'skipped (null)' } as Note);
      await customers.save({ name: 'ignored' } as Customer);
      await accounts.insert({ email: 'a@b.c', name: 'A' });
      const [o, a] = cap().take();
      assert.equal(o?.manager, 'ordersManager');
      assert.deepEqual(Object.keys(o?.changes ?? {}).sort(), ['code', 'createdAt', 'id', 'status', 'total', 'updatedAt']);
      assert.deepEqual(o?.changes?.createdAt, { new: order.createdAt });
      assert.equal(a?.manager, 'Account');
    });

    it('nothing subscribed: writes work as usual and nothing is published', async () => {
      captures.pause();
      const order = await orders.save({ status: 'new', code: 'a' } as Order);
      order.status = 'x';
      await orders.save(order);
      await orders.update({ status: 'x' }, { total: 3 });
      await orders.remove(order);
      captures.start();
      assert.deepEqual(cap().take(), []);
      assert.equal(await orders.count(), 0);
    });

    it('disable() restores the original methods; enable() wraps them again', async () => {
      const { EntityManager } = lib;
      const wrappedInsert = EntityManager.prototype.insert;
      instrumentation.disable();
      const originalInsert = EntityManager.prototype.insert;
      try {
        assert.notEqual(originalInsert, wrappedInsert);
        await orders.save({ status: 'new', code: 'a' } as Order);
        await orders.insert({ status: 'new', code: 'b' });
        await orders.update({ status: 'new' }, { total: 1 });
        assert.deepEqual(cap().take(), []);
      } finally {
        instrumentation.enable();
      }
      assert.notEqual(EntityManager.prototype.insert, originalInsert);
      await orders.save({ status: 'new', code: 'c' } as Order);
      await orders.insert({ status: 'new', code: 'd' });
      assert.deepEqual(cap().take().map((e) => e.action), ['create', 'create']);
    });
  });
});
