/**
 * The viewer's options for `domain-otel-audit ui` and `serve --ui`, validated before anything
 * listens, and starting the viewer with its own reader pool. Each option is a flag or an
 * environment variable (the flag wins); errors are one line naming it.
 */
import { readFileSync } from 'node:fs';
import type { Pool } from 'pg';
import { parseDuration, parseIntArg, parsePort, parseTenant } from '../args';
import { PROG, redactUrl, type Opts } from '../commands/common';
import { verifierKeyFrom } from '../commands/keys';
import { UsageError, errorLine } from '../errors';
import type { VerifierKey } from '../signed-note';
import { createPool } from '../store';
import { matchToken, parseTokenFile, viewerToken, MIN_TOKEN_LENGTH, type ViewerToken } from './auth';
import { DEFAULT_UI_HOST, DEFAULT_UI_PORT, ViewerServer, type ViewerOptions } from './server';

export const VIEWER_OPTIONS = {
  host: { type: 'string' }, port: { type: 'string' }, 'token-file': { type: 'string' }, tenant: { type: 'string' },
  'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'jaeger-url': { type: 'string' }, 'jaeger-ui-url': { type: 'string' },
  'prometheus-url': { type: 'string' }, checkpoints: { type: 'string' }, pubkey: { type: 'string' }, 'session-ttl': { type: 'string' },
  'export-limit': { type: 'string' }, 'pool-size': { type: 'string' },
} as const satisfies Opts;

type Name = keyof typeof VIEWER_OPTIONS | 'database-url' | 'token';

const ENV: Record<Name, string> = {
  'database-url': 'DOMAIN_OTEL_AUDIT_DATABASE_URL', host: 'DOMAIN_OTEL_AUDIT_UI_HOST', port: 'DOMAIN_OTEL_AUDIT_UI_PORT',
  'token-file': 'DOMAIN_OTEL_AUDIT_UI_TOKEN_FILE', token: 'DOMAIN_OTEL_AUDIT_UI_TOKEN', tenant: '', 'tls-cert': 'DOMAIN_OTEL_AUDIT_UI_TLS_CERT',
  'tls-key': 'DOMAIN_OTEL_AUDIT_UI_TLS_KEY', 'jaeger-url': 'DOMAIN_OTEL_AUDIT_UI_JAEGER_URL', 'jaeger-ui-url': 'DOMAIN_OTEL_AUDIT_UI_JAEGER_UI_URL',
  'prometheus-url': 'DOMAIN_OTEL_AUDIT_UI_PROMETHEUS_URL', checkpoints: 'DOMAIN_OTEL_AUDIT_CHECKPOINT_DIR', pubkey: 'DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY',
  'session-ttl': 'DOMAIN_OTEL_AUDIT_UI_SESSION_TTL', 'export-limit': 'DOMAIN_OTEL_AUDIT_UI_EXPORT_LIMIT', 'pool-size': '',
};

/** How the two commands name the viewer's options: `ui --host` is `serve --ui-host`. */
type Lookup = (name: Name) => [where: string, value: string] | undefined;

export interface ViewerConfig {
  databaseUrl: string | undefined;
  poolSize: number;
  options: Omit<ViewerOptions, 'pool' | 'log'>;
}

function httpUrl(where: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${where} ${JSON.stringify(value)}: expected an http:// or https:// URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${where} ${JSON.stringify(value)}: expected an http:// or https:// URL`);
  return value.replace(/\/+$/, '');
}

function readable(where: string, file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${where} ${JSON.stringify(file)}: cannot read the ${what} (${errorLine(err)})`);
  }
}

function viewerConfig(get: Lookup, ingestTokens: readonly string[], defaultCheckpoints?: { dir: string; key: VerifierKey }): ViewerConfig {
  let tokens: ViewerToken[];
  const file = get('token-file');
  const single = get('token');
  const tenant = get('tenant');
  if (file && single) throw new UsageError(`ui: ${file[0]} and ${single[0]} both give tokens; use one`);
  if (file) {
    if (tenant) throw new UsageError(`${tenant[0]} scopes the ${ENV.token} token; in a token file, write tenant=ID on the token's line`);
    tokens = parseTokenFile(readable(file[0], file[1], 'token file'), `${file[0]} ${file[1]}`);
  } else if (single) {
    const t = single[1].trim();
    if (t.length < MIN_TOKEN_LENGTH) throw new UsageError(`${single[0]}: expected a token of at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
    tokens = [viewerToken(t, tenant ? parseTenant(tenant[0], tenant[1]) : null)];
  } else {
    throw new UsageError(`ui: no viewer token; pass --token-file PATH (lines: TOKEN [tenant=ID] [name=LABEL]) or set ${ENV.token}`);
  }
  if (ingestTokens.some((t) => matchToken(tokens, t))) {
    throw new UsageError('ui: a viewer token equals the sink\'s ingest token; give the viewer tokens of its own (readers must not be able to write)');
  }
  const tlsCert = get('tls-cert');
  const tlsKey = get('tls-key');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new UsageError('ui: TLS needs both a certificate and a key');
  for (const f of [tlsCert, tlsKey]) if (f) readable(f[0], f[1], 'file');
  const jaeger = get('jaeger-url');
  const jaegerUi = get('jaeger-ui-url');
  if (jaegerUi && !jaeger) throw new UsageError(`${jaegerUi[0]} goes with a Jaeger query URL (--jaeger-url)`);
  const prometheus = get('prometheus-url');
  const cpDir = get('checkpoints');
  const pubkey = get('pubkey');
  if (pubkey && !cpDir) throw new UsageError(`${pubkey[0]} goes with a checkpoint directory (--checkpoints DIR)`);
  const checkpoints = cpDir ? { dir: cpDir[1], key: verifierKeyFrom(pubkey?.[0] ?? '--pubkey', pubkey?.[1]) } : defaultCheckpoints;
  const ttl = get('session-ttl');
  const exportLimit = get('export-limit');
  const port = get('port');
  const host = get('host');
  const poolSize = get('pool-size');
  const dbUrl = get('database-url');
  if (dbUrl && !/^postgres(ql)?:\/\//.test(dbUrl[1])) {
    throw new UsageError(`${dbUrl[0]} ${JSON.stringify(redactUrl(dbUrl[1]))}: expected a postgres:// or postgresql:// connection string`);
  }
  return {
    databaseUrl: dbUrl?.[1],
    poolSize: poolSize ? parseIntArg(poolSize[0], poolSize[1], 1, 100) : 4,
    options: {
      tokens,
      host: host ? host[1] : DEFAULT_UI_HOST,
      port: port ? parsePort(port[0], port[1]) : DEFAULT_UI_PORT,
      ...(tlsCert && tlsKey ? { tls: { certFile: tlsCert[1], keyFile: tlsKey[1] } } : {}),
      ...(jaeger ? { jaeger: { apiUrl: httpUrl(jaeger[0], jaeger[1]), uiUrl: httpUrl((jaegerUi ?? jaeger)[0], (jaegerUi ?? jaeger)[1]) } } : {}),
      ...(prometheus ? { prometheusUrl: httpUrl(prometheus[0], prometheus[1]) } : {}),
      ...(checkpoints ? { checkpoints } : {}),
      sessionTtlMs: ttl ? parseDuration(ttl[0], ttl[1]) : 8 * 3600_000,
      exportLimit: exportLimit ? parseIntArg(exportLimit[0], exportLimit[1], 1, 10_000_000) : 100_000,
    },
  };
}

export interface RunningViewer {
  url: string;
  stop(): Promise<void>;
}

/** Starts the viewer with its own reader pool; a port in use is a usage error. */
export async function startViewer(config: ViewerConfig, log: (line: string) => void): Promise<RunningViewer> {
  const pool: Pool = createPool({ ...(config.databaseUrl !== undefined ? { connectionString: config.databaseUrl } : {}), max: config.poolSize, timeoutMs: 30_000 }, log);
  const viewer = new ViewerServer({ ...config.options, pool, log });
  try {
    await viewer.listen();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new UsageError(`ui: cannot listen on ${config.options.host}:${config.options.port} (${errorLine(err)})`);
  }
  const host = config.options.host ?? DEFAULT_UI_HOST;
  log(`${PROG}: audit viewer on ${viewer.url}/ (${config.options.tokens.length} token${config.options.tokens.length === 1 ? '' : 's'})`);
  if (!config.options.tls && !/^(127\.|::1$|localhost$)/.test(host)) {
    log(`${PROG}: warning: the viewer listens on ${host} without TLS; tokens and session cookies travel in clear text`);
  }
  pool.query(`SELECT pg_has_role(current_user, 'domain_otel_audit_writer', 'USAGE') AS writer`).then(
    (r) => { if (r.rows[0]?.writer) log(`${PROG}: warning: the viewer's database login can write audit records; give it a login in domain_otel_audit_reader only`); },
    (err) => log(`${PROG}: warning: postgres not reachable yet (${errorLine(err)}); the viewer answers 503 until it is`),
  );
  return {
    url: viewer.url,
    async stop() {
      await viewer.close();
      await pool.end().catch(() => {});
    },
  };
}

function lookup(v: Record<string, unknown>, env: NodeJS.ProcessEnv, flagOf: (n: Name) => string | undefined, envOf: (n: Name) => string): Lookup {
  return (name) => {
    const flag = flagOf(name);
    if (flag !== undefined && v[flag] !== undefined) return [`--${flag}`, v[flag] as string];
    const e = envOf(name);
    return e && env[e] !== undefined && env[e] !== '' ? [e, env[e]!] : undefined;
  };
}

/** `ui`'s options: its own flags and variables; the sink's ingest token must not be a viewer token. */
export function uiViewerConfig(v: Record<string, unknown>, env: NodeJS.ProcessEnv): ViewerConfig {
  const get = lookup(v, env, (n) => (n === 'token' ? undefined : n), (n) => ENV[n]);
  const ingest = env['DOMAIN_OTEL_AUDIT_SINK_TOKEN'];
  return viewerConfig(get, ingest ? [ingest] : []);
}

// --- serve --ui ------------------------------------------------------------------

export const SERVE_UI_OPTIONS: Opts = {
  ui: { type: 'boolean' },
  'ui-database-url': { type: 'string' },
  'ui-host': { type: 'string' },
  'ui-port': { type: 'string' },
  'ui-token-file': { type: 'string' },
  'jaeger-url': { type: 'string' },
  'jaeger-ui-url': { type: 'string' },
  'prometheus-url': { type: 'string' },
};

export const SERVE_UI_HELP = `  --ui                   also serve the audit viewer (see ${PROG} ui --help), connected as a reader:
  --ui-database-url URL  the viewer's reader login (env DOMAIN_OTEL_AUDIT_UI_DATABASE_URL; required with --ui)
  --ui-host HOST --ui-port PORT --ui-token-file PATH  (env DOMAIN_OTEL_AUDIT_UI_HOST, _PORT, _TOKEN_FILE or _TOKEN)
  --jaeger-url URL --jaeger-ui-url URL --prometheus-url URL   as for ui; checkpoints: those of --checkpoint-dir/-key
`;

/** serve --ui: the viewer's configuration, checked before the sink listens (undefined without --ui). */
export function serveViewerConfig(
  v: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  ingestTokens: readonly string[] | null,
  checkpoints: { dir: string; key: VerifierKey } | undefined,
): ViewerConfig | undefined {
  const uiFlags = Object.keys(SERVE_UI_OPTIONS).filter((k) => k !== 'ui' && v[k] !== undefined);
  if (!v['ui']) {
    if (uiFlags.length) throw new UsageError(`serve: --${uiFlags[0]} goes with --ui`);
    return undefined;
  }
  const flagOf = (n: Name): string | undefined =>
    ({ 'database-url': 'ui-database-url', host: 'ui-host', port: 'ui-port', 'token-file': 'ui-token-file', 'jaeger-url': 'jaeger-url', 'jaeger-ui-url': 'jaeger-ui-url', 'prometheus-url': 'prometheus-url' } as Partial<Record<Name, string>>)[n];
  const envOf = (n: Name) => (n === 'database-url' ? 'DOMAIN_OTEL_AUDIT_UI_DATABASE_URL' : n === 'checkpoints' || n === 'pubkey' ? '' : ENV[n]);
  const get = lookup(v, env, flagOf, envOf);
  if (!get('database-url')) {
    throw new UsageError('serve --ui: the viewer connects as a reader, not as the sink\'s writer: pass --ui-database-url (or DOMAIN_OTEL_AUDIT_UI_DATABASE_URL) with a login in domain_otel_audit_reader');
  }
  return viewerConfig(get, ingestTokens ?? [], checkpoints);
}
