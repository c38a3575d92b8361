import type { Protocol } from '../config/variables';

/** gRPC status codes the OTLP/gRPC exporter reports in `error.code`. */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;

/**
 * Describes an export failure that refuses the records themselves, for good: retrying the
 * same request can never succeed (HTTP 400 or 413; gRPC INVALID_ARGUMENT, or
 * RESOURCE_EXHAUSTED for a message over the size limit). Returns undefined for everything
 * else: unreachable, 5xx, 429, timeouts, and refusals of the sender rather than the records
 * (401, 403, 404: a configuration to fix, not records to set aside), which are retried.
 */
export type RefusalClassifier = (error: unknown) => string | undefined;

export function refusalClassifier(protocol: Protocol): RefusalClassifier {
  return protocol === 'grpc' ? grpcRefusal : httpRefusal;
}

function httpRefusal(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  if (e?.code !== 400 && e?.code !== 413) return undefined;
  const detail = [e.message, e.data].filter((x) => typeof x === 'string' && x !== '').join(': ');
  return `HTTP ${e.code}${detail ? ` ${oneLine(detail)}` : ''}`;
}

function grpcRefusal(error: unknown): string | undefined {
  const e = error as { code?: unknown; details?: unknown; message?: unknown } | undefined;
  const detail = oneLine(String(e?.details ?? e?.message ?? ''));
  if (e?.code === GRPC_INVALID_ARGUMENT) return `gRPC INVALID_ARGUMENT${detail ? ` ${detail}` : ''}`;
  // RESOURCE_EXHAUSTED is retryable in OTLP (throttling) unless it is the message size limit
  if (e?.code === GRPC_RESOURCE_EXHAUSTED && /larger than max|message too large|exceeds.*(size|limit)/i.test(detail)) {
    return `gRPC RESOURCE_EXHAUSTED ${detail}`;
  }
  return undefined;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
