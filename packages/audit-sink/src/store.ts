/**
 * Writes audit records to Postgres: one transaction per request, chained, idempotent.
 *
 * Per batch:
 *   1. make sure the monthly partitions exist (outside the transaction, cached);
 *   2. BEGIN; take the advisory lock of every chain touched, in sorted order;
 *   3. register the uids in `record_uids` with ON CONFLICT DO NOTHING RETURNING: the
 *      returned ones are new, the rest are replays;
 *   4. read each chain's head (last seq and row_hash) — stable while we hold its lock;
 *   5. compute content/prev/row hashes here, in the sink;
 *   6. one COPY of all new rows (copy-rows.ts); COMMIT.
 * Only after COMMIT returns does the caller acknowledge the request.
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { Pool as PgPool } from 'pg';
import type { AuditRecord } from './otlp';
import { chainLockKey, chainOfUnixNano, chainRange, contentHash, genesisHash, rowHash, type RowContent } from './chain';
import { RawJson, canonicalJson } from './canonical';
import { copyBytea, copyField, copyRows, nsToTimestamptz } from './copy-rows';
import { SQLSTATE_CHAIN_RETIRED, UnavailableError, isUnavailable, sqlState, errorLine } from './errors';

export const SCHEMA = 'domain_otel_audit';

export interface InsertResult {
  /** Rows written by this call. */
  inserted: number;
  /** Records whose uid was already stored (replays), skipped. */
  duplicates: number;
  /** Records that cannot be stored (their month's chain was retired), reported as partial success. */
  rejected: number;
  rejectedReason?: string;
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

export class AuditStore {
  private readonly knownChains = new Set<string>();

  constructor(readonly pool: Pool) {}

  async insert(records: readonly AuditRecord[], receivedAt: Date): Promise<InsertResult> {
    try {
      return await this.insertOnce(records, receivedAt);
    } catch (err) {
      // "no partition of relation found for row": a cached partition was dropped (retention).
      // Forget the cache and try once more; ensure_partition then recreates or refuses it.
      const cause = err instanceof UnavailableError ? err.cause : err;
      if (sqlState(cause) !== '23514') throw err;
      this.knownChains.clear();
      return this.insertOnce(records, receivedAt);
    }
  }

  private async insertOnce(records: readonly AuditRecord[], receivedAt: Date): Promise<InsertResult> {
    const result: InsertResult = { inserted: 0, duplicates: 0, rejected: 0 };
    if (records.length === 0) return result;

    // Duplicates inside the batch: keep the first.
    const byUid = new Map<string, AuditRecord>();
    for (const r of records) {
      if (byUid.has(r.uid)) result.duplicates++;
      else byUid.set(r.uid, r);
    }

    // Group by chain, creating partitions that do not exist yet.
    const byChain = new Map<string, AuditRecord[]>();
    for (const r of byUid.values()) {
      const chain = chainOfUnixNano(r.timeUnixNano);
      let list = byChain.get(chain);
      if (!list) byChain.set(chain, (list = []));
      list.push(r);
    }
    for (const chain of [...byChain.keys()]) {
      const ok = await this.ensureChain(chain);
      if (!ok) {
        const n = byChain.get(chain)!.length;
        result.rejected += n;
        result.rejectedReason = `${result.rejected} record(s) fall in retired audit chain ${chain}`;
        byChain.delete(chain);
      }
    }
    if (byChain.size === 0) return result;

    const chains = [...byChain.keys()].sort();
    const receivedIso = receivedAt.toISOString();
    // Everything that does not depend on the chain position is computed before taking the
    // chain lock: the canonical JSON (stored as is), the content hash and the COPY line up to the chain columns.
    const received = copyField(receivedIso);
    const prepared = new Map<AuditRecord, { content: Buffer; head: string }>();
    for (const list of byChain.values()) {
      for (const r of list) {
        const json = canonicalJson(r.record);
        const content = contentHash(rowContent(r, receivedIso, new RawJson(json)));
        prepared.set(r, { content, head: copyLineHead(r, received, json, content) });
      }
    }

    try {
      await withClient(this.pool, async (client) => {
        await client.query('BEGIN');
        try {
          // 1. Register the uids; the returned ones are new. Not under the chain lock, so
          //    concurrent requests do this (and step 2) in parallel; a replayed uid still
          //    uncommitted elsewhere makes us wait for that transaction's outcome.
          const uids: string[] = [];
          const uidChains: string[] = [];
          for (const chain of chains) {
            for (const r of byChain.get(chain)!) {
              uids.push(r.uid);
              uidChains.push(chain);
            }
          }
          const fresh = await client.query<{ uid: string }>(
            `INSERT INTO ${SCHEMA}.record_uids (uid, chain)
             SELECT u, c FROM unnest($1::text[], $2::text[]) AS t(u, c) ORDER BY u
             ON CONFLICT (uid) DO NOTHING RETURNING uid`,
            [arrayLiteral(uids), arrayLiteral(uidChains)],
          );
          const isNew = new Set(fresh.rows.map((row) => row.uid));
          result.duplicates += uids.length - isNew.size;
          if (isNew.size === 0) {
            await client.query('COMMIT');
            return;
          }

          // 2. The rows to write, per chain, in chain order.
          const todo: [string, AuditRecord[]][] = [];
          let freshCount = 0;
          for (const chain of chains) {
            const list = byChain.get(chain)!.filter((r) => isNew.has(r.uid));
            if (list.length) todo.push([chain, list]);
            freshCount += list.length;
          }

          // 3. Lock the chains (sorted: no lock-order deadlocks), read their heads, link the rows.
          for (const [chain] of todo) {
            const [k1, k2] = chainLockKey(chain);
            await client.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
          }
          const lines: string[] = [];
          for (const [chain, list] of todo) {
            const { start, end } = chainRange(chain);
            const head = await client.query<{ seq: string; row_hash: Buffer }>(
              `SELECT seq, row_hash FROM ${SCHEMA}.records
                WHERE time >= $1 AND time < $2 ORDER BY seq DESC LIMIT 1`,
              [start, end],
            );
            let seq = head.rows.length ? BigInt(head.rows[0]!.seq) : 0n;
            let prev: Buffer = head.rows.length ? head.rows[0]!.row_hash : genesisHash(chain);
            for (const r of list) {
              seq++;
              const { content, head: lineHead } = prepared.get(r)!;
              const row = rowHash(chain, seq, prev, content);
              lines.push(`${lineHead}\t${seq}\t${copyBytea(prev)}\t${copyBytea(row)}\n`);
              prev = row;
            }
          }

          // 4. One COPY, then COMMIT; the caller acknowledges only after this returns.
          await copyRows(client, `${SCHEMA}.records`, lines);
          await client.query('COMMIT');
          result.inserted = freshCount;
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

  /** Make sure the chain's partition exists. false ⇒ the chain was retired. */
  private async ensureChain(chain: string): Promise<boolean> {
    if (this.knownChains.has(chain)) return true;
    try {
      await this.pool.query(`SELECT ${SCHEMA}.ensure_partition($1::date)`, [`${chain}-01`]);
    } catch (err) {
      if (sqlState(err) === SQLSTATE_CHAIN_RETIRED) return false;
      if (isUnavailable(err)) throw new UnavailableError(`postgres unavailable: ${errorLine(err)}`, err);
      throw err;
    }
    this.knownChains.add(chain);
    return true;
  }
}

/** The hashed content of a row (see chain.ts). */
export function rowContent(r: AuditRecord, receivedIso: string, record: unknown): RowContent {
  return {
    uid: r.uid,
    uid_generated: r.uidGenerated,
    event_name: r.eventName,
    time_unix_nano: r.timeUnixNano,
    action: r.action,
    outcome: r.outcome,
    manager: r.manager,
    entity_id: r.entityId,
    user_id: r.userId,
    tenant_id: r.tenantId,
    trace_id: r.traceId,
    span_id: r.spanId,
    service: r.service,
    received_at: receivedIso,
    record,
  };
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

/** A row in COPY text format up to the chain columns (COPY_COLUMNS without seq, prev_hash, row_hash). */
function copyLineHead(r: AuditRecord, received: string, json: string, content: Buffer): string {
  return [
    nsToTimestamptz(r.timeUnixNano), r.timeUnixNano, copyField(r.uid), r.uidGenerated ? 't' : 'f',
    copyField(r.eventName), copyField(r.action), copyField(r.outcome), copyField(r.manager), copyField(r.entityId),
    copyField(r.userId), copyField(r.tenantId), copyField(r.traceId), copyField(r.spanId), copyField(r.service),
    received, copyField(json), copyBytea(content),
  ].join('\t');
}
