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
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import type { Pool } from 'pg';
import {
  PayloadError,
  assertExactInt64Decoding,
  encodeExportLogsResponse,
  encodeRpcStatus,
  type Format,
} from './otlp';
import { AuditStore } from './store';
import { prepareRequest, type PrepareLimits, type PreparedRequest } from './prepare';
import { DEFAULT_MAX_JSON_BODY_BYTES, ROW_BYTES_PER_BODY_BYTE, RequestTooLarge } from './limits';
import { PreparePool } from './prepare-pool';
import { MonthBudgetError, UnavailableError, WorkerLostError, errorLine } from './errors';
import type { RequestObserver, SinkObserver } from './telemetry/observer';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4320;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/**
 * Records are accepted from receive time − 400 days to receive time + 1 day. The past reaches
 * beyond a year of backlog (a collector queue or an app spool kept through a long outage); the
 * future allows clock skew only.
 */
export const DEFAULT_ACCEPT_PAST_MS = 400 * 86_400_000;
export const DEFAULT_ACCEPT_FUTURE_MS = 86_400_000;
/** A backlog crossing a month boundary needs one or two; more come with the sender's retries. */
export const DEFAULT_MAX_NEW_MONTHS = 2;
export const DEFAULT_MAX_INFLIGHT_BYTES = 256 * 1024 * 1024;

export interface ReceiverOptions {
  pool: Pool;
  /** Bearer token; `null` disables authentication (must be explicit) unless `tokens` are given. */
  token: string | null;
  /** More accepted bearer tokens (all of them are accepted at once: rotation); see setTokens. */
  tokens?: readonly string[] | null;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Limit for the body, applied both to the bytes received and to the decompressed bytes. */
  maxBodyBytes?: number;
  /**
   * The same limit for OTLP/JSON bodies, lower because parsed JSON costs several times its size
   * (default 4 MiB, at most maxBodyBytes).
   */
  maxJsonBodyBytes?: number;
  /** Seconds announced in Retry-After on 503 (default 5). */
  retryAfterSeconds?: number;
  /** Requests processed at once; more get 503 (default 32). Bounds memory: each may hold maxBodyBytes. */
  maxConcurrentRequests?: number;
  tls?: { certFile: string; keyFile: string };
  /** Worker threads that decode requests and prepare rows (default 0: on the request thread). */
  prepareWorkers?: number;
  /**
   * Records whose time is more than this before the receive time are refused (partial success);
   * default DEFAULT_ACCEPT_PAST_MS. Together with acceptFutureMs this bounds the months a sender
   * can make the sink create.
   */
  acceptPastMs?: number;
  /** Same for records after the receive time (default DEFAULT_ACCEPT_FUTURE_MS). */
  acceptFutureMs?: number;
  /** Months one request may create; more: 503 + Retry-After once they are created (default 2). */
  maxNewMonthsPerRequest?: number;
  /**
   * Memory the requests in flight may hold together: their decompressed bodies while read and
   * decoded, then their prepared rows until COMMIT. A request that would go beyond it gets 503 +
   * Retry-After (one request alone always proceeds; the request limits bound it). Default 256 MiB.
   */
  maxInflightBytes?: number;
  /** One-line log sink (default: stderr). */
  log?: (line: string) => void;
  /** The sink's own telemetry (telemetry/sink-telemetry.ts); none when undefined. */
  observer?: SinkObserver;
}

export interface ReceiverStats {
  requests: number;
  /** Log records seen in accepted requests. */
  logRecords: number;
  /** Audit rows written. */
  stored: number;
  /** Audit records already stored (replays). */
  duplicates: number;
  /** Records of other event names, accepted and not stored. */
  ignored: number;
  /** Audit records refused via partial success (retired month, uid conflict). */
  rejected: number;
  /** Of those: replays reusing a stored log.record.uid for other content (kept in uid_conflicts). */
  conflicts: number;
  /** Responses by status code. */
  byStatus: Record<number, number>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The client went away while we read its body: there is nobody to answer. */
class ClientGone extends Error {}

export class AuditReceiver {
  readonly stats: ReceiverStats = { requests: 0, logRecords: 0, stored: 0, duplicates: 0, ignored: 0, rejected: 0, conflicts: 0, byStatus: {} };
  private readonly server: Server;
  private readonly store: AuditStore;
  private tokenDigests: Buffer[] | null;
  private readonly maxBody: number;
  private readonly maxJsonBody: number;
  private readonly limits: PrepareLimits;
  private readonly retryAfter: string;
  private readonly maxConcurrent: number;
  private readonly log: (line: string) => void;
  private readonly workers: PreparePool | null;
  private inflight = 0;
  /** Bytes held by the requests in flight (bodies, then rows) against maxInflightBytes. */
  private inflightBytes = 0;
  private readonly maxInflightBytes: number;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: ReceiverOptions) {
    assertExactInt64Decoding();
    const tokens = [...(opts.token !== null ? [opts.token] : []), ...(opts.tokens ?? [])];
    this.tokenDigests = opts.token === null && !opts.tokens ? null : this.digests(tokens);
    this.store = new AuditStore(opts.pool, {
      maxNewMonthsPerBatch: opts.maxNewMonthsPerRequest ?? DEFAULT_MAX_NEW_MONTHS,
      ...(opts.observer ? { observer: opts.observer.store } : {}),
    });
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxJsonBody = Math.min(opts.maxJsonBodyBytes ?? DEFAULT_MAX_JSON_BODY_BYTES, this.maxBody);
    this.limits = {
      window: { pastMs: opts.acceptPastMs ?? DEFAULT_ACCEPT_PAST_MS, futureMs: opts.acceptFutureMs ?? DEFAULT_ACCEPT_FUTURE_MS },
      maxRowChars: ROW_BYTES_PER_BODY_BYTE * this.maxBody,
    };
    this.retryAfter = String(opts.retryAfterSeconds ?? 5);
    this.maxConcurrent = opts.maxConcurrentRequests ?? 32;
    this.maxInflightBytes = opts.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES;
    this.log = opts.log ?? ((line) => process.stderr.write(line + '\n'));
    const observer = opts.observer;
    this.workers = (opts.prepareWorkers ?? 0) > 0
      ? new PreparePool(opts.prepareWorkers!, this.log, undefined, observer ? () => observer.workerRestarted() : undefined)
      : null;
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
    if (this.tokenDigests === null) throw new Error('authentication is disabled; there are no tokens to replace');
    this.tokenDigests = this.digests(tokens);
  }

  private digests(tokens: readonly string[]): Buffer[] {
    if (tokens.length === 0) throw new Error('at least one bearer token is required');
    if (tokens.some((t) => t === '')) throw new Error('the bearer token must not be empty');
    return tokens.map(digest);
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
    if (this.inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
    await this.workers?.close();
  }

  /** Requests being processed (for the sink's own metrics). */
  get inflightRequests(): number {
    return this.inflight;
  }

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
    if (!this.authorized(req.headers.authorization)) {
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
    if (this.inflight >= this.maxConcurrent) {
      res.setHeader('Retry-After', this.retryAfter);
      return this.reject(req, res, 503, format, `too many requests in flight (${this.maxConcurrent}); retry later`);
    }

    this.inflight++;
    try {
      await this.process(req, res, format, encoding === 'gzip', obs);
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async process(req: IncomingMessage, res: ServerResponse, format: Format, gzip: boolean, obs: RequestObserver | undefined): Promise<void> {
    const held: Held = { bytes: 0 };
    try {
      await this.processHeld(req, res, format, gzip, held, obs);
    } finally {
      this.inflightBytes -= held.bytes;
    }
  }

  /**
   * Takes `n` more bytes of the in-flight budget for a request. Refused when the budget would be
   * exceeded while other requests hold some of it (a request alone may always proceed).
   */
  private reserve(held: Held, n: number): boolean {
    if (this.inflightBytes + n > this.maxInflightBytes && this.inflightBytes > held.bytes) return false;
    this.inflightBytes += n;
    held.bytes += n;
    return true;
  }

  private async processHeld(req: IncomingMessage, res: ServerResponse, format: Format, gzip: boolean, held: Held, obs: RequestObserver | undefined): Promise<void> {
    let body: Buffer | undefined;
    try {
      body = await readBody(req, format === 'json' ? this.maxJsonBody : this.maxBody, gzip, format === 'json' ? 'OTLP/JSON ' : '',
        (n) => this.reserve(held, n));
    } catch (err) {
      if (err instanceof ClientGone) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        if (err.status === 503) res.setHeader('Retry-After', this.retryAfter);
        return this.reject(req, res, err.status, format, err.message);
      }
      throw err;
    }

    const receivedAt = new Date();
    let decoded: PreparedRequest;
    const decodeDone = obs?.phase('decode');
    try {
      decoded = this.workers
        ? await this.workers.run(body, format, receivedAt, this.limits)
        : prepareRequest(body, format, receivedAt, this.limits);
    } catch (err) {
      decodeDone?.();
      if (err instanceof PayloadError) return this.reject(req, res, 400, format, err.message);
      if (err instanceof RequestTooLarge) return this.reject(req, res, 413, format, err.message);
      if (err instanceof RangeError) return this.reject(req, res, 400, format, `invalid payload: ${errorLine(err)}`); // e.g. stack exhausted by nesting
      if (err instanceof WorkerLostError) {
        this.log(`audit-sink: 503 (request not decoded, sender should retry): ${err.message}`);
        res.setHeader('Retry-After', this.retryAfter);
        return this.reject(req, res, 503, format, 'decoding worker lost, retry later');
      }
      throw err;
    }
    decodeDone?.();
    obs?.received(decoded.records.length + decoded.refused);
    // From here on the rows are held instead of the body: dropping the last reference lets it be collected.
    // eslint-disable-next-line no-useless-assignment -- read by nothing, on purpose (see above)
    body = undefined;
    const rowBytes = decoded.records.reduce((n, r) => n + r.line.length + 96, 0);
    this.inflightBytes -= held.bytes;
    held.bytes = 0;
    if (!this.reserve(held, rowBytes)) {
      res.setHeader('Retry-After', this.retryAfter);
      return this.reject(req, res, 503, format, `requests in flight hold the sink's memory budget (${this.maxInflightBytes} bytes); retry later`);
    }

    let inserted;
    const storeDone = obs?.phase('store');
    try {
      inserted = await this.store.insertPrepared(decoded.records);
    } catch (err) {
      storeDone?.();
      if (err instanceof UnavailableError) {
        this.log(`audit-sink: 503 (${decoded.records.length} audit records not stored, sender should retry): ${err.message}`);
        res.setHeader('Retry-After', this.retryAfter);
        return this.reject(req, res, 503, format, 'audit store unavailable, retry later');
      }
      if (err instanceof MonthBudgetError) {
        this.log(`audit-sink: 503 (${decoded.records.length} audit records not stored yet): ${err.message}`);
        res.setHeader('Retry-After', this.retryAfter);
        return this.reject(req, res, 503, format, err.message);
      }
      this.log(`audit-sink: 500 storing ${decoded.records.length} audit records: ${errorLine(err)}`);
      return this.reject(req, res, 500, format, 'internal error while storing audit records');
    }

    storeDone?.();
    obs?.outcomes({
      stored: inserted.inserted,
      duplicate: inserted.duplicates,
      conflict: inserted.conflicts,
      ignored: decoded.ignored,
      refused: { ...decoded.refusedBy, retired_chain: inserted.rejected - inserted.conflicts },
    });
    this.stats.logRecords += decoded.total;
    this.stats.ignored += decoded.ignored;
    this.stats.stored += inserted.inserted;
    this.stats.duplicates += inserted.duplicates;
    this.stats.rejected += inserted.rejected + decoded.refused;
    this.stats.conflicts += inserted.conflicts;
    if (inserted.conflict) {
      const c = inserted.conflict;
      this.log(`audit-sink: ${inserted.conflicts} uid conflict(s) refused: uid ${JSON.stringify(c.uid.slice(0, 80))} already stored with other content ` +
        `(stored sha256 ${c.storedHash.toString('hex').slice(0, 16)}…${c.chain ? ` in ${c.chain}` : ''}, sent ${Buffer.from(c.recordHash).toString('hex').slice(0, 16)}…); ` +
        `kept in domain_otel_audit.uid_conflicts (${this.stats.conflicts} since start)`);
    }
    const reasons = [
      ...(decoded.refused > 0 ? [`${decoded.refused} log record(s) refused (first: ${decoded.refusedReason ?? 'refused'})`] : []),
      ...(inserted.rejected > 0 ? [inserted.rejectedReason ?? 'rejected'] : []),
    ];
    const partial = reasons.length > 0
      ? { rejectedLogRecords: decoded.refused + inserted.rejected, errorMessage: reasons.join('; ') }
      : undefined;
    this.count(200);
    res.writeHead(200, { 'Content-Type': contentTypeOf(format) });
    res.end(encodeExportLogsResponse(format, partial));
  }

  private authorized(header: string | undefined): boolean {
    if (this.tokenDigests === null) return true;
    if (typeof header !== 'string') return false;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m) return false;
    // Compare fixed-length digests so neither content nor length leaks through timing; every
    // accepted token is compared, so the time does not tell which one matched.
    const presented = digest(m[1]!);
    let ok = false;
    for (const d of this.tokenDigests) ok = timingSafeEqual(presented, d) || ok;
    return ok;
  }

  private reject(req: IncomingMessage, res: ServerResponse, status: number, format: Format | null, reason: string): void {
    // Requests we answer without reading: close the connection rather than drain an unbounded body.
    if (!req.complete) res.setHeader('Connection', 'close');
    this.send(res, status, format, reason);
    if (!req.complete) req.resume();
  }

  private send(res: ServerResponse, status: number, format: Format | null, reason: string): void {
    this.count(status);
    const line = reason.replace(/[\r\n]+/g, ' ');
    let body: Buffer;
    if (format === null || status === 200) {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      body = Buffer.from(line + '\n');
    } else {
      res.setHeader('Content-Type', contentTypeOf(format));
      body = encodeRpcStatus(format, grpcCode(status), line);
    }
    res.setHeader('Content-Length', body.length);
    res.writeHead(status);
    res.end(body);
  }

  private count(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function contentFormat(header: string | undefined): Format | null {
  if (!header) return null;
  const type = header.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

function contentTypeOf(format: Format): string {
  return format === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** google.rpc.Code for an HTTP status, as OTLP/HTTP maps them. */
function grpcCode(status: number): number {
  switch (status) {
    case 400: return 3; // INVALID_ARGUMENT
    case 401: return 16; // UNAUTHENTICATED
    case 404: return 5; // NOT_FOUND
    case 413: return 8; // RESOURCE_EXHAUSTED
    case 415: return 3;
    case 503: return 14; // UNAVAILABLE
    default: return 13; // INTERNAL
  }
}

/**
 * Read the body, inflating gzip on the fly. Both the received bytes and the inflated bytes
 * are capped, so a gzip bomb is stopped after `max` bytes of output, not after inflating.
 */
interface Held {
  bytes: number;
}

function readBody(req: IncomingMessage, max: number, gzip: boolean, kind: string, reserve: (n: number) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    let settled = false;
    const gunzip = gzip ? createGunzip() : null;

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onRaw);
      if (gunzip) {
        gunzip.removeAllListeners('data');
        gunzip.on('error', () => {});
        gunzip.destroy();
      }
      reject(err);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > max) {
        fail(new HttpError(413, gzip
          ? `decompressed body exceeds the ${kind}limit of ${max} bytes`
          : `body exceeds the ${kind}limit of ${max} bytes`));
        return;
      }
      if (!reserve(chunk.length)) {
        fail(new HttpError(503, 'requests in flight hold the memory budget of the sink; retry later'));
        return;
      }
      chunks.push(chunk);
    };
    const onRaw = (chunk: Buffer) => {
      if (settled) return;
      raw += chunk.length;
      if (raw > max) {
        fail(new HttpError(413, `body exceeds the ${kind}limit of ${max} bytes`));
        return;
      }
      if (gunzip) {
        if (!gunzip.write(chunk)) {
          req.pause();
          gunzip.once('drain', () => req.resume());
        }
      } else {
        onData(chunk);
      }
    };

    req.on('data', onRaw);
    req.on('error', () => fail(new ClientGone('request error')));
    req.on('aborted', () => fail(new ClientGone('request aborted')));
    req.on('close', () => {
      if (!req.complete) fail(new ClientGone('connection closed before the body was complete'));
    });
    if (gunzip) {
      gunzip.on('data', onData);
      gunzip.on('error', (err) => fail(new HttpError(400, `invalid gzip body: ${errorLine(err)}`)));
      gunzip.on('end', done);
      req.on('end', () => gunzip.end());
    } else {
      req.on('end', done);
    }
  });
}
