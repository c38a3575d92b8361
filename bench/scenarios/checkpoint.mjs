// Tamper evidence (section `checkpoint`, bench/checkpoint.ts): a signed checkpoint over many
// rows, an inclusion proof's size, checking it offline.
import { runChildBench } from '../lib/child-bench.mjs';

export default {
  section: 'checkpoint',
  title: 'checkpoint and inclusion proofs',
  run({ root, quick, row }) {
    const rowsN = quick ? 50_000 : 1_000_000;
    const { report: r, stderr } = runChildBench(root, 'checkpoint', ['--import', 'tsx', 'bench/checkpoint.ts', '--rows', String(rowsN)], { timeout: 1_800_000 });
    if (!r) {
      console.warn(`bench: the checkpoint bench did not report (needs Postgres server binaries): ${stderr.slice(-500)}`);
      return;
    }
    row(`checkpoint over ${r.rows.toLocaleString('en')} rows (every head + Merkle root, signed)`, "reading every row's hash in chain order", `${r.checkpointMs} ms`, `${r.rawReadMs} ms`, r.checkpointMs / r.rawReadMs, '≤ 5×', r.checkpointMs / r.rawReadMs <= 5, `next checkpoint, +${r.incrementRows} rows: ${r.incrementMs} ms; prove one record: ${r.proveMs} ms`);
    row('inclusion proof size (record + path + signed checkpoint)', "the record's own JSON", `${r.proofBytes} B, ${r.pathHashes} path hashes`, `${r.recordBytes} B`, r.proofBytes / r.recordBytes, '< 4 KB', r.proofBytes < 4096, `tree of ${r.treeSize} leaves`);
    row('inclusion proof, offline verification', 'one Ed25519 check of the same note', `${r.verifyProofMs} ms`, `${r.ed25519VerifyMs} ms`, r.verifyProofMs / r.ed25519VerifyMs, '< 10 ms', r.verifyProofMs < 10, 'median of 200');
  },
};
