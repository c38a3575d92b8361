/** An error named after its class (what `err.name` and a stack trace show). */
export class NamedError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Postgres could not take the write now (down, slow, out of connections, ...): answered 503 + Retry-After. */
export class UnavailableError extends NamedError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * The worker thread decoding a request died (a bug, or the thread was killed): nothing about the
 * request itself is known to be wrong, so it is answered 503 + Retry-After and the sender retries
 * on the replacement worker.
 */
export class WorkerLostError extends NamedError {}

/**
 * A request needs more months created than one request may create (`--max-new-months`): the
 * months allowed were created, the request is answered 503 + Retry-After and its retry creates
 * the next ones. Bounds how fast sender-chosen times add partitions, without losing a record.
 */
export class MonthBudgetError extends NamedError {}

/** A CLI usage error: printed as one line, exit code 2. */
export class UsageError extends NamedError {}

/** SQLSTATE raised by ensure_partition() for a month whose chain was retired. */
export const SQLSTATE_CHAIN_RETIRED = 'DA001';

/**
 * Whether a database error is about the database being unavailable rather than about the
 * data. Errors without a SQLSTATE (refused connection, reset socket, pool/connect timeout,
 * client-side query timeout) are infrastructure; so is every SQLSTATE class except data
 * exceptions (22), integrity violations (23) and program limits (54). Missing tables or
 * privileges (not migrated yet, wrong grants) count as unavailable too: the sender keeps
 * the data and retries until an operator fixes it, rather than dropping it.
 */
export function isUnavailable(err: unknown): boolean {
  const code = sqlState(err);
  if (code === undefined) return true;
  if (code === '23514') return true; // "no partition of relation found for row": partition vanished, retried after re-creation
  const cls = code.slice(0, 2);
  return cls !== '22' && cls !== '23' && cls !== '54';
}

export function sqlState(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function errorLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const msg = e && typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = e && typeof e.code === 'string' ? ` [${e.code}]` : '';
  return (msg + code).replace(/\s+/g, ' ').trim().slice(0, 300);
}
