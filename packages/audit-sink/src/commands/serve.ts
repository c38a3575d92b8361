/** `domain-otel-audit serve`: the OTLP/HTTP logs receiver that stores audit records. */
import { DEFAULT_HOST, DEFAULT_PORT } from '../server';
import { SERVE_TELEMETRY_HELP, SERVE_TELEMETRY_OPTIONS } from '../telemetry/cli-telemetry';
import { SERVE_UI_HELP, SERVE_UI_OPTIONS } from '../ui/viewer-config';
import { DB_OPTION, PROG, helpRequested, parse, type CliIo } from './common';
import { SERVE_CHECKPOINT_OPTIONS } from './serve-checkpoints';
import { sinkConfig } from './serve-config';
import { runSink } from './serve-lifecycle';

export const SERVE_HELP = `usage: ${PROG} serve [options]

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
${SERVE_TELEMETRY_HELP}${SERVE_UI_HELP}`;

export async function serveCmd(argv: string[], io: CliIo): Promise<number> {
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
  if (helpRequested(SERVE_HELP, v, io)) return 0;
  return runSink(sinkConfig(v, io.env), io);
}
