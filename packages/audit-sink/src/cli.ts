#!/usr/bin/env node
/**
 * domain-otel-audit — serve | migrate | query | verify | retain | checkpoint | prove | verify-proof | keygen | ui
 *
 * Exit codes: 0 success; 1 verify found a broken chain (or a checkpoint was refused, a proof is
 * invalid); 2 usage or configuration error; 3 the operation could not complete (database
 * unreachable, SQL error, the run's access record could not be appended).
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseBytes, parseChain, parseTenant, parseDuration, parseIntArg, parseNonEmpty, parsePort, parseTime } from './args';
import { ACCESS_DB_HELP, ACCESS_DB_OPTION, DB_OPTION, PROG, databaseUrl, parse, withPool, withReadPools, type CliIo } from './cli-common';
import {
  EVIDENCE_HELP, SERVE_CHECKPOINT_OPTIONS, checkpointCmd, checkpointScheduleConfig, keygenCmd, logAccess, proveCmd, startCheckpointSchedule,
  verifierKeyFrom, verifyProofCmd,
} from './cli-evidence';
import { UsageError, errorLine } from './errors';
import { migrate } from './migrate';
import { queryAudit, toCsv, toNdjson, toTable, type QueryFilters } from './query';
import { conflictSummary, conflictsToNdjson, conflictsToTable, listConflicts, type ConflictSummary } from './conflicts';
import { retain } from './retain';
import {
  AuditReceiver, DEFAULT_ACCEPT_FUTURE_MS, DEFAULT_ACCEPT_PAST_MS, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_MAX_NEW_MONTHS,
  DEFAULT_PORT,
} from './server';
import { createPool } from './store';
import { SERVE_UI_HELP, SERVE_UI_OPTIONS, UI_HELP, serveViewerConfig, startViewer, uiCmd } from './ui/cli-ui';
import { SERVE_TELEMETRY_HELP, SERVE_TELEMETRY_OPTIONS, serveTelemetryConfig, startServeTelemetry } from './telemetry/cli-telemetry';
import { verify } from './verify';

export type { CliIo };

const HELP: Record<string, string> = {
  ...EVIDENCE_HELP,
  main: `usage: ${PROG} <command> [options]

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
`,
  serve: `usage: ${PROG} serve [options]

  --host HOST            bind address (env DOMAIN_OTEL_AUDIT_SINK_HOST, default ${DEFAULT_HOST})
  --port PORT            port (env DOMAIN_OTEL_AUDIT_SINK_PORT, default ${DEFAULT_PORT})
  --token TOKEN          bearer token required from senders (env DOMAIN_OTEL_AUDIT_SINK_TOKEN)
  --token-file PATH      more tokens, one per line, all accepted (env DOMAIN_OTEL_AUDIT_SINK_TOKEN_FILE);
                         SIGHUP re-reads the file (token rotation without a restart)
  --no-auth              accept requests without a token (explicit opt-out)
  --tls-cert PATH        serve HTTPS with this certificate (env DOMAIN_OTEL_AUDIT_SINK_TLS_CERT)
  --tls-key PATH         and this private key (env DOMAIN_OTEL_AUDIT_SINK_TLS_KEY)
  --max-body SIZE        body limit, compressed and decompressed (env DOMAIN_OTEL_AUDIT_SINK_MAX_BODY, default 16MiB)
  --max-json-body SIZE   the same for OTLP/JSON, whose parsed form costs more (env DOMAIN_OTEL_AUDIT_SINK_MAX_JSON_BODY,
                         default 4MiB, at most --max-body)
  --max-inflight SIZE    memory the requests in flight may hold together (bodies, then rows); beyond it 503
                         (env DOMAIN_OTEL_AUDIT_SINK_MAX_INFLIGHT, default 256MiB)
  --pool-size N          Postgres connections (env DOMAIN_OTEL_AUDIT_SINK_POOL_SIZE, default 10)
  --db-timeout DURATION  statement/lock/connect timeout (env DOMAIN_OTEL_AUDIT_SINK_DB_TIMEOUT, default 10s)
  --retry-after SECONDS  Retry-After sent with 503 (env DOMAIN_OTEL_AUDIT_SINK_RETRY_AFTER, default 5)
  --max-concurrency N    requests processed at once, more get 503 (env DOMAIN_OTEL_AUDIT_SINK_MAX_CONCURRENCY, default 32)
  --workers N            threads that decode requests and hash rows, 0 = on the request thread
                         (env DOMAIN_OTEL_AUDIT_SINK_WORKERS, default: cores - 1, at least 1, at most 8)
  --accept-past DURATION   records older than receive time - DURATION are refused through partial success
                         (env DOMAIN_OTEL_AUDIT_SINK_ACCEPT_PAST, default 400d)
  --accept-future DURATION records newer than receive time + DURATION are refused likewise
                         (env DOMAIN_OTEL_AUDIT_SINK_ACCEPT_FUTURE, default 1d)
  --max-new-months N     months (partitions) one request may create; a request needing more gets 503
                         and its retries create the rest (env DOMAIN_OTEL_AUDIT_SINK_MAX_NEW_MONTHS, default 2)
  --database-url URL     connect as a member of domain_otel_audit_writer
  --checkpoint-every DURATION  sign a checkpoint this often when something changed (env DOMAIN_OTEL_AUDIT_CHECKPOINT_EVERY)
  --checkpoint-dir DIR   where (env DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR)
  --checkpoint-key FILE  signing key (env DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE or DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY)
  --checkpoint-publish-command CMD  run CMD NOTE MANIFEST after each (env DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND)
${SERVE_TELEMETRY_HELP}${SERVE_UI_HELP}`,
  ui: UI_HELP,
  migrate: `usage: ${PROG} migrate [options]

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
`,
  query: `usage: ${PROG} query [filters] [--ndjson | --csv]

  --user ID  --tenant ID  --manager NAME  --entity ID  --action ACTION  --outcome OUTCOME
  --event NAME  --trace TRACE_ID  --uid UID  --service NAME
  --since DURATION       records of the last DURATION (e.g. 24h, 7d)
  --from TIME --to TIME  time range [from, to); ISO-8601, UTC when no zone is given
  --limit N              at most N rows (default 1000)
  --desc                 newest first
  --ndjson               one JSON object per line (includes the full record)
  --csv                  RFC 4180 CSV with a header line (the full record as JSON in the last column)
${ACCESS_DB_HELP}
  --conflicts            list replays that reused a stored log.record.uid for other content instead
                         (filters: --uid, --since/--from/--to on the receive time; --limit, --desc, --ndjson)
`,
  verify: `usage: ${PROG} verify [options]

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
`,
  retain: `usage: ${PROG} retain --older-than DURATION --archive-dir DIR [--tenant ID]... [--dry-run]

  Archives every shared segment (one per month) that ends before now - DURATION to
  DIR/audit-YYYY-MM.ndjson (+ .sha256), records it as retired, then drops its partition.
  With --tenant, does the same for the segments of that tenant instead (tenants given
  segments of their own with migrate --tenant; they are left alone without --tenant).
  Rows are never deleted one by one. Run as the schema owner.
`,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io);
      case 'migrate':
        return await migrateCmd(rest, io);
      case 'query':
        return await queryCmd(rest, io);
      case 'verify':
        return await verifyCmd(rest, io);
      case 'retain':
        return await retainCmd(rest, io);
      case 'checkpoint':
        return await checkpointCmd(rest, io);
      case 'prove':
        return await proveCmd(rest, io);
      case 'verify-proof':
        return await verifyProofCmd(rest, io);
      case 'keygen':
        return await keygenCmd(rest, io);
      case 'ui':
        return await uiCmd(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(HELP['main']!);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; expected serve, migrate, query, verify, retain, checkpoint, prove, verify-proof, keygen or ui`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${PROG}: ${err.message}\n`);
      return 2;
    }
    io.err(`${PROG} ${command}: ${errorLine(err)}\n`);
    return 3;
  }
}

function helpRequested(command: string, v: Record<string, unknown>, io: CliIo): boolean {
  if (v['help']) io.out(HELP[command]!);
  return Boolean(v['help']);
}

// --- serve -----------------------------------------------------------------

async function serve(argv: string[], io: CliIo): Promise<number> {
  const v = parse('serve', argv, {
    ...DB_OPTION,
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'no-auth': { type: 'boolean' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'max-body': { type: 'string' },
    'pool-size': { type: 'string' },
    'db-timeout': { type: 'string' },
    'retry-after': { type: 'string' },
    'max-concurrency': { type: 'string' },
    workers: { type: 'string' },
    ...SERVE_CHECKPOINT_OPTIONS,
    'accept-past': { type: 'string' },
    'accept-future': { type: 'string' },
    'max-new-months': { type: 'string' },
    'max-json-body': { type: 'string' },
    'max-inflight': { type: 'string' },
    ...SERVE_UI_OPTIONS,
    ...SERVE_TELEMETRY_OPTIONS,
  });
  if (helpRequested('serve', v, io)) return 0;
  const env = io.env;
  const opt = (flag: string, envName: string): [string, string] | undefined => {
    const fromFlag = v[flag] as string | undefined;
    if (fromFlag !== undefined) return [`--${flag}`, fromFlag];
    const fromEnv = env[envName];
    return fromEnv !== undefined && fromEnv !== '' ? [envName, fromEnv] : undefined;
  };
  const host = opt('host', 'DOMAIN_OTEL_AUDIT_SINK_HOST');
  const port = opt('port', 'DOMAIN_OTEL_AUDIT_SINK_PORT');
  const maxBody = opt('max-body', 'DOMAIN_OTEL_AUDIT_SINK_MAX_BODY');
  const poolSize = opt('pool-size', 'DOMAIN_OTEL_AUDIT_SINK_POOL_SIZE');
  const dbTimeout = opt('db-timeout', 'DOMAIN_OTEL_AUDIT_SINK_DB_TIMEOUT');
  const retryAfter = opt('retry-after', 'DOMAIN_OTEL_AUDIT_SINK_RETRY_AFTER');
  const maxConc = opt('max-concurrency', 'DOMAIN_OTEL_AUDIT_SINK_MAX_CONCURRENCY');
  const workers = opt('workers', 'DOMAIN_OTEL_AUDIT_SINK_WORKERS');
  const tlsCert = opt('tls-cert', 'DOMAIN_OTEL_AUDIT_SINK_TLS_CERT');
  const tlsKey = opt('tls-key', 'DOMAIN_OTEL_AUDIT_SINK_TLS_KEY');
  const acceptPast = opt('accept-past', 'DOMAIN_OTEL_AUDIT_SINK_ACCEPT_PAST');
  const acceptFuture = opt('accept-future', 'DOMAIN_OTEL_AUDIT_SINK_ACCEPT_FUTURE');
  const maxNewMonths = opt('max-new-months', 'DOMAIN_OTEL_AUDIT_SINK_MAX_NEW_MONTHS');
  const maxJsonBody = opt('max-json-body', 'DOMAIN_OTEL_AUDIT_SINK_MAX_JSON_BODY');
  const maxInflight = opt('max-inflight', 'DOMAIN_OTEL_AUDIT_SINK_MAX_INFLIGHT');

  const tokenFile = opt('token-file', 'DOMAIN_OTEL_AUDIT_SINK_TOKEN_FILE');
  const tokenValue = opt('token', 'DOMAIN_OTEL_AUDIT_SINK_TOKEN');
  let tokens: string[] | null;
  if (v['no-auth']) {
    if (tokenValue || tokenFile) throw new UsageError('serve: --no-auth conflicts with a configured token; use one or the other');
    tokens = null;
  } else if (tokenValue || tokenFile) {
    tokens = collectTokens(tokenValue, tokenFile);
  } else {
    throw new UsageError('serve: no bearer token; set DOMAIN_OTEL_AUDIT_SINK_TOKEN (or --token / --token-file), or pass --no-auth');
  }
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new UsageError('serve: TLS needs both --tls-cert and --tls-key');
  for (const f of [tlsCert, tlsKey]) {
    if (!f) continue;
    try {
      readFileSync(f[1]);
    } catch (err) {
      throw new UsageError(`${f[0]} ${JSON.stringify(f[1])}: cannot read the file (${errorLine(err)})`);
    }
  }

  const checkpointConfig = checkpointScheduleConfig(v, env);
  const telemetryConfig = serveTelemetryConfig(v, env);
  const viewerConfig = serveViewerConfig(v, env, tokens, checkpointConfig && { dir: checkpointConfig.dir, key: checkpointConfig.key });
  const url = databaseUrl(v, env);
  const timeoutMs = dbTimeout ? parseDuration(dbTimeout[0], dbTimeout[1]) : 10_000;
  const log = (line: string) => io.err(line + '\n');
  const pool = createPool(
    {
      ...(url !== undefined ? { connectionString: url } : {}),
      max: poolSize ? parseIntArg(poolSize[0], poolSize[1], 1, 1000) : 10,
      timeoutMs,
    },
    log,
  );
  let telemetry: Awaited<ReturnType<typeof startServeTelemetry>> | undefined;
  try {
    telemetry = telemetryConfig && (await startServeTelemetry(telemetryConfig, pool, log));
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const receiver = new AuditReceiver({
    pool,
    token: null,
    tokens,
    host: host ? parseNonEmpty(host[0], host[1]) : DEFAULT_HOST,
    port: port ? parsePort(port[0], port[1]) : DEFAULT_PORT,
    maxBodyBytes: maxBody ? parseBytes(maxBody[0], maxBody[1]) : DEFAULT_MAX_BODY_BYTES,
    ...(maxJsonBody ? { maxJsonBodyBytes: parseBytes(maxJsonBody[0], maxJsonBody[1]) } : {}),
    maxInflightBytes: maxInflight ? parseBytes(maxInflight[0], maxInflight[1]) : DEFAULT_MAX_INFLIGHT_BYTES,
    retryAfterSeconds: retryAfter ? parseIntArg(retryAfter[0], retryAfter[1], 1, 3600) : 5,
    maxConcurrentRequests: maxConc ? parseIntArg(maxConc[0], maxConc[1], 1, 100_000) : 32,
    prepareWorkers: workers ? parseIntArg(workers[0], workers[1], 0, 64) : defaultWorkers(),
    acceptPastMs: acceptPast ? parseDuration(acceptPast[0], acceptPast[1]) : DEFAULT_ACCEPT_PAST_MS,
    acceptFutureMs: acceptFuture ? parseDuration(acceptFuture[0], acceptFuture[1]) : DEFAULT_ACCEPT_FUTURE_MS,
    maxNewMonthsPerRequest: maxNewMonths ? parseIntArg(maxNewMonths[0], maxNewMonths[1], 1, 1000) : DEFAULT_MAX_NEW_MONTHS,
    ...(tlsCert && tlsKey ? { tls: { certFile: tlsCert[1], keyFile: tlsKey[1] } } : {}),
    ...(telemetry ? { observer: telemetry.observer } : {}),
    log,
  });
  const describeTokens = (list: string[]) =>
    `accepting ${list.length} bearer token${list.length === 1 ? '' : 's'}` +
    (tokenValue && tokenFile ? ` (1 from ${tokenValue[0]}, ${list.length - 1} from the token file)` : '');
  if (tokens !== null && tokenFile) log(`${PROG}: ${describeTokens(tokens)}`);
  try {
    await receiver.listen();
  } catch (err) {
    await telemetry?.shutdown();
    await pool.end().catch(() => {});
    throw new UsageError(`serve: cannot listen on ${host?.[1] ?? DEFAULT_HOST}:${port?.[1] ?? DEFAULT_PORT} (${errorLine(err)})`);
  }
  log(`${PROG}: listening on ${receiver.url}${tokens === null ? ' (authentication disabled)' : ''}`);
  const boundHost = host?.[1] ?? DEFAULT_HOST;
  if (!tlsCert && !/^(127\.|::1$|localhost$)/.test(boundHost)) {
    log(`${PROG}: warning: listening on ${boundHost} without TLS; the bearer token travels in clear text`);
  }
  // Not fatal: the sink answers 503 until the database is reachable and migrated.
  pool
    .query(`SELECT to_regclass('domain_otel_audit.records') IS NOT NULL AS migrated`)
    .then((r) => {
      if (!r.rows[0]?.migrated) log(`${PROG}: warning: schema missing; run ${PROG} migrate (requests get 503 until then)`);
    })
    .catch((err) => log(`${PROG}: warning: postgres not reachable yet (${errorLine(err)}); requests get 503 until it is`));
  const checkpoints = checkpointConfig && startCheckpointSchedule(checkpointConfig, pool, log);
  telemetry?.observe({ inflight: () => receiver.inflightRequests, ...(checkpoints ? { checkpointAge: checkpoints.age } : {}) });
  let viewer: Awaited<ReturnType<typeof startViewer>> | undefined;
  try {
    viewer = viewerConfig && (await startViewer(viewerConfig, log));
  } catch (err) {
    await receiver.close();
    await checkpoints?.stop();
    await telemetry?.shutdown();
    await pool.end().catch(() => {});
    throw err;
  }
  io.onListening?.(receiver.url);

  // SIGHUP re-reads the token file: add the new token, switch the senders, remove the old one,
  // each step without a restart. A file that cannot be used keeps the tokens in use.
  const reloadTokens = () => {
    if (!tokenFile || tokens === null) {
      log(`${PROG}: SIGHUP ignored: no token file to reload`);
      return;
    }
    try {
      const next = collectTokens(tokenValue, tokenFile);
      receiver.setTokens(next);
      log(`${PROG}: token file reloaded: ${describeTokens(next)}`);
      tokens = next;
    } catch (err) {
      log(`${PROG}: ${errorLine(err)}; keeping the ${tokens.length} bearer token${tokens.length === 1 ? '' : 's'} in use`);
    }
  };
  process.on('SIGHUP', reloadTokens);
  try {
    await (io.stopSignal ??
      new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }));
  } finally {
    process.removeListener('SIGHUP', reloadTokens);
  }
  log(`${PROG}: shutting down; finishing requests in flight`);
  await viewer?.stop();
  await receiver.close();
  await checkpoints?.stop(); // a last checkpoint covering every row acknowledged
  await telemetry?.shutdown();
  await pool.end().catch(() => {});
  const s = receiver.stats;
  const statuses = Object.entries(s.byStatus).map(([status, n]) => `${status}: ${n}`).join(', ');
  log(`${PROG}: stopped (requests ${s.requests}, stored ${s.stored}, duplicates ${s.duplicates}, ignored ${s.ignored}); ` +
    `refused ${s.rejected} (uid conflicts ${s.conflicts}); responses ${statuses || 'none'}`);
  return 0;
}

/**
 * Every configured token is accepted: the flag/variable first, then each line of the file not
 * equal to it (several at once is what lets a token be rotated without refusing anybody).
 */
function collectTokens(value: [string, string] | undefined, file: [string, string] | undefined): string[] {
  const first = value ? parseToken(value[0], value[1]) : undefined;
  const fromFile = file ? readTokenFile(file[0], file[1]) : [];
  return [...new Set([...(first !== undefined ? [first] : []), ...fromFile])];
}

/** A bearer token from the flag or variable: one word (the Authorization header carries it after `Bearer `). */
function parseToken(name: string, value: string): string {
  const token = parseNonEmpty(name, value).trim();
  if (/\s/.test(token)) throw new UsageError(`${name}: expected a token without spaces`);
  return token;
}

/** The token file: one token per line; blank lines and lines starting with # are skipped. */
function readTokenFile(name: string, path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${name} ${JSON.stringify(path)}: cannot read the token file (${errorLine(err)})`);
  }
  const tokens: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    // The line number, never the line: it is a secret.
    if (/\s/.test(line)) throw new UsageError(`${name} ${JSON.stringify(path)}: line ${i + 1}: expected one token per line without spaces`);
    tokens.push(line);
  }
  if (tokens.length === 0) throw new UsageError(`${name} ${JSON.stringify(path)}: the token file holds no token`);
  return tokens;
}

/**
 * Worker threads by default: one per core besides the request thread's, at least one (on two
 * cores shared with Postgres, one worker still gave ~8 % more records/s than none).
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

// --- migrate ---------------------------------------------------------------

async function migrateCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('migrate', argv, {
    ...DB_OPTION,
    'months-ahead': { type: 'string' },
    'writer-login': { type: 'string' },
    'reader-login': { type: 'string' },
    streams: { type: 'string' },
    tenant: { type: 'string', multiple: true },
    'guard-only': { type: 'boolean' },
  });
  if (helpRequested('migrate', v, io)) return 0;
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

// --- query -----------------------------------------------------------------

async function queryCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('query', argv, {
    ...DB_OPTION,
    ...ACCESS_DB_OPTION,
    user: { type: 'string' },
    tenant: { type: 'string' },
    manager: { type: 'string' },
    entity: { type: 'string' },
    action: { type: 'string' },
    outcome: { type: 'string' },
    event: { type: 'string' },
    trace: { type: 'string' },
    uid: { type: 'string' },
    service: { type: 'string' },
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    desc: { type: 'boolean' },
    ndjson: { type: 'boolean' },
    csv: { type: 'boolean' },
    conflicts: { type: 'boolean' },
  });
  if (helpRequested('query', v, io)) return 0;
  if (v['ndjson'] && v['csv']) throw new UsageError('query: --ndjson and --csv both choose the output format; use one');
  if (v['conflicts']) return conflictsQuery(v, argv, io);
  const f: QueryFilters = {};
  for (const k of ['user', 'tenant', 'manager', 'entity', 'action', 'outcome', 'event', 'uid', 'service'] as const) {
    if (v[k] !== undefined) f[k] = parseNonEmpty(`--${k}`, v[k] as string);
  }
  if (v['trace'] !== undefined) {
    const t = v['trace'] as string;
    if (!/^[0-9a-f]{32}$/i.test(t)) throw new UsageError(`--trace ${JSON.stringify(t)}: expected a trace id of 32 hex digits`);
    f.trace = t.toLowerCase();
  }
  Object.assign(f, timeRange(v));
  f.limit = v['limit'] !== undefined ? parseIntArg('--limit', v['limit'] as string, 1, 10_000_000) : 1000;
  if (v['desc']) f.order = 'desc';
  const rows = await withReadPools(v, io.env, async (pool, accessPool) => {
    const found = await queryAudit(pool, f);
    // Nothing is shown without a record of who asked.
    if (!(await logAccess(accessPool, io, { command: 'query', argv, outcome: 'success', result: `${found.length} rows` }))) return undefined;
    return found;
  });
  if (!rows) return 3;
  io.out(v['ndjson'] ? toNdjson(rows) : v['csv'] ? toCsv(rows) : toTable(rows));
  if (rows.length === f.limit) io.err(`${PROG} query: stopped at --limit ${f.limit}; narrow the filters or raise --limit\n`);
  return 0;
}

/** `query --conflicts`: the replays kept in uid_conflicts. */
async function conflictsQuery(v: Record<string, unknown>, argv: string[], io: CliIo): Promise<number> {
  const other = ['user', 'tenant', 'manager', 'entity', 'action', 'outcome', 'event', 'trace', 'service', 'csv'].find((k) => v[k] !== undefined);
  if (other) throw new UsageError(`query: --conflicts takes --uid, --since, --from, --to, --limit, --desc and --ndjson; --${other} does not apply`);
  const range = timeRange(v);
  const limit = v['limit'] !== undefined ? parseIntArg('--limit', v['limit'] as string, 1, 10_000_000) : 1000;
  const rows = await withReadPools(v, io.env, async (pool, accessPool) => {
    const found = await listConflicts(pool, {
      ...(v['uid'] !== undefined ? { uid: parseNonEmpty('--uid', v['uid'] as string) } : {}),
      ...range,
      limit,
      order: v['desc'] ? 'desc' : 'asc',
    });
    // Like every query: nothing is shown without a record of who asked.
    if (!(await logAccess(accessPool, io, { command: 'query', argv, outcome: 'success', result: `${found.length} uid conflicts` }))) return undefined;
    return found;
  });
  if (!rows) return 3;
  io.out(v['ndjson'] ? conflictsToNdjson(rows) : conflictsToTable(rows));
  if (rows.length === limit) io.err(`${PROG} query: stopped at --limit ${limit}; narrow the filters or raise --limit\n`);
  return 0;
}

/** --since / --from / --to of query, checked. */
function timeRange(v: Record<string, unknown>): { from?: Date; to?: Date } {
  const out: { from?: Date; to?: Date } = {};
  if (v['since'] !== undefined) {
    if (v['from'] !== undefined) throw new UsageError('query: --since and --from both set the start; use one');
    out.from = new Date(Date.now() - parseDuration('--since', v['since'] as string));
  }
  if (v['from'] !== undefined) out.from = parseTime('--from', v['from'] as string);
  if (v['to'] !== undefined) out.to = parseTime('--to', v['to'] as string);
  if (out.from && out.to && out.from >= out.to) {
    throw new UsageError(`--to ${JSON.stringify(v['to'])}: expected a time after the start (${out.from.toISOString()})`);
  }
  return out;
}

// --- verify ----------------------------------------------------------------

async function verifyCmd(argv: string[], io: CliIo): Promise<number> {
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
  if (helpRequested('verify', v, io)) return 0;
  const checkpointDir = v['checkpoints'] as string | undefined;
  if (v['pubkey'] !== undefined && checkpointDir === undefined) throw new UsageError('verify: --pubkey goes with --checkpoints DIR');
  const checkpoints = checkpointDir !== undefined
    ? { dir: checkpointDir, key: verifierKeyFrom('--pubkey', (v['pubkey'] as string | undefined) ?? io.env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY']) }
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
  let logged = true;
  let conflicts: ConflictSummary | null = null;
  const report = await withReadPools(v, io.env, async (pool, accessPool) => {
    const r = await verify(pool, {
      ...(chains ? { chains } : {}),
      ...(expectHeads.size ? { expectHeads } : {}),
      ...(archives.length ? { archives } : {}),
      ...(checkpoints ? { checkpoints } : {}),
      progress: (line) => io.err(`${PROG} ${line}\n`),
    });
    const first = r.problems[0];
    logged = await logAccess(accessPool, io, {
      command: 'verify', argv, outcome: r.ok ? 'success' : 'failure',
      result: r.ok ? `OK, ${r.rows} rows${r.checkpoints !== undefined ? `, ${r.checkpoints} checkpoints` : ''}` : `FAILED: ${first!.chain}: ${first!.message}`,
    });
    conflicts = await conflictSummary(pool);
    return r;
  });
  if (v['json']) {
    io.out(JSON.stringify({ ...report, ...(conflicts ? { conflicts } : {}) }) + '\n');
  } else {
    const printed = new Set<string>();
    const problemLine = (p: (typeof report.problems)[number], what: string) =>
      `${p.chain.startsWith('checkpoint') ? p.chain : `${what} ${p.chain}`}: BROKEN${p.seq ? ` at seq ${p.seq}` : ''}${p.uid ? ` (uid ${p.uid})` : ''}: ${p.message}\n`;
    for (const s of report.segments) {
      const tenant = s.tenantId === null ? '' : ` (tenant ${JSON.stringify(s.tenantId)})`;
      const segmentProblem = report.problems.find((x) => x.chain === s.segment && x.kind !== 'head');
      if (s.status === 'retired') {
        io.out(`segment ${s.segment}${tenant}: retired\n`);
        continue;
      }
      const chains = report.chains.filter((c) => c.segment === s.segment);
      for (const c of chains) {
        const p = report.problems.find((x) => x.chain === c.chain);
        if (p) io.out(problemLine(p, 'chain'));
        else if (c.rows > 0) io.out(`chain ${c.chain}: ok, ${c.rows} rows, head ${c.chain}:${c.headSeq}:${c.headHash}\n`);
        printed.add(c.chain);
      }
      if (segmentProblem && !printed.has(segmentProblem.chain)) {
        io.out(problemLine(segmentProblem, 'segment'));
        printed.add(segmentProblem.chain);
      } else if (s.rows === 0 && s.status === 'ok') {
        io.out(`segment ${s.segment}${tenant}: ok, empty (${s.streams} chain${s.streams === 1 ? '' : 's'})\n`);
      }
    }
    for (const p of report.problems.filter((x) => !printed.has(x.chain))) io.out(problemLine(p, 'chain'));
    for (const n of report.notes) io.out(`${n}\n`);
    io.out(conflictsLine(conflicts));
  }
  if (report.ok) {
    const cps = report.checkpoints !== undefined ? `; ${report.checkpoints} checkpoint${report.checkpoints === 1 ? '' : 's'} verified` : '';
    io.err(`${PROG} verify: OK (${report.segments.length} segments, ${report.chains.length} chains, ${report.rows} rows${cps})\n`);
    return logged ? 0 : 3;
  }
  const first = report.problems[0]!;
  io.err(
    `${PROG} verify: FAILED: ${first.chain.startsWith('checkpoint') ? '' : 'chain '}${first.chain}${first.seq ? ` seq ${first.seq}` : ''}${first.uid ? ` uid ${first.uid}` : ''}: ${first.message}\n`,
  );
  return 1;
}

/**
 * Conflicts are evidence of a sender that reused a uid for other content, not of altered history:
 * reported, but they do not make verify fail (exit 1 stays "the chains do not verify").
 */
function conflictsLine(c: ConflictSummary | null): string {
  if (c === null || c.count === 0) return '';
  return `uid conflicts: ${c.count} (replays reusing a log.record.uid with other content; the stored records are unchanged; see query --conflicts)\n`;
}

// --- retain ----------------------------------------------------------------

async function retainCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('retain', argv, {
    ...DB_OPTION,
    'older-than': { type: 'string' },
    'archive-dir': { type: 'string' },
    tenant: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
  });
  if (helpRequested('retain', v, io)) return 0;
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
