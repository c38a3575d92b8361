/** `domain-otel-audit verify`: recompute the chains (../verify.ts), print the report, exit 1 when broken. */
import { parseChain } from '../args';
import { conflictSummary, type ConflictSummary } from '../conflicts';
import { UsageError } from '../errors';
import { verify, type VerifyOptions } from '../verify';
import { ACCESS_DB_HELP, ACCESS_DB_OPTION, DB_OPTION, PROG, helpRequested, logAccess, parse, withReadPools, type CliIo } from './common';
import { verifierKeyFrom } from './keys';
import { reportLines, summaryLine } from './verify-report';

export const VERIFY_HELP = `usage: ${PROG} verify [options]

  --chain ID                a month (2025-11: all its segments), a segment (2025-11/acme)
                            or one chain (2025-11#3), as printed by verify (repeatable)
  --expect-head CHAIN:SEQ:HASH  a head recorded earlier: the row at SEQ must still have HASH (rows
                            removed from the end, history rewritten); for a retired chain, checked
                            against the retired heads and its archive (repeatable)
  --archive FILE            recompute a retired segment's chains from its archive and compare with
                            the retired heads and checkpoints (repeatable)
  --checkpoints DIR         compare the database with every signed checkpoint in DIR (needs --pubkey)
  --pubkey KEY              the checkpoints' verifier key, or a file holding it
  --json                    print the report as JSON
${ACCESS_DB_HELP}
`;

type Values = Record<string, unknown>;

export async function verifyCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('verify', argv, {
    ...DB_OPTION,
    ...ACCESS_DB_OPTION,
    chain: { type: 'string', multiple: true },
    'expect-head': { type: 'string', multiple: true },
    archive: { type: 'string', multiple: true },
    checkpoints: { type: 'string' },
    pubkey: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (helpRequested(VERIFY_HELP, v, io)) return 0;
  const opts = verifyOptions(v, io.env);
  let logged = true;
  let conflicts: ConflictSummary | null = null;
  const report = await withReadPools(v, io.env, async (pool, accessPool) => {
    const r = await verify(pool, { ...opts, progress: (line) => io.err(`${PROG} ${line}\n`) });
    const first = r.problems[0];
    logged = await logAccess(accessPool, io, {
      command: 'verify', argv, outcome: r.ok ? 'success' : 'failure',
      result: r.ok ? `OK, ${r.rows} rows${r.checkpoints !== undefined ? `, ${r.checkpoints} checkpoints` : ''}` : `FAILED: ${first!.chain}: ${first!.message}`,
    });
    conflicts = await conflictSummary(pool);
    return r;
  });
  if (v['json']) io.out(JSON.stringify({ ...report, ...(conflicts ? { conflicts } : {}) }) + '\n');
  else for (const line of reportLines(report, conflicts)) io.out(line);
  io.err(summaryLine(report));
  if (!report.ok) return 1;
  return logged ? 0 : 3;
}

/** --chain, --expect-head, --archive, --checkpoints/--pubkey, checked. */
function verifyOptions(v: Values, env: NodeJS.ProcessEnv): VerifyOptions {
  const checkpointDir = v['checkpoints'] as string | undefined;
  if (v['pubkey'] !== undefined && checkpointDir === undefined) throw new UsageError('verify: --pubkey goes with --checkpoints DIR');
  const checkpoints = checkpointDir !== undefined
    ? { dir: checkpointDir, key: verifierKeyFrom('--pubkey', (v['pubkey'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY']) }
    : undefined;
  const archives = (v['archive'] as string[] | undefined) ?? [];
  const chains = (v['chain'] as string[] | undefined)?.map((c) => parseChain('--chain', c));
  const expectHeads = new Map<string, { seq: string; hash: string }>();
  for (const h of (v['expect-head'] as string[] | undefined) ?? []) {
    const m = /^(.+):(\d+):([0-9a-f]{64})$/i.exec(h);
    if (!m) throw new UsageError(`--expect-head ${JSON.stringify(h)}: expected CHAIN:SEQ:HASH (HASH = 64 hex digits, as printed by verify)`);
    parseChain('--expect-head', m[1]!);
    expectHeads.set(m[1]!, { seq: BigInt(m[2]!).toString(), hash: m[3]!.toLowerCase() }); // 0003 is seq 3
  }
  return {
    ...(chains ? { chains } : {}),
    ...(expectHeads.size ? { expectHeads } : {}),
    ...(archives.length ? { archives } : {}),
    ...(checkpoints ? { checkpoints } : {}),
  };
}
