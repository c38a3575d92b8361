/**
 * What one request may cost. A small gzip body can inflate to a structure many times its size
 * once decoded (16 KiB → +872 MB for protobuf, +1.85 GB for JSON before these limits), so the
 * sink bounds the structure, not only the bytes:
 *
 *   per request   decompressed bytes (protobuf 16 MiB, JSON 4 MiB), log records (100,000),
 *                 JSON objects and arrays (500,000), row text prepared for Postgres (2 × the
 *                 body limit)                                   → 413, nothing stored
 *   per record    attributes in one list (1,024), values in the record (100,000), AnyValue
 *                 nesting (64)                                  → that record refused through
 *                                                                 partial success, the others stored
 *
 * Protobuf is checked on the wire before anything is decoded; each audit log record is then
 * decoded on its own, so decoding memory is bounded by one record, not by the request.
 */
import { NamedError } from './errors';

/** AnyValue nesting accepted in one value (arrays and maps). */
export const MAX_VALUE_DEPTH = 64;
/** KeyValues in one attribute list (a record's, a resource's, a scope's). */
export const MAX_ATTRIBUTES = 1024;
/** AnyValues in one log record, resource or scope: attribute values, body, array and map elements at any depth. */
export const MAX_VALUES_PER_RECORD = 100_000;
/** Log records in one request (audit or not). */
export const MAX_LOG_RECORDS_PER_REQUEST = 100_000;
/** Objects and arrays in one OTLP/JSON body (JSON.parse allocates each before anything can be checked). */
export const MAX_JSON_CONTAINERS = 500_000;
/** Decompressed OTLP/JSON body limit by default (JSON costs several times protobuf once parsed). */
export const DEFAULT_MAX_JSON_BODY_BYTES = 4 * 1024 * 1024;
/** The row text (COPY lines) one request may prepare, as a multiple of the body limit. */
export const ROW_BYTES_PER_BODY_BYTE = 2;

/** The request could not be understood: answered 400, nothing stored. */
export class PayloadError extends NamedError {}

/** The request as a whole is too large to process: 413, one-line reason, nothing stored. */
export class RequestTooLarge extends NamedError {}

/** One audit record the sink will not store (the others of the request are): answered through partial success. */
export class RecordRefused extends NamedError {
  constructor(
    message: string,
    /** For the sink's metrics: outside the accepted time window, or beyond a per-record limit. */
    readonly reason: 'time_window' | 'record_limit' = 'record_limit',
  ) {
    super(message);
  }
}

/** Why audit records were refused one by one while decoding, counted per reason. */
export type RefusedByReason = Partial<Record<'malformed' | 'time_window' | 'record_limit', number>>;

/** Counts the values of one record (or resource, or scope) against MAX_VALUES_PER_RECORD. */
export class ValueBudget {
  private left = MAX_VALUES_PER_RECORD;

  constructor(private readonly what: string) {}

  take(): void {
    if (--this.left < 0) {
      throw new RecordRefused(`${this.what}: more than ${MAX_VALUES_PER_RECORD} values (attributes, body, array and map elements)`);
    }
  }
}

export function tooManyAttributes(path: string, n: number): RecordRefused {
  return new RecordRefused(`${path}: ${n} attributes, more than the limit of ${MAX_ATTRIBUTES}`);
}

export function nestedTooDeep(path: string): RecordRefused {
  return new RecordRefused(`${path}: AnyValue nested deeper than ${MAX_VALUE_DEPTH}`);
}

/**
 * The most one request adds to the sink's resident memory while it is processed, whatever its
 * body, with the default limits (measured +10 to +170 MB for the bodies of
 * test/helpers/hostile-bodies.ts; asserted by test/hostile-input.test.ts and fault scenario 15).
 */
export const MEMORY_BOUND_MB = 300;
/**
 * The sink's resident memory with the default settings, whatever it is sent: about 150 MB to run,
 * at most --max-inflight (256 MiB) of bodies and rows held by the requests in flight, and the
 * decoding of one request per thread (each worker's heap is capped at 512 MiB). Asserted by
 * fault scenario 15 under load.
 */
export const PROCESS_MEMORY_BOUND_MB = 1024;

/** One line, at most 300 characters: for reasons sent back to senders. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}
