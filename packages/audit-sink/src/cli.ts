#!/usr/bin/env node
/**
 * domain-otel-audit — serve | migrate | query | verify | retain | checkpoint | prove | verify-proof | keygen | ui
 *
 * This file picks the command (one file each under commands/) and turns what it throws into an
 * exit code: 0 success; 1 verify found a broken chain (or a checkpoint was refused, a proof is
 * invalid); 2 usage or configuration error; 3 the operation could not complete (database
 * unreachable, SQL error, the run's access record could not be appended).
 */
import { UsageError, errorLine } from './errors';
import { checkpointCmd } from './commands/checkpoint';
import { PROG, type CliIo } from './commands/common';
import { keygenCmd } from './commands/keygen';
import { migrateCmd } from './commands/migrate';
import { proveCmd } from './commands/prove';
import { queryCmd } from './commands/query';
import { retainCmd } from './commands/retain';
import { serveCmd } from './commands/serve';
import { uiCmd } from './commands/ui';
import { verifyCmd } from './commands/verify';
import { verifyProofCmd } from './commands/verify-proof';

export type { CliIo };
export { defaultWorkers } from './commands/serve-config';

const MAIN_HELP = `usage: ${PROG} <command> [options]

commands:
  serve     run the OTLP/HTTP logs receiver (POST /v1/logs) that stores audit records
  migrate   create or upgrade the schema, roles and monthly partitions
  query     list audit records by user, tenant, manager, entity, action, outcome, time
  verify    recompute the hash chains and report the first broken link (exit 1); compare
            with heads, archives and signed checkpoints kept elsewhere
  retain    archive partitions older than a duration to NDJSON, then drop them
  checkpoint  sign a checkpoint of every chain's head and the Merkle root over all rows
  prove     write an inclusion proof of one record, checkable offline
  verify-proof  check an inclusion proof offline
  keygen    create the Ed25519 key pair that signs checkpoints
  ui        the audit viewer: a read-only web page to search, open, verify and export records

common options:
  --database-url URL   Postgres connection string (env DOMAIN_OTEL_AUDIT_DATABASE_URL;
                       otherwise the libpq variables PGHOST, PGPORT, PGUSER, PGDATABASE, ...)
  -h, --help           help for a command

Every query, verify, retain, checkpoint and prove run, and every search, record view, export and
proof download in the viewer, appends a domain.audit.access record.

exit codes: 0 ok, 1 verify found a broken chain (checkpoint refused, proof invalid), 2 usage error, 3 operation failed
`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCmd,
  migrate: migrateCmd,
  query: queryCmd,
  verify: verifyCmd,
  retain: retainCmd,
  checkpoint: checkpointCmd,
  prove: proveCmd,
  'verify-proof': verifyProofCmd,
  keygen: keygenCmd,
  ui: uiCmd,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const run = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command]! : undefined;
    if (run) return await run(rest, io);
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}; expected serve, migrate, query, verify, retain, checkpoint, prove, verify-proof, keygen or ui`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${PROG}: ${err.message}\n`);
      return 2;
    }
    io.err(`${PROG} ${command}: ${errorLine(err)}\n`);
    return 3;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${PROG}: ${errorLine(err)}\n`);
      process.exitCode = 3;
    },
  );
}
