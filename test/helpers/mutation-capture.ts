/**
 * The api-channel capture shared by the ORM adapters' tests (Sequelize, TypeORM, Prisma):
 * which mutations finished, with which meta, outcome and actor, inside which operation, and
 * which SQL ran inside each.
 */
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor, MutationMeta, TracedContext } from '@domain-otel/api';
import { subscribeApi } from './api-capture';

/** One finished mutation as the mapping would record it: the final meta, outcome and actor. */
export type Recorded = MutationMeta & { outcome: string | undefined; actor: Actor | undefined; errorName?: string };

/** Expected mutation: `meta` plus outcome (default success) and actor (default anonymous). */
export function mutation(meta: MutationMeta, outcome = 'success', actor?: Actor, errorName?: string): Recorded {
  const out: Recorded = { ...meta, outcome, actor };
  if (errorName !== undefined) out.errorName = errorName;
  return out;
}

type Ctx = TracedContext<unknown>;

/**
 * Subscribes to every api channel. Mutations are recorded when they finish (sync `end` or
 * `asyncEnd`), in that order; anything published on another channel goes to `others`.
 * A store bound on the mutation and rule `start` channels tells which traced operation a
 * piece of code (e.g. an ORM's SQL logging callback, called for each statement) ran in,
 * and which operation each one was started in (its parent). `sqlText` turns what the ORM
 * logs into the bare statement.
 */
export function captureMutations(sqlText: (logged: string) => string = (s) => s) {
  const mutations: Recorded[] = [];
  const others: string[] = [];
  const problems: string[] = [];
  const sql: { sql: string; ctx: object | undefined }[] = [];
  const byCtx = new Map<object, Recorded>();
  const contexts = new Map<Recorded, Ctx>();
  const parents = new WeakMap<object, object | undefined>();
  const startedAs = new WeakMap<object, string>();
  const current = new AsyncLocalStorage<object>();
  const enter = (ctx: object) => {
    parents.set(ctx, current.getStore());
    return ctx;
  };

  const finish = (ctx: Ctx) => {
    const meta = ctx.meta as MutationMeta;
    const record: Recorded = { ...meta, outcome: ctx.outcome, actor: ctx.actor };
    if (ctx.error !== undefined) record.errorName = (ctx.error as Error)?.name;
    // The span is named from the meta at start: the adapter must not change it afterwards.
    if (startedAs.get(ctx) !== `${meta.action} ${meta.manager}`) problems.push(`started as ${startedAs.get(ctx)}, ended as ${meta.action} ${meta.manager}`);
    byCtx.set(ctx, record);
    contexts.set(record, ctx);
    mutations.push(record);
  };
  const mutationHandlers = {
    start(ctx: Ctx) {
      const meta = ctx.meta as MutationMeta;
      startedAs.set(ctx, `${meta.action} ${meta.manager}`);
    },
    end(ctx: Ctx) {
      if (ctx.async === false) finish(ctx);
    },
    asyncStart() {},
    asyncEnd(ctx: Ctx) {
      finish(ctx);
    },
    error() {},
  };
  const stop = subscribeApi({ mutation: mutationHandlers }, others, { storage: current, enter });
  return {
    mutations,
    others,
    problems,
    /** For the ORM's SQL logging callback: records each statement with the operation it ran in. */
    logging(statement: string): void {
      sql.push({ sql: sqlText(statement), ctx: current.getStore() });
    },
    /** Returns and forgets the mutations recorded so far (asserting the span names were stable). */
    take(): Recorded[] {
      assert.deepEqual(problems.splice(0), [], 'action/manager changed after start');
      return mutations.splice(0);
    },
    /** The statements run directly inside this mutation (not inside a nested one). */
    sqlOf(record: Recorded): string[] {
      const ctx = contexts.get(record);
      return sql.filter((s) => s.ctx !== undefined && s.ctx === ctx).map((s) => s.sql);
    },
    /** Statements run outside any traced operation since the capture started. */
    untracedSql(): string[] {
      return sql.filter((s) => s.ctx === undefined).map((s) => s.sql);
    },
    clearSql(): void {
      sql.splice(0);
    },
    /** The operation (mutation record, or the raw context of a rule) this mutation was started in. */
    parentOf(record: Recorded): Recorded | object | undefined {
      const ctx = contexts.get(record);
      const parent = ctx === undefined ? undefined : parents.get(ctx);
      return parent === undefined ? undefined : (byCtx.get(parent) ?? parent);
    },
    /** The error object the traced operation failed with. */
    errorOf(record: Recorded): unknown {
      return contexts.get(record)?.error;
    },
    stop,
  };
}

/**
 * One capture per test, for the ORM suites: `start()` it in `beforeEach`; after each test it is
 * stopped, and nothing but mutations may have been published. `quietly(fn)` runs fixture writes
 * uncaptured (then `onResume`), `pause()` stops capturing until the next `start()`.
 */
export function capturePerTest<C extends { stop(): void; others: string[] }>(make: () => C, onResume?: () => void) {
  let capture: C | undefined;
  const stop = (): C | undefined => {
    const c = capture;
    capture = undefined;
    c?.stop();
    return c;
  };
  afterEach(() => {
    const c = stop();
    if (c !== undefined) assert.deepEqual(c.others, [], 'nothing but mutations is published');
  });
  return {
    start(): void {
      capture = make();
    },
    pause(): void {
      stop();
    },
    /** The running capture, if any (for an ORM's logging callback). */
    get running(): C | undefined {
      return capture;
    },
    /** The running capture (a test that expects one). */
    get current(): C {
      assert.ok(capture !== undefined, 'no capture is running');
      return capture;
    },
    quietly: async <T>(fn: () => Promise<T>): Promise<T> => {
      stop();
      try {
        return await fn();
      } finally {
        capture = make();
        onResume?.();
      }
    },
  };
}
