/**
 * The checks of `verify` that compare the database with something kept outside it:
 *
 *   --expect-head CHAIN:SEQ:HASH  the row at SEQ (an integer) still has HASH, whatever the chain's
 *                                 current head; for a retired chain: the retired head agrees and the
 *                                 archive (given, or found where retain wrote it) has HASH at SEQ;
 *   --archive FILE                the archive recomputes, has the sha256 and the heads recorded at
 *                                 retirement;
 *   --checkpoints DIR             checkpoint-verify.ts.
 *
 * verify.ts reads every chain once and tells `observe` the row hash at each seq asked for here.
 */
import { existsSync } from 'node:fs';
import type { Pool } from 'pg';
import { archiveHeads, readArchive, type ArchiveReport } from './archive';
import { chainIds } from './chain';
import { checkCheckpoints } from './checkpoint-verify';
import { loadCheckpointChain, type CheckpointChain } from './checkpoint-chain';
import type { SegmentState } from './segment-state';
import type { VerifierKey } from './signed-note';
import type { ChainReport, Problem } from './verify';

export interface ExtraOptions {
  /** chain id → expected head; seq as written (leading zeros allowed). */
  expectHeads?: Map<string, { seq: string; hash: string }>;
  archives?: string[];
  checkpoints?: { dir: string; key: VerifierKey };
}

export interface ExtraResult {
  problems: Problem[];
  /** Informational lines (archives checked, roots not recomputed, …). */
  notes: string[];
  checkpoints?: number;
}

export class ExtraChecks {
  private readonly wantedSeqs = new Map<string, Set<string>>();
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly archives = new Map<string, ArchiveReport>();
  private readonly archiveProblems: Problem[] = [];
  private readonly notes: string[] = [];

  private constructor(
    private readonly opts: ExtraOptions,
    private readonly cpChain: CheckpointChain | undefined,
  ) {}

  static async prepare(opts: ExtraOptions): Promise<ExtraChecks> {
    const cpChain = opts.checkpoints ? loadCheckpointChain(opts.checkpoints.dir, opts.checkpoints.key) : undefined;
    const x = new ExtraChecks(opts, cpChain);
    for (const [chain, h] of opts.expectHeads ?? []) x.want(chain, BigInt(h.seq).toString());
    for (const cp of cpChain?.checkpoints ?? []) for (const c of cp.manifest.chains) x.want(c.chain, c.seq);
    for (const file of opts.archives ?? []) {
      const a = await readArchive(file);
      if (a.problem) {
        x.archiveProblems.push({ chain: a.segment || file, kind: 'archive', message: `archive ${file} does not recompute: ${a.problem}` });
        continue;
      }
      x.archives.set(a.segment, a);
    }
    return x;
  }

  private want(chain: string, seq: string): void {
    let s = this.wantedSeqs.get(chain);
    if (!s) this.wantedSeqs.set(chain, (s = new Set()));
    s.add(seq);
  }

  /** What verify.ts calls for every row of `chain` it checks (undefined: nothing to note). */
  observer(chain: string): ((seq: string, rowHash: Buffer) => void) | undefined {
    const wanted = this.wantedSeqs.get(chain);
    if (!wanted) return undefined;
    const seen = new Map<string, string>();
    this.seen.set(chain, seen);
    return (seq, rowHash) => {
      if (wanted.has(seq)) seen.set(seq, rowHash.toString('hex'));
    };
  }

  hashAt(chain: string, seq: string): string | undefined {
    return this.seen.get(chain)?.get(seq);
  }

  /** The archive of a retired segment: given with --archive, or found where retain wrote it (and matching its recorded sha256). */
  async archiveOf(seg: SegmentState): Promise<ArchiveReport | undefined> {
    const given = this.archives.get(seg.segment);
    if (given || !seg.retired) return given;
    const file = seg.retired.archiveFile;
    if (!file || !existsSync(file)) return undefined;
    const a = await readArchive(file);
    if (a.problem || a.segment !== seg.segment || a.sha256 !== seg.retired.archiveSha256) {
      this.notes.push(`archive ${file} found where retain wrote it, but it is not the archive recorded for segment ${seg.segment}`);
      return undefined;
    }
    this.archives.set(seg.segment, a);
    return a;
  }

  async finish(
    pool: Pool,
    ctx: { segments: Map<string, SegmentState>; chains: ChainReport[]; wanted: (segment: string, chain?: string) => boolean; filtered: boolean },
  ): Promise<ExtraResult> {
    const problems: Problem[] = [...this.archiveProblems];
    problems.push(...this.checkGivenArchives(ctx.segments));
    problems.push(...(await this.checkExpectedHeads(ctx.segments, ctx.chains)));
    let checkpoints: number | undefined;
    if (this.cpChain) {
      const r = await checkCheckpoints(pool, this.cpChain, {
        segments: ctx.segments,
        chains: ctx.chains,
        wanted: ctx.wanted,
        filtered: ctx.filtered,
        hashAt: (chain, seq) => this.hashAt(chain, seq),
        archiveOf: (seg) => this.archiveOf(seg),
      });
      problems.push(...r.problems);
      this.notes.push(...r.notes);
      checkpoints = r.verified;
    }
    return { problems, notes: this.notes, ...(checkpoints !== undefined ? { checkpoints } : {}) };
  }

  private checkGivenArchives(segments: Map<string, SegmentState>): Problem[] {
    const problems: Problem[] = [];
    for (const a of this.archives.values()) {
      const p = this.givenArchiveProblem(a, segments.get(a.segment));
      if (p) problems.push(p);
      else this.notes.push(`archive ${a.file}: ok, segment ${a.segment}, ${a.rows} rows, recomputes to the retired heads`);
    }
    return problems;
  }

  private givenArchiveProblem(a: ArchiveReport, seg: SegmentState | undefined): Problem | undefined {
    const at = { chain: a.segment, kind: 'archive' as const };
    if (!seg?.retired) return { ...at, message: `archive ${a.file} holds segment ${a.segment}, which the database does not record as retired` };
    if (a.sha256 !== seg.retired.archiveSha256) {
      return { ...at, message: `archive ${a.file} has sha256 ${a.sha256}, the database recorded ${seg.retired.archiveSha256} at retirement` };
    }
    const heads = archiveHeads(a);
    for (const chain of new Set([...Object.keys(heads), ...Object.keys(seg.retired.heads)])) {
      const f = heads[chain];
      const r = seg.retired.heads[chain];
      if (f?.[0] !== r?.[0] || f?.[1] !== r?.[1]) {
        return { ...at, chain, message: `archive ${a.file}: chain ${chain} ends at ${f ? `seq ${f[0]} hash ${f[1]}` : 'no row'}, the retired head is ${r ? `seq ${r[0]} hash ${r[1]}` : 'none'}` };
      }
    }
    return undefined;
  }

  private async checkExpectedHeads(segments: Map<string, SegmentState>, chains: ChainReport[]): Promise<Problem[]> {
    const problems: Problem[] = [];
    const reports = new Map(chains.map((c) => [c.chain, c]));
    const owner = new Map<string, SegmentState>();
    for (const s of segments.values()) for (const c of chainIds(s.segment, s.streams, s.numbered)) owner.set(c, s);
    for (const [chain, exp] of this.opts.expectHeads ?? []) {
      const seq = BigInt(exp.seq).toString();
      const hash = exp.hash.toLowerCase();
      const expected = `expected head seq ${seq} hash ${hash}`;
      const seg = owner.get(chain);
      if (!seg) {
        problems.push({ chain, kind: 'missing_partition', message: `chain ${chain} has an expected head but does not exist` });
        continue;
      }
      if (seg.retired) {
        const p = await this.retiredHeadProblem(seg, chain, seq, hash);
        if (p) problems.push({ chain, seq, kind: 'head', message: p });
        continue;
      }
      const cr = reports.get(chain);
      if (!cr || cr.status === 'broken') continue; // not checked (filtered out, missing) or already reported
      if (BigInt(seq) > BigInt(cr.headSeq)) {
        // No seq on purpose: the chain is short, no row of it is wrong.
        problems.push({ chain, kind: 'head', message: `${expected}, found seq ${cr.headSeq} hash ${cr.headHash || '(empty)'} (rows removed from its end)` });
        continue;
      }
      const found = this.hashAt(chain, seq);
      if (found !== hash) {
        problems.push({ chain, seq, kind: 'head', message: `${expected}, but the row at seq ${seq} has hash ${found} (history rewritten at or before seq ${seq})` });
      }
    }
    for (const p of problems) {
      const cr = reports.get(p.chain);
      if (cr) cr.status = 'broken';
    }
    return problems;
  }

  private async retiredHeadProblem(seg: SegmentState, chain: string, seq: string, hash: string): Promise<string | undefined> {
    const expected = `expected head seq ${seq} hash ${hash}`;
    const head = seg.retired!.heads[chain];
    if (!head) return `${expected}, but the retired segment ${seg.segment} records no head for this chain`;
    if (BigInt(head[0]) < BigInt(seq)) return `${expected}, but the retired segment ${seg.segment} ends this chain at seq ${head[0]}`;
    if (head[0] === seq && head[1] !== hash) return `${expected}, but the retired head is seq ${head[0]} hash ${head[1]}`;
    const archive = await this.archiveOf(seg);
    if (!archive) {
      return `segment ${seg.segment} is retired, but its archive ${seg.retired!.archiveFile || '(none recorded)'} is not at hand to confirm the expected head (pass --archive FILE)`;
    }
    const found = archive.chains.get(chain)?.rowHashes[Number(seq) - 1]?.toString('hex');
    if (found !== hash) return `${expected}, but the archive ${archive.file} has ${found ? `hash ${found}` : 'no row'} at seq ${seq}`;
    return undefined;
  }
}
