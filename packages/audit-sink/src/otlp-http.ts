/** OTLP/HTTP's content types and error bodies. */
import { encodeRpcStatus } from './otlp-response';
import type { Format } from './otlp-values';

/** A request answered with `status` and a one-line reason (a 503 with Retry-After). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The format a Content-Type header names; null for one OTLP/HTTP does not define. */
export function contentFormat(header: string | undefined): Format | null {
  if (!header) return null;
  const type = header.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

export function contentTypeOf(format: Format): string {
  return format === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** The body of a refusal: a `google.rpc.Status` in the request's format, plain text when it has none. */
export function errorBody(status: number, format: Format | null, line: string): { contentType: string; body: Buffer } {
  if (format === null || status === 200) return { contentType: 'text/plain; charset=utf-8', body: Buffer.from(line + '\n') };
  return { contentType: contentTypeOf(format), body: encodeRpcStatus(format, grpcCode(status), line) };
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
