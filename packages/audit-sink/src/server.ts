/**
 * The OTLP/HTTP logs receiver: `POST /v1/logs`, protobuf or JSON, gzip or identity.
 *
 * Status codes, and why:
 *   200  every audit record of the request is committed (or was already stored); body is an
 *        ExportLogsServiceResponse in the request's encoding (partial success for records in
 *        a retired month, outside the accepted time window, beyond the per-record limits or
 *        with a malformed field beside well-formed records, and for replays reusing a stored
 *        uid for other content)
 *   400  the body cannot be decoded (bad protobuf/JSON/gzip envelope), or no audit record in it
 *        is well-formed; one-line reason
 *   401  missing or wrong bearer token
 *   404/405  other paths / methods
 *   413  body above the limit (lower for JSON), compressed or decompressed, or a request whose
 *        structure is beyond the request limits (limits.ts: records, JSON objects, row text)
 *   415  content type or content encoding not supported
 *   503  Postgres unavailable, slow or out of connections, too many requests in flight, the
 *        worker thread decoding the request died, or the request needs more new months than
 *        one request may create (the retry creates the next ones); always with Retry-After (OTLP senders retry 429/502/503/504 and drop on anything else)
 *   500  only for a bug in the sink itself
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Admission, rowBytes, type Held } from './admission';
import { BearerTokens } from './bearer-tokens';
import { errorLine } from './errors';
import { Ingest } from './ingest';
import { DEFAULT_MAX_JSON_BODY_BYTES, ROW_BYTES_PER_BODY_BYTE } from './limits';
import { HttpError, contentFormat, contentTypeOf, errorBody } from './otlp-http';
import { assertExactInt64Decoding } from './otlp-proto';
import { encodeExportLogsResponse } from './otlp-response';
import type { Format } from './otlp-values';
import type { PreparedRequest } from './prepare';
import { PreparePool } from './prepare-pool';
import {
  DEFAULT_ACCEPT_FUTURE_MS,
  DEFAULT_ACCEPT_PAST_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_INFLIGHT_BYTES,
  DEFAULT_MAX_NEW_MONTHS,
  DEFAULT_PORT,
  type ReceiverOptions,
  type ReceiverStats,
} from './receiver-options';
import { ClientGone, readBody } from './request-body';
import { AuditStore } from './store';
import type { RequestObserver } from './telemetry/observer';

// The options, their defaults and the stats are part of the receiver's interface.
export * from './receiver-options';

export class AuditReceiver {
  readonly stats: ReceiverStats = { requests: 0, logRecords: 0, stored: 0, duplicates: 0, ignored: 0, rejected: 0, conflicts: 0, byStatus: {} };
  private readonly server: Server;
  /** null: authentication disabled. */
  private readonly tokens: BearerTokens | null;
  private readonly maxBody: number;
  private readonly maxJsonBody: number;
  private readonly retryAfter: string;
  private readonly log: (line: string) => void;
  private readonly workers: PreparePool | null;
  private readonly admission: Admission;
  private readonly ingest: Ingest;

  constructor(private readonly opts: ReceiverOptions) {
    assertExactInt64Decoding();
    const tokens = [...(opts.token !== null ? [opts.token] : []), ...(opts.tokens ?? [])];
    this.tokens = opts.token === null && !opts.tokens ? null : new BearerTokens(tokens);
    const store = new AuditStore(opts.pool, {
      maxNewMonthsPerBatch: opts.maxNewMonthsPerRequest ?? DEFAULT_MAX_NEW_MONTHS,
      ...(opts.observer ? { observer: opts.observer.store } : {}),
    });
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxJsonBody = Math.min(opts.maxJsonBodyBytes ?? DEFAULT_MAX_JSON_BODY_BYTES, this.maxBody);
    const limits = {
      window: { pastMs: opts.acceptPastMs ?? DEFAULT_ACCEPT_PAST_MS, futureMs: opts.acceptFutureMs ?? DEFAULT_ACCEPT_FUTURE_MS },
      maxRowChars: ROW_BYTES_PER_BODY_BYTE * this.maxBody,
    };
    this.retryAfter = String(opts.retryAfterSeconds ?? 5);
    this.admission = new Admission(opts.maxConcurrentRequests ?? 32, opts.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES);
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    const observer = opts.observer;
    this.workers = (opts.prepareWorkers ?? 0) > 0
      ? new PreparePool(opts.prepareWorkers!, this.log, undefined, observer ? () => observer.workerRestarted() : undefined)
      : null;
    this.ingest = new Ingest(store, this.workers, limits, this.stats, this.log);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res, observer?.request(req, res)).catch((err) => {
        // Last resort: never let a request take the process down.
        this.log(`audit-sink: internal error: ${errorLine(err)}`);
        if (!res.headersSent) this.send(res, 500, null, 'internal error');
        else res.destroy();
      });
    };
    this.server = opts.tls
      ? createHttpsServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, handler)
      : createHttpServer(handler);
    this.server.requestTimeout = 120_000;
    this.server.headersTimeout = 30_000;
    this.server.on('clientError', (err, socket) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const timeout = (err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const text = timeout ? 'request timed out\n' : 'malformed HTTP request\n';
      socket.end(
        `HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
    });
  }

  /**
   * Replace the accepted bearer tokens (e.g. on SIGHUP): requests already authenticated are not
   * affected. Several tokens at once let senders switch from an old token to a new one without a
   * request being refused.
   */
  setTokens(tokens: readonly string[]): void {
    if (this.tokens === null) throw new Error('authentication is disabled; there are no tokens to replace');
    this.tokens.replace(tokens);
  }

  /** Start listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? DEFAULT_PORT, this.opts.host ?? DEFAULT_HOST, () => {
        this.server.removeListener('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${a.port}/v1/logs`;
  }

  /**
   * Stop accepting, let requests in flight finish (their COMMIT included), at most
   * `graceMs`; then close every connection. Does not end the pool.
   */
  async close(graceMs = 30_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.admission.inflightRequests > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.admission.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
    await this.workers?.close();
  }

  /** Requests being processed (for the sink's own metrics). */
  get inflightRequests(): number {
    return this.admission.inflightRequests;
  }

  /** Checks what can be checked before reading the body, then admits the request (or not). */
  private async handle(req: IncomingMessage, res: ServerResponse, obs: RequestObserver | undefined): Promise<void> {
    this.stats.requests++;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      this.send(res, req.method === 'GET' || req.method === 'HEAD' ? 200 : 405, null, 'ok');
      return;
    }
    if (path !== '/v1/logs') return this.reject(req, res, 404, null, `no such endpoint ${path}; OTLP logs go to POST /v1/logs`);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return this.reject(req, res, 405, null, `method ${req.method} not allowed; use POST`);
    }
    const format = contentFormat(req.headers['content-type']);
    if (this.tokens !== null && !this.tokens.accepts(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="domain-otel-audit"');
      return this.reject(req, res, 401, format, 'missing or invalid bearer token');
    }
    if (format === null) {
      return this.reject(req, res, 415, null,
        `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}; expected application/x-protobuf or application/json`);
    }
    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== '') {
      return this.reject(req, res, 415, format, `unsupported content encoding ${JSON.stringify(encoding)}; expected gzip or identity`);
    }
    const limit = format === 'json' ? this.maxJsonBody : this.maxBody;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      return this.reject(req, res, 413, format, `body of ${declared} bytes exceeds the ${format === 'json' ? 'OTLP/JSON ' : ''}limit of ${limit} bytes`);
    }
    if (!this.admission.enter()) {
      return this.reject(req, res, 503, format, `too many requests in flight (${this.admission.maxRequests}); retry later`);
    }
    try {
      await this.process(req, res, format, encoding === 'gzip', obs);
    } finally {
      this.admission.leave();
    }
  }

  /** An admitted request: its body read and decoded, its rows stored, the answer sent. */
  private async process(req: IncomingMessage, res: ServerResponse, format: Format, gzip: boolean, obs: RequestObserver | undefined): Promise<void> {
    const held: Held = { bytes: 0 };
    try {
      const decoded = await this.receive(req, format, gzip, held, obs);
      // From here on the rows are held instead of the body (receive() let it go).
      this.admission.release(held);
      if (!this.admission.reserve(held, rowBytes(decoded.records))) {
        throw new HttpError(503, `requests in flight hold the sink's memory budget (${this.admission.maxBytes} bytes); retry later`);
      }
      const partial = await this.ingest.store(decoded, obs);
      this.count(200);
      res.writeHead(200, { 'Content-Type': contentTypeOf(format) });
      res.end(encodeExportLogsResponse(format, partial));
    } catch (err) {
      if (err instanceof ClientGone) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) return this.reject(req, res, err.status, format, err.message);
      throw err;
    } finally {
      this.admission.release(held);
    }
  }

  /** Reads and decodes the body; the body is collectable once this returns. */
  private async receive(req: IncomingMessage, format: Format, gzip: boolean, held: Held, obs: RequestObserver | undefined): Promise<PreparedRequest> {
    const json = format === 'json';
    const body = await readBody(req, json ? this.maxJsonBody : this.maxBody, gzip, json ? 'OTLP/JSON ' : '', (n) => this.admission.reserve(held, n));
    return this.ingest.decode(body, format, obs);
  }

  /** Answers without (or before the end of) the body; a 503 with Retry-After. */
  private reject(req: IncomingMessage, res: ServerResponse, status: number, format: Format | null, reason: string): void {
    if (status === 503) res.setHeader('Retry-After', this.retryAfter);
    // Requests we answer without reading: close the connection rather than drain an unbounded body.
    if (!req.complete) res.setHeader('Connection', 'close');
    this.send(res, status, format, reason);
    if (!req.complete) req.resume();
  }

  private send(res: ServerResponse, status: number, format: Format | null, reason: string): void {
    this.count(status);
    const { contentType, body } = errorBody(status, format, reason.replace(/[\r\n]+/g, ' '));
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', body.length);
    res.writeHead(status);
    res.end(body);
  }

  private count(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }
}
