/**
 * One record in the viewer: the whole row, where it sits in its hash chain, whether its chain
 * verifies from genesis up to it, and whether a signed checkpoint covers it.
 */
import type { Pool } from 'pg';
import { chainId } from '../chain';
import { loadCheckpointChain } from '../checkpoint-chain';
import { auditRowFrom, type AuditRow } from '../query';
import type { VerifierKey } from '../signed-note';
import { SCHEMA } from '../sql-text';
import { verifyChainPrefix } from '../verify';
import type { CheckpointCoverage, Verification } from './api-types';
import type { Viewer } from './auth';

export type { CheckpointCoverage, Verification };

export interface RecordDetail {
  row: AuditRow;
  position: {
    chain: string;
    segment: string;
    partition: string;
    stream: number;
    seq: string;
    row_hash: string;
    prev_hash: string;
    content_hash: string;
  };
}

/** The record with this uid, if the viewer may see it (tenant scope in the WHERE clause). */
export async function findRecord(pool: Pool, uid: string, viewer: Viewer): Promise<RecordDetail | undefined> {
  const values: unknown[] = [uid];
  let scope = '';
  if (viewer.tenant !== null) {
    values.push(viewer.tenant);
    scope = 'AND r.tenant_id = $2';
  }
  const r = await pool.query(
    `SELECT r.time, r.time_unix_nano::text AS time_unix_nano, r.event_name, r.action, r.outcome, r.manager, r.entity_id,
            r.user_id, r.tenant_id, r.service, r.trace_id, r.span_id, r.uid, r.uid_generated, r.seq::text AS seq, r.stream,
            r.received_at, r.record, r.row_hash, r.prev_hash, r.content_hash, c.chain AS segment, c.numbered, pc.relname AS partition
       FROM ${SCHEMA}.records r
       JOIN pg_class pc ON pc.oid = r.tableoid
       JOIN ${SCHEMA}.chains c ON c.partition_name = pc.relname
      WHERE r.uid = $1 ${scope}`,
    values,
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const chain = chainId(row.segment, row.stream, row.numbered);
  return {
    row: auditRowFrom({ ...row, chain }),
    position: {
      chain,
      segment: row.segment,
      partition: row.partition,
      stream: row.stream,
      seq: row.seq,
      row_hash: (row.row_hash as Buffer).toString('hex'),
      prev_hash: (row.prev_hash as Buffer).toString('hex'),
      content_hash: (row.content_hash as Buffer).toString('hex'),
    },
  };
}

export async function verifyRecord(
  pool: Pool,
  d: RecordDetail,
  viewer: Viewer,
  checkpoints: { dir: string; key: VerifierKey } | undefined,
): Promise<Verification> {
  const { chain, segment, partition, stream, seq } = d.position;
  let covered: CheckpointCoverage | null = null;
  let note: string | undefined;
  let until = BigInt(seq);
  let signedHead: { seq: string; hash: string } | undefined;
  if (checkpoints) {
    const loaded = loadCheckpointChain(checkpoints.dir, checkpoints.key);
    const cp = loaded.checkpoints.find((c) => c.manifest.chains.some((x) => x.chain === chain && BigInt(x.seq) >= BigInt(seq)));
    if (cp) {
      const head = cp.manifest.chains.find((x) => x.chain === chain)!;
      signedHead = { seq: head.seq, hash: head.hash };
      if (BigInt(head.seq) > until) until = BigInt(head.seq);
      covered = {
        number: cp.number, time: cp.body.time, signer: cp.body.origin, treeSize: cp.body.size.toString(),
        headSeq: head.seq, headHash: head.hash, headMatches: false,
      };
    } else {
      note = `no checkpoint covers seq ${seq} of chain ${chain} yet${loaded.problem ? ` (${loaded.problem})` : ''}`;
    }
    if (cp && loaded.problem) note = loaded.problem;
  }
  const v = await verifyChainPrefix(pool, { chain, segment, partition, stream, untilSeq: until.toString() });
  if (covered && signedHead) {
    covered.headMatches = v.problem === undefined && v.chain.headSeq === signedHead.seq && v.chain.headHash === signedHead.hash;
  }
  const out: Verification = {
    chainOk: v.problem === undefined && v.chain.headSeq === until.toString(),
    verifiedTo: v.chain.headSeq,
    rowsChecked: v.chain.rows,
    checkpoints: checkpoints ? { configured: true, covered, ...(note ? { note } : {}) } : { configured: false },
  };
  if (v.problem) {
    out.problem = `seq ${v.problem.seq ?? '?'}: ${v.problem.message}${viewer.tenant === null && v.problem.uid ? ` (uid ${v.problem.uid})` : ''}`;
  } else if (v.chain.headSeq !== until.toString()) {
    out.problem = `the chain ends at seq ${v.chain.headSeq}, before seq ${until}`;
  }
  return out;
}
