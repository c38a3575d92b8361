/**
 * The CLI commands that make the audit log checkable from outside the database:
 *
 *   keygen        an Ed25519 checkpoint key pair (signed-note encodings)
 *   checkpoint    sign the next checkpoint (checkpoint.ts)
 *   prove         an inclusion proof file for one record (proof.ts)
 *   verify-proof  check a proof file offline
 *
 * plus what `serve` and `verify` need for them (checkpoint schedule, keys), and the access
 * record every query / verify / retain / checkpoint / prove run appends (access-log.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Pool } from 'pg';
import { recordAccess, type AccessEntry } from './access-log';
import { parseDuration } from './args';
import { CheckpointRefused, writeCheckpoint, type CheckpointResult } from './checkpoint';
import { DB_OPTION, PROG, databaseUrl, parse, withPool, type CliIo, type Opts } from './cli-common';
import { UsageError, errorLine } from './errors';
import { ProofError, prove, verifyProof } from './proof';
import { NoteError, generateNoteKey, parseSignerKey, parseVerifierKey, type SignerKey, type VerifierKey } from './signed-note';

export const EVIDENCE_HELP: Record<string, string> = {
  keygen: `usage: ${PROG} keygen --name NAME --out FILE

  Creates an Ed25519 key pair for signing checkpoints. NAME is the log's name, a schema-less
  URL such as audit.example.com/prod (it becomes the origin line of every checkpoint).
  Writes the private key to FILE (mode 0600; keep it away from the database and its backups)
  and the public (verifier) key to FILE.pub, and prints the public key.
`,
  checkpoint: `usage: ${PROG} checkpoint --dir DIR --key FILE [options]

  Signs the next checkpoint of DIR: every chain's head, retired segments with their archive
  sha256, the Merkle root over every row so far, the previous checkpoint's hash, the time.
  Refuses (exit 1) when something an earlier checkpoint signed has changed.

  --dir DIR               checkpoint directory (env DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR)
  --key FILE              signing key written by keygen (env DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE,
                          or the key itself in DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY)
  --archive-dir DIR       where the archives of newly retired segments are (default: where retain wrote them)
  --publish-command CMD   run CMD NOTE_FILE MANIFEST_FILE once written, e.g. to copy both to an object
                          store with retention lock (env DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND)
`,
  prove: `usage: ${PROG} prove --uid UID --checkpoints DIR --pubkey KEY [--out FILE]

  Writes a self-contained inclusion proof of one record: the record, its Merkle path and the
  signed checkpoint that covers it. Check it anywhere with ${PROG} verify-proof.

  --checkpoints DIR   checkpoint directory (env DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR)
  --pubkey KEY        the verifier key (NAME+KEYID+KEYDATA) or a file holding it
  --out FILE          where to write the proof (default: standard output)
`,
  'verify-proof': `usage: ${PROG} verify-proof FILE --pubkey KEY

  Checks an inclusion proof offline (no database): the checkpoint's signature, the record's
  hashes, its Merkle path to the signed root. Exit 0 valid, 1 invalid (with the reason).
`,
};

// --- keys --------------------------------------------------------------------

function keyError(name: string, err: unknown): UsageError {
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

function checkpointDir(v: Record<string, unknown>, flag: string, env: NodeJS.ProcessEnv): string {
  const dir = (v[flag] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR'];
  if (dir === undefined || dir === '') throw new UsageError(`--${flag} DIR is required (or DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR): the checkpoint directory`);
  return dir;
}

// --- access records --------------------------------------------------------

/**
 * Appends this run's access record. `strict`: a record that cannot be appended fails the command
 * (query, prove: nothing is shown without a record of it); otherwise it is reported and the
 * command exits 3 after its output.
 */
export async function logAccess(pool: Pool, io: CliIo, entry: AccessEntry): Promise<boolean> {
  try {
    const r = await recordAccess(pool, entry);
    if ('skipped' in r) io.err(`${PROG} ${entry.command}: warning: this run is not recorded as an access: ${r.skipped}\n`);
    return true;
  } catch (err) {
    io.err(`${PROG} ${entry.command}: could not append this run's access record (${errorLine(err)})\n`);
    return false;
  }
}

// --- keygen ------------------------------------------------------------------

export async function keygenCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('keygen', argv, { name: { type: 'string' }, out: { type: 'string' } });
  if (v['help']) return help(io, 'keygen');
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

// --- checkpoint --------------------------------------------------------------

export async function checkpointCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('checkpoint', argv, {
    ...DB_OPTION, dir: { type: 'string' }, key: { type: 'string' }, 'archive-dir': { type: 'string' }, 'publish-command': { type: 'string' },
  });
  if (v['help']) return help(io, 'checkpoint');
  const dir = checkpointDir(v, 'dir', io.env);
  const key = signerKeyFrom(v['key'] as string | undefined, io.env);
  const publishCommand = (v['publish-command'] as string | undefined) ?? io.env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND'];
  const url = databaseUrl(v, io.env);
  return withPool(url, async (pool) => {
    let r: CheckpointResult;
    try {
      r = await writeCheckpoint(pool, {
        dir, key,
        ...(v['archive-dir'] ? { archiveDir: v['archive-dir'] as string } : {}),
        ...(publishCommand ? { publishCommand } : {}),
        progress: (line) => io.err(`${PROG} checkpoint: ${line}\n`),
      });
    } catch (err) {
      const refused = err instanceof CheckpointRefused;
      await logAccess(pool, io, { command: 'checkpoint', argv, outcome: 'failure', result: `${refused ? 'refused' : 'failed'}: ${errorLine(err)}` });
      if (!refused) throw err;
      io.err(`${PROG} checkpoint: REFUSED: ${(err as Error).message}\n`);
      return 1;
    }
    io.out(`checkpoint ${r.number}: ${r.size} rows (${r.added} new) → ${r.notePath}\n`);
    for (const u of r.unverified) io.out(`segment ${u.segment}: retired, NOT attested: ${u.reason}\n`);
    const logged = await logAccess(pool, io, {
      command: 'checkpoint', argv, outcome: r.unverified.length ? 'failure' : 'success',
      result: `checkpoint ${r.number}, ${r.size} rows (${r.added} new)${r.unverified.length ? `, ${r.unverified.length} retirement(s) not attested` : ''}`,
    });
    if (r.unverified.length) return 1;
    return logged ? 0 : 3;
  });
}

// --- serve --checkpoint-every ------------------------------------------------

export const SERVE_CHECKPOINT_OPTIONS: Opts = {
  'checkpoint-every': { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'checkpoint-key': { type: 'string' },
  'checkpoint-publish-command': { type: 'string' },
};

export interface CheckpointSchedule {
  /** Waits for a checkpoint in progress, writes a last one, stops. */
  stop(): Promise<void>;
  /** Seconds since the last run that succeeded (wrote a checkpoint or found nothing new), or since the start. */
  age(): number;
}

export interface CheckpointScheduleConfig {
  every: string;
  intervalMs: number;
  dir: string;
  key: SignerKey;
  publishCommand?: string;
}

/** serve's checkpoint options, validated before the sink starts listening (undefined: no schedule). */
export function checkpointScheduleConfig(v: Record<string, unknown>, env: NodeJS.ProcessEnv): CheckpointScheduleConfig | undefined {
  const every = (v['checkpoint-every'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_EVERY'];
  if (every === undefined || every === '') return undefined;
  const flag = v['checkpoint-every'] !== undefined ? '--checkpoint-every' : 'DOMAIN_OTEL_AUDIT_CHECKPOINT_EVERY';
  const publishCommand = (v['checkpoint-publish-command'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND'];
  return {
    every,
    intervalMs: parseDuration(flag, every),
    dir: checkpointDir(v, 'checkpoint-dir', env),
    key: signerKeyFrom(v['checkpoint-key'] as string | undefined, env, '--checkpoint-key'),
    ...(publishCommand ? { publishCommand } : {}),
  };
}

/**
 * `serve --checkpoint-every 60s`: a checkpoint every interval, written only when rows were added
 * or segments changed; failures are logged and retried at the next interval, never fatal.
 * These runs are not access records (the sink would log itself every minute); the checkpoint
 * files are their record.
 */
export function startCheckpointSchedule(config: CheckpointScheduleConfig, pool: Pool, log: (line: string) => void): CheckpointSchedule {
  const { every, intervalMs, dir, key, publishCommand } = config;
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastOk = Date.now();
  const once = () => {
    running = writeCheckpoint(pool, { dir, key, onlyIfChanged: true, ...(publishCommand ? { publishCommand } : {}) })
      .then((r) => {
        lastOk = Date.now();
        if (r.written) log(`${PROG}: checkpoint ${r.number}: ${r.size} rows (${r.added} new) → ${r.notePath}`);
        for (const u of r.unverified) log(`${PROG}: warning: checkpoint: segment ${u.segment} is retired but NOT attested: ${u.reason}`);
      })
      .catch((err) => log(`${PROG}: ${err instanceof CheckpointRefused ? 'checkpoint REFUSED' : 'checkpoint failed'}: ${errorLine(err)}`))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!running && !stopped) void once();
  }, intervalMs);
  timer.unref();
  log(`${PROG}: signing a checkpoint every ${every} into ${dir} as ${key.name}`);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await once();
    },
    age: () => (Date.now() - lastOk) / 1000,
  };
}

// --- prove / verify-proof ----------------------------------------------------

export async function proveCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('prove', argv, { ...DB_OPTION, uid: { type: 'string' }, checkpoints: { type: 'string' }, pubkey: { type: 'string' }, out: { type: 'string' } });
  if (v['help']) return help(io, 'prove');
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

export async function verifyProofCmd(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { pubkey: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`verify-proof: ${errorLine(err)}; see ${PROG} verify-proof --help`);
  }
  if (parsed.values.help) return help(io, 'verify-proof');
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

function help(io: CliIo, command: string): number {
  io.out(EVIDENCE_HELP[command]!);
  return 0;
}
