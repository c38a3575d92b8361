/** What every domain-otel-audit command shares: its I/O, option parsing, the database URL, a short-lived pool. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Pool } from 'pg';
import { UsageError, errorLine } from './errors';
import { createPool } from './store';

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

export const DB_OPTION: Opts = { 'database-url': { type: 'string' } };

export function databaseUrl(v: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const url = (v['database-url'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_DATABASE_URL'];
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError(`--database-url ${JSON.stringify(redactUrl(url))}: expected a postgres:// or postgresql:// connection string`);
  }
  return url;
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
