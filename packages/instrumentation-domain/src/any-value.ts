import type { AnyValue } from '@opentelemetry/api';
import type { AnyValueMap } from './log-attributes';
import { REDACTED } from './redact';
import type { KeyMatcher } from './redact';

const MAX_DEPTH = 8;
const MAX_ITEMS = 256;
const MAX_STRING = 8192;

/**
 * Turns an arbitrary JS value into an OTLP AnyValue: maps stay maps and arrays stay arrays
 * (never JSON strings), keys matching the redaction list have their value replaced at any
 * depth, and cycles, depth and size are bounded so a hostile payload cannot blow up a record.
 */
export function toAnyValue(value: unknown, isSecret: KeyMatcher, depth = 0, seen: Set<object> = new Set()): AnyValue {
  switch (typeof value) {
    case 'string': return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
    case 'number':
    case 'boolean': return value;
    case 'bigint': return value.toString();
    case 'undefined': return null;
    case 'symbol': return value.toString();
    case 'function': return `[Function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (seen.has(obj)) return '[Circular]';
  seen.add(obj);
  try {
    if (value instanceof Error) return { type: value.name, message: value.message };
    if (Array.isArray(value) || value instanceof Set) {
      const items = Array.from(value as Iterable<unknown>).slice(0, MAX_ITEMS);
      return items.map((v) => toAnyValue(v, isSecret, depth + 1, seen));
    }
    const entries = value instanceof Map ? Array.from(value.entries()) : Object.entries(obj);
    const out: AnyValueMap = {};
    let n = 0;
    for (const [k, v] of entries) {
      if (n++ >= MAX_ITEMS) break;
      const key = String(k);
      out[key] = isSecret(key) ? REDACTED : toAnyValue(v, isSecret, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** A scalar for an id-like attribute (entity ids): strings and numbers kept, others stringified. */
export function toScalar(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}
