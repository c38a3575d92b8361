import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ATTR_CLIENT_ADDRESS, ATTR_DOMAIN_CORRELATION_ID, ATTR_DOMAIN_TENANT_ID, ATTR_USER_AGENT_ORIGINAL, ATTR_USER_ID, ATTR_USER_NAME,
} from '@domain-otel/semantic-conventions';

/** Who is acting, and in which request: attached to every record published in its scope. */
export interface Actor {
  /** Stable user id → `user.id`. */
  id?: string;
  /** Display representation → `user.name`. */
  name?: string;
  /** Tenant / organization → `domain.tenant.id`. */
  tenant?: string;
  /**
   * Request id → `domain.correlation.id`. The distribution's HTTP hook sets it for incoming
   * requests (a correlation header, else the request's trace id); elsewhere it is what you set.
   */
  correlationId?: string;
  /** → `client.address`. */
  clientAddress?: string;
  /** → `user_agent.original`. */
  userAgent?: string;
}

/**
 * The attribute each actor field is recorded as: the one mapping the domain records, their
 * spans and the distribution's log-line hook all use.
 */
export const ACTOR_ATTRIBUTES: Readonly<Record<keyof Actor, string>> = {
  id: ATTR_USER_ID,
  name: ATTR_USER_NAME,
  tenant: ATTR_DOMAIN_TENANT_ID,
  correlationId: ATTR_DOMAIN_CORRELATION_ID,
  clientAddress: ATTR_CLIENT_ADDRESS,
  userAgent: ATTR_USER_AGENT_ORIGINAL,
};

// One storage per process, even when several copies of this package are loaded
// (e.g. two versions in node_modules): the scope set through one copy is visible
// to records published through another. Bump the suffix if Actor ever changes
// incompatibly.
const STORAGE_KEY: unique symbol = Symbol.for('@domain-otel/api:actorStorage@1');
const holder = globalThis as typeof globalThis & { [STORAGE_KEY]?: AsyncLocalStorage<Actor> };

/** The storage holding the current scope's actor (exported for the distribution's HTTP hook). */
export const actorStorage: AsyncLocalStorage<Actor> = (holder[STORAGE_KEY] ??= new AsyncLocalStorage<Actor>());

/**
 * Runs `fn` in a new scope whose actor is `actor` merged over the current one
 * (own keys of `actor` win, including keys explicitly set to `undefined`).
 * The new scope gets its own object, so `setActor` inside it never leaks out.
 */
export function withActor<T>(actor: Actor, fn: () => T): T {
  const current = actorStorage.getStore();
  return actorStorage.run(current === undefined ? { ...actor } : { ...current, ...actor }, fn);
}

/**
 * Merges `actor` into the current scope's actor object, so an auth middleware
 * running inside a request scope names the user for the rest of that request
 * (including async work already started from the scope). Outside any scope it
 * enters a new one with `AsyncLocalStorage.enterWith`, which also covers the rest
 * of the caller's synchronous code and everything it schedules: prefer `withActor`
 * where a scope can be opened.
 */
export function setActor(actor: Partial<Actor>): void {
  const current = actorStorage.getStore();
  if (current === undefined) actorStorage.enterWith({ ...actor });
  else Object.assign(current, actor);
}

/** The current scope's actor (the live object: treat it as read-only, change it with `setActor`). */
export function getActor(): Actor | undefined {
  return actorStorage.getStore();
}

/** A copy of the current actor for a published record, so later `setActor` calls don't rewrite history. */
export function snapshotActor(actor: Actor | undefined): Actor | undefined {
  return actor === undefined ? undefined : { ...actor };
}
