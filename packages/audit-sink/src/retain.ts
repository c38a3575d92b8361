/**
 * `domain-otel-audit retain`: archive whole segments (leaf partitions), then drop them.
 *
 * For every shared segment (or, with `tenants`, every segment of those tenants) whose month
 * ended before now - olderThan:
 *   1. BEGIN; take the advisory lock of each of its chains (no sink can append meanwhile);
 *   2. verify every chain (refuse to archive a broken one);
 *   3. write every row, chain by chain in seq order, hashes included, to
 *      DIR/audit-YYYY-MM[.tenant-ID].ndjson (written to a .tmp file, fsynced, renamed) and its
 *      sha256 next to it;
 *   4. record it in retired_chains (rows, heads, file, sha256), DETACH and DROP the leaf (and
 *      the month, once its last segment is gone), forget its uids; COMMIT.
 * Rows are never deleted one by one; a retired segment can no longer receive records.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { chainIds, chainLockKey, contentHash, genesisHash, rowHash } from './chain';
import { eventColumns } from './columns';
import { nanosToIso } from './query';
import { SCHEMA, withClient } from './store';
import { quoteIdent } from './sql-text';

export interface RetainOptions {
  olderThanMs: number;
  archiveDir: string;
  /** Retire these tenants' own segments instead of the shared ones. */
  tenants?: string[];
  dryRun?: boolean;
  now?: Date;
  progress?: (line: string) => void;
}

export interface RetainResult {
  retired: { chain: string; rows: number; file?: string; sha256?: string }[];
}

interface DueSegment {
  chain: string;
  partition_name: string;
  streams: number;
  numbered: boolean;
}

export async function retain(pool: Pool, opts: RetainOptions): Promise<RetainResult> {
  const progress = opts.progress ?? (() => {});
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.olderThanMs);
  const result: RetainResult = { retired: [] };
  const tenants = opts.tenants ?? null;
  if (tenants) {
    const known = await pool.query<{ tenant_id: string }>(
      `SELECT tenant_id FROM ${SCHEMA}.tenant_partitions WHERE tenant_id = ANY($1::text[])`, [tenants]);
    const missing = tenants.filter((t) => !known.rows.some((r) => r.tenant_id === t));
    if (missing.length) {
      throw new Error(`tenant ${JSON.stringify(missing[0])} has no segments of its own; its records are retired with the shared ` +
        `segments (give it its own with migrate --tenant)`);
    }
  }
  const due = await pool.query<DueSegment>(
    `SELECT c.chain, c.partition_name, c.streams, c.numbered FROM ${SCHEMA}.chains c
      WHERE c.range_end <= $1
        AND CASE WHEN $2::text[] IS NULL THEN c.tenant_id IS NULL ELSE c.tenant_id = ANY($2::text[]) END
        AND NOT EXISTS (SELECT 1 FROM ${SCHEMA}.retired_chains r WHERE r.chain = c.chain)
        AND to_regclass(format('${SCHEMA}.%I', c.partition_name)) IS NOT NULL
      ORDER BY c.chain`,
    [cutoff.toISOString(), tenants],
  );
  if (due.rows.length > 0 && !opts.dryRun) mkdirSync(opts.archiveDir, { recursive: true });
  for (const seg of due.rows) {
    if (opts.dryRun) {
      const n = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${SCHEMA}.${quoteIdent(seg.partition_name)}`);
      result.retired.push({ chain: seg.chain, rows: Number(n.rows[0]!.n) });
      continue;
    }
    progress(`archiving segment ${seg.chain}`);
    result.retired.push(await retireSegment(pool, seg, opts.archiveDir, progress));
  }
  return result;
}

/** Archive file of a segment: audit-2025-11.ndjson, audit-2025-11.tenant-acme.ndjson. */
export function archiveFileName(segment: string): string {
  const slash = segment.indexOf('/');
  return slash < 0 ? `audit-${segment}.ndjson` : `audit-${segment.slice(0, slash)}.tenant-${segment.slice(slash + 1)}.ndjson`;
}

async function retireSegment(
  pool: Pool,
  seg: DueSegment,
  dir: string,
  progress: (line: string) => void,
): Promise<{ chain: string; rows: number; file: string; sha256: string }> {
  const chains = chainIds(seg.chain, seg.streams, seg.numbered);
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      // retain's own session setting: the DDL guard lets this transaction detach and drop the
      // segment it records as retired (and nothing else).
      await client.query(`SET LOCAL domain_otel_audit.retain = 'on'`);
      // Every chain of the segment, in one order: no sink can append to any of them meanwhile.
      for (const [k1, k2] of chains.map(chainLockKey).sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
      }
      const file = resolve(join(dir, archiveFileName(seg.chain)));
      const { rows, heads, sha256 } = await archiveSegment(client, seg, chains, file, progress);
      const legacyHead = seg.numbered ? undefined : heads[seg.chain];
      await client.query(
        `INSERT INTO ${SCHEMA}.retired_chains (chain, rows, head_seq, head_hash, heads, archive_file, archive_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [seg.chain, rows, legacyHead?.[0] ?? null, legacyHead?.[1] ? Buffer.from(legacyHead[1], 'hex') : null,
          JSON.stringify(heads), file, sha256],
      );
      const leaf = `${SCHEMA}.${quoteIdent(seg.partition_name)}`;
      const month = seg.numbered ? `${SCHEMA}.${quoteIdent('records_' + seg.chain.slice(0, 7).replace('-', '_'))}` : undefined;
      await client.query(`ALTER TABLE ${month ?? `${SCHEMA}.records`} DETACH PARTITION ${leaf}`);
      await client.query(`DROP TABLE ${leaf}`);
      await client.query(`DELETE FROM ${SCHEMA}.record_uids WHERE chain = $1`, [seg.chain]);
      if (month) {
        // The month's last segment gone: the month itself goes too.
        const left = await client.query(`SELECT 1 FROM pg_inherits WHERE inhparent = $1::regclass LIMIT 1`, [month]);
        if (left.rowCount === 0) {
          await client.query(`ALTER TABLE ${SCHEMA}.records DETACH PARTITION ${month}`);
          await client.query(`DROP TABLE ${month}`);
        }
      }
      await client.query('COMMIT');
      progress(`retired segment ${seg.chain}: ${rows} rows → ${file}`);
      return { chain: seg.chain, rows, file, sha256 };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

/** An archive being written: its temporary file, the running sha256, the rows and each chain's head so far. */
interface ArchiveWriter {
  fd: number;
  hash: Hash;
  rows: number;
  heads: Record<string, [string, string]>;
}

const PAGE_ROWS = 5000;

async function archiveSegment(
  client: PoolClient,
  seg: DueSegment,
  chains: string[],
  file: string,
  progress: (line: string) => void,
): Promise<{ rows: number; heads: Record<string, [string, string]>; sha256: string }> {
  const tmp = file + '.tmp';
  const out: ArchiveWriter = { fd: openSync(tmp, 'w', 0o640), hash: createHash('sha256'), rows: 0, heads: {} };
  try {
    for (let stream = 0; stream < chains.length; stream++) await archiveChain(client, seg, stream, chains[stream]!, out, progress);
    // Rows outside the segment's chains are vouched for by nothing: refuse, as verify does.
    const stray = await client.query(
      `SELECT 1 FROM ${SCHEMA}.${quoteIdent(seg.partition_name)} WHERE stream < 0 OR stream >= $1 LIMIT 1`, [chains.length]);
    if (stray.rowCount) throw new Error(`segment ${seg.chain} holds rows outside its chains; not archiving it (run verify)`);
    fsyncSync(out.fd);
  } finally {
    closeSync(out.fd);
  }
  const sha256 = out.hash.digest('hex');
  renameSync(tmp, file);
  const sumFd = openSync(file + '.sha256', 'w', 0o640);
  writeSync(sumFd, `${sha256}  ${basename(file)}\n`);
  fsyncSync(sumFd);
  closeSync(sumFd);
  const dirFd = openSync(resolve(file, '..'), 'r');
  fsyncSync(dirFd);
  closeSync(dirFd);
  return { rows: out.rows, heads: out.heads, sha256 };
}

/** One chain's rows in seq order, page by page, each checked (a chain that does not verify is not archived) and written as a line. */
async function archiveChain(
  client: PoolClient,
  seg: DueSegment,
  stream: number,
  chain: string,
  out: ArchiveWriter,
  progress: (line: string) => void,
): Promise<void> {
  let lastSeq = '0';
  let prev: Buffer = genesisHash(chain);
  for (;;) {
    const page = await client.query(
      `SELECT seq::text AS seq, time_unix_nano::text AS time_unix_nano, uid, uid_generated, event_name, action, outcome,
              manager, entity_id, user_id, tenant_id, trace_id, span_id, service, received_at, record,
              content_hash, prev_hash, row_hash
         FROM ${SCHEMA}.${quoteIdent(seg.partition_name)} r WHERE r.stream = $2 AND r.seq > $1 ORDER BY r.seq LIMIT ${PAGE_ROWS}`,
      [lastSeq, stream],
    );
    const lines: string[] = [];
    for (const r of page.rows) {
      const receivedAt = (r.received_at as Date).toISOString();
      // Refuse to archive (and drop) a chain that does not verify.
      const content = contentHash({ ...r, received_at: receivedAt });
      if (BigInt(r.seq) !== BigInt(lastSeq) + 1n || !prev.equals(r.prev_hash) || !content.equals(r.content_hash) ||
          !rowHash(chain, r.seq, r.prev_hash, r.content_hash).equals(r.row_hash)) {
        throw new Error(`chain ${chain} does not verify at seq ${r.seq}; not archiving it (run verify)`);
      }
      prev = r.row_hash;
      lastSeq = r.seq;
      out.heads[chain] = [r.seq, (r.row_hash as Buffer).toString('hex')];
      lines.push(archiveLine(chain, seg.chain, stream, r, receivedAt));
    }
    if (lines.length) {
      const buf = Buffer.from(lines.join(''));
      out.hash.update(buf);
      writeSync(out.fd, buf);
      out.rows += lines.length;
    }
    if (page.rows.length < PAGE_ROWS) break;
    progress(`segment ${seg.chain}: ${out.rows} rows archived`);
  }
}

/** One row as an archive line (archive.ts reads it back): the row with its chain position and hashes, in this key order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a pg result row: columns checked by the SELECT in archiveChain
function archiveLine(chain: string, segment: string, stream: number, r: any, receivedAt: string): string {
  return JSON.stringify({
    chain,
    segment,
    stream,
    seq: r.seq,
    time: nanosToIso(r.time_unix_nano),
    time_unix_nano: r.time_unix_nano,
    uid: r.uid,
    uid_generated: r.uid_generated,
    ...eventColumns(r),
    trace_id: r.trace_id,
    span_id: r.span_id,
    service: r.service,
    received_at: receivedAt,
    record: r.record,
    content_hash: (r.content_hash as Buffer).toString('hex'),
    prev_hash: (r.prev_hash as Buffer).toString('hex'),
    row_hash: (r.row_hash as Buffer).toString('hex'),
  }) + '\n';
}
