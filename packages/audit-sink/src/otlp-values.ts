/**
 * Reading the fields of decoded OTLP messages, the same way for both formats: protobufjs objects
 * (camelCase fields, Long integers, bytes as Uint8Array) and parsed OTLP/JSON (camelCase or
 * snake_case fields, integers as strings, bytes as base64, trace ids as hex). A value of the
 * wrong type is a PayloadError naming its path.
 */
import { storableString, type PlainValue } from './canonical';
import { MAX_ATTRIBUTES, MAX_VALUE_DEPTH, PayloadError, ValueBudget, nestedTooDeep, tooManyAttributes } from './limits';

export type Format = 'protobuf' | 'json';
export type Obj = Record<string, unknown>;
export type PlainAttributes = { [key: string]: PlainValue };

export const MAX_INT64 = (1n << 63n) - 1n;

export function get(o: Obj, camel: string, snake: string | undefined, format: Format): unknown {
  const v = o[camel];
  if (format === 'json' && (v === undefined || v === null) && snake !== undefined) return o[snake];
  return v;
}

export function asObject(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) throw new PayloadError(`${path}: expected an object`);
  return v as Obj;
}

export function asArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PayloadError(`${path}: expected an array`);
  return v;
}

export function asString(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new PayloadError(`${path}: expected a string`);
  return storableString(v);
}

export function asUint32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new PayloadError(`${path}: expected an unsigned 32-bit integer`);
  }
  return n;
}

export function asInt32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw new PayloadError(`${path}: expected a 32-bit integer`);
  }
  return n;
}

/** Exact decimal string of a 64-bit integer: protobufjs Long, JSON string or (safe) number. */
export function int64ToString(v: unknown, format: Format, path: string, unsigned = false): string {
  if (v === undefined || v === null) return '0';
  let out: string;
  if (typeof v === 'string') {
    if (!/^-?\d+$/.test(v)) throw new PayloadError(`${path}: expected an integer, got ${JSON.stringify(v.slice(0, 40))}`);
    out = BigInt(v).toString();
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new PayloadError(`${path}: expected an integer, got ${v}`);
    if (!Number.isSafeInteger(v) && format === 'protobuf') throw new Error(`${path}: int64 decoded lossily`);
    out = BigInt(v).toString();
  } else if (typeof v === 'bigint') {
    out = v.toString();
  } else if (typeof v === 'object' && 'low' in v && 'high' in v) {
    // protobufjs Long (long.js): its two 32-bit halves, exactly, honouring `unsigned`. Every
    // 64-bit value is in range, so no further check is needed.
    const { low, high, unsigned: u } = v as { low: number; high: number; unsigned: boolean };
    if (high === 0) return String(low >>> 0);
    const big = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    return (u || high > 0 ? big : big - (1n << 64n)).toString();
  } else {
    throw new PayloadError(`${path}: expected an integer`);
  }
  const big = BigInt(out);
  if (unsigned ? big < 0n || big > (1n << 64n) - 1n : big < -(1n << 63n) || big > MAX_INT64) {
    throw new PayloadError(`${path}: integer out of range`);
  }
  return out;
}

function bytesToBase64(v: unknown, format: Format, path: string): string {
  if (v === undefined || v === null) return '';
  if (format === 'protobuf') return Buffer.from(v as Uint8Array).toString('base64');
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw new PayloadError(`${path}: expected base64 bytes`);
  return Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64').toString('base64');
}

/** Trace/span ids: bytes in protobuf, hex in OTLP/JSON. Empty or all-zero ⇒ null. */
export function idToHex(v: unknown, format: Format, bytes: number, path: string): string | null {
  if (v === undefined || v === null) return null;
  let hex: string;
  if (format === 'protobuf') {
    const b = v as Uint8Array;
    if (b.length === 0) return null;
    if (b.length !== bytes) throw new PayloadError(`${path}: expected ${bytes} bytes, got ${b.length}`);
    hex = Buffer.from(b).toString('hex');
  } else {
    if (typeof v !== 'string') throw new PayloadError(`${path}: expected a hex string`);
    if (v === '') return null;
    if (v.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(v)) {
      throw new PayloadError(`${path}: expected ${bytes * 2} hex digits`);
    }
    hex = v.toLowerCase();
  }
  return /^0+$/.test(hex) ? null : hex;
}

/**
 * An AnyValue as a plain JSON value. `budget` counts the values of the record (limits.ts); `root`
 * is the path of the attribute or body it belongs to, named when the nesting is too deep.
 */
export function anyValueToPlain(v: unknown, format: Format, path: string, depth: number, budget: ValueBudget, root = path): PlainValue {
  const o = asObject(v, path);
  if (!o) return null;
  budget.take();
  if (depth > MAX_VALUE_DEPTH) throw nestedTooDeep(root);
  let x: unknown;
  if ((x = get(o, 'stringValue', 'string_value', format)) != null) return asString(x, `${path}.stringValue`);
  if ((x = get(o, 'boolValue', 'bool_value', format)) != null) {
    if (typeof x !== 'boolean') throw new PayloadError(`${path}.boolValue: expected a boolean`);
    return x;
  }
  if ((x = get(o, 'intValue', 'int_value', format)) != null) return int64ToString(x, format, `${path}.intValue`);
  if ((x = get(o, 'doubleValue', 'double_value', format)) != null) return doubleToPlain(x, `${path}.doubleValue`);
  if ((x = get(o, 'arrayValue', 'array_value', format)) != null) {
    const arr = asObject(x, `${path}.arrayValue`);
    const values = asArray(arr && arr['values'], `${path}.arrayValue.values`);
    return values.map((e, i) => anyValueToPlain(e, format, `${path}.arrayValue.values[${i}]`, depth + 1, budget, root));
  }
  if ((x = get(o, 'kvlistValue', 'kvlist_value', format)) != null) {
    const kv = asObject(x, `${path}.kvlistValue`);
    return keyValuesToPlain(kv && kv['values'], format, `${path}.kvlistValue.values`, depth + 1, budget, root);
  }
  if ((x = get(o, 'bytesValue', 'bytes_value', format)) != null) return bytesToBase64(x, format, `${path}.bytesValue`);
  return null;
}

/** Doubles: finite numbers as JSON numbers; NaN/±Infinity as the strings proto3 JSON uses. */
function doubleToPlain(x: unknown, path: string): PlainValue {
  let n: number;
  if (typeof x === 'number') n = x;
  else if (typeof x === 'string' && /^(NaN|-?Infinity|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$/.test(x)) n = Number(x);
  else throw new PayloadError(`${path}: expected a number`);
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return Object.is(n, -0) ? 0 : n;
}

/** KeyValues as a plain object; `root` given for a map inside a value, absent for an attribute list. */
export function keyValuesToPlain(v: unknown, format: Format, path: string, depth: number, budget: ValueBudget, root?: string): PlainAttributes {
  // A plain {} (Object.create(null) would start in V8's slow dictionary mode); '__proto__'
  // is defined as an own property instead of being assigned, which would set the prototype.
  const out: PlainAttributes = {};
  const list = asArray(v, path);
  if (root === undefined && list.length > MAX_ATTRIBUTES) throw tooManyAttributes(path, list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = asObject(list[i], `${path}[${i}]`);
    if (!kv) continue;
    const key = asString(kv['key'], `${path}[${i}].key`);
    const value = anyValueToPlain(kv['value'], format, `${path}[${i}].value`, depth, budget, root);
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

const SEVERITY_NAMES = [
  'UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4',
  'INFO', 'INFO2', 'INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3',
  'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4',
];

export function severityFromName(name: string, path: string): number {
  const i = SEVERITY_NAMES.indexOf(name.slice('SEVERITY_NUMBER_'.length));
  if (i < 0) throw new PayloadError(`${path}: unknown severity ${JSON.stringify(name.slice(0, 40))}`);
  return i;
}
