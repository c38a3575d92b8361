/**
 * The Merkle tree behind the signed checkpoints: RFC 6962 §2.1 (RFC 9162 §2.1) hashing over
 * the audit rows, one leaf per row, in checkpoint order (see checkpoint.ts).
 *
 *   leaf(row)  = SHA-256(0x00 || "domain-otel-audit/leaf/v1\n" || row_hash)
 *   node(l, r) = SHA-256(0x01 || l || r)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two smaller than n
 *
 * The 0x00 / 0x01 prefixes keep leaves and inner nodes apart (no second preimage by passing a
 * node off as a leaf); the text tag keeps these leaves apart from any other use of row_hash.
 *
 * A tree of size n is carried from one checkpoint to the next as its *compact range*: the roots
 * of the perfect subtrees that n splits into, one per set bit of n, largest first (at most 64
 * hashes). Appending leaves to it and asking for its root costs no more than the new leaves.
 */
import { createHash, hash } from 'node:crypto';

export const LEAF_TAG = 'domain-otel-audit/leaf/v1\n';
const LEAF_PREFIX = Buffer.concat([Buffer.from([0x00]), Buffer.from(LEAF_TAG, 'utf8')]);
const NODE_PREFIX = Buffer.from([0x01]);

export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** The bytes under the RFC 6962 leaf prefix: the tag and the row hash. */
export function leafData(rowHash: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(LEAF_TAG, 'utf8'), rowHash]);
}

// One-shot hashing over a reused input buffer: a checkpoint hashes two or three times per row.
const leafInput = Buffer.alloc(LEAF_PREFIX.length + 32);
LEAF_PREFIX.copy(leafInput);
const nodeInput = Buffer.alloc(65);
NODE_PREFIX.copy(nodeInput);

export function leafHash(rowHash: Uint8Array): Buffer {
  if (rowHash.length !== 32) return createHash('sha256').update(LEAF_PREFIX).update(rowHash).digest();
  leafInput.set(rowHash, LEAF_PREFIX.length);
  return hash('sha256', leafInput, 'buffer');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer');
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Sizes of the perfect subtrees of a tree of `size` leaves, largest first (the set bits of size). */
export function pieceSizes(size: number): number[] {
  const out: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (Math.floor(size / bit) % 2 === 1) out.push(bit);
  }
  return out;
}

export class CompactRange {
  private readonly stack: { hash: Buffer; size: number }[] = [];
  private count = 0;

  /** A compact range as stored in a checkpoint manifest: its size and one hash per set bit of it. */
  static from(size: number, hashes: readonly Buffer[]): CompactRange {
    const sizes = pieceSizes(size);
    if (sizes.length !== hashes.length) {
      throw new Error(`a tree of ${size} leaves has ${sizes.length} perfect subtrees, the frontier lists ${hashes.length}`);
    }
    const r = new CompactRange();
    sizes.forEach((s, i) => r.stack.push({ hash: hashes[i]!, size: s }));
    r.count = size;
    return r;
  }

  get size(): number {
    return this.count;
  }

  appendLeaf(leaf: Buffer): void {
    let node = { hash: leaf, size: 1 };
    while (this.stack.length && this.stack[this.stack.length - 1]!.size === node.size) {
      const left = this.stack.pop()!;
      node = { hash: nodeHash(left.hash, node.hash), size: node.size * 2 };
    }
    this.stack.push(node);
    this.count++;
  }

  appendRow(rowHash: Uint8Array): void {
    this.appendLeaf(leafHash(rowHash));
  }

  /** MTH of the whole tree: the pieces folded right to left. */
  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }

  hashes(): Buffer[] {
    return this.stack.map((p) => p.hash);
  }

  /** The pieces with their leaf ranges: [start, start + size). */
  pieces(): { start: number; size: number; hash: Buffer }[] {
    let start = 0;
    return this.stack.map((p) => {
      const piece = { start, size: p.size, hash: p.hash };
      start += p.size;
      return piece;
    });
  }

  clone(): CompactRange {
    return CompactRange.from(this.count, this.hashes());
  }
}

/** Leaf hashes kept in one growing buffer (a million leaves are 32 MB, not a million objects). */
export class LeafList {
  private buf = Buffer.alloc(32 * 1024);
  length = 0;

  push(leaf: Buffer): void {
    if ((this.length + 1) * 32 > this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger);
      this.buf = bigger;
    }
    leaf.copy(this.buf, this.length * 32);
    this.length++;
  }

  at(i: number): Buffer {
    return this.buf.subarray(i * 32, i * 32 + 32);
  }
}

/**
 * Hashes of subtrees of a tree whose first `base.size` leaves are known only through their compact
 * range and whose following leaves are given: enough for the inclusion proof of any of the given
 * leaves (their left siblings are pieces of the compact range or mix pieces and given leaves).
 */
export class BatchTree {
  private readonly pieces = new Map<string, Buffer>();

  constructor(
    private readonly base: CompactRange,
    private readonly leaves: LeafList,
  ) {
    for (const p of base.pieces()) this.pieces.set(`${p.start}:${p.start + p.size}`, p.hash);
  }

  get size(): number {
    return this.base.size + this.leaves.length;
  }

  /** MTH(D[lo:hi]). */
  hash(lo: number, hi: number): Buffer {
    if (lo >= this.base.size) return this.ofLeaves(lo - this.base.size, hi - this.base.size);
    const known = this.pieces.get(`${lo}:${hi}`);
    if (known) return known;
    if (hi - lo === 1 || (hi <= this.base.size && !this.coversPieces(lo, hi))) {
      throw new Error(`subtree [${lo}, ${hi}) lies inside a subtree of the previous checkpoint's tree; only their roots are known`);
    }
    const k = split(hi - lo);
    return nodeHash(this.hash(lo, lo + k), this.hash(lo + k, hi));
  }

  /** MTH of given leaves [lo, hi) (indexes into `leaves`). */
  private ofLeaves(lo: number, hi: number): Buffer {
    if (hi - lo === 1) return this.leaves.at(lo);
    const k = split(hi - lo);
    return nodeHash(this.ofLeaves(lo, lo + k), this.ofLeaves(lo + k, hi));
  }

  root(): Buffer {
    return this.size === 0 ? EMPTY_ROOT : this.hash(0, this.size);
  }

  /** RFC 6962 §2.1.1 PATH(index, D[0:size]), deepest sibling first. */
  inclusionPath(index: number): Buffer[] {
    if (index < this.base.size || index >= this.size) throw new Error(`leaf ${index} is not one of this batch's leaves`);
    const path: Buffer[] = [];
    const walk = (lo: number, hi: number): void => {
      if (hi - lo === 1) return;
      const k = split(hi - lo);
      if (index < lo + k) {
        walk(lo, lo + k);
        path.push(this.hash(lo + k, hi));
      } else {
        walk(lo + k, hi);
        path.push(this.hash(lo, lo + k));
      }
    };
    walk(0, this.size);
    return path;
  }

  private coversPieces(lo: number, hi: number): boolean {
    return this.base.pieces().some((p) => p.start >= lo && p.start + p.size <= hi);
  }
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or undefined when the path cannot
 * belong to a leaf `index` of a tree of `size` leaves (too short, too long, index out of range).
 */
export function rootFromInclusionPath(index: bigint, size: bigint, leaf: Buffer, path: readonly Buffer[]): Buffer | undefined {
  if (index < 0n || index >= size) return undefined;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : undefined;
}
