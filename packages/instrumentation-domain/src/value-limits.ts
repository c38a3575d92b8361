/** Default cap of one string value in a domain record, in UTF-8 bytes (DOMAIN_OTEL_MAX_VALUE_BYTES). */
export const DEFAULT_MAX_VALUE_BYTES = 8192;
/** Smallest accepted cap: room for the marker and some text. */
export const MIN_MAX_VALUE_BYTES = 256;
/** Largest accepted cap. */
export const MAX_MAX_VALUE_BYTES = 1024 * 1024;
/** A record's values together may take this many times the value cap … */
export const RECORD_BUDGET_FACTOR = 64;
/** … but never more than this, far below what an OTLP receiver accepts per request (4 MiB for gRPC). */
export const MAX_RECORD_BUDGET_BYTES = 2 * 1024 * 1024;

/** Byte budget of one record's values for a given value cap. */
export function recordBudgetBytes(maxValueBytes: number): number {
  return Math.min(RECORD_BUDGET_FACTOR * maxValueBytes, MAX_RECORD_BUDGET_BYTES);
}

/** Clamps a configured cap into the accepted range (a wrong value must never disable the cap). */
export function clampMaxValueBytes(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_MAX_VALUE_BYTES;
  return Math.min(Math.max(Math.floor(value), MIN_MAX_VALUE_BYTES), MAX_MAX_VALUE_BYTES);
}

// "…[truncated " + up to 16 digits + " bytes]", in UTF-8 bytes, rounded up.
const MARKER_RESERVE = 40;
const encoder = new TextEncoder();
let scratch = new Uint8Array(0);

export interface CappedText {
  text: string;
  /** UTF-8 bytes of `text` (an upper bound for short strings, which are not measured). */
  bytes: number;
  /** Bytes cut from the original; 0 when it fitted. */
  cutBytes: number;
}

/**
 * Caps a string at `maxBytes` UTF-8 bytes. A longer one keeps its longest prefix that fits
 * (never splitting a character) followed by `…[truncated N bytes]`, N being the bytes cut.
 */
export function capText(value: string, maxBytes: number): CappedText {
  // a UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no measuring
  if (value.length * 3 <= maxBytes) return { text: value, bytes: value.length * 3, cutBytes: 0 };
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= maxBytes) return { text: value, bytes, cutBytes: 0 };
  const keep = Math.max(maxBytes - MARKER_RESERVE, 0);
  if (scratch.byteLength < keep) scratch = new Uint8Array(keep);
  const { read, written } = encoder.encodeInto(value, scratch.subarray(0, keep));
  const cutBytes = bytes - written;
  const text = `${value.slice(0, read)}…[truncated ${cutBytes} bytes]`;
  return { text, bytes: written + MARKER_RESERVE, cutBytes };
}
