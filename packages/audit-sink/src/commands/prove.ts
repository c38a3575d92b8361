/** `domain-otel-audit prove`: an inclusion proof file for one record (../proof.ts). */
import { writeFileSync } from 'node:fs';
import { UsageError, errorLine } from '../errors';
import { ProofError, prove } from '../proof';
import { DB_OPTION, PROG, databaseUrl, helpRequested, logAccess, parse, withPool, type CliIo } from './common';
import { checkpointDir, verifierKeyFrom } from './keys';

export const PROVE_HELP = `usage: ${PROG} prove --uid UID --checkpoints DIR --pubkey KEY [--out FILE]

  Writes a self-contained inclusion proof of one record: the record, its Merkle path and the
  signed checkpoint that covers it. Check it anywhere with ${PROG} verify-proof.

  --checkpoints DIR   checkpoint directory (env DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR)
  --pubkey KEY        the verifier key (NAME+KEYID+KEYDATA) or a file holding it
  --out FILE          where to write the proof (default: standard output)
`;

export async function proveCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('prove', argv, { ...DB_OPTION, uid: { type: 'string' }, checkpoints: { type: 'string' }, pubkey: { type: 'string' }, out: { type: 'string' } });
  if (helpRequested(PROVE_HELP, v, io)) return 0;
  const uid = v['uid'] as string | undefined;
  if (!uid) throw new UsageError('prove: --uid is required (the log.record.uid of the record to prove)');
  const dir = checkpointDir(v, 'checkpoints', io.env);
  const key = verifierKeyFrom('--pubkey', (v['pubkey'] as string | undefined) ?? io.env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY']);
  const url = databaseUrl(v, io.env);
  return withPool(url, async (pool) => {
    let made: Awaited<ReturnType<typeof prove>>;
    try {
      made = await prove(pool, { uid, dir, key });
    } catch (err) {
      await logAccess(pool, io, { command: 'prove', argv, outcome: 'failure', result: errorLine(err) });
      if (!(err instanceof ProofError)) throw err;
      io.err(`${PROG} prove: ${err.message}\n`);
      return 1;
    }
    // Nothing leaves without a record of it.
    if (!(await logAccess(pool, io, { command: 'prove', argv, outcome: 'success', result: `proof of ${uid} against checkpoint ${made.checkpoint}` }))) return 3;
    const text = JSON.stringify(made.proof, null, 1) + '\n';
    if (v['out']) {
      writeFileSync(v['out'] as string, text, { mode: 0o640 });
      io.err(`${PROG} prove: ${uid} is leaf ${made.proof.leaf_index} of checkpoint ${made.checkpoint} → ${v['out']} (${Buffer.byteLength(text)} bytes)\n`);
    } else {
      io.out(text);
    }
    return 0;
  });
}
