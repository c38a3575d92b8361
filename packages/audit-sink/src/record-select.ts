/**
 * The SQL that `domain-otel-audit query` and the viewer's search (ui/search.ts) select audit
 * records with: the filter columns, the WHERE conditions, the selected columns and the chain id
 * joined as verify prints it.
 */
import { EVENT_DOMAIN_AUDIT_ACCESS } from '@domain-otel/semantic-conventions';
import { SCHEMA } from './sql-text';

/** Filter name (a query flag, a search parameter) → the column it compares. */
export const FILTER_COLUMNS = {
  user: 'user_id',
  tenant: 'tenant_id',
  manager: 'manager',
  entity: 'entity_id',
  action: 'action',
  outcome: 'outcome',
  event: 'event_name',
  service: 'service',
  trace: 'trace_id',
  uid: 'uid',
} as const;

export type FilterName = keyof typeof FILTER_COLUMNS;

export interface RecordFilter {
  equals: Partial<Record<FilterName, string>>;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/**
 * The conditions of `f`, their values appended to `values` ($n numbered after those already
 * there); `skip` is a filter the caller has already applied.
 */
export function filterConditions(f: RecordFilter, values: unknown[], skip?: FilterName): string[] {
  const conditions: string[] = [];
  for (const name of Object.keys(FILTER_COLUMNS) as FilterName[]) {
    const v = f.equals[name];
    if (v === undefined || name === skip) continue;
    values.push(v);
    conditions.push(`${FILTER_COLUMNS[name]} = $${values.length}`);
  }
  // Access records (who read the audit log) are listed when asked for by event or uid.
  if (f.equals.event === undefined && f.equals.uid === undefined) conditions.push(`event_name <> '${EVENT_DOMAIN_AUDIT_ACCESS}'`);
  if (f.from) {
    values.push(f.from.toISOString());
    conditions.push(`time >= $${values.length}`);
  }
  if (f.to) {
    values.push(f.to.toISOString());
    conditions.push(`time < $${values.length}`);
  }
  return conditions;
}

/** The columns an inner SELECT FROM records takes for withChainIds (then auditRowFrom). */
export const RECORD_COLUMNS = `time, time_unix_nano::text AS time_unix_nano, event_name, action, outcome, manager, entity_id, user_id,
  tenant_id, service, trace_id, span_id, uid, uid_generated, seq::text AS seq, seq AS seq_n, stream,
  to_char(time AT TIME ZONE 'UTC', 'YYYY-MM') AS month, tableoid AS part, received_at, record`;

/** The rows of `inner` (a SELECT of RECORD_COLUMNS) with their chain id, in `order` (columns of the rows as q.*). */
export function withChainIds(inner: string, order: string): string {
  return `SELECT q.*, CASE WHEN c.numbered THEN c.chain || '#' || q.stream ELSE coalesce(c.chain, q.month) END AS chain
      FROM (${inner}) q
      JOIN pg_class pc ON pc.oid = q.part
      LEFT JOIN ${SCHEMA}.chains c ON c.partition_name = pc.relname
     ORDER BY ${order}`;
}
