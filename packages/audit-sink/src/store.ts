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
 *      into the leaf (copy-rows.ts);
 *   4. COMMIT.
 * Only after COMMIT returns does the caller acknowledge the request.
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { Pool as PgPool } from 'pg';
import type { AuditRecord } from './otlp';
import { chainIds, chainLockKey, genesisHash, monthOfUnixNano, rowHash } from './chain';
import { copyBytea, copyRows } from './copy-rows';
import { prepareRecords, type PreparedRecord } from './prepare';
import { MonthBudgetError, UnavailableError, isUnavailable, sqlState, errorLine } from './errors';
import { SegmentDirectory, type MonthBudget, type Segment } from './segments';
import { SCHEMA, quoteIdent } from './sql-text';
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

  private async insertOnce(records: readonly PreparedRecord[]): Promise<InsertResult> {
    const result: InsertResult = { inserted: 0, duplicates: 0, rejected: 0, conflicts: 0 };
    if (records.length === 0) return result;

    // Repeated uids inside the batch: the first is the candidate, the others are checked against it.
    const byUid = new Map<string, PreparedRecord>();
    const repeats: PreparedRecord[] = [];
    for (const r of records) {
      if (byUid.has(r.uid)) repeats.push(r);
      else byUid.set(r.uid, r);
    }
    const retired: string[] = [];

    // Group by month and tenant, then place each group in its segment (creating months that
    // do not exist yet): one lookup per group, not per record.
    const byKey = new Map<string, { month: string; tenantId: string | null; records: PreparedRecord[] }>();
    for (const r of byUid.values()) {
      const month = monthOfUnixNano(r.timeUnixNano);
      const key = `${month}\u0000${r.tenantId ?? ''}`; // a tenant id is never '' (empty columns are null)
      let group = byKey.get(key);
      if (!group) byKey.set(key, (group = { month, tenantId: r.tenantId, records: [] }));
      group.records.push(r);
    }
    const bySegment = new Map<string, { segment: Segment; records: PreparedRecord[] }>();
    const limit = this.opts.maxNewMonthsPerBatch;
    const budget: MonthBudget | undefined = limit === undefined ? undefined : { limit, remaining: limit, missing: [] };
    try {
      for (const { month, tenantId, records: list } of byKey.values()) {
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
    if (budget && budget.missing.length > 0) {
      const missing = new Set(budget.missing);
      throw new MonthBudgetError(
        `request needs ${missing.size} more new month(s); at most ${budget.limit} are created per request (--max-new-months), ` +
          `the others on the sender's retry (${[...missing].sort().slice(0, 5).join(', ')}${missing.size > 5 ? ', …' : ''})`,
      );
    }
    if (retired.length > 0) result.rejectedReason = `${result.rejected} record(s) fall in retired audit chain ${retired.join(', ')}`;
    const placedUids = new Set([...bySegment.values()].flatMap((g) => g.records.map((r) => r.uid)));
    // Repeats of a record refused above are refused with it.
    result.duplicates += repeats.filter((r) => !placedUids.has(r.uid)).length;
    if (bySegment.size === 0) return result;

    const groups = [...bySegment.values()].sort((a, b) => (a.segment.id < b.segment.id ? -1 : 1));

    try {
      await withClient(this.pool, async (client) => {
        await client.query('BEGIN');
        try {
          // 1. Register the uids; the new ones get rows, replays with other content are conflicts.
          const placed: Placed[] = groups.flatMap(({ segment, records: list }) => list.map((record) => ({ record, segment: segment.id })));
          const reg = await registerUids(client, placed, repeats.filter((r) => placedUids.has(r.uid)));
          const isNew = reg.fresh;
          result.duplicates += reg.replays - reg.conflicts.length;
          result.conflicts = reg.conflicts.length;
          if (reg.conflicts.length > 0) {
            result.conflict = reg.conflicts[0];
            result.rejected += reg.conflicts.length;
            const reason = `${reg.conflicts.length} record(s) reuse a log.record.uid already stored with other content ` +
              `(uid ${JSON.stringify(reg.conflicts[0]!.uid.slice(0, 80))}); kept in ${SCHEMA}.uid_conflicts, not stored`;
            result.rejectedReason = result.rejectedReason ? `${result.rejectedReason}; ${reason}` : reason;
          }

          // 2. Per segment (sorted: segments are locked in one order, no deadlocks): take a
          //    free chain of the segment, read its head, link the rows, one COPY into the leaf.
          let written = 0;
          const observer = this.opts.observer;
          for (const { segment, records: list } of groups) {
            const rows = list.filter((r) => isNew.has(r.uid));
            if (rows.length === 0) continue;
            const lockStarted = observer && performance.now();
            const { chain, stream } = await lockFreeChain(client, segment);
            if (observer) observer.chainLockWait((performance.now() - lockStarted!) / 1000);
            const head = await client.query<{ seq: string; row_hash: Buffer }>(
              `SELECT seq, row_hash FROM ${SCHEMA}.${quoteIdent(segment.leaf)}
                WHERE stream = $1 ORDER BY seq DESC LIMIT 1`,
              [stream],
            );
            let seq = head.rows.length ? BigInt(head.rows[0]!.seq) : 0n;
            let prev: Buffer = head.rows.length ? head.rows[0]!.row_hash : genesisHash(chain);
            const lines: string[] = [];
            for (const r of rows) {
              seq++;
              const row = rowHash(chain, seq, prev, r.content);
              lines.push(`${r.line}\t${seq}\t${copyBytea(prev)}\t${copyBytea(row)}\t${stream}\n`);
              prev = row;
            }
            const copyStarted = observer && performance.now();
            await copyRows(client, `${SCHEMA}.${quoteIdent(segment.leaf)}`, lines);
            if (observer) observer.copy((performance.now() - copyStarted!) / 1000);
            written += rows.length;
          }

          // 3. COMMIT; the caller acknowledges only after this returns.
          const commitStarted = observer && performance.now();
          await client.query('COMMIT');
          if (observer) observer.commit((performance.now() - commitStarted!) / 1000);
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
    return result;
  }
}

/**
 * Takes the advisory lock of a chain of the segment for the rest of the transaction: the
 * first one no other transaction holds, trying stream 0 first (a quiet sink keeps writing one
 * chain), or, when all are busy, waits for one picked at random.
 */
async function lockFreeChain(client: PoolClient, segment: Segment): Promise<{ chain: string; stream: number }> {
  const chains = chainIds(segment.id, segment.streams, segment.numbered);
  const keys = chains.map(chainLockKey);
  if (chains.length > 1) {
    const free = await client.query<{ i: string }>(
      `SELECT i FROM unnest($1::int[], $2::int[]) WITH ORDINALITY AS t(k1, k2, i)
        WHERE pg_try_advisory_xact_lock(k1, k2) LIMIT 1`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    if (free.rows.length) {
      const stream = Number(free.rows[0]!.i) - 1;
      return { chain: chains[stream]!, stream };
    }
  }
  const stream = Math.floor(Math.random() * chains.length);
  const [k1, k2] = keys[stream]!;
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
  return { chain: chains[stream]!, stream };
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
