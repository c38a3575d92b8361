import { inspect } from 'node:util';
import { diag } from '@opentelemetry/api';

export interface ShutdownHooks {
  /** Flush everything queued, keep running. */
  flush: () => Promise<void>;
  /** Audit records only in memory (lost if the process exits now). */
  pendingAudit: () => number;
  /**
   * At `exit` (e.g. the app called process.exit() with records queued): deliver them
   * synchronously, bounded (OTLP/HTTP), and write what is left to the spool; says how many
   * records the spool holds and how many are lost.
   */
  exitSync?: () => { spooled: number; undelivered: number; spoolDir?: string | undefined };
  /** Final flush and close. */
  shutdown: () => Promise<void>;
  timeoutMillis: number;
}

/** Runs `work` but never for longer than `ms`; never rejects. */
export async function bounded(work: () => Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      diag.warn(`domain-otel: ${what} did not finish within ${ms} ms; exiting anyway`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([work().catch((err: unknown) => diag.warn(`domain-otel: ${what} failed: ${err instanceof Error ? err.message : String(err)}`)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Flush on SIGTERM, SIGINT, beforeExit and crashes, then behave as Node would have without
 * us: a signal with no other listener ends the process by that signal; an uncaught error
 * with no other listener prints and exits 1; listeners the app installed keep working and
 * keep deciding.
 */
export function installShutdownHandlers(hooks: ShutdownHooks): () => void {
  let finalRun: Promise<void> | undefined;
  let flushedOnBeforeExit = false;
  const final = () => (finalRun ??= bounded(hooks.shutdown, hooks.timeoutMillis, 'final flush'));

  const onSignal = (signal: NodeJS.Signals) => {
    const appHandlesIt = process.listenerCount(signal) > 1;
    if (appHandlesIt) {
      // The app decides when to exit; if it calls process.exit() while we flush, hold it
      // until the flush is done (bounded), so its exit does not cut the tail off.
      const restore = deferExitUntil(final());
      void final().finally(restore);
      return;
    }
    void final().finally(() => {
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    });
  };

  const onBeforeExit = () => {
    if (flushedOnBeforeExit || finalRun) return;
    flushedOnBeforeExit = true;
    void bounded(hooks.flush, hooks.timeoutMillis, 'flush at exit').then(() => {
      // The app had nothing left to do when beforeExit fired; only our exporters' retries
      // could keep it alive now (a dead collector). Exit unless the app listens here too.
      if (process.listenerCount('beforeExit') === 1) process.exit();
    });
  };

  const onExit = () => {
    const left = hooks.pendingAudit();
    let outcome: ReturnType<NonNullable<ShutdownHooks['exitSync']>> = { spooled: 0, undelivered: left };
    try {
      outcome = hooks.exitSync?.() ?? outcome;
    } catch {
      // report below
    }
    try {
      if (outcome.spooled > 0) {
        process.stderr.write(`domain-otel: ${outcome.spooled} audit record(s) not delivered yet are kept in the spool ${outcome.spoolDir ?? ''}; the next start of this service sends them\n`);
      }
      if (outcome.undelivered > 0) {
        process.stderr.write(`domain-otel: ${outcome.undelivered} audit record(s) could not be delivered before exit (collector unreachable?)\n`);
      }
    } catch {
      // stderr gone
    }
  };

  const onUncaught = (err: unknown, origin: string) => {
    if (process.listenerCount('uncaughtException') > 1) {
      void bounded(hooks.flush, hooks.timeoutMillis, 'flush after uncaught exception');
      return;
    }
    printLikeNode(err, origin);
    process.exitCode = 1;
    void final().finally(() => process.exit(1));
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('beforeExit', onBeforeExit);
  process.on('uncaughtException', onUncaught);
  process.on('exit', onExit);
  return () => {
    process.removeListener('exit', onExit);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('uncaughtException', onUncaught);
  };
}

function printLikeNode(err: unknown, origin: string): void {
  try {
    const text = origin === 'unhandledRejection' && !(err instanceof Error)
      ? `[UnhandledPromiseRejection: This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason "${inspect(err)}".]`
      : inspect(err);
    process.stderr.write(`${text}\n\nNode.js ${process.version}\n`);
  } catch {
    // stderr gone
  }
}

function deferExitUntil(done: Promise<void>): () => void {
  const original = process.exit;
  let requested: { code: Parameters<typeof process.exit>[0] } | undefined;
  const deferred = ((code?: Parameters<typeof process.exit>[0]) => {
    if (requested === undefined) {
      requested = { code };
      void done.finally(() => original.call(process, requested?.code));
    }
    return undefined as never;
  }) as typeof process.exit;
  process.exit = deferred;
  return () => {
    if (process.exit === deferred) process.exit = original;
  };
}
