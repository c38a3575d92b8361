import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { OtlpSignalConfig } from '../config/load';
import type { LogLevelName } from '../config/variables';

/**
 * What the request thread hands the export thread: spans and log records as flat arrays of
 * exactly the fields the OTLP serializers read (copied by postMessage's structured clone, which
 * costs a fraction of encoding them), resources and scopes sent once each and referred to by
 * number. The export thread rebuilds objects of the SDK's shapes and gives them to the upstream
 * OTLP exporter, so what goes on the wire is what the exporter would have sent from here.
 */
export type Signal = 'traces' | 'logs';

export type WireEvent = [name: string, time: HrTime, attributes: Attributes | undefined, dropped: number];
export type WireLink = [traceId: string, spanId: string, traceFlags: number, traceState: string | undefined, isRemote: boolean | undefined, attributes: Attributes, dropped: number];

export type WireSpan = [
  name: string, kind: number, traceId: string, spanId: string, traceFlags: number, traceState: string | undefined,
  parentSpanId: string | undefined, parentIsRemote: boolean | undefined, startSeconds: number, startNanos: number, endSeconds: number, endNanos: number,
  attributes: Attributes, droppedAttributes: number, events: WireEvent[] | 0, droppedEvents: number,
  links: WireLink[] | 0, droppedLinks: number, statusCode: number, statusMessage: string | undefined,
  scope: number, resource: number,
];

export type WireLog = [
  timeSeconds: number, timeNanos: number, observedSeconds: number, observedNanos: number, severityNumber: number | undefined, severityText: string | undefined, body: unknown,
  attributes: ReadableLogRecord['attributes'], droppedAttributes: number, eventName: string | undefined,
  traceId: string | undefined, spanId: string | undefined, traceFlags: number | undefined, scope: number, resource: number,
];

/** Request thread → export thread. */
export type ToWorker =
  | { t: 'resource'; id: number; attributes: Attributes; schemaUrl: string | undefined }
  | { t: 'scope'; id: number; name: string; version: string | undefined; schemaUrl: string | undefined; attributes: Attributes | undefined }
  | { t: 'export'; id: number; signal: Signal; items: WireSpan[] | WireLog[] }
  | { t: 'shutdown'; id: number; signal: Signal };

/** An export failure as the exporter reported it (what refusal.ts and the counters read). */
export interface WireError { message: string; name?: string; code?: unknown; data?: unknown; details?: unknown }

/** Export thread → request thread. */
export type FromWorker =
  | { t: 'done'; id: number; ok: boolean; error?: WireError }
  | { t: 'diag'; level: 'error' | 'warn' | 'info' | 'debug' | 'verbose'; message: string };

/** The export thread's configuration (its workerData). */
export interface WorkerInit {
  /** Marks the thread so a preload of the distribution inherited by it does nothing there. */
  domainOtelExportThread: true;
  signals: Partial<Record<Signal, OtlpSignalConfig>>;
  logLevel: LogLevelName;
}

type Scope = ReadableSpan['instrumentationScope'];
type ResourceLike = ReadableSpan['resource'];

/**
 * Turns spans and log records into wire form on the request thread. `define` is told about each
 * resource and scope the first time it appears (before the export that uses it).
 */
export class WireEncoder {
  private readonly resources = new WeakMap<object, number>();
  private readonly scopes = new WeakMap<object, number>();
  private nextResource = 0;
  private nextScope = 0;
  private lastResource: object | undefined;
  private lastResourceId = 0;
  private lastScope: object | undefined;
  private lastScopeId = 0;

  constructor(private readonly define: (message: ToWorker) => void) {}

  span(s: ReadableSpan): WireSpan {
    const c = s.spanContext();
    const p = s.parentSpanContext;
    return [
      s.name, s.kind, c.traceId, c.spanId, c.traceFlags, c.traceState?.serialize() || undefined,
      p?.spanId, p?.isRemote, s.startTime[0], s.startTime[1], s.endTime[0], s.endTime[1], s.attributes, s.droppedAttributesCount,
      s.events.length === 0 ? 0 : s.events.map((e): WireEvent => [e.name, e.time, e.attributes, e.droppedAttributesCount ?? 0]),
      s.droppedEventsCount,
      s.links.length === 0 ? 0 : s.links.map((l): WireLink => [l.context.traceId, l.context.spanId, l.context.traceFlags, l.context.traceState?.serialize() || undefined, l.context.isRemote, l.attributes ?? {}, l.droppedAttributesCount ?? 0]),
      s.droppedLinksCount, s.status.code, s.status.message, this.scopeId(s.instrumentationScope), this.resourceId(s.resource),
    ];
  }

  log(r: ReadableLogRecord): WireLog {
    const c = r.spanContext;
    return [
      r.hrTime[0], r.hrTime[1], r.hrTimeObserved[0], r.hrTimeObserved[1], r.severityNumber, r.severityText, r.body, r.attributes, r.droppedAttributesCount, r.eventName,
      c?.traceId, c?.spanId, c?.traceFlags, this.scopeId(r.instrumentationScope), this.resourceId(r.resource),
    ];
  }

  private resourceId(resource: ResourceLike): number {
    if (resource === this.lastResource) return this.lastResourceId;
    let id = this.resources.get(resource);
    if (id === undefined) {
      id = this.nextResource++;
      this.resources.set(resource, id);
      this.define({ t: 'resource', id, attributes: settled(resource), schemaUrl: resource.schemaUrl });
    }
    this.lastResource = resource;
    this.lastResourceId = id;
    return id;
  }

  private scopeId(scope: Scope): number {
    if (scope === this.lastScope) return this.lastScopeId;
    let id = this.scopes.get(scope);
    if (id === undefined) {
      id = this.nextScope++;
      this.scopes.set(scope, id);
      const attributes = (scope as { attributes?: Attributes }).attributes;
      this.define({ t: 'scope', id, name: scope.name, version: scope.version, schemaUrl: scope.schemaUrl, attributes });
    }
    this.lastScope = scope;
    this.lastScopeId = id;
    return id;
  }
}

/**
 * A resource's attributes. The processors wait for detectors still running before they export;
 * only a resource still pending here (e.g. at exit) is sent with the attributes settled so far.
 */
function settled(resource: ResourceLike): Attributes {
  if (!resource.asyncAttributesPending) return resource.attributes;
  const out: Attributes = {};
  for (const [k, v] of resource.getRawAttributes()) {
    if (v !== undefined && !(v instanceof Promise)) out[k] = v as Attributes[string];
  }
  return out;
}

/** Rebuilds SDK-shaped objects from wire form on the export thread. */
export class WireDecoder {
  private readonly resources = new Map<number, ResourceLike>();
  private readonly scopes = new Map<number, Scope>();

  define(m: Extract<ToWorker, { t: 'resource' | 'scope' }>): void {
    if (m.t === 'resource') {
      const attributes = m.attributes;
      // only what the serializers read of a Resource
      this.resources.set(m.id, { attributes, schemaUrl: m.schemaUrl, asyncAttributesPending: false, getRawAttributes: () => Object.entries(attributes) } as unknown as ResourceLike);
    } else {
      const scope: { name: string; version?: string; schemaUrl?: string; attributes?: Attributes } = { name: m.name };
      if (m.version !== undefined) scope.version = m.version;
      if (m.schemaUrl !== undefined) scope.schemaUrl = m.schemaUrl;
      if (m.attributes !== undefined) scope.attributes = m.attributes;
      this.scopes.set(m.id, scope);
    }
  }

  span(w: WireSpan): ReadableSpan {
    const context: SpanContext = { traceId: w[2], spanId: w[3], traceFlags: w[4] };
    if (w[5] !== undefined) context.traceState = serializedTraceState(w[5]);
    const parent: SpanContext | undefined = w[6] === undefined ? undefined : { traceId: w[2], spanId: w[6], traceFlags: w[4], ...(w[7] !== undefined ? { isRemote: w[7] } : {}) };
    const start: HrTime = [w[8], w[9]];
    const end: HrTime = [w[10], w[11]];
    const events = w[14];
    const links = w[16];
    return {
      name: w[0], kind: w[1], spanContext: () => context, parentSpanContext: parent, startTime: start, endTime: end,
      status: w[19] === undefined ? { code: w[18] } : { code: w[18], message: w[19] },
      attributes: w[12], droppedAttributesCount: w[13],
      events: events === 0 ? [] : events.map(([name, time, attributes, dropped]) => ({ name, time, attributes, droppedAttributesCount: dropped })),
      droppedEventsCount: w[15],
      links: links === 0 ? [] : links.map(([traceId, spanId, traceFlags, traceState, isRemote, attributes, dropped]) => ({
        context: { traceId, spanId, traceFlags, ...(traceState !== undefined ? { traceState: serializedTraceState(traceState) } : {}), ...(isRemote !== undefined ? { isRemote } : {}) },
        attributes, droppedAttributesCount: dropped,
      })),
      droppedLinksCount: w[17],
      duration: [end[0] - start[0], end[1] - start[1]],
      ended: true,
      resource: this.resource(w[21]),
      instrumentationScope: this.scope(w[20]),
    };
  }

  log(w: WireLog): ReadableLogRecord {
    const record: { -readonly [K in keyof ReadableLogRecord]: ReadableLogRecord[K] } = {
      hrTime: [w[0], w[1]], hrTimeObserved: [w[2], w[3]], attributes: w[7], droppedAttributesCount: w[8],
      resource: this.resource(w[14]), instrumentationScope: this.scope(w[13]),
    };
    if (w[4] !== undefined) record.severityNumber = w[4];
    if (w[5] !== undefined) record.severityText = w[5];
    if (w[6] !== undefined) record.body = w[6] as ReadableLogRecord['body'];
    if (w[9] !== undefined) record.eventName = w[9];
    if (w[10] !== undefined && w[11] !== undefined) record.spanContext = { traceId: w[10], spanId: w[11], traceFlags: w[12] ?? 0 };
    return record;
  }

  private resource(id: number): ResourceLike {
    const r = this.resources.get(id);
    if (!r) throw new Error(`export thread: resource ${id} was never defined`);
    return r;
  }

  private scope(id: number): Scope {
    const s = this.scopes.get(id);
    if (!s) throw new Error(`export thread: scope ${id} was never defined`);
    return s;
  }
}

/** The serializers only call serialize(); the rest of TraceState is never used on this side. */
function serializedTraceState(text: string): SpanContext['traceState'] {
  return { serialize: () => text } as SpanContext['traceState'];
}
