/**
 * JSON for OpenTelemetry AnyValues, exact for everything the OTLP exporters encode: strings,
 * booleans, integers and doubles (JSON keeps a number's value, and the exporter decides int vs
 * double from the value), arrays and maps in key order. The few values JSON cannot carry are
 * written as one-key objects whose key starts with `$`:
 *
 *   {"$y": "<base64>"}   bytes (Uint8Array, Buffer)
 *   {"$n": "NaN"}        NaN, Infinity, -Infinity
 *   {"$m": {...}}        a map that itself has exactly one key starting with `$`
 *
 * undefined, functions, symbols and bigints become null (the exporter encodes all of them as an
 * empty AnyValue, as it does null). Objects with a toJSON (e.g. Date) are written as their
 * enumerable own keys, which is what the exporter sends for them.
 */
const WRAPPER = Symbol('domain-otel.spool.wrapper');

function looksLikeTag(o: object): boolean {
  let n = 0;
  let first = '';
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    if (n++ === 0) first = k;
    if (n > 1) return false;
  }
  return n === 1 && first.startsWith('$');
}

function replacer(this: Record<string | symbol, unknown>, key: string, value: unknown): unknown {
  const original = this[key]; // before toJSON
  if (original instanceof Uint8Array) return { $y: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
  switch (typeof original) {
    case 'number':
      return Number.isFinite(original) ? original : { $n: String(original) };
    case 'undefined': case 'function': case 'symbol': case 'bigint':
      return null;
    case 'object': {
      if (original === null || Array.isArray(original) || this[WRAPPER] === true) return value;
      if (typeof (original as { toJSON?: unknown }).toJSON === 'function') return ownKeys(original);
      return looksLikeTag(original) ? { $m: original, [WRAPPER]: true } : value;
    }
    default:
      return value;
  }
}

function ownKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = (o as Record<string, unknown>)[k];
  return out;
}

/** JSON text of `value`, which may contain AnyValues anywhere (see above). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Turns parsed JSON back into the AnyValue it was written from (in place where it can). */
export function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = decodeValue(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  if (looksLikeTag(o)) {
    if ('$y' in o) return new Uint8Array(Buffer.from(String(o.$y), 'base64'));
    if ('$n' in o) return Number(o.$n);
    if ('$m' in o) return decodeMap(o.$m as Record<string, unknown>);
  }
  return decodeMap(o);
}

function decodeMap(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) {
    const before = o[k];
    const after = decodeValue(before);
    // defineProperty: a key named __proto__ must stay a plain own key
    if (after !== before) Object.defineProperty(o, k, { value: after, writable: true, enumerable: true, configurable: true });
  }
  return o;
}
