import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';

// The upstream protobufjs-generated OTLP module (published in @opentelemetry/otlp-transformer).
const root = require('otlp-proto-root/build/src/generated/root') as ProtoRoot;

interface Decoder { decode(b: Uint8Array): unknown; toObject(m: unknown, o: object): Record<string, unknown> }
interface ProtoRoot {
  opentelemetry: { proto: { collector: {
    trace: { v1: { ExportTraceServiceRequest: Decoder } };
    metrics: { v1: { ExportMetricsServiceRequest: Decoder } };
    logs: { v1: { ExportLogsServiceRequest: Decoder } };
  } } };
}

export type Signal = 'traces' | 'metrics' | 'logs';
export type Attrs = Record<string, unknown>;

export interface ReceivedSpan { name: string; traceId: string; spanId: string; parentSpanId: string; kind: number; attributes: Attrs; events: { name: string; attributes: Attrs }[]; status: { code?: number; message?: string }; resource: Attrs; scope: { name: string; version?: string; schemaUrl?: string } }
export interface ReceivedLog { receivedAt: number; eventName: string; body: unknown; severityNumber: number; severityText: string; timeUnixNano: string; observedTimeUnixNano: string; flags: number; droppedAttributesCount: number; attributes: Attrs; traceId: string; spanId: string; resource: Attrs; scope: { name: string; version?: string; schemaUrl?: string } }
export interface ReceivedPoint { attributes: Attrs; value: unknown }
export interface ReceivedMetric { name: string; unit: string; points: ReceivedPoint[]; resource: Attrs }

export type ReceiverMode = 'ok' | 'unavailable' | 'hang';

/**
 * Refuses whole log requests (nothing in them is kept), like a receiver with a size limit or a
 * validation rule: `when` sees the decoded records and the request body's size.
 */
export interface LogRefusal {
  when: (logs: ReceivedLog[], bodyBytes: number) => boolean;
  /** HTTP status answered (default 413). */
  http?: number;
  /** gRPC status answered (default INVALID_ARGUMENT). */
  grpc?: grpc.status;
}

const decoders: Record<Signal, Decoder> = {
  traces: root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest,
  metrics: root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest,
  logs: root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest,
};

const hex = (v: unknown): string => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'string' ? v : '');

/** OTLP AnyValue (protobuf object or JSON form) → plain JS. */
export function anyValue(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('bytesValue' in o) return o.bytesValue;
  if ('arrayValue' in o) return (((o.arrayValue as { values?: unknown[] }).values) ?? []).map(anyValue);
  if ('kvlistValue' in o) return attrs((o.kvlistValue as { values?: unknown[] }).values);
  return undefined;
}

function attrs(list: unknown): Attrs {
  const out: Attrs = {};
  for (const kv of (list as { key: string; value: unknown }[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** A real OTLP endpoint for tests: HTTP (protobuf and JSON, gzip) and gRPC, all three signals. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly logs: ReceivedLog[] = [];
  readonly metrics: ReceivedMetric[] = [];
  readonly requests: { signal: Signal; transport: 'http' | 'grpc'; contentType?: string; headers: Record<string, unknown> }[] = [];
  mode: ReceiverMode = 'ok';
  refuseLogs: LogRefusal | undefined;
  /** Log requests refused by `refuseLogs`, with how many records each carried. */
  readonly refused: { transport: 'http' | 'grpc'; records: number; bodyBytes: number }[] = [];
  private http?: Server;
  private grpcServer?: grpc.Server;
  httpPort = 0;
  grpcPort = 0;
  private waiters: (() => void)[] = [];

  get httpUrl(): string { return `http://127.0.0.1:${this.httpPort}`; }
  get grpcUrl(): string { return `http://127.0.0.1:${this.grpcPort}`; }

  async start(): Promise<this> {
    this.http = createServer((req, res) => this.onHttp(req, res));
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    this.httpPort = (this.http.address() as AddressInfo).port;
    this.grpcServer = new grpc.Server();
    const services: [Signal, string][] = [
      ['traces', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
      ['metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'],
      ['logs', '/opentelemetry.proto.collector.logs.v1.LogsService/Export'],
    ];
    for (const [signal, path] of services) {
      this.grpcServer.addService({
        Export: {
          path, requestStream: false, responseStream: false,
          requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
          responseSerialize: () => Buffer.alloc(0), responseDeserialize: (b: Buffer) => b,
        },
      } as grpc.ServiceDefinition, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          this.requests.push({ signal, transport: 'grpc', headers: call.metadata.getMap() });
          if (this.mode === 'hang') return;
          if (this.mode === 'unavailable') return cb({ code: grpc.status.UNAVAILABLE, details: 'test says unavailable' });
          const msg = decoders[signal].toObject(decoders[signal].decode(call.request), { longs: String, defaults: false });
          if (this.refuses(signal, msg, call.request.length, 'grpc')) {
            return cb({ code: this.refuseLogs?.grpc ?? grpc.status.INVALID_ARGUMENT, details: 'test refuses this request' });
          }
          this.ingest(signal, msg);
          cb(null, Buffer.alloc(0));
        },
      });
    }
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      this.grpcServer!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
    return this;
  }

  async stop(): Promise<void> {
    this.http?.closeAllConnections();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.grpcServer?.forceShutdown();
  }

  /** Resolves once `predicate` holds (checked after each request), or rejects after `ms`. */
  waitFor(predicate: () => boolean, ms = 15000, what = 'expected telemetry'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; have ${this.spans.length} spans, ${this.logs.length} logs, ${this.metrics.length} metrics`));
      }, ms);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  metricPoints(name: string): ReceivedPoint[] {
    return this.metrics.filter((m) => m.name === name).flatMap((m) => m.points);
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const signal = (req.url ?? '').replace(/^\/v1\//, '') as Signal;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      this.requests.push({ signal, transport: 'http', contentType, headers: req.headers });
      if (!(signal in decoders)) { res.writeHead(404).end(); return; }
      if (this.mode === 'hang') return;
      if (this.mode === 'unavailable') { res.writeHead(503, { 'retry-after': '1' }).end(); return; }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = contentType.includes('json');
      const msg = json ? JSON.parse(body.toString('utf8')) : decoders[signal].toObject(decoders[signal].decode(body), { longs: String, defaults: false });
      if (this.refuses(signal, msg, body.length, 'http')) {
        res.writeHead(this.refuseLogs?.http ?? 413, { 'content-type': 'text/plain' }).end('test refuses this request');
        return;
      }
      this.ingest(signal, msg);
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
    });
  }

  private refuses(signal: Signal, msg: Record<string, unknown>, bodyBytes: number, transport: 'http' | 'grpc'): boolean {
    if (signal !== 'logs' || !this.refuseLogs) return false;
    const logs = this.decodeLogs(msg);
    if (!this.refuseLogs.when(logs, bodyBytes)) return false;
    this.refused.push({ transport, records: logs.length, bodyBytes });
    return true;
  }

  private ingest(signal: Signal, msg: Record<string, unknown>): void {
    if (signal === 'logs') {
      this.logs.push(...this.decodeLogs(msg));
    } else if (signal === 'traces') {
      for (const rs of (msg.resourceSpans as Record<string, unknown>[] | undefined) ?? []) {
        const resource = attrs((rs.resource as { attributes?: unknown })?.attributes);
        for (const ss of (rs.scopeSpans as Record<string, unknown>[] | undefined) ?? []) {
          const scope = { ...(ss.scope as { name: string; version?: string }), schemaUrl: ss.schemaUrl as string | undefined };
          for (const s of (ss.spans as Record<string, unknown>[] | undefined) ?? []) {
            this.spans.push({
              name: s.name as string, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId),
              kind: Number(s.kind ?? 0), attributes: attrs(s.attributes), status: (s.status as object) ?? {}, resource, scope,
              events: ((s.events as { name?: string; attributes?: unknown }[] | undefined) ?? []).map((e) => ({ name: e.name ?? '', attributes: attrs(e.attributes) })),
            });
          }
        }
      }
    } else {
      for (const rm of (msg.resourceMetrics as Record<string, unknown>[] | undefined) ?? []) {
        const resource = attrs((rm.resource as { attributes?: unknown })?.attributes);
        for (const sm of (rm.scopeMetrics as Record<string, unknown>[] | undefined) ?? []) {
          for (const m of (sm.metrics as Record<string, unknown>[] | undefined) ?? []) {
            const data = (m.sum ?? m.gauge ?? m.histogram) as { dataPoints?: Record<string, unknown>[] } | undefined;
            const points = (data?.dataPoints ?? []).map((p) => ({
              attributes: attrs(p.attributes),
              value: p.asInt !== undefined ? Number(p.asInt) : p.asDouble !== undefined ? Number(p.asDouble) : { count: Number(p.count ?? 0), sum: Number(p.sum ?? 0) },
            }));
            this.metrics.push({ name: m.name as string, unit: (m.unit as string) ?? '', points, resource });
          }
        }
      }
    }
    for (const w of [...this.waiters]) w();
  }

  private decodeLogs(msg: Record<string, unknown>): ReceivedLog[] {
    const out: ReceivedLog[] = [];
    for (const rl of (msg.resourceLogs as Record<string, unknown>[] | undefined) ?? []) {
      const resource = attrs((rl.resource as { attributes?: unknown })?.attributes);
      for (const sl of (rl.scopeLogs as Record<string, unknown>[] | undefined) ?? []) {
        const scope = { ...(sl.scope as { name: string; version?: string }), schemaUrl: sl.schemaUrl as string | undefined };
        for (const l of (sl.logRecords as Record<string, unknown>[] | undefined) ?? []) {
          out.push({
            receivedAt: Date.now(), eventName: (l.eventName as string) ?? '', body: anyValue(l.body), severityNumber: Number(l.severityNumber ?? 0),
            severityText: (l.severityText as string) ?? '', timeUnixNano: String(l.timeUnixNano ?? ''),
            observedTimeUnixNano: String(l.observedTimeUnixNano ?? ''), flags: Number(l.flags ?? 0), droppedAttributesCount: Number(l.droppedAttributesCount ?? 0),
            attributes: attrs(l.attributes), traceId: hex(l.traceId), spanId: hex(l.spanId), resource, scope,
          });
        }
      }
    }
    return out;
  }
}
