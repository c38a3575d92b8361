/**
 * The keys and the checkpoint directory the evidence commands (checkpoint, prove, verify-proof,
 * verify --checkpoints, serve --checkpoint-every, the viewer) are given: read, checked, and every
 * error one line naming the flag or variable.
 */
import { readFileSync } from 'node:fs';
import { UsageError, errorLine } from '../errors';
import { NoteError, parseSignerKey, parseVerifierKey, type SignerKey, type VerifierKey } from '../signed-note';
import { PROG } from './common';

export function keyError(name: string, err: unknown): UsageError {
  return new UsageError(`${name}: ${err instanceof NoteError ? err.message : errorLine(err)}`);
}

/** The signing key: --key FILE / *_KEY_FILE, or the key text in *_KEY. */
export function signerKeyFrom(flag: string | undefined, env: NodeJS.ProcessEnv, flagName = '--key'): SignerKey {
  const file = flag ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE'];
  const where = flag !== undefined ? flagName : 'DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE';
  let text: string;
  if (file !== undefined && file !== '') {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`${where} ${JSON.stringify(file)}: cannot read the key file (${errorLine(err)})`);
    }
  } else if (env['DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY']) {
    text = env['DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY'];
  } else {
    throw new UsageError(`no checkpoint signing key; pass ${flagName} FILE or set DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE ` +
      `(or DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY); create one with ${PROG} keygen`);
  }
  try {
    return parseSignerKey(text);
  } catch (err) {
    throw keyError(file ? `${where} ${JSON.stringify(file)}` : 'DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY', err);
  }
}

/** --pubkey: the verifier key itself, or a file holding it. */
export function verifierKeyFrom(flag: string, value: string | undefined): VerifierKey {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required: the verifier key printed by ${PROG} keygen, or its .pub file`);
  let text = value;
  if (!/^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/.test(value.trim())) {
    try {
      text = readFileSync(value, 'utf8');
    } catch {
      throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a verifier key NAME+KEYID+KEYDATA or a file holding one`);
    }
  }
  try {
    return parseVerifierKey(text);
  } catch (err) {
    throw keyError(`${flag} ${JSON.stringify(value.slice(0, 80))}`, err);
  }
}

/** The checkpoint directory: the flag, or DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR. */
export function checkpointDir(v: Record<string, unknown>, flag: string, env: NodeJS.ProcessEnv): string {
  const dir = (v[flag] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR'];
  if (dir === undefined || dir === '') throw new UsageError(`--${flag} DIR is required (or DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR): the checkpoint directory`);
  return dir;
}
