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
 * Before signing it checks (checkpoint-plan.ts) that nothing it signed before has changed: each chain still holds,
 * at the head the previous checkpoint recorded, the same hash; the rows since link to it and their
 * row hashes recompute (content hashes are verify's job). A segment retired since is attested
 * only when its archive is at hand (where retain wrote it, or in `archiveDir`) and recomputes to
 * the retired heads and to the previous checkpoint's heads; otherwise it is listed as retired but
 * unverified, and the command says so. If anything signed before has changed, it refuses to sign
 * (CheckpointRefused) — a log must not sign a checkpoint inconsistent with an earlier one.
 *
 * The signing key never goes near the database: it is read from a file or an environment variable.
 */
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { canonicalJson } from './canonical';
import { rowHash } from './chain';
import { publish, syncDir, writeNew } from './checkpoint-files';
import {
  bodyText,
  checkpointFileName,
  listCheckpoints,
  loadCheckpoint,
  manifestBytes,
  sha256Of,
  type LoadedCheckpoint,
  type Manifest,
} from './checkpoint-format';
import { CheckpointRefused, planCheckpoint, type Planned } from './checkpoint-plan';
import { CompactRange } from './merkle';
import { forEachRow, streamOf } from './segment-state';
import { signNote, type SignerKey } from './signed-note';
import { withClient } from './store';

export { CheckpointRefused };

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
  const planned = await planCheckpoint(client, latest, opts.archiveDir, progress);
  const range = latest
    ? CompactRange.from(Number(latest.body.size), latest.manifest.frontier.map((h) => Buffer.from(h, 'base64')))
    : new CompactRange();
  const prevSize = range.size;
  for (const p of planned.chains) await appendNewRows(client, p, range);
  const added = range.size - prevSize;
  const { unverified } = planned;
  if (opts.onlyIfChanged && latest && added === 0 && canonicalJson(planned.segments) === canonicalJson(latest.manifest.segments)) {
    return { written: false, number: latest.number, size: String(range.size), added: 0, unverified };
  }

  let time = (opts.now ?? new Date()).toISOString();
  if (latest && time < latest.body.time) time = latest.body.time; // a clock that went back must not reorder checkpoints
  const manifest: Manifest = {
    v: 1, origin: opts.key.name, checkpoint: number, time, size: String(range.size), prev_size: String(prevSize),
    frontier: range.hashes().map((h) => h.toString('base64')), segments: planned.segments, chains: planned.chains.map((p) => p.entry),
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

/** A chain's rows since the previous checkpoint into the tree: from its archive (retired) or the database (live). */
async function appendNewRows(client: PoolClient, p: Planned, range: CompactRange): Promise<void> {
  const from = BigInt(p.entry.prev_seq);
  const to = BigInt(p.entry.seq);
  if (to === from) return;
  p.entry.first_leaf = String(range.size);
  if (p.archive) {
    const hashes = p.archive.chains.get(p.entry.chain)!.rowHashes;
    for (let s = Number(from); s < Number(to); s++) range.appendRow(hashes[s]!);
  } else {
    await appendRows(client, p, from, to, range);
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

