/**
 * `serve`'s options read into one configuration before anything starts: each a flag or an
 * environment variable (the flag wins), every error one line naming the one that is wrong.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseBytes, parseDuration, parseIntArg, parseNonEmpty, parsePort } from '../args';
import { UsageError, errorLine } from '../errors';
import {
  DEFAULT_ACCEPT_FUTURE_MS, DEFAULT_ACCEPT_PAST_MS, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_MAX_NEW_MONTHS, DEFAULT_PORT,
  type ReceiverOptions,
} from '../server';
import { serveTelemetryConfig, type ServeTelemetryConfig } from '../telemetry/cli-telemetry';
import { serveViewerConfig, type ViewerConfig } from '../ui/viewer-config';
import { databaseUrl } from './common';
import { checkpointScheduleConfig, type CheckpointScheduleConfig } from './serve-checkpoints';
import { collectTokens, type Setting, type TokenSources } from './serve-tokens';

export interface SinkConfig {
  databaseUrl: string | undefined;
  poolSize: number;
  dbTimeoutMs: number;
  /** null: --no-auth. */
  tokens: string[] | null;
  tokenSources: TokenSources;
  /** The receiver's options but its pool, observer and log. */
  receiver: Omit<ReceiverOptions, 'pool' | 'observer' | 'log'>;
  /** host:port as given, for the error when it cannot be bound. */
  listenAddress: string;
  checkpoints: CheckpointScheduleConfig | undefined;
  telemetry: ServeTelemetryConfig | undefined;
  viewer: ViewerConfig | undefined;
}

/** The flag's value as [`--flag`, value], else the variable's as [NAME, value], else undefined. */
type Lookup = (flag: string, envName: string) => Setting | undefined;

export function sinkConfig(v: Record<string, unknown>, env: NodeJS.ProcessEnv): SinkConfig {
  const opt: Lookup = (flag, envName) => {
    const fromFlag = v[flag] as string | undefined;
    if (fromFlag !== undefined) return [`--${flag}`, fromFlag];
    const fromEnv = env[envName];
    return fromEnv !== undefined && fromEnv !== '' ? [envName, fromEnv] : undefined;
  };
  const tokenSources = { value: opt('token', 'DOMAIN_OTEL_AUDIT_SINK_TOKEN'), file: opt('token-file', 'DOMAIN_OTEL_AUDIT_SINK_TOKEN_FILE') };
  const tokens = acceptedTokens(Boolean(v['no-auth']), tokenSources);
  const tls = tlsFiles(opt);
  const checkpoints = checkpointScheduleConfig(v, env);
  const telemetry = serveTelemetryConfig(v, env);
  const viewer = serveViewerConfig(v, env, tokens, checkpoints && { dir: checkpoints.dir, key: checkpoints.key });
  const url = databaseUrl(v, env);
  const dbTimeout = opt('db-timeout', 'DOMAIN_OTEL_AUDIT_SINK_DB_TIMEOUT');
  const poolSize = opt('pool-size', 'DOMAIN_OTEL_AUDIT_SINK_POOL_SIZE');
  const dbTimeoutMs = dbTimeout ? parseDuration(dbTimeout[0], dbTimeout[1]) : 10_000;
  const pool = poolSize ? parseIntArg(poolSize[0], poolSize[1], 1, 1000) : 10;
  const host = opt('host', 'DOMAIN_OTEL_AUDIT_SINK_HOST');
  const port = opt('port', 'DOMAIN_OTEL_AUDIT_SINK_PORT');
  return {
    databaseUrl: url,
    poolSize: pool,
    dbTimeoutMs,
    tokens,
    tokenSources,
    receiver: {
      token: null,
      tokens,
      host: host ? parseNonEmpty(host[0], host[1]) : DEFAULT_HOST,
      port: port ? parsePort(port[0], port[1]) : DEFAULT_PORT,
      ...receiverLimits(opt),
      ...(tls ? { tls } : {}),
    },
    listenAddress: `${host?.[1] ?? DEFAULT_HOST}:${port?.[1] ?? DEFAULT_PORT}`,
    checkpoints,
    telemetry,
    viewer,
  };
}

/** The tokens senders must present, or null with --no-auth; one of the two is required. */
function acceptedTokens(noAuth: boolean, sources: TokenSources): string[] | null {
  const configured = Boolean(sources.value || sources.file);
  if (noAuth) {
    if (configured) throw new UsageError('serve: --no-auth conflicts with a configured token; use one or the other');
    return null;
  }
  if (configured) return collectTokens(sources);
  throw new UsageError('serve: no bearer token; set DOMAIN_OTEL_AUDIT_SINK_TOKEN (or --token / --token-file), or pass --no-auth');
}

/** --tls-cert and --tls-key: both or neither, each readable. */
function tlsFiles(opt: Lookup): { certFile: string; keyFile: string } | undefined {
  const tlsCert = opt('tls-cert', 'DOMAIN_OTEL_AUDIT_SINK_TLS_CERT');
  const tlsKey = opt('tls-key', 'DOMAIN_OTEL_AUDIT_SINK_TLS_KEY');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new UsageError('serve: TLS needs both --tls-cert and --tls-key');
  for (const f of [tlsCert, tlsKey]) {
    if (!f) continue;
    try {
      readFileSync(f[1]);
    } catch (err) {
      throw new UsageError(`${f[0]} ${JSON.stringify(f[1])}: cannot read the file (${errorLine(err)})`);
    }
  }
  return tlsCert && tlsKey ? { certFile: tlsCert[1], keyFile: tlsKey[1] } : undefined;
}

/** Sizes, counts and durations that bound what the receiver takes on. */
function receiverLimits(opt: Lookup): Partial<ReceiverOptions> {
  const maxBody = opt('max-body', 'DOMAIN_OTEL_AUDIT_SINK_MAX_BODY');
  const maxJsonBody = opt('max-json-body', 'DOMAIN_OTEL_AUDIT_SINK_MAX_JSON_BODY');
  const maxInflight = opt('max-inflight', 'DOMAIN_OTEL_AUDIT_SINK_MAX_INFLIGHT');
  const retryAfter = opt('retry-after', 'DOMAIN_OTEL_AUDIT_SINK_RETRY_AFTER');
  const maxConc = opt('max-concurrency', 'DOMAIN_OTEL_AUDIT_SINK_MAX_CONCURRENCY');
  const workers = opt('workers', 'DOMAIN_OTEL_AUDIT_SINK_WORKERS');
  const acceptPast = opt('accept-past', 'DOMAIN_OTEL_AUDIT_SINK_ACCEPT_PAST');
  const acceptFuture = opt('accept-future', 'DOMAIN_OTEL_AUDIT_SINK_ACCEPT_FUTURE');
  const maxNewMonths = opt('max-new-months', 'DOMAIN_OTEL_AUDIT_SINK_MAX_NEW_MONTHS');
  return {
    maxBodyBytes: maxBody ? parseBytes(maxBody[0], maxBody[1]) : DEFAULT_MAX_BODY_BYTES,
    ...(maxJsonBody ? { maxJsonBodyBytes: parseBytes(maxJsonBody[0], maxJsonBody[1]) } : {}),
    maxInflightBytes: maxInflight ? parseBytes(maxInflight[0], maxInflight[1]) : DEFAULT_MAX_INFLIGHT_BYTES,
    retryAfterSeconds: retryAfter ? parseIntArg(retryAfter[0], retryAfter[1], 1, 3600) : 5,
    maxConcurrentRequests: maxConc ? parseIntArg(maxConc[0], maxConc[1], 1, 100_000) : 32,
    prepareWorkers: workers ? parseIntArg(workers[0], workers[1], 0, 64) : defaultWorkers(),
    acceptPastMs: acceptPast ? parseDuration(acceptPast[0], acceptPast[1]) : DEFAULT_ACCEPT_PAST_MS,
    acceptFutureMs: acceptFuture ? parseDuration(acceptFuture[0], acceptFuture[1]) : DEFAULT_ACCEPT_FUTURE_MS,
    maxNewMonthsPerRequest: maxNewMonths ? parseIntArg(maxNewMonths[0], maxNewMonths[1], 1, 1000) : DEFAULT_MAX_NEW_MONTHS,
  };
}

/**
 * Worker threads by default: one per core besides the request thread's, at least one (on two
 * cores shared with Postgres, one worker still gave ~8 % more records/s than none).
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}
