/** `domain-otel-audit verify-proof FILE`: check an inclusion proof offline, no database. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, errorLine } from '../errors';
import { ProofError, verifyProof } from '../proof';
import { PROG, helpRequested, type CliIo } from './common';
import { verifierKeyFrom } from './keys';

export const VERIFY_PROOF_HELP = `usage: ${PROG} verify-proof FILE --pubkey KEY

  Checks an inclusion proof offline (no database): the checkpoint's signature, the record's
  hashes, its Merkle path to the signed root. Exit 0 valid, 1 invalid (with the reason).
`;

export async function verifyProofCmd(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    // The one command with a positional argument: parsed here rather than by common.parse.
    parsed = parseArgs({ args: argv, options: { pubkey: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`verify-proof: ${errorLine(err)}; see ${PROG} verify-proof --help`);
  }
  if (helpRequested(VERIFY_PROOF_HELP, parsed.values, io)) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('verify-proof: expected one proof FILE');
  const file = parsed.positionals[0]!;
  const key = verifierKeyFrom('--pubkey', parsed.values.pubkey ?? io.env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY']);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`verify-proof ${JSON.stringify(file)}: cannot read the proof file (${errorLine(err)})`);
  }
  try {
    const s = verifyProof(text, key);
    io.out(`proof OK: record ${s.uid} (chain ${s.chain} seq ${s.seq}) is leaf ${s.leafIndex} of ${s.treeSize} in checkpoint ${s.checkpoint}, signed by ${s.signer} at ${s.time}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    io.err(`${PROG} verify-proof: FAILED: ${err.message}\n`);
    return 1;
  }
}
