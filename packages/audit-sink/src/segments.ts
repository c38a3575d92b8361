/**
 * Where a record goes: the segment (leaf partition) of its month and tenant, as the sink
 * sees it. A month has a shared segment and one per tenant registered with
 * `migrate --tenant`; a month of schema version 1 has only its shared segment.
 *
 * The sink writes into the leaf directly, so Postgres itself refuses a row that does not
 * belong there (23514) and a leaf dropped meanwhile is an undefined table (42P01): on
 * either, the caller forgets what it knew (`forget`) and resolves again.
 */
import type { Pool } from 'pg';
import { SQLSTATE_CHAIN_RETIRED } from './errors';
import { SCHEMA } from './sql-text';

export interface Segment {
  /** 'YYYY-MM' (shared) or 'YYYY-MM/<tenant, URI-encoded>'. */
  id: string;
  /** Leaf table name (in the audit schema). */
  leaf: string;
  tenantId: string | null;
  streams: number;
  /** Chain ids are '<segment>#<stream>' (false: one chain named after a version-1 month). */
  numbered: boolean;
  retired: boolean;
}

interface Month {
  /** undefined: the whole month was retired. */
  shared: Segment | undefined;
  tenants: Map<string, Segment>;
}

export type Placement = { segment: Segment } | { retired: string };

/** How many months one batch may still create (see MonthBudgetError). */
export interface MonthBudget {
  readonly limit: number;
  remaining: number;
  /** Months the batch needs beyond the limit. */
  missing: string[];
}

export class SegmentDirectory {
  private readonly months = new Map<string, Month>();

  constructor(private readonly pool: Pool) {}

  forget(): void {
    this.months.clear();
  }

  /**
   * The segment a record of `month` and `tenantId` is written to, or why it cannot be stored.
   * A month that does not exist yet is created when `budget` allows; otherwise it is added to
   * `budget.missing` and `undefined` is returned.
   */
  async place(month: string, tenantId: string | null, budget?: MonthBudget): Promise<Placement | undefined> {
    const m = this.months.get(month) ?? (await this.load(month, budget));
    if (!m) return undefined;
    const own = tenantId === null ? undefined : m.tenants.get(tenantId);
    if (own) return own.retired ? { retired: own.id } : { segment: own };
    if (!m.shared || m.shared.retired) return { retired: m.shared?.id ?? month };
    return { segment: m.shared };
  }

  private async load(month: string, budget?: MonthBudget): Promise<Month | undefined> {
    // Every segment ever created stays in `chains` (retired ones too): no row, no month yet.
    let rows = await this.segmentsOf(month);
    if (rows.length === 0) {
      if (budget && budget.remaining <= 0) {
        budget.missing.push(month);
        return undefined;
      }
      if (budget) budget.remaining--;
      try {
        await this.pool.query(`SELECT ${SCHEMA}.ensure_partition($1::date)`, [`${month}-01`]);
      } catch (err) {
        if ((err as { code?: string }).code !== SQLSTATE_CHAIN_RETIRED) throw err;
        const gone: Month = { shared: undefined, tenants: new Map() };
        this.months.set(month, gone);
        return gone;
      }
      rows = await this.segmentsOf(month);
    }
    const m: Month = { shared: undefined, tenants: new Map() };
    for (const r of rows) {
      const s: Segment = {
        id: r.chain, leaf: r.partition_name, tenantId: r.tenant_id, streams: r.streams, numbered: r.numbered, retired: r.retired,
      };
      if (s.tenantId === null) m.shared = s;
      else m.tenants.set(s.tenantId, s);
    }
    this.months.set(month, m);
    return m;
  }

  private async segmentsOf(month: string) {
    const rows = await this.pool.query<{
      chain: string; partition_name: string; tenant_id: string | null; streams: number; numbered: boolean; retired: boolean;
    }>(
      `SELECT c.chain, c.partition_name, c.tenant_id, c.streams, c.numbered,
              EXISTS (SELECT 1 FROM ${SCHEMA}.retired_chains r WHERE r.chain = c.chain) AS retired
         FROM ${SCHEMA}.chains c
        WHERE c.chain = $1 OR c.chain LIKE $1 || '/%'`,
      [month],
    );
    return rows.rows;
  }
}
