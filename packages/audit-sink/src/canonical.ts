import { createHash } from 'node:crypto';

/** A JSON value as stored in the `record` jsonb column. int64 values are decimal strings. */
export type PlainValue = null | string | number | boolean | PlainValue[] | { [key: string]: PlainValue };

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, strings and
 * numbers as `JSON.stringify` writes them. The same value always gives the same text,
 * whether it was built by the sink or read back from Postgres `jsonb` (which reorders
 * keys and reformats numbers, but keeps their values).
 */
export function canonicalJson(value: unknown): string {
  return writeCanonical(value);
}

/** Already-canonical JSON text, embedded verbatim by canonicalJson (lets the sink serialise a record once). */
export class RawJson {
  constructor(readonly json: string) {}
}

/** Canonical text of objects shared by many records (a request's resource and scope), computed once. */
const shared = new WeakMap<object, string>();

/** Marks an object that will not change again as shared: its canonical text is computed once and reused. */
export function shareCanonical<T extends object>(obj: T): T {
  shared.set(obj, writeCanonical(obj));
  return obj;
}

function writeCanonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value instanceof RawJson) return value.json;
      const known = shared.get(value);
      if (known !== undefined) return known;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += writeCanonical(value[i]);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(k) + ':' + writeCanonical(v);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonicalJson: unsupported type ${typeof value}`);
  }
}

export function sha256(...parts: Array<string | Uint8Array>): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Postgres text and jsonb cannot hold U+0000 and reject unpaired surrogates. Both are
 * replaced by U+FFFD before anything is hashed or stored, so what is hashed is exactly
 * what Postgres returns later.
 */
export function storableString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000\uD800-\uDFFF]/.test(s)) return s;
  return (s as string & { toWellFormed(): string }).toWellFormed().replaceAll('\u0000', '\uFFFD');
}
