/** `domain-otel-audit query`: filters over the extracted columns, table or NDJSON output. */
import type { Pool } from 'pg';
import { FILTER_COLUMNS, RECORD_COLUMNS, filterConditions, withChainIds, type FilterName, type RecordFilter } from './record-select';
import { SCHEMA } from './sql-text';
import { eventColumns, type ExtractedColumns } from './columns';

export interface QueryFilters {
  user?: string;
  tenant?: string;
  manager?: string;
  entity?: string;
  action?: string;
  outcome?: string;
  event?: string;
  trace?: string;
  uid?: string;
  service?: string;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  /** Row limit (default 1000). */
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface AuditRow extends ExtractedColumns {
  time: string;
  uid_generated: boolean;
  chain: string;
  seq: string;
  received_at: string;
  record: unknown;
}

export function buildQuery(f: QueryFilters): { text: string; values: unknown[] } {
  const equals: RecordFilter['equals'] = {};
  for (const name of Object.keys(FILTER_COLUMNS) as FilterName[]) {
    const v = f[name];
    if (v !== undefined) equals[name] = name === 'trace' ? v.toLowerCase() : v;
  }
  const values: unknown[] = [];
  const where = filterConditions({ equals, ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) }, values);
  values.push(f.limit ?? 1000);
  const order = f.order === 'desc' ? 'DESC' : 'ASC';
  const inner = `SELECT ${RECORD_COLUMNS} FROM ${SCHEMA}.records
             ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
             ORDER BY time ${order}, time_unix_nano ${order}, seq ${order}
             LIMIT $${values.length}`;
  return { text: withChainIds(inner, `q.time ${order}, q.time_unix_nano::bigint ${order}, q.seq_n ${order}`), values };
}

export async function queryAudit(pool: Pool, f: QueryFilters): Promise<AuditRow[]> {
  const { text, values } = buildQuery(f);
  const res = await pool.query(text, values);
  return res.rows.map(auditRowFrom);
}

/** A row as selected by buildQuery (time_unix_nano and seq as text, the chain id joined) → AuditRow. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a pg result row: columns checked by the SELECT that produced it
export function auditRowFrom(r: any): AuditRow {
  return {
    time: nanosToIso(r.time_unix_nano),
    time_unix_nano: r.time_unix_nano,
    ...eventColumns(r),
    service: r.service,
    trace_id: r.trace_id,
    span_id: r.span_id,
    uid: r.uid,
    uid_generated: r.uid_generated,
    chain: r.chain,
    seq: r.seq,
    received_at: (r.received_at as Date).toISOString(),
    record: r.record,
  };
}

/** ISO-8601 UTC with nanoseconds, e.g. 2025-11-13T02:13:20.123456789Z. */
export function nanosToIso(ns: string): string {
  const n = BigInt(ns);
  const ms = n / 1_000_000n;
  const base = new Date(Number(ms)).toISOString(); // …T02:13:20.123Z
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return base.slice(0, 19) + '.' + frac + 'Z';
}

export function toNdjson(rows: AuditRow[]): string {
  return rows.map((r) => JSON.stringify(r) + '\n').join('');
}

const TABLE_COLUMNS: [keyof AuditRow, string, number][] = [
  ['time', 'TIME (UTC)', 23],
  ['event_name', 'EVENT', 23],
  ['action', 'ACTION', 10],
  ['outcome', 'OUTCOME', 8],
  ['manager', 'MANAGER', 20],
  ['entity_id', 'ENTITY', 14],
  ['user_id', 'USER', 14],
  ['tenant_id', 'TENANT', 12],
  ['service', 'SERVICE', 14],
  ['trace_id', 'TRACE', 32],
  ['uid', 'UID', 36],
];

export function toTable(rows: AuditRow[]): string {
  const cell = (v: unknown, width: number) => {
    let s = v === null || v === undefined ? '-' : String(v).replace(/[\r\n\t]+/g, ' ');
    if (s.length > width) s = s.slice(0, width - 1) + '…';
    return s.padEnd(width);
  };
  const lines = [TABLE_COLUMNS.map(([, h, w]) => cell(h, w)).join(' ').trimEnd()];
  for (const r of rows) {
    lines.push(
      TABLE_COLUMNS.map(([k, , w]) => cell(k === 'time' ? r.time.slice(0, 23).replace('T', ' ') : r[k], w)).join(' ').trimEnd(),
    );
  }
  return lines.join('\n') + '\n';
}

/** The columns of `query --csv` and the viewer's CSV export, in order; `record` is the full record as JSON. */
export const CSV_COLUMNS = [
  'time', 'time_unix_nano', 'event_name', 'action', 'outcome', 'manager', 'entity_id', 'user_id', 'tenant_id', 'service',
  'trace_id', 'span_id', 'uid', 'uid_generated', 'chain', 'seq', 'received_at', 'record',
] as const satisfies readonly (keyof AuditRow)[];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, or starts or ends with
 * a space; quotes doubled. Values are written exactly as stored (an export is evidence): a
 * spreadsheet may read a field starting with = + - @ as a formula, so open it as text.
 */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

export function toCsvRows(rows: AuditRow[]): string {
  return rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(',') + '\r\n').join('');
}

/** A header line, then one line per row, CRLF line ends (RFC 4180). */
export function toCsv(rows: AuditRow[]): string {
  return csvHeader() + toCsvRows(rows);
}
