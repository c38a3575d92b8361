/**
 * The envelope of a protobuf ExportLogsServiceRequest, read on the wire without decoding it:
 * where each ResourceLogs' resource, each ScopeLogs' scope and each LogRecord lies, the event
 * name of a record, and whether a record (or resource, or scope) stays within the per-record
 * limits (limits.ts). The decoder then decodes only the audit records, one at a time, with the
 * generated code — so a body of millions of tiny values never becomes millions of objects.
 *
 * Wire format: each field is a varint tag (field number << 3 | wire type) followed by a varint
 * (0), 8 bytes (1), a varint length and that many bytes (2), or 4 bytes (5). Groups (3, 4) are
 * not used by OTLP and are refused.
 */
import {
  MAX_ATTRIBUTES,
  MAX_LOG_RECORDS_PER_REQUEST,
  MAX_VALUE_DEPTH,
  PayloadError,
  RequestTooLarge,
  ValueBudget,
  nestedTooDeep,
  tooManyAttributes,
} from './limits';

/** A message's bytes: [start, end) of the body. */
export interface Span {
  start: number;
  end: number;
}

/** The resource (or scope) shared by the records of one ResourceLogs (or ScopeLogs). */
export interface Holder {
  /** Its Resource / InstrumentationScope message, when present. */
  span: Span | undefined;
  schemaUrl: string;
  /** Path for messages: resourceLogs[0].resource, resourceLogs[0].scopeLogs[1].scope. */
  path: string;
}

export type RecordVisitor = (record: Span, path: string, resource: Holder, scope: Holder) => void;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

function invalid(detail: string): PayloadError {
  return new PayloadError(`invalid protobuf ExportLogsServiceRequest: ${detail}`);
}

/** A cursor over the fields of one message at a time (no allocation per field). */
class Wire {
  pos = 0;
  field = 0;
  type = 0;
  /** The current field's value: its bytes for LEN, otherwise the encoded value. */
  start = 0;
  end = 0;

  constructor(readonly buf: Uint8Array) {}

  /** Reads the next field before `limit`; false when the message ends there. */
  next(limit: number): boolean {
    if (this.pos >= limit) return false;
    const at = this.pos;
    const tag = this.varint(limit);
    this.type = tag % 8;
    this.field = Math.floor(tag / 8);
    if (this.field === 0) throw invalid(`field number 0 at offset ${at}`);
    this.start = this.pos;
    switch (this.type) {
      case VARINT:
        this.varint(limit);
        break;
      case I64:
        this.pos += 8;
        break;
      case LEN: {
        const len = this.varint(limit);
        this.start = this.pos;
        this.pos += len;
        break;
      }
      case I32:
        this.pos += 4;
        break;
      default:
        throw invalid(`invalid wire type ${this.type} at offset ${at}`);
    }
    if (this.pos > limit) throw invalid(`field ${this.field} at offset ${at} runs past the end of its message (truncated?)`);
    this.end = this.pos;
    return true;
  }

  private varint(limit: number): number {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= limit) throw invalid(`varint at offset ${this.pos} runs past the end of its message (truncated?)`);
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return value;
    }
    throw invalid(`varint longer than 10 bytes at offset ${this.pos - 10}`);
  }

  /** Whether the current field has this number (and wire type). A method, so TypeScript does not narrow `field` across next(). */
  is(field: number, type?: number): boolean {
    return this.field === field && (type === undefined || this.type === type);
  }

  /** A LEN field of a known number must be LEN. */
  expectLen(what: string): void {
    if (this.type !== LEN) throw invalid(`${what}: wire type ${this.type}, expected 2 (length-delimited)`);
  }

  text(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.start, this.end - this.start).toString('utf8');
  }

  /** Whether the current LEN field's bytes equal `ascii`. */
  equals(ascii: string): boolean {
    if (this.end - this.start !== ascii.length) return false;
    for (let i = 0; i < ascii.length; i++) if (this.buf[this.start + i] !== ascii.charCodeAt(i)) return false;
    return true;
  }
}

/**
 * Calls `visit` for every LogRecord of the request, in order. Counts them against
 * MAX_LOG_RECORDS_PER_REQUEST (RequestTooLarge beyond it). Malformed framing is a PayloadError.
 */
export function walkLogsRequest(body: Uint8Array, visit: RecordVisitor): number {
  const w = new Wire(body);
  let records = 0;
  let r = 0;
  while (w.next(body.length)) {
    if (!w.is(1)) continue; // unknown field: skipped, as the generated decoder does
    w.expectLen('resourceLogs');
    const rStart = w.start;
    const rEnd = w.end;
    const rpath = `resourceLogs[${r++}]`;
    // The resource and schema_url first (wherever they are; the last occurrence wins, as when decoding).
    const resource = holder(w, rStart, rEnd, `${rpath}.resource`, `${rpath}.schemaUrl`);
    w.pos = rStart;
    let s = 0;
    while (w.next(rEnd)) {
      if (!w.is(2)) continue;
      w.expectLen(`${rpath}.scopeLogs`);
      const sStart = w.start;
      const sEnd = w.end;
      const spath = `${rpath}.scopeLogs[${s++}]`;
      const scope = holder(w, sStart, sEnd, `${spath}.scope`, `${spath}.schemaUrl`);
      w.pos = sStart;
      let l = 0;
      while (w.next(sEnd)) {
        if (!w.is(2)) continue;
        w.expectLen(`${spath}.logRecords`);
        if (++records > MAX_LOG_RECORDS_PER_REQUEST) {
          throw new RequestTooLarge(`more than ${MAX_LOG_RECORDS_PER_REQUEST} log records in one request; send smaller batches`);
        }
        visit({ start: w.start, end: w.end }, `${spath}.logRecords[${l++}]`, resource, scope);
      }
    }
  }
  return records;
}

/** Field 1 (the Resource or InstrumentationScope) and field 3 (schema_url) of a ResourceLogs or ScopeLogs. */
function holder(w: Wire, start: number, end: number, path: string, schemaPath: string): Holder {
  const h: Holder = { span: undefined, schemaUrl: '', path };
  w.pos = start;
  while (w.next(end)) {
    if (w.is(1)) {
      w.expectLen(path);
      h.span = { start: w.start, end: w.end };
    } else if (w.is(3)) {
      w.expectLen(schemaPath);
      h.schemaUrl = w.text();
    }
  }
  return h;
}

/**
 * The event name of a LogRecord: field 12, else the first `event.name` attribute with a string
 * value (the deprecated form), else ''.
 */
export function eventNameOf(body: Uint8Array, record: Span): string {
  const w = new Wire(body);
  w.pos = record.start;
  let name = '';
  let hasAttributes = false;
  while (w.next(record.end)) {
    if (w.is(12, LEN)) name = w.text();
    else if (w.is(6)) hasAttributes = true;
  }
  if (name !== '' || !hasAttributes) return name;
  w.pos = record.start;
  while (w.next(record.end)) {
    if (!w.is(6, LEN)) continue;
    const kvEnd = w.end;
    const after = w.pos;
    w.pos = w.start;
    let isEventName = false;
    let value: Span | undefined;
    while (w.next(kvEnd)) {
      if (w.is(1, LEN)) isEventName = w.equals('event.name');
      else if (w.is(2, LEN)) value = { start: w.start, end: w.end };
    }
    if (isEventName && value) {
      w.pos = value.start;
      let s: string | undefined;
      while (w.next(value.end)) if (w.is(1, LEN)) s = w.text();
      if (s !== undefined) return s;
    }
    w.pos = after;
  }
  return '';
}

/**
 * Checks a LogRecord, Resource or InstrumentationScope against the per-record limits before it is
 * decoded: attributes per list, values in all, AnyValue nesting. Throws RecordRefused.
 * `attributesField` is 6 for a LogRecord, 1 for a Resource, 3 for a scope; a LogRecord's body is field 5.
 */
export function checkLimits(body: Uint8Array, span: Span, attributesField: number, path: string): void {
  const w = new Wire(body);
  const budget = new ValueBudget(path);
  w.pos = span.start;
  let attributes = 0;
  while (w.next(span.end)) {
    if (w.type !== LEN) continue;
    if (w.is(attributesField)) {
      if (++attributes > MAX_ATTRIBUTES) throw tooManyAttributes(`${path}.attributes`, countFields(body, span, attributesField));
      const after = w.pos;
      scanKeyValue(w, w.start, w.end, 0, budget, `${path}.attributes`);
      w.pos = after;
    } else if (w.is(5) && attributesField === 6) {
      const after = w.pos;
      scanAnyValue(w, w.start, w.end, 0, budget, `${path}.body`);
      w.pos = after;
    }
  }
}

function countFields(body: Uint8Array, span: Span, field: number): number {
  const w = new Wire(body);
  w.pos = span.start;
  let n = 0;
  while (w.next(span.end)) if (w.is(field)) n++;
  return n;
}

function scanKeyValue(w: Wire, start: number, end: number, depth: number, budget: ValueBudget, path: string): void {
  w.pos = start;
  while (w.next(end)) {
    if (w.is(2, LEN)) {
      const after = w.pos;
      scanAnyValue(w, w.start, w.end, depth, budget, path);
      w.pos = after;
    }
  }
}

function scanAnyValue(w: Wire, start: number, end: number, depth: number, budget: ValueBudget, path: string): void {
  budget.take();
  if (depth > MAX_VALUE_DEPTH) throw nestedTooDeep(path);
  w.pos = start;
  while (w.next(end)) {
    // ArrayValue (5) { repeated AnyValue values = 1 } or KeyValueList (6) { repeated KeyValue values = 1 }
    if (!w.is(5, LEN) && !w.is(6, LEN)) continue;
    const isArray = w.is(5);
    const listEnd = w.end;
    const after = w.pos;
    w.pos = w.start;
    while (w.next(listEnd)) {
      if (!w.is(1, LEN)) continue;
      const next = w.pos;
      if (isArray) scanAnyValue(w, w.start, w.end, depth + 1, budget, path);
      else scanKeyValue(w, w.start, w.end, depth + 1, budget, path);
      w.pos = next;
    }
    w.pos = after;
  }
}
