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
 * This file: the server's life, routing, login and sessions. The JSON API is api.ts: nothing is
 * sent before the access record of what is sent is committed (503 otherwise), as with `query`.
 * Every SQL statement carries the viewer's tenant scope (search.ts, record.ts).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { errorLine, isUnavailable } from '../errors';
import type { VerifierKey } from '../signed-note';
import { ViewerApi } from './api';
import { Sessions, matchToken, type Viewer, type ViewerToken } from './auth';
import { defaultAssetsDir, loadAssets, type Asset } from './assets';
import { readBody, redirect, securityHeaders, sendHtml, sendJson, sendText } from './http';
import { loginPage } from './login-page';
import { BadRequest } from './search';

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

export class ViewerServer {
  private readonly server: Server;
  private readonly sessions: Sessions;
  private readonly assets: Map<string, Asset>;
  private readonly log: (line: string) => void;
  private readonly api: ViewerApi;

  constructor(private readonly opts: ViewerOptions) {
    if (opts.tokens.length === 0) throw new Error('the viewer needs at least one token');
    this.assets = loadAssets(opts.assetsDir ?? defaultAssetsDir());
    this.sessions = new Sessions(opts.sessionTtlMs ?? 8 * 3600_000, Boolean(opts.tls));
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    this.api = new ViewerApi({
      pool: opts.pool,
      ...(opts.jaeger ? { jaeger: opts.jaeger } : {}),
      ...(opts.prometheusUrl ? { prometheusUrl: opts.prometheusUrl } : {}),
      ...(opts.checkpoints ? { checkpoints: opts.checkpoints } : {}),
      exportLimit: opts.exportLimit ?? 100_000,
      log: this.log,
    });
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err) => {
        const status = err instanceof BadRequest ? err.status : isUnavailable(err) ? 503 : 500;
        if (status === 500) this.log(`domain-otel-audit ui: internal error: ${errorLine(err)}`);
        const message = status === 503 ? `the audit database is not available (${errorLine(err)})` : errorLine(err);
        if (!res.headersSent) sendJson(res, status, { error: message });
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
    if (route === 'GET /healthz') return sendText(res, 200, 'ok\n');
    if (req.method === 'GET' && url.pathname.startsWith('/assets/')) return this.asset(res, url.pathname.slice('/assets/'.length));
    if (route === 'POST /login') return this.login(req, res);
    if (route === 'POST /logout') {
      if (!this.sameOrigin(req)) return sendText(res, 403, 'cross-origin request refused\n');
      res.setHeader('Set-Cookie', this.sessions.close(req.headers.cookie));
      return redirect(res, '/');
    }
    if (route === 'GET /') return this.page(req, res, url);

    const viewer = this.viewerOf(req);
    if (url.pathname.startsWith('/api/')) {
      if (!viewer) return sendJson(res, 401, { error: 'not logged in: open / and present a viewer token' });
      if (req.method !== 'GET') return sendJson(res, 405, { error: `${req.method} is not allowed: the viewer is read-only` });
      return this.api.answer(res, viewer, url.pathname, url.searchParams);
    }
    return sendText(res, 404, 'not found\n');
  }

  private asset(res: ServerResponse, name: string): void {
    const a = name !== 'index.html' ? this.assets.get(name) : undefined;
    if (!a) return sendText(res, 404, 'not found\n');
    res.writeHead(200, { ...securityHeaders(), 'Content-Type': a.type, 'Cache-Control': 'no-cache' });
    res.end(a.body);
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
      if (!t) return sendHtml(res, 401, loginPage('That token is not valid for this viewer.'));
      return this.startSession(res, t);
    }
    if (!this.viewerOf(req)) return sendHtml(res, 200, loginPage());
    return sendHtml(res, 200, this.assets.get('index.html')!.body);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.sameOrigin(req)) return sendText(res, 403, 'cross-origin login refused\n');
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return sendHtml(res, 415, loginPage('The login form must be sent as application/x-www-form-urlencoded.'));
    }
    const body = await readBody(req, 8192);
    if (body === undefined) return sendHtml(res, 413, loginPage('The login request is too large.'));
    const t = matchToken(this.opts.tokens, new URLSearchParams(body).get('token')?.trim());
    if (!t) return sendHtml(res, 401, loginPage('That token is not valid for this viewer.'));
    return this.startSession(res, t);
  }

  private startSession(res: ServerResponse, t: ViewerToken): void {
    const { cookie } = this.sessions.open({ identity: t.identity, tenant: t.tenant });
    res.setHeader('Set-Cookie', cookie);
    redirect(res, '/');
  }

  /** Form posts carry Origin; when they do, it must be this server (the cookie is SameSite=Strict as well). */
  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `${this.opts.tls ? 'https' : 'http'}://${req.headers.host}`;
  }
}
