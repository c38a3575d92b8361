import type { AnyValue } from '@opentelemetry/api';
import type { AnyValueMap } from './log-attributes';
import { REDACTED } from './redact';
import type { KeyMatcher } from './redact';
import { capText, DEFAULT_MAX_VALUE_BYTES, recordBudgetBytes } from './value-limits';

const MAX_DEPTH = 8;
/** Most entries kept from one map, array or set; the rest are counted in `dropped`. */
export const MAX_ENTRIES = 256;
// What a number, boolean or null costs against the record's budget (about its OTLP size).
const SCALAR_COST = 8;

/**
 * Shapes the values of one record so it stays bounded whatever the app passes in: every
 * string is capped at `maxValueBytes` (with a visible `…[truncated N bytes]` marker), maps
 * and arrays keep at most {@link MAX_ENTRIES} entries, nesting stops at depth 8, and the
 * record as a whole has a byte budget: once spent, further optional values and entries are
 * left out. Every cut is counted (`truncated`, `dropped`) so the caller can put the counts
 * on the record. Keys matching the redaction list have their value replaced at any depth.
 * Maps stay maps and arrays stay arrays (never JSON strings).
 */
export class ValueShaper {
  /** Strings shortened to the cap, and subtrees cut at the depth limit. */
  truncated = 0;
  /** Entries (metadata keys, map entries, array items, whole optional values) left out. */
  dropped = 0;
  private remaining: number;

  constructor(
    private readonly isSecret: KeyMatcher,
    readonly maxValueBytes: number = DEFAULT_MAX_VALUE_BYTES,
    budgetBytes: number = recordBudgetBytes(maxValueBytes),
  ) {
    this.remaining = budgetBytes;
  }

  /** True once the record's budget is spent: optional values are then left out. */
  get spent(): boolean {
    return this.remaining <= 0;
  }

  /** A string that stays on the record whatever the budget (identity, event fields, body): capped and charged. */
  text(value: string): string {
    // fast path without allocation: a UTF-16 code unit is at most 3 UTF-8 bytes
    if (value.length * 3 <= this.maxValueBytes) {
      this.remaining -= value.length * 3;
      return value;
    }
    const r = capText(value, this.maxValueBytes);
    if (r.cutBytes > 0) this.truncated++;
    this.remaining -= r.bytes;
    return r.text;
  }

  /** Any JS value as an AnyValue, capped, redacted and charged. */
  value(value: unknown): AnyValue {
    return this.convert(value, 0, new Set());
  }

  /** An optional value: left out (and counted) when the budget is spent. */
  optional(value: unknown): AnyValue | undefined {
    if (this.spent) {
      this.dropped++;
      return undefined;
    }
    return this.value(value);
  }

  /** The own entries of an object as a map of at most `maxEntries` entries, secrets redacted. */
  map(obj: object, maxEntries: number = MAX_ENTRIES): AnyValueMap {
    return this.entriesToMap(obj instanceof Map ? Array.from(obj.entries()) : Object.entries(obj), maxEntries, 0, new Set([obj]));
  }

  private convert(value: unknown, depth: number, seen: Set<object>): AnyValue {
    switch (typeof value) {
      case 'string': return this.text(value);
      case 'number':
      case 'boolean':
        this.remaining -= SCALAR_COST;
        return value;
      case 'bigint': return this.text(value.toString());
      case 'undefined':
        this.remaining -= SCALAR_COST;
        return null;
      case 'symbol': return this.text(value.toString());
      case 'function': return this.text(`[Function ${value.name || 'anonymous'}]`);
    }
    if (value === null) {
      this.remaining -= SCALAR_COST;
      return null;
    }
    const obj = value as object;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : this.text(value.toISOString());
    if (value instanceof Uint8Array) return this.bytes(value);
    if (depth >= MAX_DEPTH) {
      this.truncated++;
      return '[…]';
    }
    if (seen.has(obj)) return '[Circular]';
    seen.add(obj);
    try {
      if (value instanceof Error) return { type: this.text(value.name), message: this.text(value.message) };
      if (Array.isArray(value) || value instanceof Set) {
        const items = Array.isArray(value) ? value : Array.from(value as Set<unknown>);
        const out: AnyValue[] = [];
        const n = Math.min(items.length, MAX_ENTRIES);
        for (let i = 0; i < n && !this.spent; i++) out.push(this.convert(items[i], depth + 1, seen));
        this.dropped += items.length - out.length;
        return out;
      }
      return this.entriesToMap(value instanceof Map ? Array.from(value.entries()) : Object.entries(obj), MAX_ENTRIES, depth, seen);
    } finally {
      seen.delete(obj);
    }
  }

  private entriesToMap(entries: [unknown, unknown][], maxEntries: number, depth: number, seen: Set<object>): AnyValueMap {
    const out: AnyValueMap = {};
    let kept = 0;
    const n = Math.min(entries.length, maxEntries);
    for (let i = 0; i < n && !this.spent; i++) {
      const [k, v] = entries[i];
      const key = this.text(String(k));
      out[key] = this.isSecret(String(k)) ? this.text(REDACTED) : this.convert(v, depth + 1, seen);
      kept++;
    }
    this.dropped += entries.length - kept;
    return out;
  }

  private bytes(value: Uint8Array): Uint8Array {
    this.remaining -= Math.min(value.byteLength, this.maxValueBytes);
    if (value.byteLength <= this.maxValueBytes) return value;
    this.truncated++;
    return value.subarray(0, this.maxValueBytes);
  }
}

/**
 * Turns an arbitrary JS value into an OTLP AnyValue with the default limits (strings capped at
 * 8 KiB, at most 256 entries per collection, depth 8), redacting keys that match `isSecret`.
 */
export function toAnyValue(value: unknown, isSecret: KeyMatcher): AnyValue {
  return new ValueShaper(isSecret).value(value);
}

/** A scalar for an id-like attribute (entity ids): strings and numbers kept, others stringified. */
export function toScalar(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}
