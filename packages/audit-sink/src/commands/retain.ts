/** `domain-otel-audit retain`: archive and drop old segments (../retain.ts), recorded as an access. */
import { parseDuration, parseTenant } from '../args';
import { UsageError, errorLine } from '../errors';
import { retain } from '../retain';
import { DB_OPTION, PROG, databaseUrl, helpRequested, logAccess, parse, withPool, type CliIo } from './common';

export const RETAIN_HELP = `usage: ${PROG} retain --older-than DURATION --archive-dir DIR [--tenant ID]... [--dry-run]

  Archives every shared segment (one per month) that ends before now - DURATION to
  DIR/audit-YYYY-MM.ndjson (+ .sha256), records it as retired, then drops its partition.
  With --tenant, does the same for the segments of that tenant instead (tenants given
  segments of their own with migrate --tenant; they are left alone without --tenant).
  Rows are never deleted one by one. Run as the schema owner.
`;

export async function retainCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('retain', argv, {
    ...DB_OPTION,
    'older-than': { type: 'string' },
    'archive-dir': { type: 'string' },
    tenant: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
  });
  if (helpRequested(RETAIN_HELP, v, io)) return 0;
  if (v['older-than'] === undefined) throw new UsageError('retain: --older-than is required (e.g. --older-than 180d)');
  if (v['archive-dir'] === undefined) throw new UsageError('retain: --archive-dir is required (where the NDJSON archives are written)');
  const olderThanMs = parseDuration('--older-than', v['older-than'] as string);
  const url = databaseUrl(v, io.env);
  const tenants = v['tenant'] ? (v['tenant'] as string[]).map((t) => parseTenant('--tenant', t)) : undefined;
  let logged = true;
  const result = await withPool(url, async (pool) => {
    let r: Awaited<ReturnType<typeof retain>>;
    try {
      r = await retain(pool, {
        olderThanMs,
        archiveDir: v['archive-dir'] as string,
        ...(tenants ? { tenants } : {}),
        dryRun: Boolean(v['dry-run']),
        progress: (line) => io.err(`${PROG} retain: ${line}\n`),
      });
    } catch (err) {
      await logAccess(pool, io, { command: 'retain', argv, outcome: 'failure', result: errorLine(err) });
      throw err;
    }
    const what = r.retired.map((x) => `${x.chain} (${x.rows} rows)`).join(', ');
    logged = await logAccess(pool, io, {
      command: 'retain', argv, outcome: 'success', result: what ? `${v['dry-run'] ? 'would retire' : 'retired'} ${what}` : 'nothing to retire',
    });
    return r;
  });
  for (const r of result.retired) {
    io.out(`${v['dry-run'] ? 'would retire' : 'retired'} ${r.chain}: ${r.rows} rows${r.file ? ` → ${r.file} (sha256 ${r.sha256})` : ''}\n`);
  }
  if (result.retired.length === 0) io.out('nothing to retire\n');
  return logged ? 0 : 3;
}
