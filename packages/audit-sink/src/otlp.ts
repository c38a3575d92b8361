/**
 * OTLP logs decoding: `ExportLogsServiceRequest` as protobuf (the envelope read on the wire,
 * otlp-wire.ts, each audit record decoded on its own, otlp-proto.ts) or as OTLP/JSON
 * (otlp-json.ts), walked record by record; each audit record is handed on as the record the
 * sink stores (audit-record.ts), the others are counted.
 *
 * Both formats go through the same field readers (otlp-values.ts); the few places where they
 * differ (64-bit integers, bytes, trace ids) are handled there by `Format`.
 */
import { isAuditEventName } from '@domain-otel/semantic-conventions';
import { ATTR_DEPRECATED_EVENT_NAME } from './conventions';
import { shareCanonical } from './canonical';
import {
  MAX_LOG_RECORDS_PER_REQUEST,
  PayloadError,
  RecordRefused,
  type RefusedByReason,
  RequestTooLarge,
  oneLine,
} from './limits';
import { toAuditRecord, type AuditRecord } from './audit-record';
import { parseOtlpJson } from './otlp-json';
import { LogRecordType, ResourceType, ScopeType, decodeMessage, type ProtoType } from './otlp-proto';
import { asArray, asObject, get, type Format, type Obj } from './otlp-values';
import { checkLimits, eventNameOf, walkLogsRequest, type Holder, type Span } from './otlp-wire';
import { plainLogRecord, plainResource, plainScope, type PlainRecord } from './plain-record';
import { checkWindow, windowBounds, type AcceptWindow } from './time-window';

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
      const lr = decodeMessage(LogRecordType, body, span, path);
      return toAuditRecord(plainLogRecord(lr, eventName, res, sc, 'protobuf', path), opts.receivedUnixNano);
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
        accept(() => toAuditRecord(plainLogRecord(lr, eventName, resource.get(), scope.get(), format, lpath), opts.receivedUnixNano));
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

