/** What the database says about every segment ever created, live or retired; and reading a chain's rows by range. */
import type { Pool, PoolClient } from 'pg';
import { SCHEMA, quoteIdent } from './sql-text';

export type Queryable = Pick<Pool | PoolClient, 'query'>;

export interface RetiredState {
  rows: string;
  /** Head of every chain of the segment: chain id → [seq, hex row_hash]. */
  heads: Record<string, [string, string]>;
  archiveFile: string;
  archiveSha256: string;
}

export interface SegmentState {
  segment: string;
  partition: string;
  tenant: string | null;
  streams: number;
  numbered: boolean;
  /** Its table exists. */
  present: boolean;
  retired?: RetiredState;
}

export async function readSegmentStates(q: Queryable): Promise<Map<string, SegmentState>> {
  const r = await q.query<{
    chain: string; partition_name: string; tenant_id: string | null; streams: number; numbered: boolean; present: boolean;
    retired: boolean; rows: string | null; heads: Record<string, [string, string]> | null; head_seq: string | null; head_hash: Buffer | null;
    archive_file: string | null; archive_sha256: string | null;
  }>(
    `SELECT c.chain, c.partition_name, c.tenant_id, c.streams, c.numbered,
            to_regclass(format('${SCHEMA}.%I', c.partition_name)) IS NOT NULL AS present,
            r.chain IS NOT NULL AS retired, r.rows::text AS rows, r.heads, r.head_seq::text AS head_seq, r.head_hash,
            r.archive_file, r.archive_sha256
       FROM ${SCHEMA}.chains c LEFT JOIN ${SCHEMA}.retired_chains r ON r.chain = c.chain
      ORDER BY c.chain`,
  );
  const out = new Map<string, SegmentState>();
  for (const row of r.rows) {
    const s: SegmentState = {
      segment: row.chain, partition: row.partition_name, tenant: row.tenant_id, streams: row.streams, numbered: row.numbered, present: row.present,
    };
    if (row.retired) {
      // Segments retired by schema version 1 recorded one head in head_seq/head_hash.
      const heads = row.heads ?? (row.head_seq && row.head_hash ? { [row.chain]: [row.head_seq, row.head_hash.toString('hex')] as [string, string] } : {});
      s.retired = { rows: row.rows ?? '0', heads, archiveFile: row.archive_file ?? '', archiveSha256: row.archive_sha256 ?? '' };
    }
    out.set(s.segment, s);
  }
  return out;
}

export interface ChainRow {
  seq: string;
  prev_hash: Buffer;
  content_hash: Buffer;
  row_hash: Buffer;
}

/**
 * Rows after..upTo (inclusive) of one chain, in seq order, page by page. Pages are contiguous
 * ranges of seq, so the next one is asked for before the current one is handed out: Postgres
 * reads it while the caller hashes (when a row is missing, a page just holds fewer rows).
 */
export async function forEachRow(
  q: Queryable,
  partition: string,
  stream: number,
  after: bigint,
  upTo: bigint,
  onRow: (row: ChainRow) => void,
  pageSize = 10_000,
): Promise<void> {
  const page = (from: bigint) => q.query<ChainRow>(
    `SELECT r.seq::text AS seq, r.prev_hash, r.content_hash, r.row_hash FROM ${SCHEMA}.${quoteIdent(partition)} r
      WHERE r.stream = $1 AND r.seq > $2 AND r.seq <= $3 ORDER BY r.seq`,
    [stream, from.toString(), (from + BigInt(pageSize) < upTo ? from + BigInt(pageSize) : upTo).toString()],
  );
  let from = after;
  let next = from < upTo ? page(from) : undefined;
  while (next) {
    const rows = (await next).rows;
    from += BigInt(pageSize);
    next = from < upTo ? page(from) : undefined;
    try {
      for (const row of rows) onRow(row);
    } catch (err) {
      await next?.catch(() => {}); // do not leave a query's rejection unhandled
      throw err;
    }
  }
}

/** Stream number of a chain id within its segment. */
export function streamOf(chain: string, segment: string): number {
  return chain === segment ? 0 : Number(chain.slice(segment.length + 1));
}
