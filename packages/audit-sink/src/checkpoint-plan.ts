/**
 * What the next checkpoint signs, segment by segment, and the checks that nothing an earlier
 * checkpoint signed has changed (checkpoint.ts): a live segment's chains still hold the recorded
 * heads; a retired one was attested before, or its archive at hand recomputes to the retired and
 * the checkpointed heads (otherwise it is listed as retired but unverified).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PoolClient } from 'pg';
import { archiveHeads, readArchive, type ArchiveReport } from './archive';
import { canonicalJson } from './canonical';
import { chainIds, genesisHash } from './chain';
import type { LoadedCheckpoint, ManifestChain, ManifestSegment } from './checkpoint-format';
import { readSegmentStates, streamOf, type SegmentState } from './segment-state';
import { SCHEMA, quoteIdent } from './sql-text';

/** Something an earlier checkpoint signed has changed: no new checkpoint is signed. */
export class CheckpointRefused extends Error {
  override name = 'CheckpointRefused';
}

/** A chain of the new manifest and where its new rows come from. */
export interface Planned {
  entry: ManifestChain;
  segment: SegmentState;
  prevHash: Buffer;
  archive?: ArchiveReport;
}

export interface CheckpointPlan {
  segments: ManifestSegment[];
  /** Sorted by chain id: the order the tree takes their new rows in. */
  chains: Planned[];
  unverified: { segment: string; reason: string }[];
}

/** The state the previous checkpoint signed, to compare with. */
interface Previous {
  chains: Map<string, ManifestChain>;
  segments: Map<string, ManifestSegment>;
  /** "checkpoint N" for messages. */
  against: string;
}

export async function planCheckpoint(
  client: PoolClient,
  latest: LoadedCheckpoint | undefined,
  archiveDir: string | undefined,
  progress: (line: string) => void,
): Promise<CheckpointPlan> {
  const segments = await readSegmentStates(client);
  const prev: Previous = {
    chains: new Map((latest?.manifest.chains ?? []).map((c) => [c.chain, c])),
    segments: new Map((latest?.manifest.segments ?? []).map((s) => [s.segment, s])),
    against: latest ? `checkpoint ${latest.number}` : '',
  };
  for (const s of prev.segments.keys()) {
    if (!segments.has(s)) throw new CheckpointRefused(`segment ${s} of ${prev.against} no longer exists (no chains row, not retired)`);
  }
  const out: CheckpointPlan = { segments: [], chains: [], unverified: [] };
  for (const seg of segments.values()) {
    if (seg.retired) await planRetired(seg, prev, archiveDir, out, progress);
    else await planLive(client, seg, prev, out);
  }
  out.chains.sort((a, b) => (a.entry.chain < b.entry.chain ? -1 : a.entry.chain > b.entry.chain ? 1 : 0));
  return out;
}

async function planLive(client: PoolClient, seg: SegmentState, prev: Previous, out: CheckpointPlan): Promise<void> {
  if (!seg.present) throw new CheckpointRefused(`segment ${seg.segment}: its table ${seg.partition} is missing and it was not retired (run verify)`);
  out.segments.push({ segment: seg.segment, tenant: seg.tenant, streams: seg.streams, status: 'live' });
  for (const chain of chainIds(seg.segment, seg.streams, seg.numbered)) {
    // One index probe per chain, as the sink reads a head (DISTINCT ON would scan every row).
    const h = (await client.query<{ seq: string; row_hash: Buffer }>(
      `SELECT r.seq::text AS seq, r.row_hash FROM ${SCHEMA}.${quoteIdent(seg.partition)} r WHERE r.stream = $1 ORDER BY r.seq DESC LIMIT 1`,
      [streamOf(chain, seg.segment)])).rows[0];
    const p = prev.chains.get(chain);
    if (!h && !p) continue;
    if (!h || BigInt(h.seq) < BigInt(p?.seq ?? 0)) {
      throw new CheckpointRefused(`chain ${chain}: ${prev.against} recorded its head at seq ${p!.seq}; the chain now ends at seq ${h?.seq ?? 0} (rows removed)`);
    }
    await checkPrevHead(client, seg, chain, p, prev.against);
    out.chains.push(plan(chain, seg, h.seq, h.row_hash.toString('hex'), p));
  }
}

async function planRetired(seg: SegmentState, prev: Previous, archiveDir: string | undefined, out: CheckpointPlan, progress: (line: string) => void): Promise<void> {
  const r = seg.retired!;
  const ids = chainIds(seg.segment, seg.streams, seg.numbered);
  const entry: ManifestSegment = {
    segment: seg.segment, tenant: seg.tenant, streams: seg.streams, status: 'retired', rows: r.rows,
    archive_file: r.archiveFile, archive_sha256: r.archiveSha256, heads: r.heads, verified: true,
  };
  // The chains stay at the heads the previous checkpoint signed.
  const keepPrevious = () => {
    for (const chain of ids) {
      const p = prev.chains.get(chain);
      if (p) out.chains.push(plan(chain, seg, p.seq, p.hash, p));
    }
  };
  const prevSeg = prev.segments.get(seg.segment);
  if (prevSeg?.status === 'retired' && prevSeg.verified) {
    if (prevSeg.archive_sha256 !== r.archiveSha256 || canonicalJson(prevSeg.heads) !== canonicalJson(r.heads)) {
      throw new CheckpointRefused(`segment ${seg.segment}: ${prev.against} attested its retirement with archive sha256 ${prevSeg.archive_sha256}; the database now records ${r.archiveSha256}`);
    }
    out.segments.push(entry);
    keepPrevious();
    return;
  }
  const checked = await checkRetirement(seg, ids, prev, archiveDir);
  if ('reason' in checked) {
    out.unverified.push({ segment: seg.segment, reason: checked.reason });
    progress(`segment ${seg.segment} is retired, but its archive could not be checked: ${checked.reason}`);
    out.segments.push({ ...entry, verified: false, reason: checked.reason });
    keepPrevious();
    return;
  }
  out.segments.push(entry);
  for (const chain of ids) {
    const head = r.heads[chain];
    if (head) out.chains.push({ ...plan(chain, seg, head[0], head[1], prev.chains.get(chain)), archive: checked.archive });
  }
}

function plan(chain: string, segment: SegmentState, seq: string, hash: string, prev: ManifestChain | undefined): Planned {
  return {
    entry: { chain, segment: segment.segment, seq, hash, prev_seq: prev?.seq ?? '0', first_leaf: prev?.first_leaf ?? '0' },
    segment,
    prevHash: prev ? Buffer.from(prev.hash, 'hex') : genesisHash(chain),
  };
}

/** The row at the head an earlier checkpoint recorded still has the recorded hash. */
async function checkPrevHead(client: PoolClient, seg: SegmentState, chain: string, prev: ManifestChain | undefined, against: string): Promise<void> {
  if (!prev) return;
  const r = await client.query<{ row_hash: Buffer }>(
    `SELECT row_hash FROM ${SCHEMA}.${quoteIdent(seg.partition)} WHERE stream = $1 AND seq = $2`, [streamOf(chain, seg.segment), prev.seq]);
  const found = r.rows[0]?.row_hash.toString('hex');
  if (found !== prev.hash) {
    throw new CheckpointRefused(`chain ${chain} seq ${prev.seq}: ${against} recorded row hash ${prev.hash}, found ${found ?? 'no row'} (history rewritten)`);
  }
}

/** A segment retired since the last checkpoint: its archive at hand, recomputing to the retired and the checkpointed heads. */
async function checkRetirement(
  seg: SegmentState,
  ids: string[],
  prev: Previous,
  archiveDir: string | undefined,
): Promise<{ archive: ArchiveReport } | { reason: string }> {
  const r = seg.retired!;
  const file = archiveDir ? join(archiveDir, basename(r.archiveFile)) : r.archiveFile;
  if (!file || !existsSync(file)) return { reason: `archive ${file || '(none recorded)'} not found` };
  const archive = await readArchive(file);
  if (archive.problem) return { reason: `archive ${file} does not recompute: ${archive.problem}` };
  if (archive.sha256 !== r.archiveSha256) return { reason: `archive ${file} has sha256 ${archive.sha256}, retain recorded ${r.archiveSha256}` };
  if (archive.rows > 0 && archive.segment !== seg.segment) return { reason: `archive ${file} holds segment ${archive.segment}` };
  const heads = archiveHeads(archive);
  if (canonicalJson(heads) !== canonicalJson(r.heads)) {
    return { reason: `archive ${file} does not end at the retired heads` };
  }
  for (const chain of ids) {
    const p = prev.chains.get(chain);
    if (!p) continue;
    const h = archive.chains.get(chain)?.rowHashes[Number(p.seq) - 1]?.toString('hex');
    if (h !== p.hash) {
      throw new CheckpointRefused(`chain ${chain} seq ${p.seq}: ${prev.against} recorded row hash ${p.hash}; the archive of retired segment ${seg.segment} has ${h ?? 'no row'}`);
    }
  }
  return { archive };
}
