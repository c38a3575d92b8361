/** `domain-otel-audit migrate`: the schema, roles and partitions (../migrate.ts), or only the DDL guard. */
import { parseIntArg, parseTenant } from '../args';
import { UsageError } from '../errors';
import { migrate } from '../migrate';
import { DB_OPTION, PROG, databaseUrl, helpRequested, parse, withPool, type CliIo } from './common';

export const MIGRATE_HELP = `usage: ${PROG} migrate [options]

  --months-ahead N       partitions created after the current month (default 3)
  --writer-login NAME    create this LOGIN role if missing and grant it domain_otel_audit_writer
                         (password from env DOMAIN_OTEL_AUDIT_WRITER_PASSWORD, if set)
  --reader-login NAME    same for domain_otel_audit_reader (env DOMAIN_OTEL_AUDIT_READER_PASSWORD)
  --streams N            hash chains per segment created from now on (default 8 at first; 1-64):
                         concurrent writers append to different chains of the same month
  --tenant ID            give this tenant segments of its own, so that retain --tenant can
                         retire its records on its own schedule (repeatable)
  --guard-only           install only the DDL guard (event triggers refusing DROP, DETACH, DISABLE
                         TRIGGER, rewrites of audit tables); needs a superuser
  --database-url URL     connect as the schema owner (CREATEROLE needed to create roles); as a
                         superuser, the DDL guard is installed too
`;

export async function migrateCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('migrate', argv, {
    ...DB_OPTION,
    'months-ahead': { type: 'string' },
    'writer-login': { type: 'string' },
    'reader-login': { type: 'string' },
    streams: { type: 'string' },
    tenant: { type: 'string', multiple: true },
    'guard-only': { type: 'boolean' },
  });
  if (helpRequested(MIGRATE_HELP, v, io)) return 0;
  if (v['guard-only'] && Object.keys(v).some((k) => !['guard-only', 'database-url'].includes(k) && v[k] !== undefined)) {
    throw new UsageError('migrate: --guard-only installs the DDL guard only; it takes no other option but --database-url');
  }
  const streams = v['streams'] !== undefined ? parseIntArg('--streams', v['streams'] as string, 1, 64) : undefined;
  const tenants = ((v['tenant'] as string[] | undefined) ?? []).map((t) => parseTenant('--tenant', t));
  const ahead = v['months-ahead'] !== undefined ? parseIntArg('--months-ahead', v['months-ahead'] as string, 0, 120) : 3;
  for (const k of ['writer-login', 'reader-login']) {
    const login = v[k] as string | undefined;
    if (login !== undefined && !/^[a-z_][a-z0-9_$-]{0,62}$/i.test(login)) {
      throw new UsageError(`--${k} ${JSON.stringify(login)}: expected a role name (letters, digits, _ $ -; at most 63 characters)`);
    }
  }
  const url = databaseUrl(v, io.env);
  const result = await withPool(url, (pool) =>
    migrate(pool, {
      monthsAhead: ahead,
      ...(v['guard-only'] ? { guardOnly: true } : {}),
      ...(streams !== undefined ? { streams } : {}),
      ...(tenants.length ? { tenants } : {}),
      ...(v['writer-login'] ? { writerLogin: v['writer-login'] as string } : {}),
      ...(v['reader-login'] ? { readerLogin: v['reader-login'] as string } : {}),
      ...(io.env['DOMAIN_OTEL_AUDIT_WRITER_PASSWORD'] ? { writerPassword: io.env['DOMAIN_OTEL_AUDIT_WRITER_PASSWORD'] } : {}),
      ...(io.env['DOMAIN_OTEL_AUDIT_READER_PASSWORD'] ? { readerPassword: io.env['DOMAIN_OTEL_AUDIT_READER_PASSWORD'] } : {}),
      progress: (line) => io.err(`${PROG} migrate: ${line}\n`),
    }),
  );
  if (!v['guard-only']) io.out(
    `migrated: ${result.applied.length ? 'applied ' + result.applied.join(', ') : 'schema already current'}; ` +
      `partitions ${result.partitions.join(', ')}\n`,
  );
  for (const t of result.tenants) {
    io.out(`tenant ${JSON.stringify(t.tenant)}: own segments in ${t.own.join(', ') || '(none)'}` +
      (t.shared.length ? `; records of ${t.shared.join(', ')} stay in the shared segment (it already held some)` : '') + '\n');
  }
  if (v['guard-only']) io.out('DDL guard installed\n');
  return 0;
}
