/**
 * What every library adapter needs so that its own bookkeeping never breaks the library call it
 * observes: run a step safely, report a failure once per place to the adapter's own logger (an
 * instrumentation's `this._diag`), and tell a promise-like result apart.
 */
import { isThenable } from './util';

export { isThenable };

/** Where failures are reported: an instrumentation's `this._diag`, or anything with `error`. */
export interface FailureLog {
  error(message: string, ...args: unknown[]): void;
}

export interface FailureReporter {
  /** Reports that `where` failed, the first time only (per logger and place). */
  reportOnce(where: string, err: unknown): void;
  /** Runs `fn`; a throw is reported once per place and `undefined` returned instead. */
  safely<T>(where: string, fn: () => T): T | undefined;
}

const reporters = new WeakMap<FailureLog, FailureReporter>();

/**
 * The failure reporter of one logger, made on first use and kept for it: an adapter asks for it
 * with its `this._diag` wherever it needs it, even while the instrumentation base class enables
 * the adapter from its constructor (before the adapter's own fields exist). `observed` names
 * what the failure did not affect: "the Sequelize call", "the cache".
 */
export function failureReporter(log: FailureLog, observed: string): FailureReporter {
  let reporter = reporters.get(log);
  if (reporter === undefined) {
    const reported = new Set<string>();
    const reportOnce = (where: string, err: unknown): void => {
      if (reported.has(where)) return;
      reported.add(where);
      log.error(`${where} failed; ${observed} itself was not affected. Further failures here are not reported.`, err);
    };
    reporter = {
      reportOnce,
      safely<T>(where: string, fn: () => T): T | undefined {
        try {
          return fn();
        } catch (err) {
          reportOnce(where, err);
          return undefined;
        }
      },
    };
    reporters.set(log, reporter);
  }
  return reporter;
}
