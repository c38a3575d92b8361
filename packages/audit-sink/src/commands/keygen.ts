/** `domain-otel-audit keygen`: an Ed25519 key pair for signing checkpoints (signed-note encodings). */
import { existsSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors';
import { generateNoteKey } from '../signed-note';
import { PROG, helpRequested, parse, type CliIo } from './common';
import { keyError } from './keys';

export const KEYGEN_HELP = `usage: ${PROG} keygen --name NAME --out FILE

  Creates an Ed25519 key pair for signing checkpoints. NAME is the log's name, a schema-less
  URL such as audit.example.com/prod (it becomes the origin line of every checkpoint).
  Writes the private key to FILE (mode 0600; keep it away from the database and its backups)
  and the public (verifier) key to FILE.pub, and prints the public key.
`;

export async function keygenCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('keygen', argv, { name: { type: 'string' }, out: { type: 'string' } });
  if (helpRequested(KEYGEN_HELP, v, io)) return 0;
  const name = v['name'] as string | undefined;
  const out = v['out'] as string | undefined;
  if (!name) throw new UsageError('keygen: --name is required (the log name, e.g. audit.example.com/prod)');
  if (!out) throw new UsageError('keygen: --out FILE is required (where the private key is written)');
  let keys: { signer: string; verifier: string };
  try {
    keys = generateNoteKey(name);
  } catch (err) {
    throw keyError('--name', err);
  }
  for (const f of [out, `${out}.pub`]) if (existsSync(f)) throw new UsageError(`--out ${JSON.stringify(out)}: ${f} exists; not overwriting a key`);
  writeFileSync(out, keys.signer + '\n', { mode: 0o600, flag: 'wx' });
  writeFileSync(`${out}.pub`, keys.verifier + '\n', { mode: 0o644, flag: 'wx' });
  io.out(keys.verifier + '\n');
  io.err(`${PROG} keygen: private key → ${out} (keep it off the database host and out of its backups); public key → ${out}.pub\n`);
  return 0;
}
