// The extension against the real Prisma Client installed at the root (7.x), a client
// generated from fixtures/schema.prisma at test time, @prisma/adapter-pg and a throwaway
// Postgres: every write operation, event by event.
import assert from 'node:assert/strict';
import path from 'node:path';
import { traceRule, withActor } from '@domain-otel/api';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { domainOtelExtension } from '../src';
import type { PrismaExtensionOptions } from '../src';
import { GENERATED, SCHEMA_SQL, assertExactly, captureMutations, capturePerTest, generateClient, mutation } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the client is generated while the test runs: no type exists to import
type Client = any;

const op = (operation: string, extra: Record<string, unknown> = {}) => ({ 'prisma.operation': operation, ...extra });
const KNOWN_ERROR = 'PrismaClientKnownRequestError';

describe('prisma extension (in process, root version, Postgres)', function () {
  this.timeout(120000);
  let pg: ThrowawayPostgres;
  let base: Client;
  let prisma: Client;
  let withBefore: Client;
  let lib: { PrismaClient: new (options: object) => Client };
  const captures = capturePerTest(captureMutations, () => queries.splice(0));
  const queries: string[] = [];

  const cap = () => captures.current;
  const extended = (options?: PrismaExtensionOptions) => base.$extends(domainOtelExtension(options));

  before(async () => {
    const clientFile = generateClient(path.join(GENERATED, 'root'));
    lib = require(clientFile) as typeof lib;
    pg = await startThrowawayPostgres();
    const url = await pg.createDatabase('prisma_adapter');
    await pg.psql(SCHEMA_SQL, 'prisma_adapter');
    const { PrismaPg } = require('@prisma/adapter-pg') as { PrismaPg: new (config: object) => object };
    base = new lib.PrismaClient({ adapter: new PrismaPg({ connectionString: url }), log: [{ emit: 'event', level: 'query' }] });
    base.$on('query', (e: { query: string }) => queries.push(e.query));
    prisma = extended();
    withBefore = extended({ beforeImage: true });
  });

  after(async () => {
    await base?.$disconnect();
    await pg?.destroy();
  });

  beforeEach(async () => {
    await base.$executeRawUnsafe('TRUNCATE "Line", "Order", "Customer" RESTART IDENTITY CASCADE');
    queries.splice(0);
    captures.start();
  });

  /** Runs `fn` without capturing (fixtures for a test). */
  const quietly = captures.quietly;

  const seedOrders = (...rows: Record<string, unknown>[]) => quietly(() => base.order.createMany({ data: rows }));
  /** The statements Prisma logged since the last reset, first words only. */
  const statements = () => queries.splice(0).map((q) => q.replace(/\s+/g, ' ').split(' ').slice(0, 2).join(' '));

  describe('create', () => {
    it('create: the generated id and every stored value (database defaults included, timestamps left out)', async () => {
      const order = await prisma.order.create({ data: { status: 'new', code: 'A-1' } });
      assert.equal(order.id, 1);
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', entityId: 1,
        changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 0 }, code: { new: 'A-1' } },
        metadata: op('create'),
      })]);
    });

    it('create with a select that leaves the id out: the id is still reported, the result is what was asked for', async () => {
      const result = await prisma.order.create({ data: { status: 'new', total: 3 }, select: { status: true } });
      assert.deepEqual(result, { status: 'new' });
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', entityId: 1, changes: { status: { new: 'new' }, total: { new: 3 }, id: { new: 1 } }, metadata: op('create'),
      })]);
    });

    it('create with a nested write: the relation is named in prisma.nested, the foreign key is a change; the nested row has no event of its own', async () => {
      await prisma.order.create({ data: { status: 'new', customer: { create: { email: 'ada@example.com', name: 'Ada' } } } });
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', entityId: 1,
        changes: { id: { new: 1 }, status: { new: 'new' }, total: { new: 0 }, customerId: { new: 1 } },
        metadata: op('create', { 'prisma.nested': { customer: ['create'] } }),
      })]);
    });

    it('composite primary key: entity id `orderId=1,lineNo=2`', async () => {
      await seedOrders({ status: 'a' });
      await prisma.line.create({ data: { orderId: 1, lineNo: 2, qty: 1 } });
      await prisma.line.update({ where: { orderId_lineNo: { orderId: 1, lineNo: 2 } }, data: { qty: 3 } });
      assertExactly(cap().take(), [
        mutation({ action: 'create', manager: 'Line', entityId: 'orderId=1,lineNo=2', changes: { orderId: { new: 1 }, lineNo: { new: 2 }, qty: { new: 1 } }, metadata: op('create') }),
        mutation({
          action: 'update', manager: 'Line', entityId: 'orderId=1,lineNo=2', changes: { qty: { new: 3 } },
          metadata: op('update', { 'prisma.where': { orderId_lineNo: { orderId: 1, lineNo: 2 } } }),
        }),
      ]);
    });

    it('createMany: create with the count and the fields given; createManyAndReturn: the ids too', async () => {
      await prisma.order.createMany({ data: [{ status: 'a', code: 'a' }, { status: 'b', total: 2 }] });
      // The skipped duplicate still consumes a value of the id sequence (3).
      await prisma.order.createMany({ data: [{ status: 'c', code: 'a' }, { status: 'd', code: 'd' }], skipDuplicates: true });
      const returned = await prisma.order.createManyAndReturn({ data: [{ status: 'e' }, { status: 'f' }], select: { status: true } });
      assert.deepEqual(returned, [{ status: 'e' }, { status: 'f' }]);
      assertExactly(cap().take(), [
        mutation({ action: 'create', manager: 'Order', count: 2, changedFields: ['status', 'code', 'total'], metadata: op('createMany') }),
        mutation({ action: 'create', manager: 'Order', count: 1, changedFields: ['status', 'code'], metadata: op('createMany', { 'prisma.skip_duplicates': true }) }),
        mutation({ action: 'create', manager: 'Order', count: 2, changedFields: ['status'], metadata: op('createManyAndReturn', { 'prisma.entity_ids': [5, 6] }) }),
      ]);
    });
  });

  describe('update / upsert / delete without a before-image: new values only', () => {
    it('update of one field', async () => {
      await seedOrders({ status: 'new', code: 'a' });
      await prisma.order.update({ where: { id: 1 }, data: { status: 'paid' } });
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1, changes: { status: { new: 'paid' } }, metadata: op('update', { 'prisma.where': { id: 1 } }),
      })]);
    });

    it('update of several fields, an atomic operation resolved from the returned record', async () => {
      await seedOrders({ status: 'new', code: 'a', total: 10 });
      await prisma.order.update({ where: { id: 1 }, data: { status: 'paid', total: { increment: 5 }, code: { set: 'b' } } });
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1,
        changes: { status: { new: 'paid' }, total: { new: 15 }, code: { new: 'b' } }, metadata: op('update', { 'prisma.where': { id: 1 } }),
      })]);
    });

    it('update by another unique field: the entity id comes from the returned record', async () => {
      await quietly(() => base.customer.create({ data: { email: 'ada@example.com', name: 'Ada' } }));
      await prisma.customer.update({ where: { email: 'ada@example.com' }, data: { name: 'Ada L.' }, select: { name: true } });
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Customer', entityId: 1, changes: { name: { new: 'Ada L.' } },
        metadata: op('update', { 'prisma.where': { email: 'ada@example.com' } }),
      })]);
    });

    it('upsert, create branch and update branch: `update` with the resulting values of the fields given', async () => {
      await prisma.order.upsert({ where: { code: 'u' }, create: { status: 'created', code: 'u' }, update: { status: 'updated' } });
      await prisma.order.upsert({ where: { code: 'u' }, create: { status: 'created', code: 'u' }, update: { status: 'updated', total: { increment: 2 } } });
      const where = { 'prisma.where': { code: 'u' } };
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { new: 'created' }, code: { new: 'u' } }, metadata: op('upsert', where) }),
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { new: 'updated' }, code: { new: 'u' }, total: { new: 2 } }, metadata: op('upsert', where) }),
      ]);
    });

    it('delete: the entity id, no values', async () => {
      await seedOrders({ status: 'a' });
      await prisma.order.delete({ where: { id: 1 } });
      assertExactly(cap().take(), [mutation({ action: 'delete', manager: 'Order', entityId: 1, metadata: op('delete', { 'prisma.where': { id: 1 } }) })]);
    });

    it('updateMany / updateManyAndReturn: bulk_update with the filter as structured data, the count, the values given', async () => {
      await seedOrders({ status: 'a', code: 'a' }, { status: 'b', code: 'b' }, { status: 'c', code: 'c', total: 9 });
      await prisma.order.updateMany({ where: { status: { in: ['a', 'b'] } }, data: { status: 'z' } });
      await prisma.order.updateMany({ where: { total: { gt: 8 }, code: { not: null } }, data: { total: { decrement: 1 } } });
      const rows = await prisma.order.updateManyAndReturn({ where: { status: 'z' }, data: { status: 'y' }, select: { status: true } });
      assert.deepEqual(rows, [{ status: 'y' }, { status: 'y' }]);
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { new: 'z' } }, metadata: op('updateMany', { 'prisma.where': { status: { in: ['a', 'b'] } } }) }),
        mutation({
          action: 'bulk_update', manager: 'Order', count: 1, changes: { total: { new: { decrement: 1 } } },
          metadata: op('updateMany', { 'prisma.where': { total: { gt: 8 }, code: { not: null } } }),
        }),
        mutation({ action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { new: 'y' } }, metadata: op('updateManyAndReturn', { 'prisma.where': { status: 'z' }, 'prisma.entity_ids': [1, 2] }) }),
      ]);
    });

    it('deleteMany: bulk_delete with the filter and the count; without a filter, no prisma.where', async () => {
      await seedOrders({ status: 'a' }, { status: 'b' }, { status: 'b' });
      await prisma.order.deleteMany({ where: { status: 'b' } });
      await prisma.order.deleteMany();
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_delete', manager: 'Order', count: 2, metadata: op('deleteMany', { 'prisma.where': { status: 'b' } }) }),
        mutation({ action: 'bulk_delete', manager: 'Order', count: 1, metadata: op('deleteMany') }),
      ]);
    });

    it('no extra statement is run: one write, one statement', async () => {
      await seedOrders({ status: 'a' });
      await prisma.order.update({ where: { id: 1 }, data: { status: 'b' } });
      assert.deepEqual(statements(), ['UPDATE "public"."Order"']);
    });
  });

  describe('with the before-image option: old values read in the same transaction', () => {
    it('update: old → new, fields whose value did not change left out; the SELECT and UPDATE in one transaction', async () => {
      await seedOrders({ status: 'new', code: 'a', total: 10 });
      await withBefore.order.update({ where: { id: 1 }, data: { status: 'paid', total: { increment: 5 }, code: 'a' } });
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1,
        changes: { status: { old: 'new', new: 'paid' }, total: { old: 10, new: 15 } }, metadata: op('update', { 'prisma.where': { id: 1 } }),
      })]);
      // Prisma logs the COMMIT of the batch transaction (not its BEGIN).
      assert.deepEqual(statements(), ['SELECT "public"."Order"."id",', 'UPDATE "public"."Order"', 'COMMIT']);
    });

    it('upsert: the branch that ran, with old → new on the update branch', async () => {
      await withBefore.order.upsert({ where: { code: 'u' }, create: { status: 'created', code: 'u' }, update: { status: 'updated' } });
      await withBefore.order.upsert({ where: { code: 'u' }, create: { status: 'created', code: 'u' }, update: { status: 'updated' } });
      const where = { 'prisma.where': { code: 'u' } };
      assertExactly(cap().take(), [
        mutation({
          action: 'update', manager: 'Order', entityId: 1, changes: { id: { new: 1 }, status: { new: 'created' }, total: { new: 0 }, code: { new: 'u' } },
          metadata: op('upsert', { ...where, 'prisma.upsert_branch': 'create' }),
        }),
        mutation({
          action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'created', new: 'updated' } },
          metadata: op('upsert', { ...where, 'prisma.upsert_branch': 'update' }),
        }),
      ]);
    });

    it('delete: the deleted row\'s values as old', async () => {
      await quietly(() => base.customer.create({ data: { email: 'ada@example.com', name: 'Ada', secret: 's3' } }));
      await withBefore.customer.delete({ where: { email: 'ada@example.com' } });
      assertExactly(cap().take(), [mutation({
        action: 'delete', manager: 'Customer', entityId: 1,
        changes: { id: { old: 1 }, email: { old: 'ada@example.com' }, name: { old: 'Ada' }, secret: { old: 's3' } },
        metadata: op('delete', { 'prisma.where': { email: 'ada@example.com' } }),
      })]);
    });

    it('updateMany / deleteMany: old is the list of the rows\' values, in the order of prisma.entity_ids', async () => {
      await seedOrders({ status: 'a', total: 1 }, { status: 'b', total: 2 }, { status: 'c', total: 3 });
      await withBefore.order.updateMany({ where: { status: { in: ['a', 'b'] } }, data: { status: 'z', total: 0 } });
      await withBefore.order.deleteMany({ where: { status: 'z' } });
      assertExactly(cap().take(), [
        mutation({
          action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { old: ['a', 'b'], new: 'z' }, total: { old: [1, 2], new: 0 } },
          metadata: op('updateMany', { 'prisma.where': { status: { in: ['a', 'b'] } }, 'prisma.entity_ids': [1, 2] }),
        }),
        mutation({
          action: 'bulk_delete', manager: 'Order', count: 2,
          changes: { id: { old: [1, 2] }, status: { old: ['z', 'z'] }, total: { old: [0, 0] }, code: { old: [null, null] }, customerId: { old: [null, null] } },
          metadata: op('deleteMany', { 'prisma.where': { status: 'z' }, 'prisma.entity_ids': [1, 2] }),
        }),
      ]);
    });

    it('maxEntityIds caps the rows read for a bulk before-image and flags the event', async () => {
      const capped = extended({ beforeImage: true, maxEntityIds: 1 });
      await seedOrders({ status: 'a' }, { status: 'a' });
      await capped.order.updateMany({ where: { status: 'a' }, data: { status: 'b' } });
      assertExactly(cap().take(), [mutation({
        action: 'bulk_update', manager: 'Order', count: 2, changes: { status: { old: ['a'], new: 'b' } },
        metadata: op('updateMany', { 'prisma.where': { status: 'a' }, 'prisma.before_image_truncated': true, 'prisma.entity_ids': [1] }),
      })]);
    });

    it('inside an interactive transaction the read sees the transaction\'s own uncommitted write', async () => {
      await seedOrders({ status: 'new' });
      await withBefore.$transaction(async (tx: Client) => {
        await tx.order.update({ where: { id: 1 }, data: { status: 'first' } });
        await tx.order.update({ where: { id: 1 }, data: { status: 'second' } });
      });
      const where = op('update', { 'prisma.where': { id: 1 } });
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'new', new: 'first' } }, metadata: where }),
        mutation({ action: 'update', manager: 'Order', entityId: 1, changes: { status: { old: 'first', new: 'second' } }, metadata: where }),
      ]);
    });

    it('inside a batch $transaction([...]) no read can be added: new values only', async () => {
      await seedOrders({ status: 'new' });
      await withBefore.$transaction([withBefore.order.update({ where: { id: 1 }, data: { status: 'batched' } })]);
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 1, changes: { status: { new: 'batched' } }, metadata: op('update', { 'prisma.where': { id: 1 } }),
      })]);
    });
  });

  describe('empty payloads', () => {
    it('update with no data, createMany of no rows, updateMany with no data', async () => {
      await seedOrders({ status: 'a' });
      await prisma.order.update({ where: { id: 1 }, data: {} });
      await prisma.order.createMany({ data: [] });
      await prisma.order.updateMany({ where: { id: 1 }, data: {} });
      assertExactly(cap().take(), [
        mutation({ action: 'update', manager: 'Order', entityId: 1, metadata: op('update', { 'prisma.where': { id: 1 } }) }),
        mutation({ action: 'create', manager: 'Order', count: 0, metadata: op('createMany') }),
        mutation({ action: 'bulk_update', manager: 'Order', count: 1, metadata: op('updateMany', { 'prisma.where': { id: 1 } }) }),
      ]);
    });
  });

  describe('failures: outcome failure, the original error rethrown unchanged', () => {
    it('create hitting a unique violation', async () => {
      await seedOrders({ status: 'a', code: 'dup' });
      let thrown: unknown;
      await prisma.order.create({ data: { status: 'again', code: 'dup' } }).catch((err: unknown) => {
        thrown = err;
      });
      assert.equal((thrown as { code?: string })?.code, 'P2002');
      const [failed] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'create', manager: 'Order', changes: { status: { new: 'again' }, code: { new: 'dup' } }, metadata: op('create'),
      }, 'failure', undefined, KNOWN_ERROR)]);
      assert.equal(cap().errorOf(failed!), thrown, 'the same error object');
    });

    it('update with a before-image hitting a unique violation: the intended change, the same error', async () => {
      await seedOrders({ status: 'a', code: 'a' }, { status: 'b', code: 'b' });
      let thrown: unknown;
      await withBefore.order.update({ where: { id: 2 }, data: { code: 'a' } }).catch((err: unknown) => {
        thrown = err;
      });
      assert.equal((thrown as { code?: string })?.code, 'P2002');
      const [failed] = cap().mutations;
      assertExactly(cap().take(), [mutation({
        action: 'update', manager: 'Order', entityId: 2, changes: { code: { new: 'a' } }, metadata: op('update', { 'prisma.where': { id: 2 } }),
      }, 'failure', undefined, KNOWN_ERROR)]);
      assert.equal(cap().errorOf(failed!), thrown, 'the same error object');
    });

    it('updateMany and delete failing in the database (unique violation, record not found)', async () => {
      await seedOrders({ status: 'a', code: 'a' }, { status: 'a', code: 'b' });
      await assert.rejects(prisma.order.updateMany({ where: { status: 'a' }, data: { code: 'same' } }), { code: 'P2002' });
      await assert.rejects(prisma.order.delete({ where: { id: 99 } }), { code: 'P2025' });
      assertExactly(cap().take(), [
        mutation({ action: 'bulk_update', manager: 'Order', changes: { code: { new: 'same' } }, metadata: op('updateMany', { 'prisma.where': { status: 'a' } }) }, 'failure', undefined, KNOWN_ERROR),
        mutation({ action: 'delete', manager: 'Order', entityId: 99, metadata: op('delete', { 'prisma.where': { id: 99 } }) }, 'failure', undefined, KNOWN_ERROR),
      ]);
    });
  });

  describe('actor, nesting, transactions', () => {
    it('anonymous vs withActor: the actor of the scope that awaited the query', async () => {
      await prisma.order.create({ data: { status: 'anon' } });
      await withActor({ id: '42', name: 'Ada', tenant: 'acme' }, async () => {
        await prisma.order.create({ data: { status: 'known' } });
      });
      const [anon, known] = cap().take();
      assert.equal(anon?.actor, undefined);
      assert.deepEqual(known?.actor, { id: '42', name: 'Ada', tenant: 'acme' });
    });

    it('Prisma queries are lazy: one created in a scope but first awaited outside it runs (and is attributed) outside', async () => {
      const pending = withActor({ id: '42' }, () => prisma.order.create({ data: { status: 'lazy' } }) as PromiseLike<unknown>);
      assert.deepEqual(cap().mutations, [], 'nothing ran yet');
      await pending;
      const [lazy] = cap().take();
      assert.equal(lazy?.action, 'create');
      assert.equal(lazy?.actor, undefined);
    });

    it('a write inside a rule is the rule\'s child', async () => {
      let ruleCtx: object | undefined;
      await withActor({ id: '7' }, () => traceRule({ name: 'open-order' }, async (ctx) => {
        ruleCtx = ctx;
        return prisma.order.create({ data: { status: 'new' } });
      }));
      const [created] = cap().take();
      assert.equal(created?.action, 'create');
      assert.deepEqual(created?.actor, { id: '7' });
      assert.equal(cap().parentOf(created!), ruleCtx);
      assert.deepEqual(cap().others.splice(0), ['rule'], 'the test\'s own rule');
    });

    it('interactive $transaction: each write reported; a rolled-back write is still reported as it ran', async () => {
      await prisma.$transaction(async (tx: Client) => {
        await tx.order.create({ data: { status: 'tx', code: 't1' } });
        await tx.order.update({ where: { id: 1 }, data: { status: 'tx2' } });
      });
      await assert.rejects(prisma.$transaction(async (tx: Client) => {
        await tx.order.create({ data: { status: 'rolled back', code: 't2' } });
        throw new Error('abort');
      }), /abort/);
      assert.equal(await base.order.count(), 1);
      assert.deepEqual(cap().take().map((e) => [e.action, e.entityId, e.outcome]), [['create', 1, 'success'], ['update', 1, 'success'], ['create', 2, 'success']]);
    });
  });

  describe('configuration and lifecycle', () => {
    it('managerName, ignoreModels and includeTimestamps', async () => {
      const configured = extended({
        managerName: ({ name }) => (name === 'Order' ? 'OrderManager' : name === 'Line' ? null : undefined),
        ignoreModels: ['Customer'],
        includeTimestamps: true,
      });
      const order = await configured.order.create({ data: { status: 'new' } });
      await configured.line.create({ data: { orderId: 1, lineNo: 1, qty: 1 } });
      await configured.customer.create({ data: { email: 'a@b.c', name: 'A' } });
      const [o] = cap().take();
      assert.equal(o?.manager, 'OrderManager');
      assert.deepEqual(Object.keys(o?.changes ?? {}).sort(), ['createdAt', 'id', 'status', 'total', 'updatedAt']);
      assert.deepEqual(o?.changes?.createdAt, { new: order.createdAt });
    });

    it('nothing subscribed: writes work as usual, nothing is published, no before-image read is made', async () => {
      captures.pause();
      const order = await withBefore.order.create({ data: { status: 'new' } });
      await withBefore.order.update({ where: { id: order.id }, data: { status: 'x' } });
      await withBefore.order.updateMany({ where: { status: 'x' }, data: { total: 3 } });
      await withBefore.order.delete({ where: { id: order.id } });
      assert.equal(statements().filter((s) => s.startsWith('SELECT')).length, 0);
      captures.start();
      assert.deepEqual(cap().take(), []);
      assert.equal(await base.order.count(), 0);
    });

    it('reads are not reported', async () => {
      await seedOrders({ status: 'a' });
      await prisma.order.findMany();
      await prisma.order.findUnique({ where: { id: 1 } });
      await prisma.order.count();
      assert.deepEqual(cap().take(), []);
    });
  });
});
