import { channels, failureReporter, traceMutation } from '@domain-otel/api';
import type { FieldChange, MutationAction, MutationMeta } from '@domain-otel/api';
import type { ClientLike, PrismaPromiseLike, QueryParams, Values } from './internal-types';
import { Schema } from './schema';
import type { ModelInfo } from './schema';
import type { PrismaExtensionOptions } from './types';
import {
  bulkChanges, createdChanges, deletedChanges, describe, fieldsOfRows, givenFields, idFromWhere, idOf, isPlainObject, isScalarField,
  nestedWrites, tracked, updatedChanges,
} from './values';
import { PACKAGE_NAME } from './version';

/** Every Prisma Client write operation on a model. */
export const WRITE_OPERATIONS = [
  'create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany',
] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

const DEFAULT_MAX_ENTITY_IDS = 100;

/**
 * What `domainOtelExtension()` returns: the function form `prisma.$extends()` accepts. Typed
 * as adding nothing to the client (a query extension changes no types), so the extended
 * client keeps the exact types of the one it extends.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type --
   Prisma's own shape of an extension that adds nothing: any client in, empty extension args out */
export type DomainOtelExtension = (client: any) => {
  $extends: { extArgs: { result: {}; model: {}; query: {}; client: {} } };
};
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type */

/**
 * A Prisma extension is no OpenTelemetry instrumentation and has no diag logger of its own: a
 * failure of its bookkeeping becomes one process warning per place.
 */
const failures = failureReporter({
  error: (message: string, err: unknown) => process.emitWarning(`${PACKAGE_NAME}: ${message} (${String(err)})`, { code: 'DOMAIN_OTEL_PRISMA' }),
}, 'the Prisma call');

function setChanges(meta: MutationMeta, changes: Record<string, FieldChange>): void {
  if (Object.keys(changes).length > 0) meta.changes = changes;
  else delete meta.changes;
}

function setEntityId(meta: MutationMeta, id: string | number | undefined): void {
  if (id !== undefined) meta.entityId = id;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** One write about to run: its meta, how to run it (with or without a before-image), what to fill in after. */
interface Plan {
  meta: MutationMeta;
  /** Rows to read first, in the same transaction (before-image), or none. */
  read?: () => PrismaPromiseLike;
  /** Completes the meta once the write succeeded; `before` is the read's result when there was one. */
  finish?: (result: unknown, before: unknown) => void;
  /** The arguments actually sent (the primary key added to a `select` that left it out). */
  args: Values;
  /** Fields added to the selection only to learn the entity id: removed from the result. */
  strip: readonly string[];
}

interface Call {
  readonly client: ClientLike;
  readonly model: ModelInfo;
  readonly manager: string;
  readonly operation: WriteOperation;
  readonly args: Values;
  readonly options: PrismaExtensionOptions;
}

/** Adds the primary key to a `select` / removes it from an `omit` so the result names the entity. */
function withIdSelected(model: ModelInfo, args: Values): { args: Values; strip: string[] } {
  if (isPlainObject(args.select)) {
    const select = args.select;
    const missing = model.idFields.filter((f) => select[f] !== true);
    if (missing.length === 0) return { args, strip: [] };
    const next: Values = { ...select };
    for (const f of missing) next[f] = true;
    return { args: { ...args, select: next }, strip: missing };
  }
  if (isPlainObject(args.omit)) {
    const omit = args.omit;
    const omitted = model.idFields.filter((f) => omit[f] === true);
    if (omitted.length === 0) return { args, strip: [] };
    const next: Values = { ...omit };
    for (const f of omitted) next[f] = false;
    return { args: { ...args, omit: next }, strip: omitted };
  }
  return { args, strip: [] };
}

function stripFields(result: unknown, fields: readonly string[]): void {
  if (fields.length === 0) return;
  const rows = Array.isArray(result) ? result : [result];
  for (const row of rows) if (isPlainObject(row)) for (const f of fields) delete row[f];
}

function selectOf(model: ModelInfo, fields: Iterable<string>): Values {
  const select: Values = {};
  for (const f of model.idFields) select[f] = true;
  for (const f of fields) if (isScalarField(model, f)) select[f] = true;
  return select;
}

function countOf(result: unknown): number | undefined {
  if (Array.isArray(result)) return result.length;
  const count = isPlainObject(result) ? result.count : undefined;
  return typeof count === 'number' ? count : undefined;
}

function maxEntityIds(options: PrismaExtensionOptions): number {
  const max = options.maxEntityIds;
  return typeof max === 'number' && max >= 0 ? Math.floor(max) : DEFAULT_MAX_ENTITY_IDS;
}

function idsOf(model: ModelInfo, rows: unknown, max: number): (string | number)[] {
  const ids: (string | number)[] = [];
  for (const row of Array.isArray(rows) ? rows : []) {
    if (ids.length >= max) break;
    const id = idOf(model, row);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

function plan(call: Call): Plan {
  const { model, manager, operation, args, options, client } = call;
  const timestamps = options.includeTimestamps === true;
  const beforeImage = options.beforeImage === true;
  const max = maxEntityIds(options);
  const delegate = () => client[lowerFirst(model.name)] as { findUnique(a: Values): PrismaPromiseLike; findMany(a: Values): PrismaPromiseLike };
  // Bulk before-images list rows in primary key order, so `old` lists line up with `prisma.entity_ids`.
  const orderBy = model.idFields.map((f) => ({ [f]: 'asc' }));
  const metadata: Record<string, unknown> = { 'prisma.operation': operation };
  const meta = (action: MutationAction): MutationMeta => ({ action, manager, metadata });
  const where = args.where;
  if (where !== undefined && operation !== 'create' && !operation.startsWith('createMany')) metadata['prisma.where'] = describe(where);
  if (typeof args.limit === 'number') metadata['prisma.limit'] = args.limit;

  switch (operation) {
    case 'create': {
      const m = meta('create');
      const nested = nestedWrites(model, args.data);
      if (nested !== undefined) metadata['prisma.nested'] = nested;
      setEntityId(m, isPlainObject(args.data) ? idOf(model, args.data) : undefined);
      setChanges(m, createdChanges(model, args.data, undefined, timestamps));
      const sent = withIdSelected(model, args);
      return {
        meta: m, ...sent,
        finish: (result) => {
          setEntityId(m, idOf(model, result));
          setChanges(m, createdChanges(model, args.data, result, timestamps));
        },
      };
    }
    case 'createMany':
    case 'createManyAndReturn': {
      const rows: unknown[] = Array.isArray(args.data) ? args.data : args.data === undefined ? [] : [args.data];
      const m = meta('create');
      m.count = rows.length;
      const fields = fieldsOfRows(model, rows, timestamps);
      if (fields.length > 0) m.changedFields = fields;
      if (args.skipDuplicates === true) metadata['prisma.skip_duplicates'] = true;
      const sent = operation === 'createManyAndReturn' ? withIdSelected(model, args) : { args, strip: [] };
      return {
        meta: m, ...sent,
        finish: (result) => {
          const count = countOf(result);
          if (count !== undefined) m.count = count;
          if (Array.isArray(result)) {
            const ids = idsOf(model, result, max);
            if (ids.length > 0) metadata['prisma.entity_ids'] = ids;
          }
        },
      };
    }
    case 'update': {
      const m = meta('update');
      const nested = nestedWrites(model, args.data);
      if (nested !== undefined) metadata['prisma.nested'] = nested;
      setEntityId(m, idFromWhere(model, where));
      setChanges(m, updatedChanges(model, args.data, undefined, undefined, timestamps));
      const sent = withIdSelected(model, args);
      const fields = givenFields(model, args.data, timestamps);
      return {
        meta: m, ...sent,
        read: beforeImage ? () => delegate().findUnique({ where, select: selectOf(model, fields) }) : undefined,
        finish: (result, before) => {
          if (m.entityId === undefined) setEntityId(m, idOf(model, result) ?? idOf(model, before));
          setChanges(m, updatedChanges(model, args.data, result, before as Values | null | undefined, timestamps));
        },
      };
    }
    case 'upsert': {
      // Which branch ran is known only with a before-image; the action is fixed before the
      // write (it names the span), so an upsert is an `update` either way.
      const m = meta('update');
      const create = isPlainObject(args.create) ? args.create : {};
      const update = isPlainObject(args.update) ? args.update : {};
      const nested = { ...nestedWrites(model, create), ...nestedWrites(model, update) };
      if (Object.keys(nested).length > 0) metadata['prisma.nested'] = nested;
      const merged = { ...create, ...update };
      setEntityId(m, idFromWhere(model, where));
      setChanges(m, updatedChanges(model, merged, undefined, undefined, timestamps));
      const sent = withIdSelected(model, args);
      const fields = givenFields(model, merged, timestamps);
      return {
        meta: m, ...sent,
        read: beforeImage ? () => delegate().findUnique({ where, select: selectOf(model, fields) }) : undefined,
        finish: (result, before) => {
          if (m.entityId === undefined) setEntityId(m, idOf(model, result) ?? idOf(model, before));
          if (before === undefined) {
            setChanges(m, updatedChanges(model, merged, result, undefined, timestamps));
          } else if (before === null) {
            metadata['prisma.upsert_branch'] = 'create';
            setChanges(m, createdChanges(model, create, result, timestamps));
          } else {
            metadata['prisma.upsert_branch'] = 'update';
            setChanges(m, updatedChanges(model, update, result, before as Values, timestamps));
          }
        },
      };
    }
    case 'delete': {
      const m = meta('delete');
      setEntityId(m, idFromWhere(model, where));
      const sent = withIdSelected(model, args);
      return {
        meta: m, ...sent,
        read: beforeImage ? () => delegate().findUnique({ where }) : undefined,
        finish: (result, before) => {
          if (m.entityId === undefined) setEntityId(m, idOf(model, result) ?? idOf(model, before));
          setChanges(m, deletedChanges(model, before, timestamps));
        },
      };
    }
    case 'updateMany':
    case 'updateManyAndReturn': {
      const m = meta('bulk_update');
      const fields = givenFields(model, args.data, timestamps);
      setChanges(m, bulkChanges(model, args.data, undefined, fields, timestamps));
      const sent = operation === 'updateManyAndReturn' ? withIdSelected(model, args) : { args, strip: [] };
      const take = typeof args.limit === 'number' ? Math.min(args.limit, max + 1) : max + 1;
      return {
        meta: m, ...sent,
        read: beforeImage ? () => delegate().findMany({ where, select: selectOf(model, fields), take, orderBy }) : undefined,
        finish: (result, before) => {
          const count = countOf(result);
          if (count !== undefined) m.count = count;
          if (Array.isArray(before)) {
            const rows = bulkRows(before as Values[], max, metadata);
            metadata['prisma.entity_ids'] = rows.map((row) => idOf(model, row) ?? null);
            setChanges(m, bulkChanges(model, args.data, rows, fields, timestamps));
          } else if (Array.isArray(result)) {
            const ids = idsOf(model, result, max);
            if (ids.length > 0) metadata['prisma.entity_ids'] = ids;
          }
        },
      };
    }
    case 'deleteMany': {
      const m = meta('bulk_delete');
      const take = typeof args.limit === 'number' ? Math.min(args.limit, max + 1) : max + 1;
      return {
        meta: m, args, strip: [],
        read: beforeImage ? () => delegate().findMany({ where, take, orderBy }) : undefined,
        finish: (result, before) => {
          const count = countOf(result);
          if (count !== undefined) m.count = count;
          if (Array.isArray(before)) {
            const rows = bulkRows(before as Values[], max, metadata);
            metadata['prisma.entity_ids'] = rows.map((row) => idOf(model, row) ?? null);
            const fields = new Set<string>();
            for (const row of rows) for (const f of Object.keys(row)) if (isScalarField(model, f) && tracked(model, f, timestamps)) fields.add(f);
            setChanges(m, bulkChanges(model, undefined, rows, [...fields], timestamps));
          }
        },
      };
    }
  }
}

/** The rows of a bulk before-image, at most `max`; flags the event when there were more. */
function bulkRows(rows: Values[], max: number, metadata: Record<string, unknown>): Values[] {
  if (rows.length <= max) return rows;
  metadata['prisma.before_image_truncated'] = true;
  return rows.slice(0, max);
}

/**
 * Runs the write, reading its before-image first in the same transaction when asked:
 * - outside any transaction: both in one batch `$transaction([read, write])`;
 * - inside an interactive transaction: the read is attached to it, then the write runs;
 * - inside a batch `$transaction([...])` (or when Prisma does not say where it runs): no
 *   read, the write alone.
 */
async function execute(call: Call, params: QueryParams, p: Plan): Promise<[unknown, unknown]> {
  if (p.read === undefined) return [await params.query(p.args), undefined];
  const internal = params.__internalParams;
  const known = typeof internal === 'object' && internal !== null && 'transaction' in internal;
  const tx = known ? internal.transaction : undefined;
  if (known && tx === undefined) {
    const [before, result] = await call.client.$transaction([p.read(), params.query(p.args)]);
    return [result, before];
  }
  if (known && tx?.kind === 'itx') {
    const read = p.read();
    if (typeof read.requestTransaction === 'function') {
      const before = await read.requestTransaction(tx);
      return [await params.query(p.args), before];
    }
  }
  return [await params.query(p.args), undefined];
}

function handle(client: ClientLike, schema: Schema, options: PrismaExtensionOptions, operation: WriteOperation, params: QueryParams): unknown {
  const { model: modelName, args, query } = params;
  if (!channels.mutation.hasSubscribers || typeof modelName !== 'string') return query(args);
  const p = failures.safely('preparing a Prisma mutation', () => {
    if (options.ignoreModels?.includes(modelName) === true) return undefined;
    const custom = options.managerName?.({ name: modelName });
    if (custom === null) return undefined;
    const manager = typeof custom === 'string' && custom !== '' ? custom : modelName;
    const call: Call = { client, model: schema.model(modelName), manager, operation, args: isPlainObject(args) ? args : {}, options };
    return { call, plan: plan(call) };
  });
  if (p === undefined) return query(args);
  const { call, plan: planned } = p;
  return traceMutation(planned.meta, async () => {
    const [result, before] = await execute(call, params, planned);
    failures.safely('recording a Prisma mutation', () => planned.finish?.(result, before));
    stripFields(result, planned.strip);
    return result;
  });
}

/**
 * A Prisma Client extension that reports every write (create, createMany,
 * createManyAndReturn, update, updateMany, updateManyAndReturn, upsert, delete, deleteMany)
 * on every model through `traceMutation()` of @domain-otel/api:
 *
 *   const prisma = new PrismaClient({ adapter }).$extends(domainOtelExtension());
 *
 * It never creates spans or log records itself: @domain-otel/instrumentation-domain maps the
 * mutations. When nothing listens it calls the query straight through (no before-image reads).
 */
export function domainOtelExtension(options: PrismaExtensionOptions = {}): DomainOtelExtension {
  const extension = (client: ClientLike) => {
    const schema = new Schema(client, options.idFields);
    const callbacks: Record<string, (params: QueryParams) => unknown> = {};
    for (const operation of WRITE_OPERATIONS) callbacks[operation] = (params) => handle(client, schema, options, operation, params);
    return client.$extends({ name: PACKAGE_NAME, query: { $allModels: callbacks } });
  };
  return extension as unknown as DomainOtelExtension;
}
