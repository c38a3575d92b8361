/** What an AuditReceiver is given (its defaults) and what it counts. */
import type { Pool } from 'pg';
import type { SinkObserver } from './telemetry/observer';

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
