/**
 * What every domain-otel-audit command shares: its I/O, option parsing and --help, the database
 * URL, a short-lived pool, the run's access record, waiting for the signal to stop.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Pool } from 'pg';
import { recordAccess, type AccessEntry } from '../access-log';
import { UsageError, errorLine } from '../errors';
import { createPool } from '../store';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** serve: resolves when the server should stop (default: SIGINT/SIGTERM). */
  stopSignal?: Promise<void>;
  /** serve: called once listening, with the URL. */
  onListening?: (url: string) => void;
}

export const PROG = 'domain-otel-audit';

export type Opts = NonNullable<ParseArgsConfig['options']>;

export function parse(command: string, argv: string[], options: Opts): Record<string, string | boolean | string[] | undefined> {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | string[] | undefined>;
  } catch (err) {
    const e = err as { code?: string; message: string };
    const opt = /'(-[^'\s]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown option ${opt}; see ${PROG} ${command} --help`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${command}: option ${opt ?? ''} expects a value`.replace(/\s+/g, ' '));
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`${command}: unexpected argument ${/'([^']*)'/.exec(e.message)?.[1] ?? ''}; see ${PROG} ${command} --help`);
    }
    throw new UsageError(`${command}: ${errorLine(e)}`);
  }
}

/** Prints `help` when --help was given; true when it was (the command then exits 0). */
export function helpRequested(help: string, v: Record<string, unknown>, io: CliIo): boolean {
  if (v['help']) io.out(help);
  return Boolean(v['help']);
}

export const DB_OPTION: Opts = { 'database-url': { type: 'string' } };

export function databaseUrl(v: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  return checkedUrl('--database-url', (v['database-url'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_DATABASE_URL']);
}

/** Read commands may read on a hot standby and append their access record on the primary. */
export const ACCESS_DB_OPTION: Opts = { 'access-database-url': { type: 'string' } };

export const ACCESS_DB_HELP = `  --access-database-url URL  append this run's access record there (the primary) when --database-url is
                         a read-only hot standby (env DOMAIN_OTEL_AUDIT_ACCESS_DATABASE_URL; default: --database-url)`;

function checkedUrl(flag: string, url: string | undefined): string | undefined {
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError(`${flag} ${JSON.stringify(redactUrl(url))}: expected a postgres:// or postgresql:// connection string`);
  }
  return url;
}

/**
 * A pool to read from and a pool to append the run's access record to: the same one, or, with
 * --access-database-url, a second connection (a standby refuses every write).
 */
export async function withReadPools<T>(
  v: Record<string, unknown>, env: NodeJS.ProcessEnv, fn: (read: Pool, access: Pool) => Promise<T>,
): Promise<T> {
  const url = databaseUrl(v, env);
  const accessUrl = checkedUrl('--access-database-url', (v['access-database-url'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_ACCESS_DATABASE_URL']);
  return withPool(url, (read) => (accessUrl === undefined ? fn(read, read) : withPool(accessUrl, (access) => fn(read, access), 1)));
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export async function withPool<T>(url: string | undefined, fn: (pool: Pool) => Promise<T>, max = 2): Promise<T> {
  const pool = createPool({ ...(url !== undefined ? { connectionString: url } : {}), max, timeoutMs: 30_000 });
  try {
    return await fn(pool);
  } finally {
    await pool.end().catch(() => {});
  }
}

/**
 * Appends this run's access record. A record that cannot be appended is reported and false is
 * returned: query and prove then show nothing; the other commands exit 3 after their output.
 */
export async function logAccess(pool: Pool, io: CliIo, entry: AccessEntry): Promise<boolean> {
  try {
    const r = await recordAccess(pool, entry);
    if ('skipped' in r) io.err(`${PROG} ${entry.command}: warning: this run is not recorded as an access: ${r.skipped}\n`);
    return true;
  } catch (err) {
    io.err(`${PROG} ${entry.command}: could not append this run's access record (${errorLine(err)})\n`);
    return false;
  }
}

/** serve and ui run until this resolves: io.stopSignal, or SIGINT/SIGTERM. */
export function stopRequested(io: CliIo): Promise<void> {
  return io.stopSignal ?? new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
