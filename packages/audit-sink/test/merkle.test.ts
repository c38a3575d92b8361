/**
 * The checkpoint tree against a naive RFC 6962 implementation written from the RFC's recursive
 * definitions: roots, compact ranges carried across checkpoints, inclusion paths from a batch
 * whose earlier leaves are known only through the previous checkpoint's compact range.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BatchTree, CompactRange, EMPTY_ROOT, LeafList, leafHash, nodeHash, rootFromInclusionPath } from '../src/merkle';

const H = (...parts: (Buffer | number[])[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(Buffer.isBuffer(p) ? p : Buffer.from(p));
  return h.digest();
};

/** MTH(D[n]) straight from RFC 6962 §2.1. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return H([]);
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return H([0x01], mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** PATH(m, D[n]) straight from RFC 6962 §2.1.1. */
function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

const rowHashes = Array.from({ length: 70 }, (_, i) => H(Buffer.from(`row ${i}`)));
const leaves = rowHashes.map(leafHash);

describe('audit-sink Merkle tree (RFC 6962)', () => {
  it('hashes leaves and nodes with the RFC 6962 prefixes and the domain-otel-audit leaf tag', () => {
    assert.deepEqual(leafHash(rowHashes[0]!), H([0x00], Buffer.from('domain-otel-audit/leaf/v1\n'), rowHashes[0]!));
    assert.deepEqual(nodeHash(leaves[0]!, leaves[1]!), H([0x01], leaves[0]!, leaves[1]!));
    assert.equal(EMPTY_ROOT.toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('a compact range grown leaf by leaf has the root of MTH at every size, with one hash per set bit of the size', () => {
    const r = new CompactRange();
    assert.deepEqual(r.root(), EMPTY_ROOT);
    for (let n = 1; n <= leaves.length; n++) {
      r.appendLeaf(leaves[n - 1]!);
      assert.deepEqual(r.root(), mth(leaves.slice(0, n)), `size ${n}`);
      assert.equal(r.hashes().length, n.toString(2).replace(/0/g, '').length);
      assert.deepEqual(CompactRange.from(n, r.hashes()).root(), r.root(), 'rebuilt from what a manifest stores');
    }
    assert.throws(() => CompactRange.from(6, [leaves[0]!]), /a tree of 6 leaves has 2 perfect subtrees, the frontier lists 1/);
  });

  it('inclusion paths of a batch, with the earlier leaves known only as the previous compact range, are RFC 6962 paths and verify', () => {
    for (let base = 0; base <= 40; base++) {
      for (const size of [base + 1, base + 2, base + 7, base + 29]) {
        const prev = new CompactRange();
        for (const l of leaves.slice(0, base)) prev.appendLeaf(l);
        const batch = new LeafList();
        for (const l of leaves.slice(base, size)) batch.push(l);
        const tree = new BatchTree(prev, batch);
        const root = mth(leaves.slice(0, size));
        assert.deepEqual(tree.root(), root, `root, base ${base} size ${size}`);
        for (let i = base; i < size; i++) {
          const p = tree.inclusionPath(i);
          assert.deepEqual(p, path(i, leaves.slice(0, size)), `path of ${i}, base ${base} size ${size}`);
          assert.deepEqual(rootFromInclusionPath(BigInt(i), BigInt(size), leaves[i]!, p), root);
        }
        assert.throws(() => tree.inclusionPath(base - 1), /not one of this batch's leaves/);
      }
    }
  });

  it('a path checked for another leaf, another size, or one hash short or long leads nowhere or elsewhere', () => {
    const size = 13;
    const root = mth(leaves.slice(0, size));
    const p = path(5, leaves.slice(0, size));
    assert.deepEqual(rootFromInclusionPath(5n, 13n, leaves[5]!, p), root);
    assert.notDeepEqual(rootFromInclusionPath(5n, 13n, leaves[6]!, p), root);
    assert.notDeepEqual(rootFromInclusionPath(4n, 13n, leaves[5]!, p) ?? Buffer.alloc(0), root);
    assert.equal(rootFromInclusionPath(5n, 13n, leaves[5]!, p.slice(1)), undefined);
    assert.equal(rootFromInclusionPath(5n, 13n, leaves[5]!, [...p, leaves[0]!]), undefined);
    assert.equal(rootFromInclusionPath(13n, 13n, leaves[5]!, p), undefined);
    const flipped = p.map((h, i) => (i === 2 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 1 : b))) : h));
    assert.notDeepEqual(rootFromInclusionPath(5n, 13n, leaves[5]!, flipped), root);
  });
});
