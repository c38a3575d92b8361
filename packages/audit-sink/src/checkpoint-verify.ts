/**
 * `verify --checkpoints DIR --pubkey KEY`: the database against every checkpoint signed so far.
 *
 *   1. the checkpoints themselves (checkpoint-chain.ts): signatures, none missing or reordered;
 *   2. per checkpoint, per chain it lists, in order: the row at the checkpointed head seq still has
 *      the checkpointed hash — or its segment is retired with that head, attested by a later
 *      checkpoint or confirmed by its archive; the first difference is reported per chain, naming
 *      the checkpoint, the chain, the seq, what was expected and what was found;
 *   3. per checkpoint (full runs only): the rows it added still hash, with the previous
 *      checkpoint's compact range, to its signed Merkle root.
 */
import type { Pool } from 'pg';
import type { ArchiveReport } from './archive';
import { canonicalJson } from './canonical';
import type { CheckpointChain } from './checkpoint-chain';
import type { LoadedCheckpoint, ManifestChain, ManifestSegment } from './checkpoint-format';
import { CompactRange, leafHash } from './merkle';
import { forEachRow, streamOf, type SegmentState } from './segment-state';
import type { ChainReport, Problem } from './verify';

export interface CheckpointContext {
  segments: Map<string, SegmentState>;
  chains: ChainReport[];
  wanted: (segment: string, chain?: string) => boolean;
  filtered: boolean;
  hashAt: (chain: string, seq: string) => string | undefined;
  archiveOf: (seg: SegmentState) => Promise<ArchiveReport | undefined>;
}

export async function checkCheckpoints(
  pool: Pool,
  cpChain: CheckpointChain,
  ctx: CheckpointContext,
): Promise<{ problems: Problem[]; notes: string[]; verified: number }> {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const cps = cpChain.checkpoints;
  const reports = new Map(ctx.chains.map((c) => [c.chain, c]));
  const diverged = new Set<string>();
  const label = (cp: LoadedCheckpoint) => `checkpoint ${cp.number} (${cp.body.time})`;

  for (const cp of cps) {
    for (const seg of cp.manifest.segments) {
      if (!ctx.wanted(seg.segment) || seg.status !== 'retired' || diverged.has(seg.segment)) continue;
      const p = attestedRetirementProblem(seg, ctx.segments.get(seg.segment));
      if (p) {
        diverged.add(seg.segment);
        problems.push({ chain: seg.segment, kind: 'checkpoint', message: `${label(cp)}: ${p}` });
      }
    }
    for (const c of cp.manifest.chains) {
      if (!ctx.wanted(c.segment, c.chain) || diverged.has(c.chain) || diverged.has(c.segment)) continue;
      if (reports.get(c.chain)?.status === 'broken') continue; // the chain's own problem is reported already
      const found = await headFound(c, ctx, cps);
      if (found !== undefined) {
        diverged.add(c.chain);
        problems.push({ chain: c.chain, seq: c.seq, kind: 'checkpoint', message: `${label(cp)}: expected row hash ${c.hash}, found ${found}` });
      }
    }
  }

  if (!ctx.filtered) {
    let prev: LoadedCheckpoint | undefined;
    for (const cp of cps) {
      const r = await recomputeRoot(pool, cp, prev, ctx);
      if (r.unavailable) notes.push(`${label(cp)}: Merkle root not recomputed: rows of retired segment ${r.unavailable} are not at hand (pass --archive)`);
      else if (!r.root!.equals(cp.body.root)) {
        problems.push({
          chain: `checkpoint ${cp.number}`,
          kind: 'checkpoint',
          message: `${label(cp)}: Merkle root ${cp.body.root.toString('base64')} does not match the rows it covers (they hash to ${r.root!.toString('base64')})`,
        });
      }
      prev = cp;
    }
  }
  if (cpChain.problem) problems.push({ chain: 'checkpoints', kind: 'checkpoint', message: cpChain.problem });
  return { problems, notes, verified: cps.length };
}

/** A retirement a checkpoint attested must still be in the database as it was. */
function attestedRetirementProblem(m: ManifestSegment, db: SegmentState | undefined): string | undefined {
  if (!m.verified) return undefined; // not attested: the heads of its chains are checked instead
  if (!db) return `segment ${m.segment} was retired with archive sha256 ${m.archive_sha256}; found no segment ${m.segment} (not registered)`;
  if (!db.retired) return `segment ${m.segment} was retired with archive sha256 ${m.archive_sha256}; found it live again`;
  if (db.retired.archiveSha256 !== m.archive_sha256) {
    return `segment ${m.segment} was retired with archive sha256 ${m.archive_sha256}; found ${db.retired.archiveSha256}`;
  }
  if (canonicalJson(db.retired.heads) !== canonicalJson(m.heads ?? {})) {
    return `segment ${m.segment} was retired with heads ${canonicalJson(m.heads ?? {})}; found ${canonicalJson(db.retired.heads)}`;
  }
  return undefined;
}

/** What the database has where the checkpoint recorded chain c at seq c.seq; undefined when it agrees. */
async function headFound(c: ManifestChain, ctx: CheckpointContext, cps: LoadedCheckpoint[]): Promise<string | undefined> {
  const seg = ctx.segments.get(c.segment);
  if (!seg) return `no segment ${c.segment} (not registered, not retired)`;
  if (seg.retired) {
    const archive = await ctx.archiveOf(seg);
    if (archive) {
      const h = archive.chains.get(c.chain)?.rowHashes[Number(c.seq) - 1]?.toString('hex');
      if (h === undefined) return `no row in the archive ${archive.file} (its chain ends at seq ${archive.chains.get(c.chain)?.rowHashes.length ?? 0})`;
      return h === c.hash ? undefined : `${h} in the archive ${archive.file} (history rewritten at or before seq ${c.seq})`;
    }
    const attestation = cps.map((cp) => cp.manifest.segments.find((s) => s.segment === c.segment && s.status === 'retired'))
      .filter((s): s is ManifestSegment => s !== undefined);
    const attested = attestation.find((s) => s.verified && s.archive_sha256 === seg.retired!.archiveSha256);
    if (!attested) {
      const unverified = attestation.find((s) => !s.verified);
      return unverified
        ? `segment ${c.segment} retired, but no checkpoint could check its archive (${unverified.reason ?? 'not at hand'}) and no archive at hand (${seg.retired.archiveFile}): pass --archive FILE`
        : `segment ${c.segment} retired after the last checkpoint and no archive at hand (${seg.retired.archiveFile}): pass --archive FILE`;
    }
    const head = seg.retired.heads[c.chain];
    if (!head || BigInt(head[0]) < BigInt(c.seq)) return `retired head ${head ? `seq ${head[0]}` : 'none'} (rows removed before retirement)`;
    if (head[0] === c.seq && head[1] !== c.hash) return `retired head hash ${head[1]}`;
    return undefined;
  }
  if (!seg.present) return `no table ${seg.partition} (segment ${c.segment} dropped without retirement)`;
  const h = ctx.hashAt(c.chain, c.seq);
  if (h === undefined) {
    const cr = ctx.chains.find((x) => x.chain === c.chain);
    return `no row (the chain ends at seq ${cr?.headSeq ?? 0}: rows removed from its end)`;
  }
  return h === c.hash ? undefined : `${h} (history rewritten at or before seq ${c.seq})`;
}

/** The root the rows of checkpoint `cp`'s batch hash to, from the database or the archives. */
async function recomputeRoot(
  pool: Pool,
  cp: LoadedCheckpoint,
  prev: LoadedCheckpoint | undefined,
  ctx: CheckpointContext,
): Promise<{ root?: Buffer; unavailable?: string }> {
  const range = prev
    ? CompactRange.from(Number(prev.body.size), prev.manifest.frontier.map((h) => Buffer.from(h, 'base64')))
    : new CompactRange();
  for (const c of cp.manifest.chains) {
    const from = BigInt(c.prev_seq);
    const to = BigInt(c.seq);
    if (to === from) continue;
    const seg = ctx.segments.get(c.segment);
    if (seg?.retired) {
      const archive = await ctx.archiveOf(seg);
      if (!archive) return { unavailable: c.segment };
      const hashes = archive.chains.get(c.chain)?.rowHashes ?? [];
      for (let s = Number(from); s < Number(to) && s < hashes.length; s++) range.appendRow(hashes[s]!);
      continue;
    }
    if (!seg?.present) continue; // gone: the root cannot match, and the head check says why
    await forEachRow(pool, seg.partition, streamOf(c.chain, c.segment), from, to, (row) => range.appendLeaf(leafHash(row.row_hash)));
  }
  return { root: range.root() };
}
