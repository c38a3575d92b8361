/**
 * `domain-otel-audit verify`: recompute every chain and report the first broken link.
 *
 * For each chain of each segment (leaf partition) rows are read in seq order and checked:
 *   - seq is 1, 2, 3, … without gaps            (a row deleted or inserted out of band)
 *   - prev_hash = row_hash of the previous row (genesis hash for seq 1)
 *   - content_hash = hash of the row's content   (a column or the record altered)
 *   - row_hash = hash(chain, seq, prev_hash, content_hash)
 *   - time = ns_to_timestamptz(time_unix_nano)  (the derived time column altered)
 * and every segment ever created is either present or recorded as retired, and holds no row
 * outside its chains.
 * Truncating the newest rows of a chain, or rewriting it with every hash recomputed, cannot be
 * seen from inside the database: compare with heads kept elsewhere (`--expect-head`), archives
 * (`--archive`) and signed checkpoints (`--checkpoints`): verify-extra.ts.
 */
import type { Pool } from 'pg';
import { chainIds, contentHash, genesisHash, monthOf, rowHash } from './chain';
import { readSegmentStates } from './segment-state';
import type { VerifierKey } from './signed-note';
import { ExtraChecks } from './verify-extra';
import { SCHEMA } from './store';
import { quoteIdent } from './sql-text';
import type { ExtractedColumns } from './columns';

export interface ChainReport {
  chain: string;
  /** The segment (leaf partition) the chain lives in. */
  segment: string;
  status: 'ok' | 'broken';
  rows: number;
  headSeq: string;
  /** hex row_hash of the last row ('' for an empty chain). */
  headHash: string;
}

export interface SegmentReport {
  segment: string;
  tenantId: string | null;
  status: 'ok' | 'broken' | 'missing' | 'retired';
  rows: number;
  /** Chains in the segment. */
  streams: number;
}

export interface Problem {
  /** A chain id, or a segment id for problems of the whole segment. */
  chain: string;
  seq?: string;
  uid?: string;
  kind: 'content' | 'row_hash' | 'link' | 'gap' | 'time' | 'missing_partition' | 'head' | 'stray' | 'archive' | 'checkpoint';
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  rows: number;
  segments: SegmentReport[];
  /** Every chain of every present segment. */
  chains: ChainReport[];
  /** First problem of each broken chain or segment, in order. */
  problems: Problem[];
  /** What was checked besides the chains (archives, checkpoints) and what could not be. */
  notes: string[];
  /** Checkpoints verified (with `checkpoints`). */
  checkpoints?: number;
}

export interface VerifyOptions {
  /**
   * Only these: 'YYYY-MM' (every segment of the month), a segment id ('YYYY-MM/<tenant>'),
   * or a chain id ('<segment>#N').
   */
  chains?: string[];
  /**
   * Expected heads chain id → { seq, hash hex }: the row at seq (an integer, leading zeros allowed)
   * must still have that hash (rows removed from the end, history rewritten); see verify-extra.ts.
   */
  expectHeads?: Map<string, { seq: string; hash: string }>;
  /** Archives (retain's NDJSON files) to recompute and compare with the retired heads. */
  archives?: string[];
  /** Signed checkpoints to compare the database with (checkpoint-verify.ts). */
  checkpoints?: { dir: string; key: VerifierKey };
  pageSize?: number;
  progress?: (line: string) => void;
}

interface VerifyRow extends ExtractedColumns {
  seq: string;
  uid_generated: boolean;
  received_at: Date;
  record: unknown;
  content_hash: Buffer;
  prev_hash: Buffer;
  row_hash: Buffer;
  time_ok: boolean;
}

interface SegmentRow {
  chain: string;
  partition_name: string;
  tenant_id: string | null;
  streams: number;
  numbered: boolean;
  present: boolean;
  retired: boolean;
}

/** Which segments and chains `opts.chains` selects (all without it). */
type Wanted = (segment: string, chain?: string) => boolean;

interface ChainRun {
  pageSize: number;
  progress: (line: string) => void;
  extra: ExtraChecks;
}

export async function verify(pool: Pool, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, rows: 0, segments: [], chains: [], problems: [], notes: [] };
  const run: ChainRun = { pageSize: opts.pageSize ?? 2000, progress: opts.progress ?? (() => {}), extra: await ExtraChecks.prepare(opts) };
  const { segments, unregistered } = await readSegments(pool);
  const wanted: Wanted = (segment, chain) =>
    !opts.chains || opts.chains.some((c) => c === segment || c === monthOf(segment) || (chain !== undefined && c === chain));

  for (const seg of [...segments.values()].sort((a, b) => (a.chain < b.chain ? -1 : 1))) {
    const ids = chainIds(seg.chain, seg.streams, seg.numbered);
    if (!wanted(seg.chain) && !ids.some((c) => wanted(seg.chain, c))) continue;
    await verifySegment(pool, seg, ids, wanted, run, report);
  }
  for (const name of opts.chains ? [] : unregistered) {
    report.problems.push({ chain: name, kind: 'stray', message: `partition ${name} is attached but is not a registered segment` });
  }
  if (opts.expectHeads || opts.archives || opts.checkpoints) {
    const r = await run.extra.finish(pool, { segments: await readSegmentStates(pool), chains: report.chains, wanted, filtered: Boolean(opts.chains) });
    report.problems.push(...r.problems);
    report.notes.push(...r.notes);
    if (r.checkpoints !== undefined) report.checkpoints = r.checkpoints;
    for (const p of r.problems) {
      const sr = report.segments.find((x) => p.chain === x.segment || p.chain.startsWith(`${x.segment}#`));
      if (sr && sr.status === 'ok') sr.status = 'broken';
    }
  }
  report.ok = report.problems.length === 0;
  return report;
}

/** Every segment ever created, and the leaf partitions attached without being registered (should not happen: reported). */
async function readSegments(pool: Pool): Promise<{ segments: Map<string, SegmentRow>; unregistered: string[] }> {
  const known = await pool.query<SegmentRow>(
    `SELECT c.chain, c.partition_name, c.tenant_id, c.streams, c.numbered,
            to_regclass(format('${SCHEMA}.%I', c.partition_name)) IS NOT NULL AS present,
            EXISTS (SELECT 1 FROM ${SCHEMA}.retired_chains r WHERE r.chain = c.chain) AS retired
       FROM ${SCHEMA}.chains c`,
  );
  const leaves = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_partition_tree('${SCHEMA}.records') t
       JOIN pg_class c ON c.oid = t.relid
      WHERE t.isleaf ORDER BY 1`,
  );
  const registered = new Set(known.rows.map((r) => r.partition_name));
  return {
    segments: new Map(known.rows.map((r) => [r.chain, r])),
    unregistered: leaves.rows.map((l) => l.name).filter((n) => !registered.has(n)),
  };
}

/** One segment: retired, missing, or each wanted chain recomputed and no row outside its chains. */
async function verifySegment(pool: Pool, seg: SegmentRow, ids: string[], wanted: Wanted, run: ChainRun, report: VerifyReport): Promise<void> {
  const sr: SegmentReport = { segment: seg.chain, tenantId: seg.tenant_id, status: 'ok', rows: 0, streams: seg.streams };
  report.segments.push(sr);
  if (seg.retired) {
    sr.status = 'retired';
    return;
  }
  if (!seg.present) {
    sr.status = 'missing';
    report.problems.push({ chain: seg.chain, kind: 'missing_partition', message: `partition ${seg.partition_name} is missing and was not retired` });
    return;
  }
  for (let stream = 0; stream < seg.streams; stream++) {
    const chain = ids[stream]!;
    if (!wanted(seg.chain, chain)) continue;
    const cr: ChainReport = { chain, segment: seg.chain, status: 'ok', rows: 0, headSeq: '0', headHash: '' };
    report.chains.push(cr);
    const problem = await verifyChain(pool, chain, seg.partition_name, stream, cr, run.pageSize, run.progress, run.extra.observer(chain));
    sr.rows += cr.rows;
    report.rows += cr.rows;
    if (problem) {
      cr.status = 'broken';
      sr.status = 'broken';
      report.problems.push(problem);
    }
  }
  // Rows whose stream is not one of the segment's chains belong to no chain: nothing vouches for them.
  const stray = await pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${SCHEMA}.${quoteIdent(seg.partition_name)} WHERE stream < 0 OR stream >= $1`,
    [seg.streams],
  );
  if (stray.rows[0]!.n !== '0') {
    sr.status = 'broken';
    report.problems.push({
      chain: seg.chain,
      kind: 'stray',
      message: `${stray.rows[0]!.n} row(s) belong to none of the segment's ${seg.streams} chain(s)`,
    });
  }
}

async function verifyChain(
  pool: Pool,
  chain: string,
  partition: string,
  stream: number,
  cr: ChainReport,
  pageSize: number,
  progress: (line: string) => void,
  observe?: (seq: string, rowHash: Buffer) => void,
  untilSeq?: string,
): Promise<Problem | undefined> {
  let prev: Buffer = genesisHash(chain);
  let expectedSeq = 1n;
  let lastSeq = '0';
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const page = await pool.query<VerifyRow>(
      `SELECT seq::text AS seq, uid, uid_generated, event_name, time_unix_nano::text AS time_unix_nano,
              action, outcome, manager, entity_id, user_id, tenant_id, trace_id, span_id, service,
              received_at, record, content_hash, prev_hash, row_hash,
              time = ${SCHEMA}.ns_to_timestamptz(time_unix_nano) AS time_ok
         FROM ${SCHEMA}.${quoteIdent(partition)} AS r
        -- r.seq, not seq: a bare name in ORDER BY means the output column, which is seq::text
        -- (1, 10, 11, …, 2), and a chain of 10+ rows would look broken.
        WHERE r.stream = $3 AND r.seq > $1${untilSeq !== undefined ? ' AND r.seq <= $4' : ''} ORDER BY r.seq LIMIT $2`,
      untilSeq !== undefined ? [lastSeq, pageSize, stream, untilSeq] : [lastSeq, pageSize, stream],
    );
    for (const row of page.rows) {
      const at = { chain, seq: row.seq, uid: row.uid };
      if (BigInt(row.seq) !== expectedSeq) {
        return { ...at, kind: 'gap', message: `expected seq ${expectedSeq}, found seq ${row.seq}: row(s) missing from the chain` };
      }
      if (!row.prev_hash.equals(prev)) {
        return { ...at, kind: 'link', message: `prev_hash does not match the row_hash of seq ${expectedSeq - 1n} (previous row altered or replaced)` };
      }
      const content = contentHash({
        uid: row.uid,
        uid_generated: row.uid_generated,
        event_name: row.event_name,
        time_unix_nano: row.time_unix_nano,
        action: row.action,
        outcome: row.outcome,
        manager: row.manager,
        entity_id: row.entity_id,
        user_id: row.user_id,
        tenant_id: row.tenant_id,
        trace_id: row.trace_id,
        span_id: row.span_id,
        service: row.service,
        received_at: row.received_at.toISOString(),
        record: row.record,
      });
      if (!content.equals(row.content_hash)) {
        return { ...at, kind: 'content', message: 'content does not match content_hash (row altered)' };
      }
      const expectedRow = rowHash(chain, row.seq, row.prev_hash, row.content_hash);
      if (!expectedRow.equals(row.row_hash)) {
        return { ...at, kind: 'row_hash', message: 'row_hash does not match (hash columns altered)' };
      }
      if (!row.time_ok) {
        return { ...at, kind: 'time', message: 'time column does not match time_unix_nano (row altered)' };
      }
      observe?.(row.seq, row.row_hash);
      prev = row.row_hash;
      expectedSeq++;
      lastSeq = row.seq;
      cr.rows++;
      cr.headSeq = row.seq;
      cr.headHash = row.row_hash.toString('hex');
    }
    if (Date.now() - lastReport > 2000) {
      lastReport = Date.now();
      progress(`verify: chain ${chain}: ${cr.rows} rows checked`);
    }
    if (page.rows.length < pageSize) break;
  }
  return undefined;
}

/**
 * Recomputes one chain from its genesis hash up to and including seq `untilSeq` (the viewer's
 * "verified up to this record"): the same checks as verify, on a prefix of the chain.
 */
export async function verifyChainPrefix(
  pool: Pool,
  target: { chain: string; segment: string; partition: string; stream: number; untilSeq: string },
): Promise<{ chain: ChainReport; problem?: Problem }> {
  const cr: ChainReport = { chain: target.chain, segment: target.segment, status: 'ok', rows: 0, headSeq: '0', headHash: '' };
  const problem = await verifyChain(pool, target.chain, target.partition, target.stream, cr, 2000, () => {}, undefined, target.untilSeq);
  if (problem) cr.status = 'broken';
  return problem ? { chain: cr, problem } : { chain: cr };
}
