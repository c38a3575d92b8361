import { AsyncLocalStorage } from 'node:async_hooks';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { channels, failureReporter, traceMutation } from '@domain-otel/api';
import type { FailureReporter, FieldChange, MutationAction, MutationMeta } from '@domain-otel/api';
import type {
  AsyncMethod, CallOptions, InstanceMethod, ModelClass, ModelInstance, ModelStatic, SequelizeExports, StaticMethod, Values,
} from './internal-types';
import type { SequelizeInstrumentationConfig } from './types';
import {
  affectedCount, createdValues, describeWhere, diffValues, entityIdOf, fieldNames, isInstance, isModel, pendingChanges,
  trackedAttributes, writtenValues,
} from './values';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose Model save/destroy/restore/update/bulkCreate/upsert/increment/runHooks were verified. */
export const SUPPORTED_VERSIONS = ['>=6 <7'];

const DEFAULT_MAX_ENTITY_IDS = 100;

/**
 * The adapter's own record of the Sequelize call being traced, so that work Sequelize does
 * on the way is attributed to it rather than reported again:
 * - instance frame: a paranoid `destroy()` / `restore()` writes through `save()`; that save
 *   is folded into the outer event (its changes are merged) instead of being an update;
 * - bulk frame: `Model.update` / `destroy` / `restore` with `individualHooks` hand each row to
 *   the instance hooks; each row becomes its own event, and the per-row saves Sequelize may
 *   issue are part of the bulk call.
 */
interface InstanceFrame {
  kind: 'instance';
  instance: ModelInstance;
  absorbSave: boolean;
  meta: MutationMeta;
}

interface BulkFrame {
  kind: 'bulk';
  model: ModelStatic;
  method: string;
  individualHooks: boolean;
  /** Row action for `individualHooks` rows. */
  rowAction: MutationAction;
  manager: string;
  /** Instances handed to `beforeUpdate`: their saves belong to the bulk call. */
  rows: WeakSet<object>;
  /** Stored values of each row (by entity id) before the bulk update. */
  before: Map<string, Values>;
}

type Frame = InstanceFrame | BulkFrame;

const frames = new AsyncLocalStorage<Frame>();

function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/** `force` as Sequelize's instance `destroy()` sees it: `{ force: false, ...options }`. */
function forceOf(options: CallOptions | undefined): unknown {
  return options !== undefined && options !== null && 'force' in options ? options.force : false;
}

function deletedAtOf(model: ModelStatic): string | undefined {
  const deletedAt = model._timestampAttributes?.deletedAt;
  return typeof deletedAt === 'string' ? deletedAt : undefined;
}

/**
 * Turns Sequelize v6 writes into `traceMutation()` calls of @domain-otel/api, each wrapping
 * the Sequelize call so the SQL it runs is a child of the mutation span:
 *
 * - `save()` (also `Model.create`, `instance.update`, `findOrCreate`, `bulkCreate` with
 *   `individualHooks`) → `create` / `update` with old → new values;
 * - `destroy()` → `delete`, or `deactivate` for a paranoid model (unless `force`);
 *   `restore()` → `update`;
 * - `Model.update` / `Model.destroy` / `Model.restore` / `Model.increment` → one
 *   `bulk_update` / `bulk_delete` with the `where` filter and the affected count, plus one
 *   event per row when `individualHooks` is set;
 * - `Model.bulkCreate` → one `create` with `count`; `Model.upsert` → `update`.
 *
 * It never creates spans or log records itself: @domain-otel/instrumentation-domain maps
 * the mutations.
 */
export class SequelizeInstrumentation extends InstrumentationBase<SequelizeInstrumentationConfig> {
  constructor(config: SequelizeInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Reports a failure of this adapter's bookkeeping once per place, through its diag logger. */
  private get failures(): FailureReporter {
    return failureReporter(this._diag, 'the Sequelize call');
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'sequelize',
        SUPPORTED_VERSIONS,
        (exports: SequelizeExports) => this.patch(exports),
        (exports: SequelizeExports) => this.unpatch(exports),
      ),
    ];
  }

  private instanceWrappers(): Record<InstanceMethod, (original: AsyncMethod) => AsyncMethod> {
    return {
      save: (original) => this.wrapSave(original),
      destroy: (original) => this.wrapInstanceDestroy(original),
      restore: (original) => this.wrapInstanceRestore(original),
    };
  }

  private staticWrappers(): Record<StaticMethod, (original: AsyncMethod) => AsyncMethod> {
    return {
      update: (original) => this.wrapBulk(original, 'update'),
      destroy: (original) => this.wrapBulk(original, 'destroy'),
      restore: (original) => this.wrapBulk(original, 'restore'),
      increment: (original) => this.wrapIncrement(original),
      bulkCreate: (original) => this.wrapBulkCreate(original),
      upsert: (original) => this.wrapUpsert(original),
      runHooks: (original) => this.wrapRunHooks(original),
    };
  }

  private patch(exports: SequelizeExports): SequelizeExports {
    const Model = exports.Model;
    if (typeof Model !== 'function' || typeof Model.prototype?.save !== 'function') {
      this._diag.warn('sequelize: no Model class exported; mutations are not recorded');
      return exports;
    }
    // The CommonJS and ESM entry points export the same class: wrap each method once.
    for (const [name, wrapper] of Object.entries(this.instanceWrappers()) as [InstanceMethod, (o: AsyncMethod) => AsyncMethod][]) {
      if (typeof Model.prototype[name] === 'function' && !isWrapped(Model.prototype[name])) this._wrap(Model.prototype, name, wrapper);
    }
    const statics = Model as unknown as Record<StaticMethod, AsyncMethod>;
    for (const [name, wrapper] of Object.entries(this.staticWrappers()) as [StaticMethod, (o: AsyncMethod) => AsyncMethod][]) {
      if (typeof statics[name] === 'function' && !isWrapped(statics[name])) this._wrap(statics, name, wrapper);
    }
    return exports;
  }

  private unpatch(exports: SequelizeExports): void {
    const Model = exports.Model as ModelClass | undefined;
    if (typeof Model !== 'function') return;
    for (const name of Object.keys(this.instanceWrappers()) as InstanceMethod[]) {
      if (isWrapped(Model.prototype[name])) this._unwrap(Model.prototype, name);
    }
    const statics = Model as unknown as Record<StaticMethod, AsyncMethod>;
    for (const name of Object.keys(this.staticWrappers()) as StaticMethod[]) {
      if (isWrapped(statics[name])) this._unwrap(statics, name);
    }
  }

  // ---- configuration ----

  private managerFor(model: ModelStatic): string | undefined {
    if (this._config.ignoreModels?.includes(model.name) === true) return undefined;
    const custom = this._config.managerName?.({ name: model.name, tableName: model.tableName, model });
    if (custom === null) return undefined;
    if (typeof custom === 'string' && custom !== '') return custom;
    return model.name;
  }

  private tracked(model: ModelStatic): Set<string> {
    return trackedAttributes(model, this._config.includeTimestamps === true);
  }

  private maxEntityIds(): number {
    const max = this._config.maxEntityIds;
    return typeof max === 'number' && max >= 0 ? max : DEFAULT_MAX_ENTITY_IDS;
  }

  private active(): boolean {
    return this.isEnabled() && channels.mutation.hasSubscribers;
  }

  // ---- instance methods ----

  private wrapSave(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function save(this: unknown, ...args: unknown[]): Promise<unknown> {
      if (!self.active() || !isInstance(this)) return original.apply(this, args);
      const instance = this;
      const frame = frames.getStore();
      if (frame?.kind === 'instance' && frame.absorbSave && frame.instance === instance) {
        return self.absorbedSave(frame, instance, original, args);
      }
      if (frame?.kind === 'bulk' && frame.rows.has(instance)) return original.apply(this, args);

      let meta: MutationMeta | undefined;
      let finish: (() => void) | undefined;
      self.failures.safely('preparing a Sequelize save mutation', () => {
        const model = instance.constructor;
        const manager = self.managerFor(model);
        if (manager === undefined) return;
        const tracked = self.tracked(model);
        if (instance.isNewRecord) {
          const m: MutationMeta = withoutUndefined({
            action: 'create', manager, entityId: entityIdOf(model, instance.dataValues),
            changes: createdValues(instance.dataValues, tracked), metadata: { 'sequelize.method': 'save' },
          });
          meta = m;
          finish = () => {
            const id = entityIdOf(model, instance.dataValues);
            if (id !== undefined) m.entityId = id;
            m.changes = createdValues(instance.dataValues, tracked);
          };
        } else {
          // Nothing changed: Sequelize runs no SQL, and nothing is reported.
          if (instance.changed() === false) return;
          const options = args[0] as CallOptions | undefined;
          const before: Values = { ...instance._previousDataValues };
          const m: MutationMeta = withoutUndefined({
            action: 'update', manager, entityId: entityIdOf(model, before) ?? entityIdOf(model, instance.dataValues),
            changes: pendingChanges(instance, tracked, options?.fields), metadata: { 'sequelize.method': 'save' },
          });
          meta = m;
          // After a successful save, Sequelize has moved each saved value into _previousDataValues.
          finish = () => {
            m.changes = diffValues(before, instance._previousDataValues, tracked);
            const id = entityIdOf(model, instance.dataValues);
            if (id !== undefined) m.entityId = id;
          };
        }
      });
      if (meta === undefined) return original.apply(this, args);
      const traced = meta;
      return frames.run({ kind: 'instance', instance, absorbSave: false, meta: traced }, () => traceMutation(traced, async () => {
        const result = await original.apply(instance, args);
        if (finish !== undefined) self.failures.safely('recording a Sequelize save', finish);
        return result;
      }));
    };
  }

  /** The save inside a paranoid destroy() / restore(): its changes go to the outer event. */
  private async absorbedSave(frame: InstanceFrame, instance: ModelInstance, original: AsyncMethod, args: unknown[]): Promise<unknown> {
    const before: Values = { ...instance._previousDataValues };
    const result = await original.apply(instance, args);
    this.failures.safely('recording a Sequelize soft delete', () => {
      const changes = diffValues(before, instance._previousDataValues, this.tracked(instance.constructor));
      if (Object.keys(changes).length > 0) frame.meta.changes = { ...frame.meta.changes, ...changes };
    });
    return result;
  }

  private wrapInstanceDestroy(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function destroy(this: unknown, ...args: unknown[]): Promise<unknown> {
      if (!self.active() || !isInstance(this)) return original.apply(this, args);
      const instance = this;
      const model = instance.constructor;
      const manager = self.managerFor(model);
      if (manager === undefined) return original.apply(this, args);
      const soft = deletedAtOf(model) !== undefined && forceOf(args[0] as CallOptions | undefined) === false;
      const meta: MutationMeta = withoutUndefined({
        action: soft ? 'deactivate' : 'delete', manager, entityId: entityIdOf(model, instance.dataValues),
        metadata: { 'sequelize.method': 'destroy' },
      });
      return frames.run({ kind: 'instance', instance, absorbSave: true, meta }, () => traceMutation(meta, () => original.apply(instance, args)));
    };
  }

  private wrapInstanceRestore(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function restore(this: unknown, ...args: unknown[]): Promise<unknown> {
      if (!self.active() || !isInstance(this) || deletedAtOf(this.constructor) === undefined) return original.apply(this, args);
      const instance = this;
      const manager = self.managerFor(instance.constructor);
      if (manager === undefined) return original.apply(this, args);
      const meta: MutationMeta = withoutUndefined({
        action: 'update', manager, entityId: entityIdOf(instance.constructor, instance.dataValues),
        metadata: { 'sequelize.method': 'restore' },
      });
      return frames.run({ kind: 'instance', instance, absorbSave: true, meta }, () => traceMutation(meta, () => original.apply(instance, args)));
    };
  }

  // ---- static methods ----

  private wrapBulk(original: AsyncMethod, kind: 'update' | 'destroy' | 'restore'): AsyncMethod {
    const self = this;
    return function bulk(this: unknown, ...args: unknown[]): Promise<unknown> {
      if (!self.active() || !isModel(this)) return original.apply(this, args);
      const model = this;
      const manager = self.managerFor(model);
      if (manager === undefined) return original.apply(this, args);
      const deletedAt = deletedAtOf(model);
      if (kind === 'restore' && deletedAt === undefined) return original.apply(this, args); // throws "not paranoid"
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
      if (kind === 'update') changes = writtenValues(args[0], self.tracked(model), options?.fields);
      if (kind === 'restore' && deletedAt !== undefined) changes = { [deletedAt]: { new: null } };
      const meta: MutationMeta = withoutUndefined({ action: kind === 'destroy' ? 'bulk_delete' : 'bulk_update', manager, changes, metadata });
      const frame: BulkFrame = {
        kind: 'bulk', model, method, individualHooks, manager,
        rowAction: kind === 'destroy' ? (soft ? 'deactivate' : 'delete') : 'update',
        rows: new WeakSet(), before: new Map(),
      };
      return frames.run(frame, () => traceMutation(meta, async () => {
        const result = await original.apply(model, args);
        // A hard truncate reports no row count.
        self.failures.safely('recording a Sequelize bulk count', () => {
          const count = truncate && !soft ? undefined : affectedCount(result);
          if (count !== undefined) meta.count = count;
        });
        return result;
      }));
    };
  }

  private wrapIncrement(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function increment(this: unknown, ...args: unknown[]): Promise<unknown> {
      if (!self.active() || !isModel(this)) return original.apply(this, args);
      const model = this;
      const manager = self.managerFor(model);
      if (manager === undefined) return original.apply(this, args);
      const [fields, given] = args as [unknown, CallOptions | undefined];
      const options = given ?? {};
      const sign = options.increment === false ? -1 : 1;
      const by = typeof options.by === 'number' ? options.by : 1;
      const amounts: Record<string, unknown> = {};
      if (typeof fields === 'string') amounts[fields] = sign * by;
      else if (Array.isArray(fields)) for (const f of fields) amounts[String(f)] = sign * by;
      else if (typeof fields === 'object' && fields !== null) {
        for (const [f, amount] of Object.entries(fields)) amounts[f] = typeof amount === 'number' ? sign * amount : amount;
      }
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
      return frames.run({ kind: 'bulk', model, method: 'Model.increment', individualHooks: false, manager, rowAction: 'update', rows: new WeakSet(), before: new Map() },
        () => traceMutation(meta, async () => {
          const result = await original.apply(model, args);
          if (instance === undefined) {
            self.failures.safely('recording a Sequelize increment count', () => {
              const count = affectedCount(result);
              if (count !== undefined) meta.count = count;
            });
          }
          return result;
        }));
    };
  }

  private wrapBulkCreate(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function bulkCreate(this: unknown, ...args: unknown[]): Promise<unknown> {
      const [records, given] = args as [unknown, CallOptions | undefined];
      // With individualHooks every row goes through save(), which reports it as a create.
      if (!self.active() || !isModel(this) || given?.individualHooks === true || !Array.isArray(records) || records.length === 0) {
        return original.apply(this, args);
      }
      const model = this;
      const manager = self.managerFor(model);
      if (manager === undefined) return original.apply(this, args);
      const metadata: Record<string, unknown> = { 'sequelize.method': 'Model.bulkCreate' };
      if (given?.ignoreDuplicates === true) metadata['sequelize.ignore_duplicates'] = true;
      if (Array.isArray(given?.updateOnDuplicate)) metadata['sequelize.update_on_duplicate'] = [...given.updateOnDuplicate];
      const meta: MutationMeta = {
        action: 'create', manager, count: records.length, changedFields: fieldNames(records, self.tracked(model)), metadata,
      };
      return frames.run({ kind: 'bulk', model, method: 'Model.bulkCreate', individualHooks: false, manager, rowAction: 'create', rows: new WeakSet(), before: new Map() },
        () => traceMutation(meta, async () => {
          const result = await original.apply(model, args);
          self.failures.safely('recording a Sequelize bulkCreate', () => {
            if (!Array.isArray(result)) return;
            meta.count = result.length;
            const ids: (string | number)[] = [];
            for (const row of result as unknown[]) {
              const id = isInstance(row) ? entityIdOf(model, row.dataValues) : undefined;
              if (id !== undefined) ids.push(id);
            }
            if (ids.length > 0) metadata['sequelize.entity_ids'] = ids.slice(0, self.maxEntityIds());
          });
          return result;
        }));
    };
  }

  private wrapUpsert(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function upsert(this: unknown, ...args: unknown[]): Promise<unknown> {
      if (!self.active() || !isModel(this) || typeof args[0] !== 'object' || args[0] === null) return original.apply(this, args);
      const model = this;
      const manager = self.managerFor(model);
      if (manager === undefined) return original.apply(this, args);
      const values = args[0] as Values;
      const metadata: Record<string, unknown> = { 'sequelize.method': 'Model.upsert' };
      const meta: MutationMeta = withoutUndefined({
        action: 'update', manager, entityId: entityIdOf(model, values), changes: writtenValues(values, self.tracked(model)), metadata,
      });
      return frames.run({ kind: 'bulk', model, method: 'Model.upsert', individualHooks: false, manager, rowAction: 'update', rows: new WeakSet(), before: new Map() },
        () => traceMutation(meta, async () => {
          const result = await original.apply(model, args);
          self.failures.safely('recording a Sequelize upsert', () => {
            if (!Array.isArray(result)) return;
            const [row, created] = result as [unknown, unknown];
            const id = isInstance(row) ? entityIdOf(model, row.dataValues) : undefined;
            if (id !== undefined) meta.entityId = id;
            // Postgres cannot tell (null); MySQL/MariaDB/SQLite can.
            if (typeof created === 'boolean') metadata['sequelize.created'] = created;
          });
          return result;
        }));
    };
  }

  /** Per-row events of bulk calls with `individualHooks`, from the instance hooks Sequelize runs. */
  private wrapRunHooks(original: AsyncMethod): AsyncMethod {
    const self = this;
    return function runHooks(this: unknown, ...args: unknown[]): Promise<unknown> {
      const frame = frames.getStore();
      if (frame?.kind === 'bulk' && frame.individualHooks && frame.model === this && typeof args[0] === 'string' && isInstance(args[1])) {
        const hook = args[0];
        const instance = args[1];
        self.failures.safely('recording a Sequelize row hook', () => self.onRowHook(frame, hook, instance));
      }
      return original.apply(this, args);
    };
  }

  private onRowHook(frame: BulkFrame, hook: string, instance: ModelInstance): void {
    const model = frame.model;
    const id = entityIdOf(model, instance.dataValues);
    let row: MutationMeta | undefined;
    if (frame.method === 'Model.update' && hook === 'beforeUpdate') {
      frame.rows.add(instance);
      if (id !== undefined) frame.before.set(String(id), { ...instance._previousDataValues });
    } else if (frame.method === 'Model.update' && hook === 'afterUpdate') {
      const before = (id !== undefined ? frame.before.get(String(id)) : undefined) ?? instance._previousDataValues;
      row = { action: 'update', manager: frame.manager, changes: diffValues(before, instance.dataValues, this.tracked(model)) };
    } else if (frame.method === 'Model.destroy' && hook === 'afterDestroy') {
      row = { action: frame.rowAction, manager: frame.manager };
    } else if (frame.method === 'Model.restore' && hook === 'afterRestore') {
      const deletedAt = deletedAtOf(model);
      row = { action: 'update', manager: frame.manager };
      if (deletedAt !== undefined) row.changes = { [deletedAt]: { old: instance.dataValues[deletedAt], new: null } };
    }
    if (row === undefined || !this.active()) return;
    if (id !== undefined) row.entityId = id;
    row.metadata = { 'sequelize.method': frame.method };
    // The row was written by the bulk call's statement(s): a child of its span, without duration of its own.
    traceMutation(row, () => undefined);
  }
}
