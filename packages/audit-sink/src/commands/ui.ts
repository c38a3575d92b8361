/** `domain-otel-audit ui`: the audit viewer on its own, until SIGINT/SIGTERM. */
import { DEFAULT_UI_HOST, DEFAULT_UI_PORT } from '../ui/server';
import { VIEWER_OPTIONS, startViewer, uiViewerConfig } from '../ui/viewer-config';
import { DB_OPTION, PROG, databaseUrl, helpRequested, parse, stopRequested, type CliIo } from './common';

export const UI_HELP = `usage: ${PROG} ui [options]

  A read-only web page over the audit log: search, a record with its chain position, verification,
  request trace and proof, a timeline of decisions, CSV/NDJSON export. Every search, record view,
  export and proof download is itself appended as a domain.audit.access record.

  --database-url URL     connect as a member of domain_otel_audit_reader (env DOMAIN_OTEL_AUDIT_DATABASE_URL)
  --host HOST            bind address (env DOMAIN_OTEL_AUDIT_UI_HOST, default ${DEFAULT_UI_HOST})
  --port PORT            port (env DOMAIN_OTEL_AUDIT_UI_PORT, default ${DEFAULT_UI_PORT}; 0 = any free port)
  --token-file PATH      viewer tokens, one per line: TOKEN [tenant=ID] [name=LABEL] (env DOMAIN_OTEL_AUDIT_UI_TOKEN_FILE);
                         a token with tenant=ID sees only that tenant's records
  (env DOMAIN_OTEL_AUDIT_UI_TOKEN)  or one token in the environment, seeing every tenant unless --tenant
  --tenant ID            scope the DOMAIN_OTEL_AUDIT_UI_TOKEN token to one tenant
  --tls-cert PATH --tls-key PATH   serve HTTPS (env DOMAIN_OTEL_AUDIT_UI_TLS_CERT, DOMAIN_OTEL_AUDIT_UI_TLS_KEY)
  --jaeger-url URL       Jaeger's query API, for the request trace of a record (env DOMAIN_OTEL_AUDIT_UI_JAEGER_URL)
  --jaeger-ui-url URL    Jaeger's web UI for links (env DOMAIN_OTEL_AUDIT_UI_JAEGER_UI_URL, default: --jaeger-url)
  --prometheus-url URL   a Prometheus server, or a /metrics scrape endpoint such as the collector's
                         127.0.0.1:8889/metrics (env DOMAIN_OTEL_AUDIT_UI_PROMETHEUS_URL)
  --checkpoints DIR      signed checkpoints: coverage in the record view, proof downloads (env DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR)
  --pubkey KEY           their verifier key or its file (env DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY)
  --session-ttl DURATION how long a login lasts (env DOMAIN_OTEL_AUDIT_UI_SESSION_TTL, default 8h)
  --export-limit N       rows one export may hold (env DOMAIN_OTEL_AUDIT_UI_EXPORT_LIMIT, default 100000)
  --pool-size N          Postgres connections (default 4)
`;

export async function uiCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('ui', argv, { ...DB_OPTION, ...VIEWER_OPTIONS });
  if (helpRequested(UI_HELP, v, io)) return 0;
  const config = uiViewerConfig(v, io.env);
  databaseUrl(v, io.env); // the same check as every command
  const log = (line: string) => io.err(line + '\n');
  const running = await startViewer(config, log);
  io.onListening?.(running.url);
  await stopRequested(io);
  await running.stop();
  log(`${PROG}: audit viewer stopped`);
  return 0;
}
