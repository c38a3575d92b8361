/**
 * Inclusion proofs: one audit record, checkable offline by anyone holding the public key.
 *
 * `prove` finds the record's row, the first checkpoint whose tree contains it, and the RFC 6962
 * audit path from its leaf to that checkpoint's root (computed from the previous checkpoint's
 * compact range and the rows of this checkpoint's batch). The proof file is self-contained:
 *
 *   {
 *     "format": "domain-otel-audit-proof/v1",
 *     "record": { the row: chain, segment, stream, seq, the hashed content (uid … record),
 *                 prev_hash, and — for diagnosis only — content_hash and row_hash },
 *     "leaf_index": "…", "tree_size": "…",
 *     "inclusion_path": [ base64 hashes, deepest sibling first ],
 *     "checkpoint": "<the signed checkpoint note, as written>"
 *   }
 *
 * `verify-proof` recomputes content_hash from the record, row_hash from chain, seq, prev_hash and
 * content_hash, the leaf from row_hash, the root from the path (RFC 9162 §2.1.3.2), and checks it
 * is the root the checkpoint signs — with the signature checked against the given key.
 */
import type { Pool } from 'pg';
import { readArchive } from './archive';
import { chainId, contentHash, rowHash, type RowContent } from './chain';
import { loadCheckpointChain } from './checkpoint-chain';
import { parseBody, type LoadedCheckpoint } from './checkpoint-format';
import { BatchTree, CompactRange, LeafList, leafHash, rootFromInclusionPath } from './merkle';
import { forEachRow, readSegmentStates, streamOf } from './segment-state';
import { openNote, type VerifierKey } from './signed-note';
import { SCHEMA } from './sql-text';

export const PROOF_FORMAT = 'domain-otel-audit-proof/v1';

export interface ProofRecord extends RowContent {
  chain: string;
  segment: string;
  stream: number;
  seq: string;
  prev_hash: string;
  content_hash: string;
  row_hash: string;
}

export interface Proof {
  format: typeof PROOF_FORMAT;
  record: ProofRecord;
  leaf_index: string;
  tree_size: string;
  inclusion_path: string[];
  checkpoint: string;
}

export class ProofError extends Error {
  override name = 'ProofError';
}

export async function prove(pool: Pool, opts: { uid: string; dir: string; key: VerifierKey }): Promise<{ proof: Proof; checkpoint: number }> {
  const found = await pool.query(
    `SELECT r.seq::text AS seq, r.stream, r.time_unix_nano::text AS time_unix_nano, r.uid, r.uid_generated, r.event_name, r.action,
            r.outcome, r.manager, r.entity_id, r.user_id, r.tenant_id, r.trace_id, r.span_id, r.service, r.received_at, r.record,
            r.content_hash, r.prev_hash, r.row_hash, c.chain AS segment, c.numbered
       FROM ${SCHEMA}.records r JOIN pg_class pc ON pc.oid = r.tableoid JOIN ${SCHEMA}.chains c ON c.partition_name = pc.relname
      WHERE r.uid = $1`,
    [opts.uid],
  );
  const row = found.rows[0];
  if (!row) throw new ProofError(`no record with uid ${JSON.stringify(opts.uid)} in the database`);
  const chain = chainId(row.segment, row.stream, row.numbered);
  const record: ProofRecord = {
    chain, segment: row.segment, stream: row.stream, seq: row.seq,
    uid: row.uid, uid_generated: row.uid_generated, event_name: row.event_name, time_unix_nano: row.time_unix_nano,
    action: row.action, outcome: row.outcome, manager: row.manager, entity_id: row.entity_id, user_id: row.user_id,
    tenant_id: row.tenant_id, trace_id: row.trace_id, span_id: row.span_id, service: row.service,
    received_at: (row.received_at as Date).toISOString(), record: row.record,
    prev_hash: (row.prev_hash as Buffer).toString('hex'), content_hash: (row.content_hash as Buffer).toString('hex'), row_hash: (row.row_hash as Buffer).toString('hex'),
  };

  const { checkpoints, problem } = loadCheckpointChain(opts.dir, opts.key);
  const seq = BigInt(row.seq);
  let cp: LoadedCheckpoint | undefined;
  let prev: LoadedCheckpoint | undefined;
  for (const c of checkpoints) {
    const e = c.manifest.chains.find((x) => x.chain === chain);
    if (e && BigInt(e.seq) >= seq) {
      cp = c;
      break;
    }
    prev = c;
  }
  if (!cp) {
    throw new ProofError(`record ${opts.uid} (chain ${chain} seq ${row.seq}) is not covered by a checkpoint yet` +
      `${problem ? ` (${problem})` : ''}; run domain-otel-audit checkpoint first`);
  }
  const entry = cp.manifest.chains.find((x) => x.chain === chain)!;
  const index = Number(entry.first_leaf) + Number(seq - BigInt(entry.prev_seq) - 1n);

  const leaves = new LeafList();
  const segments = await readSegmentStates(pool);
  for (const c of cp.manifest.chains) {
    const from = BigInt(c.prev_seq);
    const to = BigInt(c.seq);
    if (to === from) continue;
    const seg = segments.get(c.segment);
    if (seg?.retired) {
      // Another chain of this batch was retired since: its rows come from its archive.
      const archive = seg.retired.archiveFile ? await readArchive(seg.retired.archiveFile).catch(() => undefined) : undefined;
      const hashes = archive?.chains.get(c.chain)?.rowHashes;
      if (!hashes || archive!.sha256 !== seg.retired.archiveSha256) {
        throw new ProofError(`checkpoint ${cp.number} also covers rows of retired segment ${c.segment}, whose archive ${seg.retired.archiveFile} is not at hand`);
      }
      for (let s = Number(from); s < Number(to); s++) leaves.push(leafHash(hashes[s]!));
      continue;
    }
    if (!seg?.present) throw new ProofError(`checkpoint ${cp.number} covers rows of segment ${c.segment}, which is gone (run verify --checkpoints)`);
    await forEachRow(pool, seg.partition, streamOf(c.chain, c.segment), from, to, (r) => leaves.push(leafHash(r.row_hash)));
  }
  const base = prev ? CompactRange.from(Number(prev.body.size), prev.manifest.frontier.map((h) => Buffer.from(h, 'base64'))) : new CompactRange();
  const tree = new BatchTree(base, leaves);
  if (BigInt(tree.size) !== cp.body.size) {
    throw new ProofError(`the rows of checkpoint ${cp.number} are no longer all there (${tree.size - base.size} of ${cp.body.size - prev!.body.size}); run verify --checkpoints`);
  }
  const path = tree.inclusionPath(index);
  const root = rootFromInclusionPath(BigInt(index), BigInt(tree.size), leafHash(row.row_hash as Buffer), path);
  if (!root?.equals(cp.body.root)) {
    throw new ProofError(`the rows of checkpoint ${cp.number} no longer hash to its signed root; run verify --checkpoints`);
  }
  return {
    checkpoint: cp.number,
    proof: {
      format: PROOF_FORMAT, record, leaf_index: String(index), tree_size: cp.body.size.toString(),
      inclusion_path: path.map((h) => h.toString('base64')), checkpoint: cp.noteBytes.toString('utf8'),
    },
  };
}

export interface ProofSummary {
  uid: string;
  chain: string;
  seq: string;
  leafIndex: string;
  treeSize: string;
  checkpoint: number;
  time: string;
  signer: string;
}

const HEX32 = /^[0-9a-f]{64}$/;
const B64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** Checks a proof file's text offline. Throws ProofError naming the first thing that does not hold. */
export function verifyProof(text: string, key: VerifierKey): ProofSummary {
  let p: Proof;
  try {
    p = JSON.parse(text) as Proof;
  } catch {
    throw new ProofError('not a proof file: not JSON');
  }
  if (p?.format !== PROOF_FORMAT) throw new ProofError(`not a proof file: format is ${JSON.stringify(p?.format)}, expected ${PROOF_FORMAT}`);
  const r = p.record;
  if (!r || typeof r.chain !== 'string' || !/^[1-9]\d*$/.test(String(r.seq)) || !HEX32.test(String(r.prev_hash))) {
    throw new ProofError('malformed proof: the record lacks its chain, seq or prev_hash');
  }
  if (!/^\d+$/.test(String(p.leaf_index)) || !/^[1-9]\d*$/.test(String(p.tree_size))) throw new ProofError('malformed proof: leaf_index or tree_size');
  if (!Array.isArray(p.inclusion_path) || p.inclusion_path.some((h) => typeof h !== 'string' || !B64_32.test(h))) {
    throw new ProofError('malformed proof: inclusion_path must be base64 SHA-256 hashes');
  }
  let body;
  try {
    body = parseBody(openNote(String(p.checkpoint), key));
  } catch (err) {
    throw new ProofError(`checkpoint: ${(err as Error).message}`);
  }
  if (body.size.toString() !== p.tree_size) throw new ProofError(`the proof is for a tree of ${p.tree_size} leaves, the checkpoint signs ${body.size}`);

  let content: Buffer;
  try {
    content = contentHash(r);
  } catch (err) {
    throw new ProofError(`malformed record: ${(err as Error).message}`);
  }
  if (typeof r.content_hash === 'string' && r.content_hash !== content.toString('hex')) {
    throw new ProofError(`the record was altered: its content hashes to ${content.toString('hex')}, the proof was made for ${r.content_hash}`);
  }
  const row = rowHash(r.chain, r.seq, Buffer.from(r.prev_hash, 'hex'), content);
  if (typeof r.row_hash === 'string' && r.row_hash !== row.toString('hex')) {
    throw new ProofError(`the record does not hash to the row the proof was made for (row hash ${row.toString('hex')}, expected ${r.row_hash}): its content, chain, seq or prev_hash was altered`);
  }
  const root = rootFromInclusionPath(BigInt(p.leaf_index), BigInt(p.tree_size), leafHash(row), p.inclusion_path.map((h) => Buffer.from(h, 'base64')));
  if (!root) throw new ProofError(`the inclusion path has ${p.inclusion_path.length} hashes, which does not fit leaf ${p.leaf_index} of a tree of ${p.tree_size}`);
  if (!root.equals(body.root)) {
    throw new ProofError(`the record and its inclusion path lead to root ${root.toString('base64')}, the checkpoint signs ${body.root.toString('base64')} (record, chain position, path or leaf index altered)`);
  }
  return { uid: r.uid, chain: r.chain, seq: r.seq, leafIndex: p.leaf_index, treeSize: p.tree_size, checkpoint: body.number, time: body.time, signer: key.name };
}
