/**
 * Writes audit records to Postgres: one transaction per request, chained, idempotent.
 *
 * Per batch:
 *   1. find each record's segment (month × tenant, segments.ts), creating months on demand;
 *   2. BEGIN; register the uids in `record_uids` with ON CONFLICT DO NOTHING RETURNING: the
 *      returned ones are new, the rest are replays — or conflicts, when a replay's record differs
 *      from the one stored under its uid (uid-registry.ts);
 *   3. per segment, in sorted order: lock a chain of it no one else is appending to, read
 *      that chain's head (last seq and row_hash) — stable while we hold its lock — link the
 *      rows (row hashes over the content hashes prepare.ts computed before) and COPY them
 *      into the leaf (chain-append.ts);
 *   4. COMMIT.
 * Only after COMMIT returns does the caller acknowledge the request.
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { Pool as PgPool } from 'pg';
import type { AuditRecord } from './audit-record';
import { appendToSegment } from './chain-append';
import { monthOfUnixNano } from './chain';
import { prepareRecords, type PreparedRecord } from './prepare';
import { MonthBudgetError, UnavailableError, isUnavailable, sqlState, errorLine } from './errors';
import { SegmentDirectory, type MonthBudget, type Segment } from './segments';
import { SCHEMA } from './sql-text';
import { registerUids, type Conflict, type Placed } from './uid-registry';
import type { StoreObserver } from './telemetry/observer';

export { SCHEMA };

export interface InsertResult {
  /** Rows written by this call. */
  inserted: number;
  /** Records whose uid was already stored (replays), skipped. */
  duplicates: number;
  /**
   * Records that cannot be stored, reported as partial success: their month's chain was retired,
   * or they reuse a stored uid for other content (conflicts).
   */
  rejected: number;
  rejectedReason?: string;
  /** Records refused because their uid is stored with other content (kept in uid_conflicts). */
  conflicts: number;
  /** The first of them, for the log line. */
  conflict?: Conflict;
}

export interface PoolOptions {
  connectionString?: string;
  /** Max connections (default 10). */
  max?: number;
  /** Server-side statement timeout and client-side wait for a connection, ms (default 10000). */
  timeoutMs?: number;
}

/** A pg Pool configured for the sink: bounded waits everywhere, errors on idle clients logged instead of thrown. */
export function createPool(opts: PoolOptions, onError: (msg: string) => void = () => {}): Pool {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const config: PoolConfig = {
    max: opts.max ?? 10,
    connectionTimeoutMillis: timeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs * 3,
    // Client-side guard for a network that hangs without an error.
    query_timeout: timeoutMs + 2_000,
    application_name: 'domain-otel-audit',
  };
  if (opts.connectionString !== undefined) config.connectionString = opts.connectionString;
  const pool = new PgPool(config);
  pool.on('error', (err) => onError(`postgres: idle connection error: ${errorLine(err)}`));
  return pool;
}

/** Run fn on a pooled client; a connection-level error destroys the client instead of crashing the process. */
export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new UnavailableError(`postgres unavailable: ${errorLine(err)}`, err);
  }
  let broken: Error | undefined;
  // While checked out a pg client has no 'error' listener; an unhandled one would crash us.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    if (sqlState(err) === undefined) broken ??= err as Error; // connection-level: do not reuse
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken ?? undefined);
  }
}

export interface StoreOptions {
  /**
   * Months (partitions) one batch may create; a batch needing more gets MonthBudgetError after
   * creating that many (default: no limit).
   */
  maxNewMonthsPerBatch?: number;
  /** Timings of the lock wait, COPY and COMMIT (the sink's own metrics). */
  observer?: StoreObserver;
}

export class AuditStore {
  private readonly segments: SegmentDirectory;

  constructor(
    readonly pool: Pool,
    private readonly opts: StoreOptions = {},
  ) {
    this.segments = new SegmentDirectory(pool);
  }

  async insert(records: readonly AuditRecord[], receivedAt: Date): Promise<InsertResult> {
    return this.insertPrepared(prepareRecords(records, receivedAt));
  }

  /** Stores records prepared by prepare.ts (possibly on a worker thread). */
  async insertPrepared(records: readonly PreparedRecord[]): Promise<InsertResult> {
    try {
      return await this.insertOnce(records);
    } catch (err) {
      // A row that does not belong in the leaf we wrote to (a tenant got its own segment) or a
      // leaf that is gone (retention): forget what we knew about segments and resolve again.
      const cause = err instanceof UnavailableError ? err.cause : err;
      const state = sqlState(cause);
      if (state !== '23514' && state !== '42P01') throw err;
      this.segments.forget();
      return this.insertOnce(records);
    }
  }

  /** One attempt: place the records in their segments, then write the new ones in one transaction. */
  private async insertOnce(records: readonly PreparedRecord[]): Promise<InsertResult> {
    const result: InsertResult = { inserted: 0, duplicates: 0, rejected: 0, conflicts: 0 };
    if (records.length === 0) return result;
    const { unique, repeats } = firstOfEachUid(records);
    const groups = await this.placeInSegments(unique, result);
    const placedUids = new Set(groups.flatMap((g) => g.records.map((r) => r.uid)));
    // Repeats of a record refused above are refused with it.
    result.duplicates += repeats.filter((r) => !placedUids.has(r.uid)).length;
    if (groups.length === 0) return result;
    await this.write(groups, repeats.filter((r) => placedUids.has(r.uid)), result);
    return result;
  }

  /**
   * The records by segment, sorted by segment id (segments are locked in one order: no
   * deadlocks), creating months that do not exist yet: one lookup per month and tenant, not per
   * record. Records of retired chains are counted as rejected in `result`.
   */
  private async placeInSegments(records: Iterable<PreparedRecord>, result: InsertResult): Promise<SegmentRecords[]> {
    const bySegment = new Map<string, SegmentRecords>();
    const retired: string[] = [];
    const limit = this.opts.maxNewMonthsPerBatch;
    const budget: MonthBudget | undefined = limit === undefined ? undefined : { limit, remaining: limit, missing: [] };
    try {
      for (const { month, tenantId, records: list } of byMonthAndTenant(records)) {
        const placed = await this.segments.place(month, tenantId, budget);
        if (placed === undefined) continue; // a month beyond the budget: see below
        if ('retired' in placed) {
          result.rejected += list.length;
          retired.push(placed.retired);
          continue;
        }
        const group = bySegment.get(placed.segment.id);
        if (group) group.records.push(...list);
        else bySegment.set(placed.segment.id, { segment: placed.segment, records: list });
      }
    } catch (err) {
      if (isUnavailable(err)) throw new UnavailableError(`postgres unavailable: ${errorLine(err)}`, err);
      throw err;
    }
    if (budget && budget.missing.length > 0) throw monthBudgetExceeded(budget);
    if (retired.length > 0) result.rejectedReason = `${result.rejected} record(s) fall in retired audit chain ${retired.join(', ')}`;
    return [...bySegment.values()].sort((a, b) => (a.segment.id < b.segment.id ? -1 : 1));
  }

  /** The transaction: register the uids, append the new records to their segments' chains, COMMIT. */
  private async write(groups: readonly SegmentRecords[], repeats: readonly PreparedRecord[], result: InsertResult): Promise<void> {
    try {
      await withClient(this.pool, async (client) => {
        await client.query('BEGIN');
        try {
          const isNew = await registerInBatch(client, groups, repeats, result);
          let written = 0;
          for (const { segment, records: list } of groups) {
            const rows = list.filter((r) => isNew.has(r.uid));
            if (rows.length === 0) continue;
            await appendToSegment(client, segment, rows, this.opts.observer);
            written += rows.length;
          }
          // The caller acknowledges only after COMMIT returns.
          const commitStarted = this.opts.observer && performance.now();
          await client.query('COMMIT');
          if (this.opts.observer) this.opts.observer.commit((performance.now() - commitStarted!) / 1000);
          result.inserted = written;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      if (isUnavailable(err)) throw new UnavailableError(`postgres unavailable: ${errorLine(err)}`, err);
      throw err;
    }
  }
}

interface SegmentRecords {
  segment: Segment;
  records: PreparedRecord[];
}

/** Repeated uids inside the batch: the first is the candidate, the others are checked against it. */
function firstOfEachUid(records: readonly PreparedRecord[]): { unique: Iterable<PreparedRecord>; repeats: PreparedRecord[] } {
  const byUid = new Map<string, PreparedRecord>();
  const repeats: PreparedRecord[] = [];
  for (const r of records) {
    if (byUid.has(r.uid)) repeats.push(r);
    else byUid.set(r.uid, r);
  }
  return { unique: byUid.values(), repeats };
}

function byMonthAndTenant(records: Iterable<PreparedRecord>): Iterable<{ month: string; tenantId: string | null; records: PreparedRecord[] }> {
  const byKey = new Map<string, { month: string; tenantId: string | null; records: PreparedRecord[] }>();
  for (const r of records) {
    const month = monthOfUnixNano(r.timeUnixNano);
    const key = `${month}\u0000${r.tenantId ?? ''}`; // a tenant id is never '' (empty columns are null)
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { month, tenantId: r.tenantId, records: [] }));
    group.records.push(r);
  }
  return byKey.values();
}

function monthBudgetExceeded(budget: MonthBudget): MonthBudgetError {
  const missing = new Set(budget.missing);
  return new MonthBudgetError(
    `request needs ${missing.size} more new month(s); at most ${budget.limit} are created per request (--max-new-months), ` +
      `the others on the sender's retry (${[...missing].sort().slice(0, 5).join(', ')}${missing.size > 5 ? ', …' : ''})`,
  );
}

/**
 * Registers the uids of the placed records; the new ones get rows, replays are duplicates and
 * replays with other content are conflicts (counted in `result`). Returns the new uids.
 */
async function registerInBatch(client: PoolClient, groups: readonly SegmentRecords[], repeats: readonly PreparedRecord[], result: InsertResult): Promise<ReadonlySet<string>> {
  const placed: Placed[] = groups.flatMap(({ segment, records: list }) => list.map((record) => ({ record, segment: segment.id })));
  const reg = await registerUids(client, placed, repeats);
  result.duplicates += reg.replays - reg.conflicts.length;
  result.conflicts = reg.conflicts.length;
  if (reg.conflicts.length > 0) {
    result.conflict = reg.conflicts[0];
    result.rejected += reg.conflicts.length;
    const reason = `${reg.conflicts.length} record(s) reuse a log.record.uid already stored with other content ` +
      `(uid ${JSON.stringify(reg.conflicts[0]!.uid.slice(0, 80))}); kept in ${SCHEMA}.uid_conflicts, not stored`;
    result.rejectedReason = result.rejectedReason ? `${result.rejectedReason}; ${reason}` : reason;
  }
  return reg.fresh;
}

/** Postgres array literal of text values (every element quoted; NULL for null). */
export function arrayLiteral(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    out += v === null || v === undefined ? 'NULL' : '"' + v.replace(/["\\]/g, '\\$&') + '"';
  }
  return out + '}';
}
