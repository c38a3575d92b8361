/**
 * OTLP logs decoding: `ExportLogsServiceRequest` as protobuf (decoded with the upstream
 * protobufjs-generated module) or as OTLP/JSON, turned into the audit rows the sink stores.
 *
 * Both formats go through the same walker; the few places where they differ (64-bit
 * integers, bytes, trace ids) are handled by `Format`-specific readers.
 */
import {
  ATTR_DOMAIN_AUDIT_ACTION,
  ATTR_DOMAIN_AUDIT_OUTCOME,
  ATTR_DOMAIN_ENTITY_ID,
  ATTR_DOMAIN_MANAGER_NAME,
  ATTR_DOMAIN_MUTATION_ACTION,
  ATTR_DOMAIN_MUTATION_OUTCOME,
  ATTR_DOMAIN_TENANT_ID,
  ATTR_LOG_RECORD_UID,
  ATTR_USER_ID,
  isAuditEventName,
} from '@domain-otel/semantic-conventions';
import { ATTR_DEPRECATED_EVENT_NAME, ATTR_SERVICE_NAME } from './conventions';
import { canonicalJson, sha256, shareCanonical, storableString, type PlainValue } from './canonical';
import {
  MAX_ATTRIBUTES,
  MAX_LOG_RECORDS_PER_REQUEST,
  MAX_VALUE_DEPTH,
  PayloadError,
  RecordRefused,
  type RefusedByReason,
  RequestTooLarge,
  ValueBudget,
  nestedTooDeep,
  tooManyAttributes,
} from './limits';
import { oneLine } from './limits';
import { parseOtlpJson } from './otlp-json';
import { checkLimits, eventNameOf, walkLogsRequest, type Holder, type Span } from './otlp-wire';
import { checkWindow, windowBounds, type AcceptWindow } from './time-window';

export { oneLine, parseOtlpJson };
export type { AcceptWindow };

// The generated module is typed as a bare protobufjs Root; describe the part we use.
interface ProtoType {
  decode(buf: Uint8Array): unknown;
  encode(msg: object): { finish(): Uint8Array };
}
const generatedRoot = require('otlp-proto-root/build/src/generated/root') as {
  opentelemetry: {
    proto: {
      collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType; ExportLogsServiceResponse: ProtoType } } };
      logs: { v1: { LogRecord: ProtoType } };
      resource: { v1: { Resource: ProtoType } };
      common: { v1: { InstrumentationScope: ProtoType } };
    };
  };
};
const logsV1 = generatedRoot.opentelemetry.proto.collector.logs.v1;
const LogRecordType = generatedRoot.opentelemetry.proto.logs.v1.LogRecord;
const ResourceType = generatedRoot.opentelemetry.proto.resource.v1.Resource;
const ScopeType = generatedRoot.opentelemetry.proto.common.v1.InstrumentationScope;

export type Format = 'protobuf' | 'json';

export { MAX_VALUE_DEPTH, PayloadError, RecordRefused, RequestTooLarge } from './limits';
/** Extracted columns are capped (btree index entries are limited to ~2.7 kB); the full value stays in `record`. */
export const MAX_COLUMN_CHARS = 256;
/** Longer `log.record.uid` values are replaced by a hash of themselves. */
export const MAX_UID_CHARS = 256;
const MAX_INT64 = (1n << 63n) - 1n;

export type PlainAttributes = { [key: string]: PlainValue };

/** The whole log record as stored in the `record` jsonb column. */
export interface PlainRecord {
  [key: string]: PlainValue;
  resource: { attributes: PlainAttributes; droppedAttributesCount: number; schemaUrl: string };
  scope: { name: string; version: string; attributes: PlainAttributes; droppedAttributesCount: number; schemaUrl: string };
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: PlainValue;
  attributes: PlainAttributes;
  droppedAttributesCount: number;
  flags: number;
  traceId: string | null;
  spanId: string | null;
}

/** One audit record, ready to be chained and stored. */
export interface AuditRecord {
  uid: string;
  uidGenerated: boolean;
  eventName: string;
  /** Effective time in ns since the epoch (decimal string): time, else observed time, else receive time. */
  timeUnixNano: string;
  action: string | null;
  outcome: string | null;
  manager: string | null;
  entityId: string | null;
  userId: string | null;
  tenantId: string | null;
  traceId: string | null;
  spanId: string | null;
  service: string | null;
  record: PlainRecord;
}

export interface DecodeCounts {
  /** Log records of other event names: accepted and not stored. */
  ignored: number;
  total: number;
  /**
   * Audit records refused one by one (reported through OTLP partial success): outside the time
   * window, beyond a per-record limit (limits.ts), or with a malformed field while other audit
   * records of the request are well-formed.
   */
  refused: number;
  /** Why the first of them was refused (one line). */
  refusedReason?: string;
  /** The refused ones per reason. */
  refusedBy: RefusedByReason;
}

export interface DecodeResult extends DecodeCounts {
  audit: AuditRecord[];
}

export interface DecodeOptions {
  /** Receive time (ns since epoch), used as the row time when a record carries neither time. */
  receivedUnixNano: bigint;
  /** Refuse records whose effective time lies outside [receive − pastMs, receive + futureMs]. */
  window?: AcceptWindow;
}


// ---------------------------------------------------------------------------
// Entry points

export function decodeExportLogsRequest(body: Uint8Array, format: Format, opts: DecodeOptions): DecodeResult {
  const audit: AuditRecord[] = [];
  return { ...streamExportLogsRequest(body, format, opts, (r) => audit.push(r)), audit };
}

/**
 * Decodes the request and hands its audit records to `onAudit` one at a time, so a caller can
 * turn each into its row and let the decoded form go (prepare.ts). Throws PayloadError (400) or
 * RequestTooLarge (413) for the request as a whole; a record beyond a per-record limit, outside
 * the time window, or malformed beside well-formed ones is counted in `refused` instead.
 */
export function streamExportLogsRequest(
  body: Uint8Array,
  format: Format,
  opts: DecodeOptions,
  onAudit: (record: AuditRecord) => void,
): DecodeCounts {
  const counts: DecodeCounts = { ignored: 0, total: 0, refused: 0, refusedBy: {} };
  const window = opts.window && windowBounds(opts.window, opts.receivedUnixNano);
  let accepted = 0;
  let malformed = 0;
  let firstMalformed: PayloadError | undefined;
  const accept = (make: () => AuditRecord) => {
    try {
      const record = make();
      if (window) checkWindow(record.timeUnixNano, window);
      onAudit(record);
      accepted++;
    } catch (err) {
      // A malformed field inside one record (its ids, times, values, or its resource's) refuses
      // that record only: answering 400 would make the collector drop every record of its batch.
      if (err instanceof PayloadError) {
        malformed++;
        firstMalformed ??= err;
      } else if (!(err instanceof RecordRefused)) {
        throw err;
      }
      counts.refused++;
      counts.refusedReason ??= oneLine((err as Error).message);
      const reason = err instanceof RecordRefused ? err.reason : 'malformed';
      counts.refusedBy[reason] = (counts.refusedBy[reason] ?? 0) + 1;
    }
  };
  if (format === 'protobuf') streamProtobuf(body, opts, counts, accept);
  else walkRequest(parseOtlpJson(body), 'json', opts, counts, accept);
  // Nothing but malformed audit records: the request as a whole is bad (400), and no good record is lost.
  if (firstMalformed && accepted === 0 && malformed === counts.refused) throw firstMalformed;
  return counts;
}

/**
 * Protobuf: the envelope is read on the wire (otlp-wire.ts); only audit records are decoded, each
 * on its own after its limits were checked on the wire, and their resource and scope once.
 */
function streamProtobuf(body: Uint8Array, opts: DecodeOptions, counts: DecodeCounts, accept: (make: () => AuditRecord) => void): void {
  const resources = new Shared<PlainRecord['resource']>((h) => {
    const res = h.span ? decodePart(ResourceType, body, h.span, h.path, 1) : {};
    return plainResource({ resource: res, schemaUrl: h.schemaUrl }, 'protobuf', h.path);
  });
  const scopes = new Shared<PlainRecord['scope']>((h) => {
    const sc = h.span ? decodePart(ScopeType, body, h.span, h.path, 3) : {};
    return plainScope({ scope: sc, schemaUrl: h.schemaUrl }, 'protobuf', h.path);
  });
  walkLogsRequest(body, (span, path, resource, scope) => {
    counts.total++;
    const eventName = eventNameOf(body, span);
    if (!isAuditEventName(eventName)) {
      counts.ignored++;
      return;
    }
    accept(() => {
      const res = resources.get(resource);
      const sc = scopes.get(scope);
      checkLimits(body, span, 6, path);
      return toAuditRecord(decodeMessage(LogRecordType, body, span, path), eventName, res, sc, 'protobuf', path, opts);
    });
  });
}

/** Why the records of a resource (scope) are refused: it exceeds a limit or is malformed. */
type PartRefusal = RecordRefused | PayloadError;
const isPartRefusal = (err: unknown): err is PartRefusal => err instanceof RecordRefused || err instanceof PayloadError;

/** A resource's (scope's) plain form, built once for all its records — or why its records are refused. */
class Shared<T extends object> {
  private holder: Holder | undefined;
  private value: T | PartRefusal | undefined;

  constructor(private readonly build: (h: Holder) => T) {}

  get(h: Holder): T {
    if (h !== this.holder) {
      this.holder = h;
      try {
        this.value = shareCanonical(this.build(h));
      } catch (err) {
        if (!isPartRefusal(err)) throw err;
        this.value = err;
      }
    }
    if (isPartRefusal(this.value)) throw this.value;
    return this.value!;
  }
}

/** A Resource or InstrumentationScope, checked against the per-record limits, then decoded. */
function decodePart(type: ProtoType, body: Uint8Array, span: Span, path: string, attributesField: number): Obj {
  checkLimits(body, span, attributesField, path);
  return decodeMessage(type, body, span, path);
}

function decodeMessage(type: ProtoType, body: Uint8Array, span: Span, path: string): Obj {
  try {
    return type.decode(body.subarray(span.start, span.end)) as Obj;
  } catch (err) {
    throw new PayloadError(`invalid protobuf ExportLogsServiceRequest: ${path}: ${oneLine((err as Error).message)}`);
  }
}

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
  return Buffer.from(logsV1.ExportLogsServiceResponse.encode(msg).finish());
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

/**
 * protobufjs returns 64-bit integers as numbers (losing precision above 2^53) unless
 * long.js is loadable. Refuse to run in that configuration instead of storing wrong times.
 */
export function assertExactInt64Decoding(): void {
  // LogRecord { time_unix_nano (fixed64, field 1) = 2^53 + 1 }
  const buf = Buffer.alloc(9);
  buf[0] = 0x09;
  buf.writeBigUInt64LE((1n << 53n) + 1n, 1);
  const rec = generatedRoot.opentelemetry.proto.logs.v1.LogRecord.decode(buf) as { timeUnixNano: unknown };
  if (int64ToString(rec.timeUnixNano, 'protobuf', 'self-test') !== '9007199254740993') {
    throw new Error('protobufjs decodes 64-bit integers lossily (long.js not found); refusing to start');
  }
}

// ---------------------------------------------------------------------------
// Walker

type Obj = Record<string, unknown>;

function get(o: Obj, camel: string, snake: string | undefined, format: Format): unknown {
  const v = o[camel];
  if (format === 'json' && (v === undefined || v === null) && snake !== undefined) return o[snake];
  return v;
}

function asObject(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) throw new PayloadError(`${path}: expected an object`);
  return v as Obj;
}

function asArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PayloadError(`${path}: expected an array`);
  return v;
}

function asString(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new PayloadError(`${path}: expected a string`);
  return storableString(v);
}

function asUint32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new PayloadError(`${path}: expected an unsigned 32-bit integer`);
  }
  return n;
}

function asInt32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw new PayloadError(`${path}: expected a 32-bit integer`);
  }
  return n;
}

/** Exact decimal string of a 64-bit integer: protobufjs Long, JSON string or (safe) number. */
function int64ToString(v: unknown, format: Format, path: string, unsigned = false): string {
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
function idToHex(v: unknown, format: Format, bytes: number, path: string): string | null {
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
function anyValueToPlain(v: unknown, format: Format, path: string, depth: number, budget: ValueBudget, root = path): PlainValue {
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
function keyValuesToPlain(v: unknown, format: Format, path: string, depth: number, budget: ValueBudget, root?: string): PlainAttributes {
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

function columnText(v: PlainValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v : typeof v === 'object' ? canonicalJson(v) : String(v);
  if (s === '') return null;
  return s.length > MAX_COLUMN_CHARS ? storableString(s.slice(0, MAX_COLUMN_CHARS - 1)) + '…' : s;
}

/** The raw event name of a log record: top-level field, else the deprecated `event.name` attribute. */
function rawEventName(lr: Obj, format: Format): string {
  const top = get(lr, 'eventName', 'event_name', format);
  if (typeof top === 'string' && top !== '') return top;
  const attrs = get(lr, 'attributes', undefined, format);
  if (Array.isArray(attrs)) {
    for (const kv of attrs) {
      if (kv && typeof kv === 'object' && (kv as Obj)['key'] === ATTR_DEPRECATED_EVENT_NAME) {
        const val = (kv as Obj)['value'] as Obj | null | undefined;
        const s = val && get(val, 'stringValue', 'string_value', format);
        if (typeof s === 'string') return s;
      }
    }
  }
  return '';
}

/** OTLP/JSON: the parsed request, walked record by record. */
function walkRequest(msg: unknown, format: Format, opts: DecodeOptions, counts: DecodeCounts, accept: (make: () => AuditRecord) => void): void {
  const req = asObject(msg, 'request') ?? {};
  const resourceLogs = asArray(get(req, 'resourceLogs', 'resource_logs', format), 'resourceLogs');
  for (let r = 0; r < resourceLogs.length; r++) {
    const rpath = `resourceLogs[${r}]`;
    const rl = asObject(resourceLogs[r], rpath);
    if (!rl) continue;
    const scopeLogs = asArray(get(rl, 'scopeLogs', 'scope_logs', format), `${rpath}.scopeLogs`);
    // Built lazily (most batches carry no audit record), once per resource / scope, canonically serialised once.
    const resource = new Lazy(() => plainResource(rl, format, `${rpath}.resource`));
    for (let s = 0; s < scopeLogs.length; s++) {
      const spath = `${rpath}.scopeLogs[${s}]`;
      const sl = asObject(scopeLogs[s], spath);
      if (!sl) continue;
      const logRecords = asArray(get(sl, 'logRecords', 'log_records', format), `${spath}.logRecords`);
      const scope = new Lazy(() => plainScope(sl, format, `${spath}.scope`));
      for (let l = 0; l < logRecords.length; l++) {
        const lpath = `${spath}.logRecords[${l}]`;
        const lr = asObject(logRecords[l], lpath);
        if (!lr) continue;
        if (++counts.total > MAX_LOG_RECORDS_PER_REQUEST) {
          throw new RequestTooLarge(`more than ${MAX_LOG_RECORDS_PER_REQUEST} log records in one request; send smaller batches`);
        }
        const eventName = rawEventName(lr, format);
        if (!isAuditEventName(eventName)) {
          counts.ignored++;
          continue;
        }
        accept(() => toAuditRecord(lr, eventName, resource.get(), scope.get(), format, lpath, opts));
      }
    }
  }
}

/** Like Shared, for the JSON walker: one resource (scope) object, built on first use. */
class Lazy<T extends object> {
  private value: T | PartRefusal | undefined;

  constructor(private readonly build: () => T) {}

  get(): T {
    if (this.value === undefined) {
      try {
        this.value = shareCanonical(this.build());
      } catch (err) {
        if (!isPartRefusal(err)) throw err;
        this.value = err;
      }
    }
    if (isPartRefusal(this.value)) throw this.value;
    return this.value;
  }
}

function plainResource(rl: Obj, format: Format, path: string): PlainRecord['resource'] {
  const res = asObject(rl['resource'], path) ?? {};
  return {
    attributes: keyValuesToPlain(res['attributes'], format, `${path}.attributes`, 0, new ValueBudget(path)),
    droppedAttributesCount: asUint32(get(res, 'droppedAttributesCount', 'dropped_attributes_count', format), `${path}.droppedAttributesCount`),
    schemaUrl: asString(get(rl, 'schemaUrl', 'schema_url', format), `${path}.schemaUrl`),
  };
}

function plainScope(sl: Obj, format: Format, path: string): PlainRecord['scope'] {
  const sc = asObject(sl['scope'], path) ?? {};
  return {
    name: asString(sc['name'], `${path}.name`),
    version: asString(sc['version'], `${path}.version`),
    attributes: keyValuesToPlain(sc['attributes'], format, `${path}.attributes`, 0, new ValueBudget(path)),
    droppedAttributesCount: asUint32(get(sc, 'droppedAttributesCount', 'dropped_attributes_count', format), `${path}.droppedAttributesCount`),
    schemaUrl: asString(get(sl, 'schemaUrl', 'schema_url', format), `${path}.schemaUrl`),
  };
}

function toAuditRecord(
  lr: Obj,
  eventName: string,
  resource: PlainRecord['resource'],
  scope: PlainRecord['scope'],
  format: Format,
  path: string,
  opts: DecodeOptions,
): AuditRecord {
  const budget = new ValueBudget(path);
  const attributes = keyValuesToPlain(lr['attributes'], format, `${path}.attributes`, 0, budget);
  const severityRaw = get(lr, 'severityNumber', 'severity_number', format);
  const record: PlainRecord = {
    resource,
    scope,
    timeUnixNano: int64ToString(get(lr, 'timeUnixNano', 'time_unix_nano', format), format, `${path}.timeUnixNano`, true),
    observedTimeUnixNano: int64ToString(
      get(lr, 'observedTimeUnixNano', 'observed_time_unix_nano', format),
      format,
      `${path}.observedTimeUnixNano`,
      true,
    ),
    // OTLP/JSON requires integer enums; accept the enum name too, as protobuf JSON parsers do.
    severityNumber:
      typeof severityRaw === 'string' && /^SEVERITY_NUMBER_/.test(severityRaw)
        ? severityFromName(severityRaw, `${path}.severityNumber`)
        : asInt32(severityRaw, `${path}.severityNumber`),
    severityText: asString(get(lr, 'severityText', 'severity_text', format), `${path}.severityText`),
    eventName: storableString(eventName),
    body: anyValueToPlain(lr['body'], format, `${path}.body`, 0, budget),
    attributes,
    droppedAttributesCount: asUint32(get(lr, 'droppedAttributesCount', 'dropped_attributes_count', format), `${path}.droppedAttributesCount`),
    flags: asUint32(lr['flags'], `${path}.flags`),
    traceId: idToHex(get(lr, 'traceId', 'trace_id', format), format, 16, `${path}.traceId`),
    spanId: idToHex(get(lr, 'spanId', 'span_id', format), format, 8, `${path}.spanId`),
  };

  let uid = columnTextUncapped(attributes[ATTR_LOG_RECORD_UID]);
  let uidGenerated = false;
  if (uid === null) {
    // No uid: derive one from the content so a replay of the same record maps to the same row.
    uid = 'sha256:' + sha256(canonicalJson(record)).toString('hex');
    uidGenerated = true;
  } else if (uid.length > MAX_UID_CHARS) {
    uid = 'sha256:' + sha256(uid).toString('hex');
    uidGenerated = true;
  }

  return {
    uid,
    uidGenerated,
    eventName: record.eventName,
    timeUnixNano: effectiveTime(record.timeUnixNano, record.observedTimeUnixNano, opts.receivedUnixNano),
    action: columnText(attributes[ATTR_DOMAIN_AUDIT_ACTION] ?? attributes[ATTR_DOMAIN_MUTATION_ACTION]),
    outcome: columnText(attributes[ATTR_DOMAIN_AUDIT_OUTCOME] ?? attributes[ATTR_DOMAIN_MUTATION_OUTCOME]),
    manager: columnText(attributes[ATTR_DOMAIN_MANAGER_NAME]),
    entityId: columnText(attributes[ATTR_DOMAIN_ENTITY_ID]),
    userId: columnText(attributes[ATTR_USER_ID]),
    tenantId: columnText(attributes[ATTR_DOMAIN_TENANT_ID]),
    traceId: record.traceId,
    spanId: record.spanId,
    service: columnText(resource.attributes[ATTR_SERVICE_NAME]),
    record,
  };
}

function columnTextUncapped(v: PlainValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v : typeof v === 'object' ? canonicalJson(v) : String(v);
  return s === '' ? null : s;
}

/** First of time, observed time, receive time that is a usable timestamp (0 < t ≤ int64 max). */
function effectiveTime(time: string, observed: string, received: bigint): string {
  for (const t of [time, observed]) {
    const n = BigInt(t);
    if (n > 0n && n <= MAX_INT64) return t;
  }
  return received.toString();
}

const SEVERITY_NAMES = [
  'UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4',
  'INFO', 'INFO2', 'INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3',
  'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4',
];

function severityFromName(name: string, path: string): number {
  const i = SEVERITY_NAMES.indexOf(name.slice('SEVERITY_NUMBER_'.length));
  if (i < 0) throw new PayloadError(`${path}: unknown severity ${JSON.stringify(name.slice(0, 40))}`);
  return i;
}
