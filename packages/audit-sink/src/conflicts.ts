/**
 * Reading `uid_conflicts` (sql/003): replays that reused a stored log.record.uid for other
 * content. `verify` reports how many there are, `query --conflicts` lists them.
 */
import type { Pool } from 'pg';
import { SCHEMA } from './sql-text';

export interface ConflictFilters {
  uid?: string;
  /** Inclusive lower bound on received_at. */
  from?: Date;
  /** Exclusive upper bound on received_at. */
  to?: Date;
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface ConflictRow {
  received_at: string;
  uid: string;
  /** Segment of the record stored under the uid. */
  chain: string | null;
  /** sha256 (hex) of the stored record and of the conflicting one. */
  stored_hash: string;
  record_hash: string;
  /** The conflicting record, whole. */
  record: { attributes?: Record<string, unknown> } & Record<string, unknown>;
}

export interface ConflictSummary {
  count: number;
  /** received_at of the first and the last one (ISO), when there are any. */
  first?: string;
  last?: string;
}

/** How many conflicts are kept; null when the schema predates them (version < 3). */
export async function conflictSummary(pool: Pool): Promise<ConflictSummary | null> {
  const exists = await pool.query<{ ok: boolean }>(`SELECT to_regclass('${SCHEMA}.uid_conflicts') IS NOT NULL AS ok`);
  if (!exists.rows[0]?.ok) return null;
  const r = await pool.query<{ count: number; first: Date | null; last: Date | null }>(
    `SELECT count(*)::int AS count, min(received_at) AS first, max(received_at) AS last FROM ${SCHEMA}.uid_conflicts`,
  );
  const row = r.rows[0]!;
  return { count: row.count, ...(row.first ? { first: row.first.toISOString() } : {}), ...(row.last ? { last: row.last.toISOString() } : {}) };
}

export async function listConflicts(pool: Pool, f: ConflictFilters): Promise<ConflictRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (f.uid !== undefined) where.push(`uid = $${values.push(f.uid)}`);
  if (f.from) where.push(`received_at >= $${values.push(f.from.toISOString())}`);
  if (f.to) where.push(`received_at < $${values.push(f.to.toISOString())}`);
  const order = f.order === 'desc' ? 'DESC' : 'ASC';
  const r = await pool.query<{ received_at: Date; uid: string; chain: string | null; stored_hash: string; record_hash: string; record: ConflictRow['record'] }>(
    `SELECT received_at, uid, chain, encode(stored_hash, 'hex') AS stored_hash, encode(record_hash, 'hex') AS record_hash, record
       FROM ${SCHEMA}.uid_conflicts
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY received_at ${order}, uid ${order}, record_hash ${order}
      LIMIT $${values.push(f.limit ?? 1000)}`,
    values,
  );
  return r.rows.map((row) => ({ ...row, received_at: row.received_at.toISOString() }));
}

const COLUMNS: [string, number, (r: ConflictRow) => unknown][] = [
  ['RECEIVED (UTC)', 23, (r) => r.received_at.slice(0, 23).replace('T', ' ')],
  ['UID', 36, (r) => r.uid],
  ['STORED IN', 12, (r) => r.chain],
  ['STORED SHA256', 13, (r) => r.stored_hash.slice(0, 12)],
  ['SENT SHA256', 12, (r) => r.record_hash.slice(0, 12)],
  ['USER', 14, (r) => r.record.attributes?.['user.id']],
  ['OUTCOME', 10, (r) => r.record.attributes?.['domain.audit.outcome'] ?? r.record.attributes?.['domain.mutation.outcome']],
];

export function conflictsToTable(rows: ConflictRow[]): string {
  const cell = (v: unknown, width: number) => {
    let s = v === null || v === undefined ? '-' : (typeof v === 'string' ? v : JSON.stringify(v)).replace(/[\r\n\t]+/g, ' ');
    if (s.length > width) s = s.slice(0, width - 1) + '…';
    return s.padEnd(width);
  };
  const lines = [COLUMNS.map(([h, w]) => cell(h, w)).join(' ').trimEnd()];
  for (const r of rows) lines.push(COLUMNS.map(([, w, get]) => cell(get(r), w)).join(' ').trimEnd());
  return lines.join('\n') + '\n';
}

export function conflictsToNdjson(rows: ConflictRow[]): string {
  return rows.map((r) => JSON.stringify(r) + '\n').join('');
}
