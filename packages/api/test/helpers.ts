import type { TracedChannel, TracedContext } from '../src/index';

export type TracedEventName = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

export interface RecordedEvent<M> {
  event: TracedEventName;
  ctx: TracedContext<M>;
  /** Copies of the context fields at the time of the event. */
  result: unknown;
  error: unknown;
  outcome: string | undefined;
  async: boolean | undefined;
}

/** Subscribes to all five events of a tracing channel and records them in order. */
export function recordTraced<M>(channel: TracedChannel<M>) {
  const events: RecordedEvent<M>[] = [];
  const push = (event: TracedEventName) => (ctx: TracedContext<M>) => {
    events.push({ event, ctx, result: ctx.result, error: ctx.error, outcome: ctx.outcome, async: ctx.async });
  };
  const subscribers = {
    start: push('start'),
    end: push('end'),
    asyncStart: push('asyncStart'),
    asyncEnd: push('asyncEnd'),
    error: push('error'),
  };
  channel.subscribe(subscribers);
  return {
    events,
    names: () => events.map((e) => e.event),
    stop: () => channel.unsubscribe(subscribers),
  };
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets all pending microtasks and one macrotask run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Reports whether `promise` has settled after the current queues drain. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await tick();
  return settled;
}

/** Collects unhandled rejections while `fn` runs (plus a few ticks after it). */
export async function unhandledRejectionsDuring(fn: () => unknown): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    await tick();
    await tick();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}
