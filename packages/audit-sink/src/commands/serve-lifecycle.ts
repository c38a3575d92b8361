/**
 * The sink's life once its configuration is read: start (pool, own telemetry, receiver,
 * checkpoint schedule, viewer; each started part stopped again when a later one fails), run until
 * SIGINT/SIGTERM with SIGHUP re-reading the token file, then shut down in order and print the counts.
 */
import type { Pool } from 'pg';
import { errorLine, UsageError } from '../errors';
import { AuditReceiver } from '../server';
import { createPool } from '../store';
import { startServeTelemetry } from '../telemetry/cli-telemetry';
import { startViewer } from '../ui/viewer-config';
import { PROG, stopRequested, type CliIo } from './common';
import { startCheckpointSchedule } from './serve-checkpoints';
import type { SinkConfig } from './serve-config';
import { collectTokens, describeTokens } from './serve-tokens';

type Log = (line: string) => void;

interface RunningSink {
  pool: Pool;
  receiver: AuditReceiver;
  telemetry: Awaited<ReturnType<typeof startServeTelemetry>> | undefined;
  checkpoints: ReturnType<typeof startCheckpointSchedule> | undefined;
  viewer: Awaited<ReturnType<typeof startViewer>> | undefined;
}

/** Runs the sink until it is told to stop; 0 after a clean shutdown. */
export async function runSink(config: SinkConfig, io: CliIo): Promise<number> {
  const log: Log = (line) => io.err(line + '\n');
  const sink = await startSink(config, log);
  io.onListening?.(sink.receiver.url);
  const reloadTokens = tokenReloader(config, sink.receiver, log);
  process.on('SIGHUP', reloadTokens);
  try {
    await stopRequested(io);
  } finally {
    process.removeListener('SIGHUP', reloadTokens);
  }
  log(`${PROG}: shutting down; finishing requests in flight`);
  await stopSink(sink);
  const s = sink.receiver.stats;
  const statuses = Object.entries(s.byStatus).map(([status, n]) => `${status}: ${n}`).join(', ');
  log(`${PROG}: stopped (requests ${s.requests}, stored ${s.stored}, duplicates ${s.duplicates}, ignored ${s.ignored}); ` +
    `refused ${s.rejected} (uid conflicts ${s.conflicts}); responses ${statuses || 'none'}`);
  return 0;
}

async function startSink(config: SinkConfig, log: Log): Promise<RunningSink> {
  const pool = createPool(
    { ...(config.databaseUrl !== undefined ? { connectionString: config.databaseUrl } : {}), max: config.poolSize, timeoutMs: config.dbTimeoutMs },
    log,
  );
  let telemetry: RunningSink['telemetry'];
  try {
    telemetry = config.telemetry && (await startServeTelemetry(config.telemetry, pool, log));
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const receiver = new AuditReceiver({ ...config.receiver, pool, ...(telemetry ? { observer: telemetry.observer } : {}), log });
  const { tokens, tokenSources } = config;
  if (tokens !== null && tokenSources.file) log(`${PROG}: ${describeTokens(tokens, tokenSources)}`);
  try {
    await receiver.listen();
  } catch (err) {
    await telemetry?.shutdown();
    await pool.end().catch(() => {});
    throw new UsageError(`serve: cannot listen on ${config.listenAddress} (${errorLine(err)})`);
  }
  log(`${PROG}: listening on ${receiver.url}${tokens === null ? ' (authentication disabled)' : ''}`);
  const boundHost = config.receiver.host!;
  if (!config.receiver.tls && !/^(127\.|::1$|localhost$)/.test(boundHost)) {
    log(`${PROG}: warning: listening on ${boundHost} without TLS; the bearer token travels in clear text`);
  }
  warnUntilReady(pool, log);
  const checkpoints = config.checkpoints && startCheckpointSchedule(config.checkpoints, pool, log);
  telemetry?.observe({ inflight: () => receiver.inflightRequests, ...(checkpoints ? { checkpointAge: checkpoints.age } : {}) });
  const sink: RunningSink = { pool, receiver, telemetry, checkpoints, viewer: undefined };
  try {
    sink.viewer = config.viewer && (await startViewer(config.viewer, log));
  } catch (err) {
    await stopSink(sink);
    throw err;
  }
  return sink;
}

/** Not fatal: the sink answers 503 until the database is reachable and migrated. */
function warnUntilReady(pool: Pool, log: Log): void {
  pool
    .query(`SELECT to_regclass('domain_otel_audit.records') IS NOT NULL AS migrated`)
    .then((r) => {
      if (!r.rows[0]?.migrated) log(`${PROG}: warning: schema missing; run ${PROG} migrate (requests get 503 until then)`);
    })
    .catch((err) => log(`${PROG}: warning: postgres not reachable yet (${errorLine(err)}); requests get 503 until it is`));
}

/** In order: the viewer, the receiver (requests in flight finish), a last checkpoint covering every row acknowledged, telemetry, the pool. */
async function stopSink(sink: RunningSink): Promise<void> {
  await sink.viewer?.stop();
  await sink.receiver.close();
  await sink.checkpoints?.stop();
  await sink.telemetry?.shutdown();
  await sink.pool.end().catch(() => {});
}

/**
 * SIGHUP re-reads the token file: add the new token, switch the senders, remove the old one,
 * each step without a restart. A file that cannot be used keeps the tokens in use.
 */
function tokenReloader(config: SinkConfig, receiver: AuditReceiver, log: Log): () => void {
  let tokens = config.tokens;
  const sources = config.tokenSources;
  return () => {
    if (!sources.file || tokens === null) {
      log(`${PROG}: SIGHUP ignored: no token file to reload`);
      return;
    }
    try {
      const next = collectTokens(sources);
      receiver.setTokens(next);
      log(`${PROG}: token file reloaded: ${describeTokens(next, sources)}`);
      tokens = next;
    } catch (err) {
      log(`${PROG}: ${errorLine(err)}; keeping the ${tokens.length} bearer token${tokens.length === 1 ? '' : 's'} in use`);
    }
  };
}
