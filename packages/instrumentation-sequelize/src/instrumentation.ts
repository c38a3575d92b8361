import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { channels, failureReporter } from '@domain-otel/api';
import { wrapInstanceDestroy, wrapInstanceRestore, wrapSave } from './instance-wrappers';
import type { AsyncMethod, InstanceMethod, ModelClass, ModelStatic, SequelizeExports, StaticMethod } from './internal-types';
import { wrapRunHooks } from './row-hooks';
import { wrapBulk, wrapBulkCreate, wrapIncrement, wrapUpsert } from './static-wrappers';
import type { SequelizeInstrumentationConfig } from './types';
import { cachedTrackedAttributes } from './values';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import type { WrapContext, Wrapper } from './wrap-context';

/** Versions whose Model save/destroy/restore/update/bulkCreate/upsert/increment/runHooks were verified. */
export const SUPPORTED_VERSIONS = ['>=6 <7'];

const DEFAULT_MAX_ENTITY_IDS = 100;

/** The wrapped methods of `Model.prototype`. */
const INSTANCE_WRAPPERS: Record<InstanceMethod, Wrapper> = {
  save: wrapSave,
  destroy: wrapInstanceDestroy,
  restore: wrapInstanceRestore,
};

/** The wrapped statics of `Model`. */
const STATIC_WRAPPERS: Record<StaticMethod, Wrapper> = {
  update: wrapBulk('update'),
  destroy: wrapBulk('destroy'),
  restore: wrapBulk('restore'),
  increment: wrapIncrement,
  bulkCreate: wrapBulkCreate,
  upsert: wrapUpsert,
  runHooks: wrapRunHooks,
};

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
 * the mutations. The wrappers live in ./instance-wrappers, ./static-wrappers and ./row-hooks.
 */
export class SequelizeInstrumentation extends InstrumentationBase<SequelizeInstrumentationConfig> {
  constructor(config: SequelizeInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
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

  private patch(exports: SequelizeExports): SequelizeExports {
    const Model = exports.Model;
    if (typeof Model !== 'function' || typeof Model.prototype?.save !== 'function') {
      this._diag.warn('sequelize: no Model class exported; mutations are not recorded');
      return exports;
    }
    const context = this.wrapContext();
    // The CommonJS and ESM entry points export the same class: wrap each method once.
    for (const [name, wrapper] of Object.entries(INSTANCE_WRAPPERS) as [InstanceMethod, Wrapper][]) {
      if (typeof Model.prototype[name] === 'function' && !isWrapped(Model.prototype[name])) {
        this._wrap(Model.prototype, name, (original: AsyncMethod) => wrapper(original, context));
      }
    }
    const statics = Model as unknown as Record<StaticMethod, AsyncMethod>;
    for (const [name, wrapper] of Object.entries(STATIC_WRAPPERS) as [StaticMethod, Wrapper][]) {
      if (typeof statics[name] === 'function' && !isWrapped(statics[name])) {
        this._wrap(statics, name, (original: AsyncMethod) => wrapper(original, context));
      }
    }
    return exports;
  }

  private unpatch(exports: SequelizeExports): void {
    const Model = exports.Model as ModelClass | undefined;
    if (typeof Model !== 'function') return;
    for (const name of Object.keys(INSTANCE_WRAPPERS) as InstanceMethod[]) {
      if (isWrapped(Model.prototype[name])) this._unwrap(Model.prototype, name);
    }
    const statics = Model as unknown as Record<StaticMethod, AsyncMethod>;
    for (const name of Object.keys(STATIC_WRAPPERS) as StaticMethod[]) {
      if (isWrapped(statics[name])) this._unwrap(statics, name);
    }
  }

  /** What the wrappers read from this instrumentation (its configuration as it is when they run). */
  private wrapContext(): WrapContext {
    return {
      active: () => this.isEnabled() && channels.mutation.hasSubscribers,
      managerFor: (model) => this.managerFor(model),
      tracked: (model) => cachedTrackedAttributes(model, this._config.includeTimestamps === true),
      maxEntityIds: () => {
        const max = this._config.maxEntityIds;
        return typeof max === 'number' && max >= 0 ? max : DEFAULT_MAX_ENTITY_IDS;
      },
      // Reports a failure of this adapter's bookkeeping once per place, through its diag logger.
      failures: failureReporter(this._diag, 'the Sequelize call'),
    };
  }

  private managerFor(model: ModelStatic): string | undefined {
    if (this._config.ignoreModels?.includes(model.name) === true) return undefined;
    const custom = this._config.managerName?.({ name: model.name, tableName: model.tableName, model });
    if (custom === null) return undefined;
    if (typeof custom === 'string' && custom !== '') return custom;
    return model.name;
  }
}
