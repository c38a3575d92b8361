/**
 * `domain-otel-audit retain`: archive whole monthly partitions, then drop them.
 *
 * For every chain whose month ended before now - olderThan:
 *   1. BEGIN; take the chain's advisory lock (no sink can append to it meanwhile);
 *   2. verify the chain (refuse to archive a broken one);
 *   3. write every row, in seq order, hashes included, to DIR/audit-YYYY-MM.ndjson
 *      (written to a .tmp file, fsynced, renamed) and its sha256 to audit-YYYY-MM.ndjson.sha256;
 *   4. record it in retired_chains (rows, head, file, sha256), DETACH and DROP the partition,
 *      forget its uids; COMMIT.
 * Rows are never deleted one by one; a retired month can no longer receive records.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { chainLockKey, contentHash, genesisHash, rowHash } from './chain';
import { nanosToIso } from './query';
import { SCHEMA, withClient } from './store';
import { quoteIdent } from './migrate';

export interface RetainOptions {
  olderThanMs: number;
  archiveDir: string;
  dryRun?: boolean;
  now?: Date;
  progress?: (line: string) => void;
}

export interface RetainResult {
  retired: { chain: string; rows: number; file?: string; sha256?: string }[];
}

export async function retain(pool: Pool, opts: RetainOptions): Promise<RetainResult> {
  const progress = opts.progress ?? (() => {});
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.olderThanMs);
  const result: RetainResult = { retired: [] };
  const due = await pool.query<{ chain: string; partition_name: string }>(
    `SELECT c.chain, c.partition_name FROM ${SCHEMA}.chains c
      WHERE c.range_end <= $1
        AND NOT EXISTS (SELECT 1 FROM ${SCHEMA}.retired_chains r WHERE r.chain = c.chain)
        AND to_regclass(format('${SCHEMA}.%I', c.partition_name)) IS NOT NULL
      ORDER BY c.chain`,
    [cutoff.toISOString()],
  );
  if (due.rows.length > 0 && !opts.dryRun) mkdirSync(opts.archiveDir, { recursive: true });
  for (const { chain, partition_name: part } of due.rows) {
    if (opts.dryRun) {
      const n = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${SCHEMA}.${quoteIdent(part)}`);
      result.retired.push({ chain, rows: Number(n.rows[0]!.n) });
      continue;
    }
    progress(`archiving chain ${chain}`);
    result.retired.push(await retireChain(pool, chain, part, opts.archiveDir, progress));
  }
  return result;
}

async function retireChain(
  pool: Pool,
  chain: string,
  part: string,
  dir: string,
  progress: (line: string) => void,
): Promise<{ chain: string; rows: number; file: string; sha256: string }> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const [k1, k2] = chainLockKey(chain);
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
      const file = resolve(join(dir, `audit-${chain}.ndjson`));
      const { rows, headSeq, headHash, sha256 } = await archiveChain(client, chain, part, file, progress);
      await client.query(
        `INSERT INTO ${SCHEMA}.retired_chains (chain, rows, head_seq, head_hash, archive_file, archive_sha256)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [chain, rows, headSeq, headHash, file, sha256],
      );
      await client.query(`ALTER TABLE ${SCHEMA}.records DETACH PARTITION ${SCHEMA}.${quoteIdent(part)}`);
      await client.query(`DROP TABLE ${SCHEMA}.${quoteIdent(part)}`);
      await client.query(`DELETE FROM ${SCHEMA}.record_uids WHERE chain = $1`, [chain]);
      await client.query('COMMIT');
      progress(`retired chain ${chain}: ${rows} rows → ${file}`);
      return { chain, rows, file, sha256 };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

async function archiveChain(
  client: PoolClient,
  chain: string,
  part: string,
  file: string,
  progress: (line: string) => void,
): Promise<{ rows: number; headSeq: string; headHash: Buffer | null; sha256: string }> {
  const tmp = file + '.tmp';
  const fd = openSync(tmp, 'w', 0o640);
  const hash = createHash('sha256');
  let rows = 0;
  let lastSeq = '0';
  let prev: Buffer = genesisHash(chain);
  let headHash: Buffer | null = null;
  try {
    for (;;) {
      const page = await client.query(
        `SELECT seq::text AS seq, time_unix_nano::text AS time_unix_nano, uid, uid_generated, event_name, action, outcome,
                manager, entity_id, user_id, tenant_id, trace_id, span_id, service, received_at, record,
                content_hash, prev_hash, row_hash
           FROM ${SCHEMA}.${quoteIdent(part)} WHERE seq > $1 ORDER BY seq LIMIT 5000`,
        [lastSeq],
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
        headHash = r.row_hash;
        lastSeq = r.seq;
        lines.push(
          JSON.stringify({
            chain,
            seq: r.seq,
            time: nanosToIso(r.time_unix_nano),
            time_unix_nano: r.time_unix_nano,
            uid: r.uid,
            uid_generated: r.uid_generated,
            event_name: r.event_name,
            action: r.action,
            outcome: r.outcome,
            manager: r.manager,
            entity_id: r.entity_id,
            user_id: r.user_id,
            tenant_id: r.tenant_id,
            trace_id: r.trace_id,
            span_id: r.span_id,
            service: r.service,
            received_at: receivedAt,
            record: r.record,
            content_hash: (r.content_hash as Buffer).toString('hex'),
            prev_hash: (r.prev_hash as Buffer).toString('hex'),
            row_hash: (r.row_hash as Buffer).toString('hex'),
          }) + '\n',
        );
      }
      if (lines.length) {
        const buf = Buffer.from(lines.join(''));
        hash.update(buf);
        writeSync(fd, buf);
        rows += lines.length;
      }
      if (page.rows.length < 5000) break;
      progress(`chain ${chain}: ${rows} rows archived`);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  renameSync(tmp, file);
  const sumFd = openSync(file + '.sha256', 'w', 0o640);
  writeSync(sumFd, `${sha256}  audit-${chain}.ndjson\n`);
  fsyncSync(sumFd);
  closeSync(sumFd);
  const dirFd = openSync(resolve(file, '..'), 'r');
  fsyncSync(dirFd);
  closeSync(dirFd);
  return { rows, headSeq: lastSeq, headHash, sha256 };
}
