/** `domain-otel-audit checkpoint`: sign the next checkpoint of a directory (../checkpoint.ts). */
import { CheckpointRefused, writeCheckpoint, type CheckpointResult } from '../checkpoint';
import { errorLine } from '../errors';
import { DB_OPTION, PROG, databaseUrl, helpRequested, logAccess, parse, withPool, type CliIo } from './common';
import { checkpointDir, signerKeyFrom } from './keys';

export const CHECKPOINT_HELP = `usage: ${PROG} checkpoint --dir DIR --key FILE [options]

  Signs the next checkpoint of DIR: every chain's head, retired segments with their archive
  sha256, the Merkle root over every row so far, the previous checkpoint's hash, the time.
  Refuses (exit 1) when something an earlier checkpoint signed has changed.

  --dir DIR               checkpoint directory (env DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR)
  --key FILE              signing key written by keygen (env DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE,
                          or the key itself in DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY)
  --archive-dir DIR       where the archives of newly retired segments are (default: where retain wrote them)
  --publish-command CMD   run CMD NOTE_FILE MANIFEST_FILE once written, e.g. to copy both to an object
                          store with retention lock (env DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND)
`;

export async function checkpointCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('checkpoint', argv, {
    ...DB_OPTION, dir: { type: 'string' }, key: { type: 'string' }, 'archive-dir': { type: 'string' }, 'publish-command': { type: 'string' },
  });
  if (helpRequested(CHECKPOINT_HELP, v, io)) return 0;
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
