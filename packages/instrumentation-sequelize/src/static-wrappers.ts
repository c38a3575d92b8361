// The wrappers of the Model statics: `Model.update` / `destroy` / `restore` (one bulk event,
// the rows reported by ./row-hooks with `individualHooks`), `Model.increment`,
// `Model.bulkCreate` and `Model.upsert`.
import { traceMutation } from '@domain-otel/api';
import type { FieldChange, MutationMeta } from '@domain-otel/api';
import { bulkFrame, frames } from './frames';
import type { BulkFrame } from './frames';
import type { AsyncMethod, CallOptions, ModelStatic, Values } from './internal-types';
import { affectedCount, deletedAtOf, describeWhere, entityIdOf, fieldNames, isInstance, isModel, withoutUndefined, writtenValues } from './values';
import type { WrapContext, Wrapper } from './wrap-context';

/**
 * The wrapper of a static that reports `model`'s mutations: calls through when nothing is
 * reported, else makes the traced call with `call` (given the model and its manager name).
 */
function reportingStatic(
  original: AsyncMethod, c: WrapContext, call: (model: ModelStatic, manager: string, args: unknown[]) => Promise<unknown>,
): AsyncMethod {
  return function reportingCall(this: unknown, ...args: unknown[]): Promise<unknown> {
    if (!c.active() || !isModel(this)) return original.apply(this, args);
    const manager = c.managerFor(this);
    if (manager === undefined) return original.apply(this, args);
    return call(this, manager, args);
  };
}

/** Runs the static inside `frame` and a traced mutation; `record` completes the meta from its result. */
function traced(c: WrapContext, frame: BulkFrame, meta: MutationMeta, original: AsyncMethod, args: unknown[], where: string, record: (result: unknown) => void): Promise<unknown> {
  return frames.run(frame, () => traceMutation(meta, async () => {
    const result = await original.apply(frame.model, args);
    c.failures.safely(where, () => record(result));
    return result;
  }));
}

export function wrapBulk(kind: 'update' | 'destroy' | 'restore'): Wrapper {
  return (original, c) => reportingStatic(original, c, (model, manager, args) => {
    const deletedAt = deletedAtOf(model);
    if (kind === 'restore' && deletedAt === undefined) return original.apply(model, args); // throws "not paranoid"
    const options = (kind === 'update' ? args[1] : args[0]) as CallOptions | undefined;
    const method = `Model.${kind}`;
    const individualHooks = options?.individualHooks === true;
    const soft = kind === 'destroy' && deletedAt !== undefined && options?.force !== true;
    const truncate = kind === 'destroy' && options?.truncate === true;
    const metadata: Record<string, unknown> = { 'sequelize.method': method };
    if (options?.where !== undefined) metadata['sequelize.where'] = describeWhere(options.where);
    if (soft) metadata['sequelize.paranoid'] = true;
    if (truncate) metadata['sequelize.truncate'] = true;
    if (individualHooks) metadata['sequelize.individual_hooks'] = true;
    let changes: Record<string, FieldChange> | undefined;
    if (kind === 'update') changes = writtenValues(args[0], c.tracked(model), options?.fields);
    if (kind === 'restore' && deletedAt !== undefined) changes = { [deletedAt]: { new: null } };
    const meta: MutationMeta = withoutUndefined({ action: kind === 'destroy' ? 'bulk_delete' : 'bulk_update', manager, changes, metadata });
    const rowAction = kind === 'destroy' ? (soft ? 'deactivate' : 'delete') : 'update';
    return traced(c, bulkFrame(model, method, manager, rowAction, individualHooks), meta, original, args, 'recording a Sequelize bulk count', (result) => {
      // A hard truncate reports no row count.
      const count = truncate && !soft ? undefined : affectedCount(result);
      if (count !== undefined) meta.count = count;
    });
  });
}

/** `{ field: amount }` of an increment (negative for a decrement). */
function incrementAmounts(fields: unknown, options: CallOptions): Record<string, unknown> {
  const sign = options.increment === false ? -1 : 1;
  const by = typeof options.by === 'number' ? options.by : 1;
  const amounts: Record<string, unknown> = {};
  if (typeof fields === 'string') amounts[fields] = sign * by;
  else if (Array.isArray(fields)) for (const f of fields) amounts[String(f)] = sign * by;
  else if (typeof fields === 'object' && fields !== null) {
    for (const [f, amount] of Object.entries(fields)) amounts[f] = typeof amount === 'number' ? sign * amount : amount;
  }
  return amounts;
}

/** `Model.increment` (and `instance.increment`, which passes `options.instance`). */
export const wrapIncrement: Wrapper = (original, c) => reportingStatic(original, c, (model, manager, args) => {
  const [fields, given] = args as [unknown, CallOptions | undefined];
  const options = given ?? {};
  const amounts = incrementAmounts(fields, options);
  const instance = isInstance(options.instance) ? options.instance : undefined;
  const meta: MutationMeta = instance !== undefined
    ? withoutUndefined({
      action: 'update', manager, entityId: entityIdOf(model, instance.dataValues), changedFields: Object.keys(amounts),
      metadata: { 'sequelize.method': 'increment', 'sequelize.increment': amounts },
    })
    : {
      action: 'bulk_update', manager, changedFields: Object.keys(amounts),
      metadata: withoutUndefined({
        'sequelize.method': 'Model.increment', 'sequelize.where': options.where === undefined ? undefined : describeWhere(options.where),
        'sequelize.increment': amounts,
      }),
    };
  return traced(c, bulkFrame(model, 'Model.increment', manager, 'update'), meta, original, args, 'recording a Sequelize increment count', (result) => {
    if (instance !== undefined) return;
    const count = affectedCount(result);
    if (count !== undefined) meta.count = count;
  });
});

export const wrapBulkCreate: Wrapper = (original, c) => {
  const reporting = reportingStatic(original, c, (model, manager, args) => {
    const [records, given] = args as [unknown[], CallOptions | undefined];
    const metadata: Record<string, unknown> = { 'sequelize.method': 'Model.bulkCreate' };
    if (given?.ignoreDuplicates === true) metadata['sequelize.ignore_duplicates'] = true;
    if (Array.isArray(given?.updateOnDuplicate)) metadata['sequelize.update_on_duplicate'] = [...given.updateOnDuplicate];
    const meta: MutationMeta = {
      action: 'create', manager, count: records.length, changedFields: fieldNames(records, c.tracked(model)), metadata,
    };
    return traced(c, bulkFrame(model, 'Model.bulkCreate', manager, 'create'), meta, original, args, 'recording a Sequelize bulkCreate', (result) => {
      if (!Array.isArray(result)) return;
      meta.count = result.length;
      const ids: (string | number)[] = [];
      for (const row of result as unknown[]) {
        const id = isInstance(row) ? entityIdOf(model, row.dataValues) : undefined;
        if (id !== undefined) ids.push(id);
      }
      if (ids.length > 0) metadata['sequelize.entity_ids'] = ids.slice(0, c.maxEntityIds());
    });
  });
  return function bulkCreate(this: unknown, ...args: unknown[]): Promise<unknown> {
    const [records, given] = args as [unknown, CallOptions | undefined];
    // With individualHooks every row goes through save(), which reports it as a create.
    if (given?.individualHooks === true || !Array.isArray(records) || records.length === 0) return original.apply(this, args);
    return reporting.apply(this, args);
  };
};

export const wrapUpsert: Wrapper = (original, c) => {
  const reporting = reportingStatic(original, c, (model, manager, args) => {
    const values = args[0] as Values;
    const metadata: Record<string, unknown> = { 'sequelize.method': 'Model.upsert' };
    const meta: MutationMeta = withoutUndefined({
      action: 'update', manager, entityId: entityIdOf(model, values), changes: writtenValues(values, c.tracked(model)), metadata,
    });
    return traced(c, bulkFrame(model, 'Model.upsert', manager, 'update'), meta, original, args, 'recording a Sequelize upsert', (result) => {
      if (!Array.isArray(result)) return;
      const [row, created] = result as [unknown, unknown];
      const id = isInstance(row) ? entityIdOf(model, row.dataValues) : undefined;
      if (id !== undefined) meta.entityId = id;
      // Postgres cannot tell (null); MySQL/MariaDB/SQLite can.
      if (typeof created === 'boolean') metadata['sequelize.created'] = created;
    });
  });
  return function upsert(this: unknown, ...args: unknown[]): Promise<unknown> {
    if (typeof args[0] !== 'object' || args[0] === null) return original.apply(this, args);
    return reporting.apply(this, args);
  };
};
