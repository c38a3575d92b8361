import { AsyncLocalStorage } from 'node:async_hooks';
import {
  InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped,
} from '@opentelemetry/instrumentation';
import { channels, failureReporter, traceMutation } from '@domain-otel/api';
import type { FailureReporter } from '@domain-otel/api';
import type { AnyMethod, Constructor, EntityManagerLike, QueryBuilderLike, SubjectExecutorLike } from './internal-types';
import { MANAGER_METHODS, planManagerCall } from './manager-plans';
import type { ManagerMethod } from './manager-plans';
import type { Plan } from './plan';
import { planQueryBuilder, QUERY_BUILDERS } from './query-builder-plans';
import type { QueryBuilderKind } from './query-builder-plans';
import { planSubjects } from './subject-plans';
import type { TypeormInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose EntityManager, SubjectExecutor/Subject and write QueryBuilders were verified. */
export const SUPPORTED_VERSIONS = ['>=0.3.0 <0.4'];

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

const PERSIST_METHODS = ['save', 'remove', 'softRemove', 'recover'] as const;

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
 * the mutations. What each call reports is planned in ./subject-plans, ./manager-plans and
 * ./query-builder-plans.
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
        plans = planSubjects(self._config, executor, method);
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
        plan = planManagerCall(self._config, this as EntityManagerLike, method, args);
      });
      if (plan === undefined) return original.apply(this, args);
      return self.traced(plan, { kind: 'manager', absorbed: false }, () => original.apply(this, args));
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
        plan = planQueryBuilder(self._config, qb, kind);
      });
      if (plan === undefined) return original.apply(this, args);
      return self.traced(plan, { kind: 'manager', absorbed: true }, () => original.apply(this, args));
    };
  }
}
