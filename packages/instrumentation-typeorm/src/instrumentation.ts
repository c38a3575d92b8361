import { AsyncLocalStorage } from 'node:async_hooks';
import {
  InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped,
} from '@opentelemetry/instrumentation';
import { channels, failureReporter, traceMutation } from '@domain-otel/api';
import type { FailureReporter, FieldChange, MutationAction, MutationMeta } from '@domain-otel/api';
import type {
  AnyMethod, ColumnLike, Constructor, EntityManagerLike, EntityMetadataLike, InsertResultLike, QueryBuilderLike, SubjectExecutorLike,
  SubjectLike,
} from './internal-types';
import type { TypeormInstrumentationConfig } from './types';
import {
  affectedCount, createdValues, describeCriteria, entityIdOf, givenFields, givenValues, isMetadata, singleEntityId, trackedColumns,
  updatedValues,
} from './values';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose EntityManager, SubjectExecutor/Subject and write QueryBuilders were verified. */
export const SUPPORTED_VERSIONS = ['>=0.3.0 <0.4'];

const DEFAULT_MAX_ENTITY_IDS = 100;

const noop = (): void => {};

/**
 * Where the adapter is, so that work TypeORM does on the way is attributed to the call that
 * caused it rather than reported twice:
 * - persist: inside `save` / `remove` / `softRemove` / `recover` (names the method for the
 *   per-entity events the SubjectExecutor then produces);
 * - executor: inside SubjectExecutor.execute, whose own QueryBuilders (`callListeners(false)`)
 *   are part of the entity events;
 * - manager: inside a traced EntityManager call, whose first QueryBuilder execution is its own.
 */
type Frame =
  | { kind: 'persist'; method: string }
  | { kind: 'executor' }
  | { kind: 'manager'; absorbed: boolean };

const frames = new AsyncLocalStorage<Frame>();

/** A traced operation about to start: its meta, and what to fill in once it succeeded. */
interface Plan {
  meta: MutationMeta;
  finish?: (result: unknown) => void;
}

const PERSIST_METHODS = ['save', 'remove', 'softRemove', 'recover'] as const;
const MANAGER_METHODS = [
  'insert', 'update', 'updateAll', 'delete', 'deleteAll', 'softDelete', 'restore', 'upsert', 'increment', 'decrement', 'clear',
] as const;
type ManagerMethod = (typeof MANAGER_METHODS)[number];

const QUERY_BUILDERS = [
  ['InsertQueryBuilder', 'insert'],
  ['UpdateQueryBuilder', 'update'],
  ['DeleteQueryBuilder', 'delete'],
  ['SoftDeleteQueryBuilder', 'softDelete'],
] as const;
type QueryBuilderKind = (typeof QUERY_BUILDERS)[number][1];

function setChanges(meta: MutationMeta, changes: Record<string, FieldChange>): void {
  if (Object.keys(changes).length > 0) meta.changes = changes;
  else delete meta.changes;
}

function setEntityId(meta: MutationMeta, id: string | number | undefined): void {
  if (id !== undefined) meta.entityId = id;
}

/**
 * Turns TypeORM 0.3 writes into `traceMutation()` calls of @domain-otel/api:
 *
 * - `save` / `remove` / `softRemove` / `recover` (EntityManager, Repository, BaseEntity):
 *   one event per entity TypeORM writes (`create`, `update` with old → new values from the
 *   `databaseEntity` it loaded, `delete`, `deactivate`, `update`), traced around its
 *   SubjectExecutor so the SQL is inside;
 * - `insert` / `update` / `delete` / `softDelete` / `restore` / `upsert` / `increment` /
 *   `decrement` / `clear` (QueryBuilder-based: no before-image): one event per call, for
 *   one entity when the criteria is its id, else `bulk_*` with the criteria and count;
 * - QueryBuilder writes run directly: one `create` / `bulk_update` / `bulk_delete` event.
 *
 * It never creates spans or log records itself: @domain-otel/instrumentation-domain maps
 * the mutations.
 */
export class TypeormInstrumentation extends InstrumentationBase<TypeormInstrumentationConfig> {
  constructor(config: TypeormInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Reports a failure of this adapter's bookkeeping once per place, through its diag logger. */
  private get failures(): FailureReporter {
    return failureReporter(this._diag, 'the TypeORM call');
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const file = (path: string, exportName: string, methods: () => Record<string, (original: AnyMethod) => AnyMethod>) =>
      new InstrumentationNodeModuleFile(
        `typeorm/${path}`,
        SUPPORTED_VERSIONS,
        (exports: Record<string, Constructor | undefined>) => this.patchClass(exports, exportName, methods()),
        (exports: Record<string, Constructor | undefined>) => this.unpatchClass(exports, exportName, Object.keys(methods())),
      );
    return [
      new InstrumentationNodeModuleDefinition('typeorm', SUPPORTED_VERSIONS, undefined, undefined, [
        file('persistence/SubjectExecutor.js', 'SubjectExecutor', () => ({ execute: (original) => this.wrapExecute(original) })),
        file('entity-manager/EntityManager.js', 'EntityManager', () => this.managerWrappers()),
        ...QUERY_BUILDERS.map(([name, kind]) =>
          file(`query-builder/${name}.js`, name, () => ({ execute: (original: AnyMethod) => this.wrapQueryBuilder(original, kind) }))),
      ]),
    ];
  }

  private patchClass<E extends Record<string, Constructor | undefined>>(exports: E, name: string, methods: Record<string, (o: AnyMethod) => AnyMethod>): E {
    const cls = exports[name];
    if (typeof cls !== 'function') {
      this._diag.warn(`typeorm: ${name} not found; some mutations are not recorded`);
      return exports;
    }
    for (const [method, wrapper] of Object.entries(methods)) {
      const current = cls.prototype[method];
      if (typeof current === 'function' && !isWrapped(current)) this._wrap(cls.prototype, method, wrapper as never);
    }
    return exports;
  }

  private unpatchClass(exports: Record<string, Constructor | undefined>, name: string, methods: readonly string[]): void {
    const cls = exports[name];
    if (typeof cls !== 'function') return;
    for (const method of methods) if (isWrapped(cls.prototype[method])) this._unwrap(cls.prototype, method);
  }

  // ---- configuration ----

  private managerFor(metadata: EntityMetadataLike): string | undefined {
    if (this._config.ignoreEntities?.includes(metadata.name) === true) return undefined;
    const custom = this._config.managerName?.({ name: metadata.name, tableName: metadata.tableName, target: metadata.target });
    if (custom === null) return undefined;
    if (typeof custom === 'string' && custom !== '') return custom;
    return metadata.name;
  }

  private tracked(metadata: EntityMetadataLike): ColumnLike[] {
    return trackedColumns(metadata, this._config.includeTimestamps === true);
  }

  private maxEntityIds(): number {
    const max = this._config.maxEntityIds;
    return typeof max === 'number' && max >= 0 ? max : DEFAULT_MAX_ENTITY_IDS;
  }

  private active(): boolean {
    return this.isEnabled() && channels.mutation.hasSubscribers;
  }

  /** Runs `run` inside a traced mutation whose meta is completed by `plan.finish` on success. */
  private traced(plan: Plan, frame: Frame, run: () => unknown): Promise<unknown> {
    return frames.run(frame, () => traceMutation(plan.meta, async () => {
      const result = await run();
      if (plan.finish !== undefined) this.failures.safely('recording a TypeORM mutation', () => plan.finish?.(result));
      return result;
    }));
  }

  // ---- save / remove / softRemove / recover ----

  private managerWrappers(): Record<string, (original: AnyMethod) => AnyMethod> {
    const wrappers: Record<string, (original: AnyMethod) => AnyMethod> = {};
    for (const method of PERSIST_METHODS) wrappers[method] = (original) => this.wrapPersist(original, method);
    for (const method of MANAGER_METHODS) wrappers[method] = (original) => this.wrapManager(original, method);
    return wrappers;
  }

  /** Names the persistence call for the SubjectExecutor below it; traces nothing itself. */
  private wrapPersist(original: AnyMethod, method: string): AnyMethod {
    const self = this;
    return function persist(this: unknown, ...args: unknown[]): unknown {
      if (!self.active()) return original.apply(this, args);
      return frames.run({ kind: 'persist', method }, () => original.apply(this, args));
    };
  }

  /**
   * SubjectExecutor.execute runs the writes TypeORM decided on for one save/remove/… call,
   * after it loaded each entity's `databaseEntity`, before any write SQL. One entity: its
   * event wraps the execution. Several (arrays, cascades): one event each, all spanning the
   * execution; the statements are then children of the caller's span.
   */
  private wrapExecute(original: AnyMethod): AnyMethod {
    const self = this;
    return function execute(this: unknown, ...args: unknown[]): unknown {
      if (!self.active() || typeof this !== 'object' || this === null) return original.apply(this, args);
      const executor = this as SubjectExecutorLike;
      const outer = frames.getStore();
      const method = outer?.kind === 'persist' ? outer.method : undefined;
      let plans: Plan[] = [];
      self.failures.safely('preparing TypeORM entity mutations', () => {
        plans = self.planSubjects(executor, method);
      });
      const run = () => original.apply(executor, args) as Promise<unknown>;
      if (plans.length === 0) return frames.run({ kind: 'executor' }, run);
      if (plans.length === 1) return self.traced(plans[0] as Plan, { kind: 'executor' }, run);
      const finished = frames.run({ kind: 'executor' }, run).then((result) => {
        for (const plan of plans) self.failures.safely('recording a TypeORM mutation', () => plan.finish?.(result));
        return result;
      });
      const all = plans.map((plan) => traceMutation(plan.meta, () => finished));
      for (const other of all.slice(1)) other.then(noop, noop);
      return all[0];
    };
  }

  private planSubjects(executor: SubjectExecutorLike, method: string | undefined): Plan[] {
    const plans: Plan[] = [];
    const add = (subjects: readonly SubjectLike[] | undefined, plan: (subject: SubjectLike, manager: string) => Plan) => {
      for (const subject of subjects ?? []) {
        if (!isMetadata(subject.metadata)) continue;
        const manager = this.managerFor(subject.metadata);
        if (manager === undefined) continue;
        const p = plan(subject, manager);
        if (method !== undefined) p.meta.metadata = { 'typeorm.method': method };
        plans.push(p);
      }
    };
    const idOf = (s: SubjectLike) => entityIdOf(s.metadata, s.identifier) ?? entityIdOf(s.metadata, s.databaseEntity) ?? entityIdOf(s.metadata, s.entity);

    add(executor.insertSubjects, (subject, manager) => {
      const columns = this.tracked(subject.metadata);
      const meta: MutationMeta = { action: 'create', manager };
      setEntityId(meta, entityIdOf(subject.metadata, subject.entity));
      setChanges(meta, createdValues(subject.entity ?? subject.insertedValueSet, columns));
      return {
        meta,
        finish: () => {
          setEntityId(meta, idOf(subject));
          // A junction row has no entity: its values are the set TypeORM inserted.
          setChanges(meta, createdValues(subject.entity ?? subject.insertedValueSet, columns));
        },
      };
    });
    add(executor.updateSubjects, (subject, manager) => {
      const columns = this.tracked(subject.metadata);
      const meta: MutationMeta = { action: 'update', manager };
      setEntityId(meta, idOf(subject));
      setChanges(meta, updatedValues(subject, columns));
      // Subscribers' before-hooks may have changed the entity: TypeORM recomputes its diff.
      return { meta, finish: () => setChanges(meta, updatedValues(subject, columns)) };
    });
    add(executor.removeSubjects, (subject, manager) => {
      const meta: MutationMeta = { action: 'delete', manager };
      setEntityId(meta, idOf(subject));
      return { meta };
    });
    const deleteDateChange = (subject: SubjectLike, after: (column: ColumnLike) => unknown): Record<string, FieldChange> => {
      const column = subject.metadata.deleteDateColumn;
      if (column === undefined) return {};
      const old = subject.databaseEntity === undefined ? undefined : column.getEntityValue(subject.databaseEntity);
      return { [column.propertyPath]: { old: old ?? null, new: after(column) } };
    };
    add(executor.softRemoveSubjects, (subject, manager) => {
      const meta: MutationMeta = { action: 'deactivate', manager };
      setEntityId(meta, idOf(subject));
      return {
        meta,
        finish: () => setChanges(meta, deleteDateChange(subject, (column) => {
          const value = subject.entity === undefined ? undefined : column.getEntityValue(subject.entity);
          return value ?? (subject.generatedMap === undefined ? undefined : column.getEntityValue(subject.generatedMap));
        })),
      };
    });
    add(executor.recoverSubjects, (subject, manager) => {
      const meta: MutationMeta = { action: 'update', manager };
      setEntityId(meta, idOf(subject));
      return { meta, finish: () => setChanges(meta, deleteDateChange(subject, () => null)) };
    });
    return plans;
  }

  // ---- QueryBuilder-based EntityManager calls ----

  private wrapManager(original: AnyMethod, method: ManagerMethod): AnyMethod {
    const self = this;
    return function managerCall(this: unknown, ...args: unknown[]): unknown {
      if (!self.active() || typeof this !== 'object' || this === null) return original.apply(this, args);
      // An EntityManager call made by a traced one (increment → update): part of the outer event.
      const frame = frames.getStore();
      if (frame?.kind === 'manager' && !frame.absorbed) {
        frame.absorbed = true;
        return frames.run({ kind: 'manager', absorbed: false }, () => original.apply(this, args));
      }
      let plan: Plan | undefined;
      self.failures.safely('preparing a TypeORM mutation', () => {
        plan = self.planManagerCall(this as EntityManagerLike, method, args);
      });
      if (plan === undefined) return original.apply(this, args);
      return self.traced(plan, { kind: 'manager', absorbed: false }, () => original.apply(this, args));
    };
  }

  private planManagerCall(manager: EntityManagerLike, method: ManagerMethod, args: unknown[]): Plan | undefined {
    const metadata = manager.connection?.getMetadata(args[0]);
    if (!isMetadata(metadata)) return undefined;
    const name = this.managerFor(metadata);
    if (name === undefined) return undefined;
    const columns = this.tracked(metadata);
    const metadataOf = (extra: Record<string, unknown> = {}) => ({ 'typeorm.method': method, ...extra });
    const counted = (meta: MutationMeta): Plan => ({
      meta,
      finish: (result) => {
        const count = affectedCount(result);
        if (count !== undefined) meta.count = count;
      },
    });
    /** One entity when the criteria names exactly one, else a bulk call with the criteria. */
    const byCriteria = (criteria: unknown, single: MutationAction, bulk: MutationAction, extra: Record<string, unknown> = {}): MutationMeta => {
      const id = singleEntityId(metadata, criteria);
      if (id !== undefined) return { action: single, manager: name, entityId: id, metadata: metadataOf(extra) };
      return { action: bulk, manager: name, metadata: metadataOf({ 'typeorm.where': describeCriteria(criteria), ...extra }) };
    };

    switch (method) {
      case 'insert':
        return this.planInsert(metadata, name, columns, args[1], metadataOf());
      case 'upsert': {
        const values = args[1];
        const conflict = args[2];
        const paths = Array.isArray(conflict) ? conflict : (conflict as { conflictPaths?: unknown } | undefined)?.conflictPaths;
        const extra = metadataOf(paths === undefined ? {} : { 'typeorm.conflict_paths': Array.isArray(paths) ? [...paths] : Object.keys(paths as object) });
        const rows = Array.isArray(values) ? values : [values];
        if (rows.length !== 1) {
          return { meta: { action: 'bulk_update', manager: name, count: rows.length, changedFields: givenFields(rows, columns), metadata: extra } };
        }
        const meta: MutationMeta = { action: 'update', manager: name, metadata: extra };
        setEntityId(meta, entityIdOf(metadata, rows[0] as object));
        setChanges(meta, givenValues(rows[0], columns));
        return { meta, finish: (result) => setEntityId(meta, entityIdOf(metadata, (result as InsertResultLike)?.identifiers?.[0])) };
      }
      case 'update': {
        const meta = byCriteria(args[1], 'update', 'bulk_update');
        setChanges(meta, givenValues(args[2], columns));
        return counted(meta);
      }
      case 'updateAll': {
        const meta: MutationMeta = { action: 'bulk_update', manager: name, metadata: metadataOf() };
        setChanges(meta, givenValues(args[1], columns));
        return counted(meta);
      }
      case 'delete':
        return counted(byCriteria(args[1], 'delete', 'bulk_delete'));
      case 'deleteAll':
        return counted({ action: 'bulk_delete', manager: name, metadata: metadataOf() });
      case 'softDelete': {
        const id = singleEntityId(metadata, args[1]);
        return counted(byCriteria(args[1], 'deactivate', 'bulk_delete', id === undefined ? { 'typeorm.soft': true } : {}));
      }
      case 'restore': {
        const meta = byCriteria(args[1], 'update', 'bulk_update');
        const column = metadata.deleteDateColumn;
        if (column !== undefined) meta.changes = { [column.propertyPath]: { new: null } };
        return counted(meta);
      }
      case 'increment':
      case 'decrement': {
        const property = typeof args[2] === 'string' ? args[2] : String(args[2]);
        const amount = Number(args[3]);
        const meta = byCriteria(args[1], 'update', 'bulk_update', { 'typeorm.increment': { [property]: method === 'decrement' ? -amount : amount } });
        meta.changedFields = [property];
        return counted(meta);
      }
      case 'clear':
        return { meta: { action: 'bulk_delete', manager: name, metadata: metadataOf({ 'typeorm.truncate': true }) } };
      default:
        return undefined;
    }
  }

  /** `insert()` and QueryBuilder inserts: one row → `create` with its values; several → `create` with a count. */
  private planInsert(metadata: EntityMetadataLike, manager: string, columns: ColumnLike[], values: unknown, meta: Record<string, unknown>): Plan {
    const rows = Array.isArray(values) ? values : [values];
    if (rows.length === 1) {
      const row = rows[0];
      const m: MutationMeta = { action: 'create', manager, metadata: meta };
      setEntityId(m, typeof row === 'object' && row !== null ? entityIdOf(metadata, row) : undefined);
      setChanges(m, createdValues(row as object, columns));
      return {
        meta: m,
        finish: (result) => {
          const r = result as InsertResultLike | undefined;
          setEntityId(m, entityIdOf(metadata, r?.identifiers?.[0]));
          // Generated columns (id, defaults) come back in generatedMaps.
          const generated = r?.generatedMaps?.[0];
          if (typeof row === 'object' && row !== null) setChanges(m, createdValues({ ...row, ...(generated ?? {}) }, columns));
        },
      };
    }
    const m: MutationMeta = { action: 'create', manager, count: rows.length, changedFields: givenFields(rows, columns), metadata: meta };
    return {
      meta: m,
      finish: (result) => {
        const ids: (string | number)[] = [];
        for (const identifier of (result as InsertResultLike | undefined)?.identifiers ?? []) {
          const id = entityIdOf(metadata, identifier);
          if (id !== undefined) ids.push(id);
        }
        if (ids.length > 0) meta['typeorm.entity_ids'] = ids.slice(0, this.maxEntityIds());
      },
    };
  }

  // ---- QueryBuilders used directly ----

  private wrapQueryBuilder(original: AnyMethod, kind: QueryBuilderKind): AnyMethod {
    const self = this;
    return function execute(this: unknown, ...args: unknown[]): unknown {
      if (!self.active() || typeof this !== 'object' || this === null) return original.apply(this, args);
      const qb = this as QueryBuilderLike;
      const frame = frames.getStore();
      // The statement of a traced EntityManager call, or one of the SubjectExecutor's own.
      if (frame?.kind === 'manager' && !frame.absorbed) {
        frame.absorbed = true;
        return original.apply(this, args);
      }
      if (frame?.kind === 'executor' && qb.expressionMap?.callListeners === false) return original.apply(this, args);
      let plan: Plan | undefined;
      self.failures.safely('preparing a TypeORM QueryBuilder mutation', () => {
        plan = self.planQueryBuilder(qb, kind);
      });
      if (plan === undefined) return original.apply(this, args);
      return self.traced(plan, { kind: 'manager', absorbed: true }, () => original.apply(this, args));
    };
  }

  private planQueryBuilder(qb: QueryBuilderLike, kind: QueryBuilderKind): Plan | undefined {
    const map = qb.expressionMap;
    const metadata = map?.mainAlias?.hasMetadata === true ? map.mainAlias.metadata : undefined;
    if (map === undefined || !isMetadata(metadata)) return undefined;
    const manager = this.managerFor(metadata);
    if (manager === undefined) return undefined;
    const columns = this.tracked(metadata);
    const soft = kind === 'softDelete' && map.queryType !== 'restore';
    const method = kind === 'softDelete' ? (soft ? 'QueryBuilder.softDelete' : 'QueryBuilder.restore') : `QueryBuilder.${kind}`;
    const extra: Record<string, unknown> = { 'typeorm.method': method };
    if (kind !== 'insert') {
      try {
        if (typeof qb.getQuery === 'function') extra['typeorm.query'] = qb.getQuery();
      } catch {
        // the query text is informative only
      }
    }
    if (kind === 'insert') return this.planInsert(metadata, manager, columns, map.valuesSet, extra);
    const meta: MutationMeta = { action: kind === 'delete' || soft ? 'bulk_delete' : 'bulk_update', manager, metadata: extra };
    if (soft) extra['typeorm.soft'] = true;
    if (kind === 'update') setChanges(meta, givenValues(map.valuesSet, columns));
    if (kind === 'softDelete' && !soft && metadata.deleteDateColumn !== undefined) meta.changes = { [metadata.deleteDateColumn.propertyPath]: { new: null } };
    return {
      meta,
      finish: (result) => {
        const count = affectedCount(result);
        if (count !== undefined) meta.count = count;
      },
    };
  }
}
