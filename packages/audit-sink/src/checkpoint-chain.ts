/**
 * Reading a directory of checkpoints as one chain: 1, 2, 3, … with none missing, each signed by
 * the given key, each naming the previous one's hash, time never going back, each manifest
 * consistent with its note and with the previous manifest (heads only move forward, the leaves
 * of each checkpoint are exactly the rows added since the previous one, the compact range hashes
 * to the signed root).
 */
import { CompactRange } from './merkle';
import { listCheckpoints, loadCheckpoint, sha256Of, type LoadedCheckpoint } from './checkpoint-format';
import type { VerifierKey } from './signed-note';

export interface CheckpointChain {
  checkpoints: LoadedCheckpoint[];
  /** The first thing wrong with the chain of checkpoints; the ones before it are usable. */
  problem?: string;
}

export function loadCheckpointChain(dir: string, key: VerifierKey): CheckpointChain {
  const numbers = listCheckpoints(dir);
  const out: CheckpointChain = { checkpoints: [] };
  if (numbers.length === 0) {
    out.problem = `no checkpoints in ${dir}`;
    return out;
  }
  for (let i = 0; i < numbers.length; i++) {
    const n = i + 1;
    if (numbers[i] !== n) {
      out.problem = `checkpoint ${n} is missing from ${dir} (found ${i ? `${numbers[i - 1]} and ` : ''}${numbers[i]})`;
      return out;
    }
    let cp: LoadedCheckpoint;
    try {
      cp = loadCheckpoint(dir, n, key);
    } catch (err) {
      out.problem = (err as Error).message;
      return out;
    }
    const prev = out.checkpoints[i - 1];
    const problem = linkProblem(prev, cp);
    if (problem) {
      out.problem = `checkpoint ${n}: ${problem}`;
      return out;
    }
    out.checkpoints.push(cp);
  }
  return out;
}

/** What is wrong between a checkpoint and the one before it (undefined: nothing). */
export function linkProblem(prev: LoadedCheckpoint | undefined, cp: LoadedCheckpoint): string | undefined {
  const m = cp.manifest;
  if (prev) {
    if (!cp.body.prev || !cp.body.prev.equals(sha256Of(prev.noteBytes))) {
      return `its prev hash does not match checkpoint ${prev.number}'s file (a checkpoint was replaced, or files reordered)`;
    }
    if (cp.body.time < prev.body.time) return `its time ${cp.body.time} is before checkpoint ${prev.number}'s ${prev.body.time}`;
    if (cp.body.size < prev.body.size) return `its tree size ${cp.body.size} is smaller than checkpoint ${prev.number}'s ${prev.body.size}`;
  } else if (cp.body.prev) {
    return 'it names a previous checkpoint, but it is the first one';
  }
  const prevSize = prev ? prev.body.size : 0n;
  if (m.prev_size !== prevSize.toString()) return `its manifest says the previous tree had ${m.prev_size} leaves, not ${prevSize}`;
  let range: CompactRange;
  try {
    range = CompactRange.from(Number(cp.body.size), m.frontier.map((h) => Buffer.from(h, 'base64')));
  } catch (err) {
    return `its manifest's frontier is malformed (${(err as Error).message})`;
  }
  if (!range.root().equals(cp.body.root)) return "its manifest's frontier does not hash to the signed root";
  const prevChains = new Map((prev?.manifest.chains ?? []).map((c) => [c.chain, c]));
  let next = prevSize;
  let last = '';
  for (const c of m.chains) {
    if (c.chain <= last) return `its manifest lists the chains out of order (${c.chain} after ${last})`;
    last = c.chain;
    const before = prevChains.get(c.chain);
    if (c.prev_seq !== (before ? before.seq : '0')) return `chain ${c.chain}: its manifest says the previous head was seq ${c.prev_seq}, checkpoint ${prev?.number ?? 0} says ${before?.seq ?? 0}`;
    const added = BigInt(c.seq) - BigInt(c.prev_seq);
    if (added < 0n) return `chain ${c.chain}: its head went back from seq ${c.prev_seq} to ${c.seq}`;
    if (added === 0n && before && before.hash !== c.hash) return `chain ${c.chain}: same head seq ${c.seq} as checkpoint ${prev!.number}, different hash`;
    if (added > 0n) {
      if (c.first_leaf !== next.toString()) return `chain ${c.chain}: its first leaf is ${c.first_leaf}, expected ${next}`;
      next += added;
    }
  }
  const listed = new Set(m.chains.map((x) => x.chain));
  for (const c of prevChains.keys()) {
    if (!listed.has(c)) return `chain ${c} of checkpoint ${prev!.number} is no longer listed`;
  }
  if (next !== cp.body.size) return `its manifest accounts for ${next} leaves, the tree has ${cp.body.size}`;
  return undefined;
}
