/**
 * The two files of a checkpoint, `checkpoint-NNNNNNNN.note` and `checkpoint-NNNNNNNN.json`.
 *
 * The note is a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint) signed as a C2SP signed note:
 *
 *   <origin>                       the signing key's name, e.g. audit.example.com/prod
 *   <tree size>                    rows in the Merkle tree so far (decimal, no leading zeros)
 *   <root hash>                    base64 of the RFC 6962 root over those rows (merkle.ts)
 *   checkpoint <number>            1, 2, 3, … without gaps
 *   time <ISO-8601 UTC>            when it was written
 *   prev <base64 SHA-256 | ->      of the previous checkpoint's .note file, byte for byte ("-" for number 1)
 *   manifest <base64 SHA-256>      of this checkpoint's .json file, byte for byte
 *
 * The last four lines are tlog-checkpoint extension lines: witnesses that only know the format
 * read origin, size and root, and ignore them. The note names no chain and no tenant; the
 * manifest does (every segment, every non-empty chain's head, the compact range of the tree),
 * bound to the signature through its hash, and stays with the operator.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical';
import { openNote, type VerifierKey } from './signed-note';

export interface ManifestChain {
  chain: string;
  segment: string;
  /** Head at this checkpoint (decimal). */
  seq: string;
  /** hex row_hash of the head. */
  hash: string;
  /** Head at the previous checkpoint ("0": none); rows prev_seq+1 … seq are this checkpoint's leaves. */
  prev_seq: string;
  /** Index of the leaf of row prev_seq+1 (meaningful when seq > prev_seq). */
  first_leaf: string;
}

export interface ManifestSegment {
  segment: string;
  tenant: string | null;
  streams: number;
  status: 'live' | 'retired';
  /** Retired segments: what retain recorded, and whether the checkpoint could check it against the archive. */
  rows?: string;
  archive_file?: string;
  archive_sha256?: string;
  heads?: Record<string, [string, string]>;
  verified?: boolean;
  reason?: string;
}

export interface Manifest {
  v: 1;
  origin: string;
  checkpoint: number;
  time: string;
  size: string;
  prev_size: string;
  /** base64 roots of the perfect subtrees of the tree of `size` leaves, largest first. */
  frontier: string[];
  segments: ManifestSegment[];
  /** Every non-empty chain, sorted by chain id (the order of the leaves). */
  chains: ManifestChain[];
}

export interface CheckpointBody {
  origin: string;
  size: bigint;
  root: Buffer;
  number: number;
  time: string;
  /** null for checkpoint 1. */
  prev: Buffer | null;
  manifest: Buffer;
}

export interface LoadedCheckpoint {
  number: number;
  notePath: string;
  manifestPath: string;
  noteBytes: Buffer;
  body: CheckpointBody;
  manifest: Manifest;
  manifestBytes: Buffer;
}

export function b64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

export function sha256Of(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

export function checkpointFileName(n: number, ext: 'note' | 'json'): string {
  return `checkpoint-${String(n).padStart(8, '0')}.${ext}`;
}

export function manifestBytes(m: Manifest): Buffer {
  return Buffer.from(canonicalJson(m) + '\n', 'utf8');
}

export function bodyText(b: CheckpointBody): string {
  return [
    b.origin,
    b.size.toString(),
    b64(b.root),
    `checkpoint ${b.number}`,
    `time ${b.time}`,
    `prev ${b.prev ? b64(b.prev) : '-'}`,
    `manifest ${b64(b.manifest)}`,
  ].join('\n') + '\n';
}

const B64_HASH = /^[A-Za-z0-9+/]{43}=$/;

export function parseBody(text: string): CheckpointBody {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length !== 7) throw new Error(`expected 7 lines of checkpoint text, found ${lines.length}`);
  const [origin, size, root, number, time, prev, manifest] = lines as [string, string, string, string, string, string, string];
  const fail = (what: string, line: string) => new Error(`malformed checkpoint: ${what} line ${JSON.stringify(line.slice(0, 60))}`);
  if (origin === '') throw fail('origin', origin);
  if (!/^(0|[1-9]\d*)$/.test(size)) throw fail('tree size', size);
  if (!B64_HASH.test(root)) throw fail('root hash', root);
  const n = /^checkpoint ([1-9]\d*)$/.exec(number);
  if (!n) throw fail('checkpoint number', number);
  const t = /^time (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/.exec(time);
  if (!t) throw fail('time', time);
  const p = /^prev (-|[A-Za-z0-9+/]{43}=)$/.exec(prev);
  if (!p) throw fail('prev', prev);
  const m = /^manifest ([A-Za-z0-9+/]{43}=)$/.exec(manifest);
  if (!m) throw fail('manifest', manifest);
  return {
    origin,
    size: BigInt(size),
    root: Buffer.from(root, 'base64'),
    number: Number(n[1]),
    time: t[1]!,
    prev: p[1] === '-' ? null : Buffer.from(p[1]!, 'base64'),
    manifest: Buffer.from(m[1]!, 'base64'),
  };
}

/** Checkpoint numbers present in a directory (either file), sorted. */
export function listCheckpoints(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
  const numbers = new Set<number>();
  for (const f of names) {
    const m = /^checkpoint-(\d{8,})\.(note|json)$/.exec(f);
    if (m) numbers.add(Number(m[1]));
  }
  return [...numbers].sort((a, b) => a - b);
}

/**
 * Reads checkpoint `n` and checks it on its own: its signature by `key`, its text, its manifest
 * against the hash in the text. Throws an Error whose message names what is wrong.
 */
export function loadCheckpoint(dir: string, n: number, key: VerifierKey): LoadedCheckpoint {
  const notePath = join(dir, checkpointFileName(n, 'note'));
  const manifestPath = join(dir, checkpointFileName(n, 'json'));
  let noteBytes: Buffer;
  let mBytes: Buffer;
  try {
    noteBytes = readFileSync(notePath);
  } catch {
    throw new Error(`checkpoint ${n}: ${notePath} is missing`);
  }
  try {
    mBytes = readFileSync(manifestPath);
  } catch {
    throw new Error(`checkpoint ${n}: ${manifestPath} is missing`);
  }
  let body: CheckpointBody;
  try {
    body = parseBody(openNote(noteBytes.toString('utf8'), key));
  } catch (err) {
    throw new Error(`checkpoint ${n}: ${(err as Error).message}`, { cause: err });
  }
  if (body.number !== n) throw new Error(`checkpoint ${n}: the signed text says checkpoint ${body.number} (file renamed or reordered)`);
  if (body.origin !== key.name) throw new Error(`checkpoint ${n}: origin ${body.origin} is not the key's name ${key.name}`);
  if (!sha256Of(mBytes).equals(body.manifest)) throw new Error(`checkpoint ${n}: ${manifestPath} does not match the hash in the signed checkpoint (manifest altered)`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(mBytes.toString('utf8')) as Manifest;
  } catch {
    throw new Error(`checkpoint ${n}: ${manifestPath} is not JSON`);
  }
  if (manifest.checkpoint !== n || manifest.size !== body.size.toString() || manifest.origin !== body.origin || manifest.time !== body.time) {
    throw new Error(`checkpoint ${n}: the manifest does not describe this checkpoint`);
  }
  return { number: n, notePath, manifestPath, noteBytes, body, manifest, manifestBytes: mBytes };
}
