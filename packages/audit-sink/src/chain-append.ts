/**
 * Appending rows to a chain of a segment, inside the caller's transaction: lock a chain no one
 * else is appending to, read its head (last seq and row_hash, stable while the lock is held), link
 * the rows (row hashes over the content hashes prepare.ts computed before) and COPY them into the
 * segment's leaf (copy-rows.ts).
 */
import type { PoolClient } from 'pg';
import { chainIds, chainLockKey, genesisHash, rowHash } from './chain';
import { copyBytea, copyRows } from './copy-rows';
import type { PreparedRecord } from './prepare';
import type { Segment } from './segments';
import { SCHEMA, quoteIdent } from './sql-text';
import type { StoreObserver } from './telemetry/observer';

/** Appends `rows` to a free chain of `segment`; the lock is held until the transaction ends. */
export async function appendToSegment(client: PoolClient, segment: Segment, rows: readonly PreparedRecord[], observer?: StoreObserver): Promise<void> {
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
