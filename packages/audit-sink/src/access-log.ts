/**
 * Audit of the audit: every `query`, `verify`, `retain`, `checkpoint` and `prove` run (and every
 * search, record view, export and proof download in the viewer, src/ui) appends a
 * `domain.audit.access` record — who ran it (the database login, and the OS user and host as the
 * process reports them), the command, its arguments (secrets removed) and how it ended — through
 * `domain_otel_audit.record_access` (sql/004), which chains it like any other row, so checkpoints
 * cover it. The function exists because the reader role may not INSERT: it can only append
 * records of its own accesses.
 */
import { hostname, userInfo } from 'node:os';
import type { Pool } from 'pg';
import { sqlState } from './errors';
import { SCHEMA } from './sql-text';

export interface AccessEntry {
  /** A CLI command, or what a person did in the viewer (`domain-otel-audit ui`): searched, opened a record, exported, downloaded a proof. */
  command: 'query' | 'verify' | 'retain' | 'checkpoint' | 'prove' | 'ui-search' | 'ui-record' | 'ui-export' | 'ui-proof';
  /** The command's arguments as given (redacted here). */
  argv: string[];
  outcome: 'success' | 'failure';
  /** One line: what came out (rows returned, verify's verdict, segments retired, …). */
  result: string;
}

export type AccessRecordResult = { uid: string } | { skipped: string };

/** Options whose value is a secret or a connection string. */
const SECRET_OPTIONS = new Set(['--database-url', '--access-database-url', '--token']);

export function redactArguments(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0 && SECRET_OPTIONS.has(a.slice(0, eq))) {
      out.push(`${a.slice(0, eq)}=***`);
    } else if (SECRET_OPTIONS.has(a) && i + 1 < argv.length) {
      out.push(a, '***');
      i++;
    } else {
      out.push(a.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, '//$1:***@').slice(0, 1000));
    }
  }
  return out.slice(0, 200);
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * Appends the access record. A database older than schema version 4 has no record_access: that is
 * reported (skipped), not an error; any other failure is thrown — the caller decides whether the
 * command's output may still be shown.
 */
export async function recordAccess(pool: Pool, e: AccessEntry): Promise<AccessRecordResult> {
  try {
    const r = await pool.query<{ uid: string }>(`SELECT ${SCHEMA}.record_access($1, $2, $3, $4, $5, $6) AS uid`, [
      e.command,
      redactArguments(e.argv),
      e.outcome,
      e.result.replace(/\s+/g, ' ').slice(0, 2000),
      osUser().slice(0, 256),
      hostname().slice(0, 256),
    ]);
    return { uid: r.rows[0]!.uid };
  } catch (err) {
    if (sqlState(err) === '42883') return { skipped: 'the database has no record_access() (schema older than version 4: run domain-otel-audit migrate)' };
    throw err;
  }
}
