/**
 * The audit viewer (`domain-otel-audit ui`, `serve --ui`): a read-only web page over the reader
 * role. node:http, no framework: a login, the static page, and a small JSON API.
 *
 *   GET  /                      the page (or the login form); `/?token=…` logs in and redirects to /
 *   POST /login, /logout        form login (token → session cookie), logout
 *   GET  /assets/*              the bundled page (no data; served without a session)
 *   GET  /healthz               200, no session, no database
 *   GET  /api/session           who is logged in, what is configured
 *   GET  /api/search            a page of rows, the match count and the timeline   → access record ui-search
 *   GET  /api/record?uid=       one whole record and its chain position            → access record ui-record
 *   GET  /api/record/verification?uid=   its chain verified up to it; checkpoint coverage
 *   GET  /api/record/trace?uid=          its request trace from Jaeger
 *   GET  /api/record/proof?uid=          its inclusion proof (with --checkpoints)  → access record ui-proof
 *   GET  /api/export?format=csv|ndjson&… the whole search as a file                → access record ui-export
 *   GET  /api/metrics?from=&to=          cache invalidations and rule evaluations from Prometheus
 *
 * Nothing is sent before the access record of what is sent is committed (503 otherwise), as with
 * `query`. Every SQL statement carries the viewer's tenant scope (search.ts, record.ts).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { recordAccess, type AccessEntry } from '../access-log';
import { errorLine, isUnavailable } from '../errors';
import { ProofError, prove } from '../proof';
import type { VerifierKey } from '../signed-note';
import { Sessions, matchToken, type Viewer, type ViewerToken } from './auth';
import { defaultAssetsDir, loadAssets, type Asset } from './assets';
import { startExport, type ExportFormat } from './export';
import { lookupTrace } from './jaeger';
import { loginPage } from './login-page';
import { lookupMetrics } from './prometheus';
import { findRecord, verifyRecord } from './record';
import { BadRequest, countMatching, filtersAsArguments, parseFilters, searchPage, timeline, type SearchFilters } from './search';

export const DEFAULT_UI_HOST = '127.0.0.1';
export const DEFAULT_UI_PORT = 4321;

export interface ViewerOptions {
  /** A pool logged in as a member of domain_otel_audit_reader. */
  pool: Pool;
  tokens: ViewerToken[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  tls?: { certFile: string; keyFile: string };
  /** Jaeger's query API, and its UI for links (default: the API's address). */
  jaeger?: { apiUrl: string; uiUrl: string };
  prometheusUrl?: string;
  checkpoints?: { dir: string; key: VerifierKey };
  sessionTtlMs?: number;
  /** Rows one export may hold (default 100,000); a larger search is refused with its count. */
  exportLimit?: number;
  assetsDir?: string;
  log?: (line: string) => void;
}

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const MAX_PAGE = 200;
const COUNT_CAP = 10_000;

export class ViewerServer {
  private readonly server: Server;
  private readonly sessions: Sessions;
  private readonly assets: Map<string, Asset>;
  private readonly log: (line: string) => void;
  private readonly exportLimit: number;

  constructor(private readonly opts: ViewerOptions) {
    if (opts.tokens.length === 0) throw new Error('the viewer needs at least one token');
    this.assets = loadAssets(opts.assetsDir ?? defaultAssetsDir());
    this.sessions = new Sessions(opts.sessionTtlMs ?? 8 * 3600_000, Boolean(opts.tls));
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    this.exportLimit = opts.exportLimit ?? 100_000;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err) => {
        const status = err instanceof BadRequest ? err.status : isUnavailable(err) ? 503 : 500;
        if (status === 500) this.log(`domain-otel-audit ui: internal error: ${errorLine(err)}`);
        const message = status === 503 ? `the audit database is not available (${errorLine(err)})` : errorLine(err);
        if (!res.headersSent) this.json(res, status, { error: message });
        else res.destroy();
      });
    };
    this.server = opts.tls
      ? createHttpsServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, handler)
      : createHttpServer(handler);
    this.server.requestTimeout = 120_000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? DEFAULT_UI_PORT, this.opts.host ?? DEFAULT_UI_HOST, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // --- routing ---------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://viewer.invalid');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /healthz') return this.text(res, 200, 'ok\n');
    if (req.method === 'GET' && url.pathname.startsWith('/assets/')) return this.asset(res, url.pathname.slice('/assets/'.length));
    if (route === 'POST /login') return this.login(req, res);
    if (route === 'POST /logout') {
      if (!this.sameOrigin(req)) return this.text(res, 403, 'cross-origin request refused\n');
      res.setHeader('Set-Cookie', this.sessions.close(req.headers.cookie));
      return this.redirect(res, '/');
    }
    if (route === 'GET /') return this.page(req, res, url);

    const viewer = this.viewerOf(req);
    if (url.pathname.startsWith('/api/')) {
      if (!viewer) return this.json(res, 401, { error: 'not logged in: open / and present a viewer token' });
      if (req.method !== 'GET') return this.json(res, 405, { error: `${req.method} is not allowed: the viewer is read-only` });
      const q = url.searchParams;
      switch (url.pathname) {
        case '/api/session':
          return this.json(res, 200, {
            identity: viewer.identity, tenant: viewer.tenant,
            jaeger: this.opts.jaeger ? { uiUrl: this.opts.jaeger.uiUrl } : null,
            prometheus: Boolean(this.opts.prometheusUrl), checkpoints: Boolean(this.opts.checkpoints), exportLimit: this.exportLimit,
          });
        case '/api/search':
          return this.search(res, viewer, q);
        case '/api/record':
          return this.record(res, viewer, q);
        case '/api/record/verification':
          return this.verification(res, viewer, q);
        case '/api/record/trace':
          return this.trace(res, viewer, q);
        case '/api/record/proof':
          return this.proof(res, viewer, q);
        case '/api/export':
          return this.export(res, viewer, q);
        case '/api/metrics':
          return this.metrics(res, viewer, q);
        default:
          return this.json(res, 404, { error: `no such API: ${url.pathname}` });
      }
    }
    return this.text(res, 404, 'not found\n');
  }

  // --- authentication ----------------------------------------------------------

  private viewerOf(req: IncomingMessage): Viewer | undefined {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      const t = matchToken(this.opts.tokens, bearer);
      return t ? { identity: t.identity, tenant: t.tenant } : undefined;
    }
    return this.sessions.get(req.headers.cookie);
  }

  private async page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const presented = url.searchParams.get('token');
    if (presented !== null) {
      const t = matchToken(this.opts.tokens, presented);
      if (!t) return this.html(res, 401, loginPage('That token is not valid for this viewer.'));
      return this.startSession(res, t);
    }
    if (!this.viewerOf(req)) return this.html(res, 200, loginPage());
    return this.html(res, 200, this.assets.get('index.html')!.body);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.sameOrigin(req)) return this.text(res, 403, 'cross-origin login refused\n');
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return this.html(res, 415, loginPage('The login form must be sent as application/x-www-form-urlencoded.'));
    }
    const body = await readBody(req, 8192);
    if (body === undefined) return this.html(res, 413, loginPage('The login request is too large.'));
    const t = matchToken(this.opts.tokens, new URLSearchParams(body).get('token')?.trim());
    if (!t) return this.html(res, 401, loginPage('That token is not valid for this viewer.'));
    return this.startSession(res, t);
  }

  private startSession(res: ServerResponse, t: ViewerToken): void {
    const { cookie } = this.sessions.open({ identity: t.identity, tenant: t.tenant });
    res.setHeader('Set-Cookie', cookie);
    this.redirect(res, '/');
  }

  /** Form posts carry Origin; when they do, it must be this server (the cookie is SameSite=Strict as well). */
  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `${this.opts.tls ? 'https' : 'http'}://${req.headers.host}`;
  }

  // --- API -----------------------------------------------------------------------

  /** Appends the access record; false (and a 503 sent) when it cannot be: then nothing is shown. */
  private async recorded(res: ServerResponse, viewer: Viewer, command: AccessEntry['command'], args: string[], outcome: AccessEntry['outcome'], result: string): Promise<boolean> {
    const argv = ['--viewer', viewer.identity, '--scope', viewer.tenant === null ? 'all-tenants' : `tenant=${viewer.tenant}`, ...args];
    try {
      const r = await recordAccess(this.opts.pool, { command, argv, outcome, result });
      if ('skipped' in r) this.log(`domain-otel-audit ui: warning: ${command} not recorded as an access: ${r.skipped}`);
      return true;
    } catch (err) {
      this.log(`domain-otel-audit ui: could not append the access record of ${command} (${errorLine(err)})`);
      if (outcome === 'success') this.json(res, 503, { error: `not shown: this view could not be recorded as an access (${errorLine(err)})` });
      return false;
    }
  }

  private async search(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const f = parseFilters(q);
    const offset = intParam(q, 'offset', 0, 0, 10_000_000);
    const limit = intParam(q, 'limit', 50, 1, MAX_PAGE);
    const [rows, total, tl] = await Promise.all([
      searchPage(this.opts.pool, f, viewer, offset, limit),
      countMatching(this.opts.pool, f, viewer, COUNT_CAP + 1),
      timeline(this.opts.pool, f, viewer),
    ]);
    const shown = rows.length ? `${offset + 1}-${offset + rows.length}` : 'none';
    const of = total > COUNT_CAP ? `more than ${COUNT_CAP}` : String(total);
    if (!(await this.recorded(res, viewer, 'ui-search', [...filtersAsArguments(f), '--offset', String(offset), '--limit', String(limit)], 'success', `${rows.length} rows (${shown} of ${of})`))) return;
    this.json(res, 200, {
      rows: rows.map(({ record, ...r }) => ({ ...r, body: bodyOf(record) })),
      offset, limit, total: Math.min(total, COUNT_CAP), totalCapped: total > COUNT_CAP, timeline: tl,
    });
  }

  private uidParam(q: URLSearchParams): string {
    const uid = q.get('uid');
    if (!uid || uid.length > 1024) throw new BadRequest('uid: expected the uid of a record');
    return uid;
  }

  private async record(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const uid = this.uidParam(q);
    const d = await findRecord(this.opts.pool, uid, viewer);
    if (!d) {
      await this.recorded(res, viewer, 'ui-record', ['--uid', uid], 'failure', 'no such record in scope');
      return this.json(res, 404, { error: `no record with uid ${JSON.stringify(uid)}${viewer.tenant !== null ? ` for tenant ${JSON.stringify(viewer.tenant)}` : ''}` });
    }
    if (!(await this.recorded(res, viewer, 'ui-record', ['--uid', uid], 'success', `opened ${d.row.event_name} ${uid} (chain ${d.position.chain} seq ${d.position.seq})`))) return;
    this.json(res, 200, { ...d, proofAvailable: Boolean(this.opts.checkpoints) });
  }

  private async verification(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const d = await findRecord(this.opts.pool, this.uidParam(q), viewer);
    if (!d) return this.json(res, 404, { error: 'no such record' });
    this.json(res, 200, await verifyRecord(this.opts.pool, d, viewer, this.opts.checkpoints));
  }

  private async trace(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    // Only the trace of a record in scope: a tenant token cannot read arbitrary traces through the viewer.
    const d = await findRecord(this.opts.pool, this.uidParam(q), viewer);
    if (!d) return this.json(res, 404, { error: 'no such record' });
    this.json(res, 200, { ...(await lookupTrace(d.row.trace_id, this.opts.jaeger)), recordSpanId: d.row.span_id });
  }

  private async proof(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const uid = this.uidParam(q);
    if (!this.opts.checkpoints) return this.json(res, 404, { error: 'no checkpoints configured (start the viewer with --checkpoints DIR --pubkey KEY)' });
    const d = await findRecord(this.opts.pool, uid, viewer);
    if (!d) return this.json(res, 404, { error: 'no such record' });
    let made: Awaited<ReturnType<typeof prove>>;
    try {
      made = await prove(this.opts.pool, { uid, ...this.opts.checkpoints });
    } catch (err) {
      await this.recorded(res, viewer, 'ui-proof', ['--uid', uid], 'failure', errorLine(err));
      if (err instanceof ProofError) return this.json(res, 409, { error: err.message });
      throw err;
    }
    if (!(await this.recorded(res, viewer, 'ui-proof', ['--uid', uid], 'success', `proof of ${uid} against checkpoint ${made.checkpoint}`))) return;
    const text = JSON.stringify(made.proof, null, 1) + '\n';
    res.writeHead(200, {
      ...this.headers(),
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${safeFileName(`proof-${uid}`)}.json"`,
    });
    res.end(text);
  }

  private async export(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const format = q.get('format');
    if (format !== 'csv' && format !== 'ndjson') throw new BadRequest(`format ${JSON.stringify(format)}: expected csv or ndjson`);
    const f: SearchFilters = parseFilters(q);
    const args = ['--format', format, ...filtersAsArguments(f)];
    const run = await startExport(this.opts.pool, f, viewer, format as ExportFormat, this.exportLimit);
    if (run.rows > this.exportLimit) {
      await run.abandon();
      await this.recorded(res, viewer, 'ui-export', args, 'failure', `refused: more than ${this.exportLimit} rows`);
      return this.json(res, 413, { error: `more than ${this.exportLimit} rows match: narrow the search (the export limit is --export-limit ${this.exportLimit})` });
    }
    if (!(await this.recorded(res, viewer, 'ui-export', args, 'success', `exported ${run.rows} rows as ${format}`))) {
      await run.abandon();
      return;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    res.writeHead(200, {
      ...this.headers(),
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="audit-${stamp}.${format}"`,
      'X-Audit-Rows': String(run.rows),
    });
    await run.write((chunk) => new Promise<void>((resolve, reject) => {
      if (res.destroyed) return reject(new Error('the client went away during the export'));
      if (res.write(chunk)) resolve();
      else res.once('drain', resolve);
    })).catch((err) => {
      this.log(`domain-otel-audit ui: export interrupted: ${errorLine(err)}`);
      res.destroy();
    });
    res.end();
  }

  private async metrics(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const f = parseFilters(q);
    const to = f.to ?? new Date();
    const from = f.from ?? new Date(to.getTime() - 3600_000);
    this.json(res, 200, await lookupMetrics(this.opts.prometheusUrl, { from, to }, viewer.tenant !== null));
  }

  // --- responses -------------------------------------------------------------------

  private headers(): Record<string, string> {
    return {
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      // same-origin, not no-referrer: with no-referrer, form posts carry "Origin: null" and the origin check refuses them.
      'Referrer-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
  }

  private asset(res: ServerResponse, name: string): void {
    const a = name !== 'index.html' ? this.assets.get(name) : undefined;
    if (!a) return this.text(res, 404, 'not found\n');
    res.writeHead(200, { ...this.headers(), 'Content-Type': a.type, 'Cache-Control': 'no-cache' });
    res.end(a.body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { ...this.headers(), 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private html(res: ServerResponse, status: number, body: string | Buffer): void {
    res.writeHead(status, { ...this.headers(), 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body);
  }

  private text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { ...this.headers(), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(body);
  }

  private redirect(res: ServerResponse, location: string): void {
    res.writeHead(303, { ...this.headers(), Location: location });
    res.end();
  }
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new BadRequest(`${name} ${JSON.stringify(v.slice(0, 20))}: expected an integer from ${min} to ${max}`);
  return Number(v);
}

function bodyOf(record: unknown): string | null {
  const b = (record as { body?: unknown } | null)?.body;
  return b === undefined || b === null ? null : typeof b === 'string' ? b.slice(0, 300) : JSON.stringify(b).slice(0, 300);
}

function safeFileName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 120);
}

/** The body as text, or undefined when it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
