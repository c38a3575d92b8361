/**
 * The viewer's searches: the filters of `domain-otel-audit query`, read from a URL's query string,
 * turned into SQL with the viewer's tenant scope added to every WHERE clause — a tenant-scoped token
 * never reaches another tenant's rows, whatever the browser sends.
 */
import type { Pool, PoolClient } from 'pg';
import { EVENT_DOMAIN_AUDIT_DECISION, EVENT_DOMAIN_MANAGER_MUTATION } from '@domain-otel/semantic-conventions';
import { auditRowFrom, type AuditRow } from '../query';
import { FILTER_COLUMNS, RECORD_COLUMNS, filterConditions, withChainIds, type FilterName, type RecordFilter } from '../record-select';
import { SCHEMA } from '../sql-text';
import type { Timeline } from './api-types';
import type { Viewer } from './auth';

export type { Timeline };

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface SearchFilters extends RecordFilter {
  order: 'asc' | 'desc';
}

function parseInstant(name: string, value: string): Date {
  // The page sends ISO-8601 (datetime-local values are taken as UTC, as in the CLI).
  const m = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  const d = m ? new Date(/Z|[+-]\d{2}:\d{2}$/.test(value) || !m[1] ? value : value + 'Z') : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new BadRequest(`${name} ${JSON.stringify(value.slice(0, 40))}: expected an ISO-8601 date or date-time such as 2025-11-01T09:30Z`);
  return d;
}

/** Reads the filters from a query string; a bad value is a 400 naming it. */
export function parseFilters(q: URLSearchParams): SearchFilters {
  const f: SearchFilters = { equals: {}, order: q.get('order') === 'asc' ? 'asc' : 'desc' };
  for (const name of Object.keys(FILTER_COLUMNS) as FilterName[]) {
    const v = q.get(name)?.trim();
    if (!v) continue;
    if (v.length > 1024) throw new BadRequest(`${name}: longer than 1024 characters`);
    if (name === 'trace') {
      if (!/^[0-9a-f]{32}$/i.test(v)) throw new BadRequest(`trace ${JSON.stringify(v.slice(0, 40))}: expected a trace id of 32 hex digits`);
      f.equals.trace = v.toLowerCase();
    } else {
      f.equals[name] = v;
    }
  }
  const from = q.get('from')?.trim();
  const to = q.get('to')?.trim();
  if (from) f.from = parseInstant('from', from);
  if (to) f.to = parseInstant('to', to);
  if (f.from && f.to && f.from >= f.to) throw new BadRequest(`to ${JSON.stringify(to)}: expected a time after from (${f.from.toISOString()})`);
  return f;
}

/** The filters as `domain-otel-audit query` flags, for the access records. */
export function filtersAsArguments(f: SearchFilters): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(f.equals)) out.push(`--${k}`, v);
  if (f.from) out.push('--from', f.from.toISOString());
  if (f.to) out.push('--to', f.to.toISOString());
  return out;
}

/** WHERE conditions and values: the filters, and the viewer's tenant scope (always). */
export function whereClause(f: SearchFilters, viewer: Viewer, values: unknown[] = []): { where: string; values: unknown[] } {
  const conditions: string[] = [];
  if (viewer.tenant !== null) {
    if (f.equals.tenant !== undefined && f.equals.tenant !== viewer.tenant) {
      throw new BadRequest(`tenant ${JSON.stringify(f.equals.tenant.slice(0, 40))}: this token sees only tenant ${JSON.stringify(viewer.tenant)}`, 403);
    }
    values.push(viewer.tenant);
    conditions.push(`tenant_id = $${values.length}`);
  }
  conditions.push(...filterConditions(f, values, viewer.tenant !== null ? 'tenant' : undefined)); // a scoped tenant is already there
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', values };
}

/** Rows in time order (uid breaks ties), `offset` skipped, at most `limit`; with the chain id as verify prints it. */
export function pageSql(f: SearchFilters, viewer: Viewer, offset: number, limit: number): { text: string; values: unknown[] } {
  const { where, values } = whereClause(f, viewer);
  const o = f.order === 'asc' ? 'ASC' : 'DESC';
  values.push(limit, offset);
  const inner = `SELECT ${RECORD_COLUMNS} FROM ${SCHEMA}.records ${where}
                    ORDER BY time ${o}, time_unix_nano ${o}, uid ${o} LIMIT $${values.length - 1} OFFSET $${values.length}`;
  return { text: withChainIds(inner, `q.time ${o}, q.time_unix_nano::bigint ${o}, q.uid ${o}`), values };
}

export async function searchPage(db: Pool | PoolClient, f: SearchFilters, viewer: Viewer, offset: number, limit: number): Promise<AuditRow[]> {
  const { text, values } = pageSql(f, viewer, offset, limit);
  return (await db.query(text, values)).rows.map(auditRowFrom);
}

/** How many rows match, counted up to `cap` (a count of millions is not worth its time: "more than cap"). */
export async function countMatching(db: Pool | PoolClient, f: SearchFilters, viewer: Viewer, cap: number): Promise<number> {
  const { where, values } = whereClause(f, viewer);
  values.push(cap);
  const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM (SELECT 1 FROM ${SCHEMA}.records ${where} LIMIT $${values.length}) m`, values);
  return Number(r.rows[0]!.n);
}

const BUCKETS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400];

/** Decisions per outcome and mutations over the range, in at most ~60 buckets. */
export async function timeline(db: Pool | PoolClient, f: SearchFilters, viewer: Viewer): Promise<Timeline> {
  let from = f.from;
  let to = f.to;
  if (!from || !to) {
    const { where, values } = whereClause(f, viewer);
    const r = await db.query<{ lo: Date | null; hi: Date | null }>(`SELECT min(time) AS lo, max(time) AS hi FROM ${SCHEMA}.records ${where}`, values);
    from ??= r.rows[0]!.lo ?? new Date();
    to ??= new Date((r.rows[0]!.hi ?? new Date()).getTime() + 1);
  }
  const span = Math.max(1, (to.getTime() - from.getTime()) / 1000);
  const bucketSeconds = BUCKETS.find((b) => span / b <= 60) ?? BUCKETS.at(-1)!;
  const start = Math.floor(from.getTime() / 1000 / bucketSeconds) * bucketSeconds;
  const n = Math.max(1, Math.ceil((to.getTime() / 1000 - start) / bucketSeconds));
  const { where, values } = whereClause({ ...f, from, to }, viewer);
  values.push(bucketSeconds, start);
  const w = `$${values.length - 1}`;
  const s = `$${values.length}`;
  const r = await db.query<{ b: number; series: string; n: string }>(
    `SELECT floor((extract(epoch FROM time) - ${s}) / ${w})::int AS b,
            CASE WHEN event_name = '${EVENT_DOMAIN_AUDIT_DECISION}' THEN coalesce(outcome, 'unknown')
                 WHEN event_name = '${EVENT_DOMAIN_MANAGER_MUTATION}' THEN 'mutations' ELSE event_name END AS series,
            count(*)::text AS n
       FROM ${SCHEMA}.records ${where} GROUP BY 1, 2`,
    values,
  );
  const series: Record<string, number[]> = { granted: new Array(n).fill(0), denied: new Array(n).fill(0), bypassed: new Array(n).fill(0), mutations: new Array(n).fill(0) };
  for (const row of r.rows) {
    if (row.b < 0 || row.b >= n) continue;
    (series[row.series] ??= new Array(n).fill(0))[row.b]! += Number(row.n);
  }
  return { bucketSeconds, buckets: Array.from({ length: n }, (_, i) => start + i * bucketSeconds), series };
}
