/**
 * The sink's answers in OTLP/HTTP: an `ExportLogsServiceResponse` (with partial success) for a
 * request it took, a `google.rpc.Status` for one it refused, in the request's encoding.
 */
import { ExportLogsServiceResponse } from './otlp-proto';
import type { Format } from './otlp-values';

/** An empty `ExportLogsServiceResponse`, optionally with a partial-success rejection. */
export function encodeExportLogsResponse(
  format: Format,
  partial?: { rejectedLogRecords: number; errorMessage: string },
): Buffer {
  if (format === 'json') {
    return Buffer.from(
      JSON.stringify(
        partial
          ? { partialSuccess: { rejectedLogRecords: String(partial.rejectedLogRecords), errorMessage: partial.errorMessage } }
          : {},
      ),
    );
  }
  const msg = partial ? { partialSuccess: { rejectedLogRecords: partial.rejectedLogRecords, errorMessage: partial.errorMessage } } : {};
  return Buffer.from(ExportLogsServiceResponse.encode(msg).finish());
}

/**
 * Encode a `google.rpc.Status` (code = 1, message = 2), the body OTLP/HTTP prescribes
 * for failed requests. Hand-encoded: two fields are not worth another dependency.
 */
export function encodeRpcStatus(format: Format, code: number, message: string): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const msg = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from([0x08]), varint(code), Buffer.from([0x12]), varint(msg.length), msg]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}
