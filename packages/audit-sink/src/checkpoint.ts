/**
 * `domain-otel-audit checkpoint` (and `serve --checkpoint-every`): sign what the database holds
 * now, as the next checkpoint of a directory (format: checkpoint-format.ts).
 *
 * The tree. One RFC 6962 Merkle tree (merkle.ts) grows over every row of the database, one leaf
 * per row, in checkpoint order: the leaves of checkpoint N are the rows added since checkpoint
 * N − 1 — for every chain, sorted by chain id (as JavaScript compares strings; chain ids are
 * ASCII), the rows prev_seq + 1 … seq in seq order. A checkpoint signs the tree's size and root,
 * so each one is consistent with every earlier one (C2SP tlog-checkpoint requires it).
 *
 * One checkpoint covers every tenant: its signed note names no chain and no tenant; its manifest
 * lists every segment with its tenant. An inclusion proof given to one tenant's auditor shows the
 * note and hashes only.
 *
 * Before signing it checks that nothing it signed before has changed: each chain still holds,
 * at the head the previous checkpoint recorded, the same hash; the rows since link to it and their
 * row hashes recompute (content hashes are verify's job). A segment retired since is attested
 * only when its archive is at hand (where retain wrote it, or in `archiveDir`) and recomputes to
 * the retired heads and to the previous checkpoint's heads; otherwise it is listed as retired but
 * unverified, and the command says so. If anything signed before has changed, it refuses to sign
 * (CheckpointRefused) — a log must not sign a checkpoint inconsistent with an earlier one.
 *
 * The signing key never goes near the database: it is read from a file or an environment variable.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { archiveHeads, readArchive, type ArchiveReport } from './archive';
import { canonicalJson } from './canonical';
import { chainIds, genesisHash, rowHash } from './chain';
import {
  bodyText,
  checkpointFileName,
  listCheckpoints,
  loadCheckpoint,
  manifestBytes,
  sha256Of,
  type LoadedCheckpoint,
  type Manifest,
  type ManifestChain,
  type ManifestSegment,
} from './checkpoint-format';
import { CompactRange } from './merkle';
import { forEachRow, readSegmentStates, streamOf, type SegmentState } from './segment-state';
import { signNote, type SignerKey } from './signed-note';
import { SCHEMA, quoteIdent } from './sql-text';
import { withClient } from './store';

export interface CheckpointOptions {
  dir: string;
  key: SignerKey;
  /** Where to look for the archives of segments retired since the last checkpoint (default: where retain wrote them). */
  archiveDir?: string;
  /** Run with the note's and the manifest's paths as arguments once both are written (`sh -c 'CMD "$@"'`). */
  publishCommand?: string;
  /** Write nothing when no row was added and no segment changed since the last checkpoint. */
  onlyIfChanged?: boolean;
  now?: Date;
  progress?: (line: string) => void;
}

export interface CheckpointResult {
  written: boolean;
  number: number;
  size: string;
  /** Rows added to the tree by this checkpoint. */
  added: number;
  notePath?: string;
  manifestPath?: string;
  /** Retired segments whose archive could not be checked (listed as unverified). */
  unverified: { segment: string; reason: string }[];
}

/** Something an earlier checkpoint signed has changed: no new checkpoint is signed. */
export class CheckpointRefused extends Error {
  override name = 'CheckpointRefused';
}

/** A chain of the new manifest and where its new rows come from. */
interface Planned {
  entry: ManifestChain;
  segment: SegmentState;
  prevHash: Buffer;
  archive?: ArchiveReport;
}

export async function writeCheckpoint(pool: Pool, opts: CheckpointOptions): Promise<CheckpointResult> {
  const progress = opts.progress ?? (() => {});
  mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
  const latest = loadLatest(opts.dir, opts.key);
  return withClient(pool, async (client) => {
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(1096107092, -4) AS ok');
    if (!locked.rows[0]!.ok) throw new Error('another checkpoint is being written right now (advisory lock held)');
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const r = await buildAndWrite(client, opts, latest, progress);
        await client.query('COMMIT');
        return r;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(1096107092, -4)').catch(() => {});
    }
  });
}

/** The latest checkpoint of the directory, checked with our own key; an unfinished write (manifest, no note) is removed. */
function loadLatest(dir: string, key: SignerKey): LoadedCheckpoint | undefined {
  const numbers = listCheckpoints(dir);
  let n = numbers[numbers.length - 1];
  if (n === undefined) return undefined;
  if (!existsSync(join(dir, checkpointFileName(n, 'note')))) {
    unlinkSync(join(dir, checkpointFileName(n, 'json'))); // written before its note, which never came
    n = numbers[numbers.length - 2];
    if (n === undefined) return undefined;
  }
  try {
    return loadCheckpoint(dir, n, key);
  } catch (err) {
    throw new CheckpointRefused(`${(err as Error).message}; not signing a new checkpoint on top of it`);
  }
}

async function buildAndWrite(
  client: PoolClient,
  opts: CheckpointOptions,
  latest: LoadedCheckpoint | undefined,
  progress: (line: string) => void,
): Promise<CheckpointResult> {
  const number = (latest?.number ?? 0) + 1;
  const against = latest ? `checkpoint ${latest.number}` : '';
  const segments = await readSegmentStates(client);
  const prevChains = new Map((latest?.manifest.chains ?? []).map((c) => [c.chain, c]));
  const prevSegments = new Map((latest?.manifest.segments ?? []).map((s) => [s.segment, s]));
  for (const s of prevSegments.keys()) {
    if (!segments.has(s)) throw new CheckpointRefused(`segment ${s} of ${against} no longer exists (no chains row, not retired)`);
  }

  const manifestSegments: ManifestSegment[] = [];
  const planned: Planned[] = [];
  const unverified: { segment: string; reason: string }[] = [];
  for (const seg of segments.values()) {
    const prevSeg = prevSegments.get(seg.segment);
    const ids = chainIds(seg.segment, seg.streams, seg.numbered);
    if (!seg.retired) {
      if (!seg.present) throw new CheckpointRefused(`segment ${seg.segment}: its table ${seg.partition} is missing and it was not retired (run verify)`);
      manifestSegments.push({ segment: seg.segment, tenant: seg.tenant, streams: seg.streams, status: 'live' });
      for (const chain of ids) {
        // One index probe per chain, as the sink reads a head (DISTINCT ON would scan every row).
        const h = (await client.query<{ seq: string; row_hash: Buffer }>(
          `SELECT r.seq::text AS seq, r.row_hash FROM ${SCHEMA}.${quoteIdent(seg.partition)} r WHERE r.stream = $1 ORDER BY r.seq DESC LIMIT 1`,
          [streamOf(chain, seg.segment)])).rows[0];
        const prev = prevChains.get(chain);
        if (!h && !prev) continue;
        if (!h || BigInt(h.seq) < BigInt(prev?.seq ?? 0)) {
          throw new CheckpointRefused(`chain ${chain}: ${against} recorded its head at seq ${prev!.seq}; the chain now ends at seq ${h?.seq ?? 0} (rows removed)`);
        }
        await checkPrevHead(client, seg, chain, prev, against);
        planned.push(plan(chain, seg, h.seq, h.row_hash.toString('hex'), prev));
      }
      continue;
    }
    // Retired.
    const retiredEntry: ManifestSegment = {
      segment: seg.segment, tenant: seg.tenant, streams: seg.streams, status: 'retired', rows: seg.retired.rows,
      archive_file: seg.retired.archiveFile, archive_sha256: seg.retired.archiveSha256, heads: seg.retired.heads, verified: true,
    };
    if (prevSeg?.status === 'retired' && prevSeg.verified) {
      if (prevSeg.archive_sha256 !== seg.retired.archiveSha256 || canonicalJson(prevSeg.heads) !== canonicalJson(seg.retired.heads)) {
        throw new CheckpointRefused(`segment ${seg.segment}: ${against} attested its retirement with archive sha256 ${prevSeg.archive_sha256}; the database now records ${seg.retired.archiveSha256}`);
      }
      manifestSegments.push(retiredEntry);
      for (const chain of ids) {
        const prev = prevChains.get(chain);
        if (prev) planned.push(plan(chain, seg, prev.seq, prev.hash, prev));
      }
      continue;
    }
    const checked = await checkRetirement(seg, ids, prevChains, opts.archiveDir, against);
    if ('reason' in checked) {
      unverified.push({ segment: seg.segment, reason: checked.reason });
      progress(`segment ${seg.segment} is retired, but its archive could not be checked: ${checked.reason}`);
      manifestSegments.push({ ...retiredEntry, verified: false, reason: checked.reason });
      for (const chain of ids) {
        const prev = prevChains.get(chain);
        if (prev) planned.push(plan(chain, seg, prev.seq, prev.hash, prev));
      }
      continue;
    }
    manifestSegments.push(retiredEntry);
    for (const chain of ids) {
      const head = seg.retired.heads[chain];
      const prev = prevChains.get(chain);
      if (head) planned.push({ ...plan(chain, seg, head[0], head[1], prev), archive: checked.archive });
    }
  }

  planned.sort((a, b) => (a.entry.chain < b.entry.chain ? -1 : a.entry.chain > b.entry.chain ? 1 : 0));
  const range = latest
    ? CompactRange.from(Number(latest.body.size), latest.manifest.frontier.map((h) => Buffer.from(h, 'base64')))
    : new CompactRange();
  const prevSize = range.size;
  for (const p of planned) {
    const from = BigInt(p.entry.prev_seq);
    const to = BigInt(p.entry.seq);
    if (to === from) continue;
    p.entry.first_leaf = String(range.size);
    if (p.archive) {
      const hashes = p.archive.chains.get(p.entry.chain)!.rowHashes;
      for (let s = Number(from); s < Number(to); s++) range.appendRow(hashes[s]!);
    } else {
      await appendRows(client, p, from, to, range);
    }
  }
  const added = range.size - prevSize;

  const chains = planned.map((p) => p.entry);
  if (opts.onlyIfChanged && latest && added === 0 && canonicalJson(manifestSegments) === canonicalJson(latest.manifest.segments)) {
    return { written: false, number: latest.number, size: String(range.size), added: 0, unverified };
  }

  let time = (opts.now ?? new Date()).toISOString();
  if (latest && time < latest.body.time) time = latest.body.time; // a clock that went back must not reorder checkpoints
  const manifest: Manifest = {
    v: 1, origin: opts.key.name, checkpoint: number, time, size: String(range.size), prev_size: String(prevSize),
    frontier: range.hashes().map((h) => h.toString('base64')), segments: manifestSegments, chains,
  };
  const mBytes = manifestBytes(manifest);
  const note = signNote(bodyText({
    origin: opts.key.name, size: BigInt(range.size), root: range.root(), number, time,
    prev: latest ? sha256Of(latest.noteBytes) : null, manifest: sha256Of(mBytes),
  }), opts.key);
  const manifestPath = join(opts.dir, checkpointFileName(number, 'json'));
  const notePath = join(opts.dir, checkpointFileName(number, 'note'));
  writeNew(manifestPath, mBytes);
  writeNew(notePath, Buffer.from(note, 'utf8')); // the note last: a checkpoint exists once its note does
  syncDir(opts.dir);
  progress(`checkpoint ${number}: ${range.size} rows (${added} new), root ${range.root().toString('base64')} → ${notePath}`);
  if (opts.publishCommand) await publish(opts.publishCommand, notePath, manifestPath);
  return { written: true, number, size: String(range.size), added, notePath, manifestPath, unverified };
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

/** New rows of a live chain: they link to the previous head and their row hashes recompute. */
async function appendRows(client: PoolClient, p: Planned, from: bigint, to: bigint, range: CompactRange): Promise<void> {
  // seq as a number: a chain would need 2^53 rows to lose precision.
  let expected = Number(from) + 1;
  let prev = p.prevHash;
  const chain = p.entry.chain;
  await forEachRow(client, p.segment.partition, streamOf(chain, p.segment.segment), from, to, (row) => {
    if (Number(row.seq) !== expected) throw new CheckpointRefused(`chain ${chain}: expected seq ${expected}, found seq ${row.seq} (rows missing; run verify)`);
    if (!row.prev_hash.equals(prev) || !rowHash(chain, row.seq, row.prev_hash, row.content_hash).equals(row.row_hash)) {
      throw new CheckpointRefused(`chain ${chain} seq ${row.seq}: the row does not link to the chain (run verify)`);
    }
    range.appendRow(row.row_hash);
    prev = row.row_hash;
    expected++;
  });
  if (expected !== Number(to) + 1) throw new CheckpointRefused(`chain ${chain}: rows ${expected}…${to} vanished while being read`);
}

/** A segment retired since the last checkpoint: its archive at hand, recomputing to the retired and the checkpointed heads. */
async function checkRetirement(
  seg: SegmentState,
  ids: string[],
  prevChains: Map<string, ManifestChain>,
  archiveDir: string | undefined,
  against: string,
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
    const prev = prevChains.get(chain);
    if (!prev) continue;
    const h = archive.chains.get(chain)?.rowHashes[Number(prev.seq) - 1]?.toString('hex');
    if (h !== prev.hash) {
      throw new CheckpointRefused(`chain ${chain} seq ${prev.seq}: ${against} recorded row hash ${prev.hash}; the archive of retired segment ${seg.segment} has ${h ?? 'no row'}`);
    }
  }
  return { archive };
}

function writeNew(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path); // fails if a checkpoint of that number appeared meanwhile
  } catch (err) {
    throw new Error(`${path}: cannot create (${(err as Error).message}); is another checkpoint writer using this directory?`, { cause: err });
  } finally {
    unlinkSync(tmp);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function publish(command: string, notePath: string, manifestPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', `${command} "$@"`, 'sh', notePath, manifestPath], { timeout: 300_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`publish command failed (${err.message.split('\n')[0]}): ${String(stderr).trim().split('\n').slice(-2).join(' ')}`));
      else resolve();
    });
  });
}

/** The checkpoint key: a file's content or an environment variable's value. */
export function readKeyText(file: string): string {
  return readFileSync(file, 'utf8').trim();
}
