import type { HrTime, SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { decodeValue, encodeJson } from './value-codec';

/**
 * One spooled record per line, re-exported exactly as it would have been: same uid and
 * attributes (in order), body, timestamps, severity, event name, trace context, resource and
 * scope. Resources and scopes are written once per segment file as definition lines that the
 * record lines refer to by number:
 *
 *   {"R":0,"a":{...resource attributes},"u":"schema url"}
 *   {"S":0,"n":"scope name","v":"version","u":"schema url","a":{...}}
 *   {"r":0,"s":0,"t":[s,ns],"o":[s,ns],"n":9,"x":"INFO","e":"event","b":body,"a":{...},"d":0,"c":["trace","span",1]}
 */
type Scope = ReadableLogRecord['instrumentationScope'];

interface RecordLine {
  r: number; s: number; t: HrTime; o: HrTime; n?: number; x?: string; e?: string; b?: unknown;
  a: Record<string, unknown>; d?: number; c?: [string, string, number];
}

/** Writes the lines of one segment file; definitions are repeated in every new segment. */
export class SegmentEncoder {
  private readonly resources = new Map<Resource, number>();
  private readonly scopes = new Map<Scope, number>();

  /** The line(s) for one record: its resource and scope definitions first, when new. */
  encode(record: ReadableLogRecord): string {
    let out = '';
    let r = this.resources.get(record.resource);
    if (r === undefined) {
      r = this.resources.size;
      this.resources.set(record.resource, r);
      out += `${encodeJson({ R: r, a: settledAttributes(record.resource), u: record.resource.schemaUrl })}\n`;
    }
    const scope = record.instrumentationScope;
    let s = this.scopes.get(scope);
    if (s === undefined) {
      s = this.scopes.size;
      this.scopes.set(scope, s);
      out += `${encodeJson({ S: s, n: scope.name, v: scope.version, u: scope.schemaUrl, a: scope.attributes })}\n`;
    }
    const line: RecordLine = { r, s, t: record.hrTime, o: record.hrTimeObserved, a: record.attributes };
    if (record.severityNumber !== undefined) line.n = record.severityNumber;
    if (record.severityText !== undefined) line.x = record.severityText;
    if (record.eventName !== undefined) line.e = record.eventName;
    if (record.body !== undefined) line.b = record.body;
    if (record.droppedAttributesCount) line.d = record.droppedAttributesCount;
    const sc = record.spanContext;
    if (sc) line.c = [sc.traceId, sc.spanId, sc.traceFlags];
    return `${out}${encodeJson(line)}\n`;
  }
}

/**
 * The resource's attributes. The spool's writer waits for detectors still running; only at
 * process exit (no waiting possible) are the ones not settled yet left out.
 */
function settledAttributes(resource: Resource): Record<string, unknown> {
  if (!resource.asyncAttributesPending) return resource.attributes;
  const out: Record<string, unknown> = {};
  for (const [k, v] of resource.getRawAttributes()) {
    if (v !== undefined && !(v instanceof Promise)) out[k] = v;
  }
  return out;
}

/** Reads the lines of one segment file back, in order. */
export class SegmentDecoder {
  private readonly resources = new Map<number, Resource>();
  private readonly scopes = new Map<number, Scope>();

  /** The record of a record line; undefined for a definition line. Throws on a malformed line. */
  decode(text: string): ReadableLogRecord | undefined {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o.R === 'number') {
      const attributes = decodeValue(o.a ?? {}) as Record<string, never>;
      this.resources.set(o.R, resourceFromAttributes(attributes, typeof o.u === 'string' ? { schemaUrl: o.u } : {}));
      return undefined;
    }
    if (typeof o.S === 'number') {
      const scope: { name: string; version?: string; schemaUrl?: string; attributes?: Record<string, never> } = { name: String(o.n) };
      if (typeof o.v === 'string') scope.version = o.v;
      if (typeof o.u === 'string') scope.schemaUrl = o.u;
      if (o.a !== undefined && o.a !== null) scope.attributes = decodeValue(o.a) as Record<string, never>;
      this.scopes.set(o.S, scope);
      return undefined;
    }
    const line = o as unknown as RecordLine;
    const resource = this.resources.get(line.r);
    const instrumentationScope = this.scopes.get(line.s);
    if (!resource || !instrumentationScope || !Array.isArray(line.t) || !Array.isArray(line.o)) {
      throw new Error('record line without its resource/scope definition or timestamps');
    }
    const record: { -readonly [K in keyof ReadableLogRecord]: ReadableLogRecord[K] } = {
      hrTime: line.t, hrTimeObserved: line.o, resource, instrumentationScope,
      attributes: decodeValue(line.a ?? {}) as ReadableLogRecord['attributes'],
      droppedAttributesCount: line.d ?? 0,
    };
    if (line.n !== undefined) record.severityNumber = line.n;
    if (line.x !== undefined) record.severityText = line.x;
    if (line.e !== undefined) record.eventName = line.e;
    if ('b' in line) record.body = decodeValue(line.b) as ReadableLogRecord['body'];
    if (line.c) record.spanContext = { traceId: line.c[0], spanId: line.c[1], traceFlags: line.c[2] } satisfies SpanContext;
    return record;
  }
}
