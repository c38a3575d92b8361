// The export thread: what it sends is byte for byte what the upstream exporter sends from the
// request thread; its results (success, refusal, unreachable) reach the processors as the
// exporter's would; it starts on the first export and never keeps an idle process alive.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { context, createTraceState, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { OtlpSignalConfig } from '../src/config/load';
import { ExportThread, ThreadLogExporter, ThreadSpanExporter, withoutDistributionPreload } from '../src/export/export-thread';
import { upstreamLogExporter, upstreamSpanExporter } from '../src/export/upstream';
import { refusalClassifier } from '../src/logs/refusal';
import { childEnv, FIXTURES, runApp } from './helpers';

const resource = resourceFromAttributes({ 'service.name': 'thread-test', 'process.pid': 7, 'process.command_args': ['node', 'app.js'], ok: true }, { schemaUrl: 'https://example.com/schema/1' });

function makeSpans(): ReadableSpan[] {
  const done: ReadableSpan[] = [];
  const provider = new TracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [{ onStart() {}, onEnd: (s) => done.push(s), forceFlush: async () => {}, shutdown: async () => {} }] });
  const tracer = provider.getTracer('scope-a', '1.2.3', { schemaUrl: 'https://example.com/scope/1' });
  const other = provider.getTracer('scope-b');
  const remote = trace.setSpanContext(context.active(), { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true, traceState: createTraceState('vendor=x,other=y') });
  const root = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'server.port': 3000, ratio: 0.25, flag: false, list: ['a', 'b'], nums: [1, 2.5] } }, remote);
  const child = other.startSpan('child', { links: [{ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0, traceState: createTraceState('k=v') }, attributes: { why: 'batch' } }] }, trace.setSpan(context.active(), root));
  child.addEvent('retry', { attempt: 2 });
  child.recordException(new TypeError('bad input'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed' });
  child.end();
  root.end();
  for (let i = 0; i < 20; i++) tracer.startSpan(`op ${i}`, { attributes: { i, 'unicode.text': 'grüße ✓ 日本' } }).end();
  return done;
}

function makeLogs(): ReadableLogRecord[] {
  const done: ReadableLogRecord[] = [];
  const provider = new LoggerProvider({ resource, processors: [{ onEmit: (r) => done.push(r), forceFlush: async () => {}, shutdown: async () => {} }] });
  const logger = provider.getLogger('@domain-otel/instrumentation-domain', '0.1.0', { schemaUrl: 'https://domain-otel.dev/schemas/0.1.0' });
  const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
  context.with(trace.setSpan(context.active(), span), () => logger.emit({
    eventName: 'domain.manager.mutation', severityNumber: 9, severityText: 'INFO', body: 'Ada (42) update orders 7', timestamp: 1_700_000_000_123,
    attributes: { 'log.record.uid': '01890a5d-ac96-774b-bcce-b302099a8057', 'domain.entity.id': 7, 'domain.mutation.changes': { status: { old: 'new', new: 'paid' }, total: { old: 1.5, new: null } }, bytes: new Uint8Array([1, 2, 255]), list: ['x', 1, true] },
  }));
  logger.emit({ body: { nested: { deep: [1, 'two', { three: 3 }] } } });
  logger.emit({ severityNumber: 17, body: 'no event name' });
  return done;
}

/** Records every request body, answers 200 (or `status`). */
class RawReceiver {
  bodies: Buffer[] = [];
  status = 200;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.bodies.push(Buffer.concat(chunks));
        res.writeHead(this.status, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end(this.status === 200 ? '' : 'refused by the test');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

const signalConfig = (url: string, protocol: OtlpSignalConfig['protocol']): OtlpSignalConfig => ({ protocol, url, headers: { 'x-test': 'yes' }, timeoutMillis: 3000, compression: 'none' });
const exportWith = <T>(exporter: { export(items: T[], cb: (r: ExportResult) => void): void }, items: T[]) => new Promise<ExportResult>((resolve) => exporter.export(items, resolve));

describe('@domain-otel/node: the export thread', function () {
  this.timeout(60_000);
  const threads: ExportThread[] = [];
  const newThread = (traces: OtlpSignalConfig, logs: OtlpSignalConfig) => {
    const t = new ExportThread({ domainOtelExportThread: true, signals: { traces, logs }, logLevel: 'none' });
    threads.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of threads.splice(0)) {
      await t.shutdown('traces', {}).catch(() => {});
      await t.shutdown('logs', {}).catch(() => {});
    }
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: the request bodies are byte for byte the upstream exporter's`, async () => {
      const raw = await new RawReceiver().start();
      try {
        const spans = makeSpans();
        const logs = makeLogs();
        const upstreamSpans: SpanExporter = upstreamSpanExporter(signalConfig(`${raw.url}/v1/traces`, protocol));
        const upstreamLogs: LogRecordExporter = upstreamLogExporter(signalConfig(`${raw.url}/v1/logs`, protocol));
        assert.equal((await exportWith(upstreamSpans, spans)).code, ExportResultCode.SUCCESS);
        assert.equal((await exportWith(upstreamLogs, logs)).code, ExportResultCode.SUCCESS);
        const expected = raw.bodies.splice(0);
        const thread = newThread(signalConfig(`${raw.url}/v1/traces`, protocol), signalConfig(`${raw.url}/v1/logs`, protocol));
        assert.equal((await exportWith(new ThreadSpanExporter(thread), spans)).code, ExportResultCode.SUCCESS);
        assert.equal((await exportWith(new ThreadLogExporter(thread), logs)).code, ExportResultCode.SUCCESS);
        assert.equal(raw.bodies.length, 2);
        assert.ok(raw.bodies[0]!.equals(expected[0]!), 'span request differs');
        assert.ok(raw.bodies[1]!.equals(expected[1]!), 'log request differs');
        await upstreamSpans.shutdown();
        await upstreamLogs.shutdown();
      } finally {
        await raw.stop();
      }
    });
  }

  it('grpc: the receiver decodes the same spans and records from both', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const spans = makeSpans();
      const logs = makeLogs();
      const cfg = signalConfig(receiver.grpcUrl, 'grpc');
      const up = [upstreamSpanExporter(cfg), upstreamLogExporter(cfg)] as const;
      assert.equal((await exportWith(up[0], spans)).code, ExportResultCode.SUCCESS);
      assert.equal((await exportWith(up[1], logs)).code, ExportResultCode.SUCCESS);
      const expected = { spans: receiver.spans.splice(0), logs: receiver.logs.splice(0).map((l) => ({ ...l, receivedAt: 0 })) };
      const thread = newThread(cfg, cfg);
      assert.equal((await exportWith(new ThreadSpanExporter(thread), spans)).code, ExportResultCode.SUCCESS);
      assert.equal((await exportWith(new ThreadLogExporter(thread), logs)).code, ExportResultCode.SUCCESS);
      assert.equal(expected.spans.length, spans.length);
      assert.deepEqual(receiver.spans, expected.spans);
      assert.deepEqual(receiver.logs.map((l) => ({ ...l, receivedAt: 0 })), expected.logs);
      await Promise.all(up.map((e) => e.shutdown()));
    } finally {
      await receiver.stop();
    }
  });

  for (const [protocol, status] of [['http/protobuf', 413], ['http/protobuf', 400], ['http/protobuf', 503], ['grpc', 0]] as const) {
    it(`${protocol}${status ? ` ${status}` : ' INVALID_ARGUMENT'}: the failure reaches the caller with what the refusal classifier reads`, async () => {
      let url: string;
      let stop: () => Promise<void>;
      if (protocol === 'grpc') {
        const receiver = await new OtlpReceiver().start();
        receiver.refuseLogs = { when: () => true };
        url = receiver.grpcUrl;
        stop = () => receiver.stop();
      } else {
        const raw = await new RawReceiver().start();
        raw.status = status;
        url = `${raw.url}/v1/logs`;
        stop = () => raw.stop();
      }
      try {
        const cfg = signalConfig(url, protocol);
        const inThread = await exportWith(upstreamLogExporter(cfg), makeLogs());
        const viaThread = await exportWith(new ThreadLogExporter(newThread(cfg, cfg)), makeLogs());
        assert.equal(viaThread.code, ExportResultCode.FAILED);
        const classify = refusalClassifier(protocol);
        assert.equal(classify(viaThread.error), classify(inThread.error));
        if (status === 503) assert.equal(classify(viaThread.error), undefined, 'a 503 is retried, not refused');
        else assert.match(String(classify(viaThread.error)), status ? new RegExp(`HTTP ${status}`) : /INVALID_ARGUMENT/);
      } finally {
        await stop();
      }
    });
  }

  it('an unreachable endpoint fails the export; the next one succeeds once it answers', async () => {
    const raw = await new RawReceiver().start();
    const port = new URL(raw.url).port;
    await raw.stop();
    const cfg = { ...signalConfig(`http://127.0.0.1:${port}/v1/traces`, 'http/protobuf'), timeoutMillis: 1000 };
    const exporter = new ThreadSpanExporter(newThread(cfg, cfg));
    assert.equal((await exportWith(exporter, makeSpans())).code, ExportResultCode.FAILED);
  });

  it('values structured clone cannot copy (functions, symbols) are sent as the upstream exporter sends them', async () => {
    const raw = await new RawReceiver().start();
    try {
      const logs = makeLogs();
      const r = logs[0]!;
      const odd: ReadableLogRecord = {
        hrTime: r.hrTime, hrTimeObserved: r.hrTimeObserved, severityNumber: r.severityNumber, severityText: r.severityText, body: r.body, eventName: r.eventName,
        spanContext: r.spanContext, resource: r.resource, instrumentationScope: r.instrumentationScope, droppedAttributesCount: 0,
        attributes: { ...r.attributes, fn: (() => 1) as never, sym: Symbol('s') as never },
      };
      const cfg = signalConfig(`${raw.url}/v1/logs`, 'http/protobuf');
      const up = upstreamLogExporter(cfg);
      assert.equal((await exportWith(up, [odd])).code, ExportResultCode.SUCCESS);
      const expected = raw.bodies.splice(0);
      assert.equal((await exportWith(new ThreadLogExporter(newThread(cfg, cfg)), [odd])).code, ExportResultCode.SUCCESS);
      assert.ok(raw.bodies[0]!.equals(expected[0]!));
      await up.shutdown();
    } finally {
      await raw.stop();
    }
  });

  it('several exporters of one signal share the thread; the first to shut down does not close it for the others', async () => {
    const raw = await new RawReceiver().start();
    try {
      const cfg = signalConfig(`${raw.url}/v1/logs`, 'http/protobuf');
      const thread = newThread(cfg, cfg);
      const a = new ThreadLogExporter(thread);
      const b = new ThreadLogExporter(thread);
      assert.equal((await exportWith(a, makeLogs())).code, ExportResultCode.SUCCESS);
      await a.shutdown();
      assert.equal((await exportWith(a, makeLogs())).code, ExportResultCode.FAILED, 'a shut-down exporter refuses');
      assert.equal((await exportWith(b, makeLogs())).code, ExportResultCode.SUCCESS);
      assert.equal(raw.bodies.length, 2);
    } finally {
      await raw.stop();
    }
  });

  it('the distribution\'s preload is not passed on to the thread; other flags are', () => {
    assert.deepEqual(withoutDistributionPreload(['--require', '@domain-otel/node/register', '--import', 'tsx', '--import=@domain-otel/node/import', '-r', '/x/packages/node/dist/register.js', '--enable-source-maps']),
      ['--import', 'tsx', '--enable-source-maps']);
  });

  it('an app: no exporter package loaded at start; after exporting, only the metrics one on the request thread; the process exits on its own when idle', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', DOMAIN_OTEL_EXPORT_THREAD: 'on' });
      const started = Date.now();
      const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'exporter-modules.cjs')], env);
      assert.equal(result.code, 0, result.stderr);
      const line = JSON.parse(result.stdout.split('\n').find((l) => l.startsWith('{'))!) as { atStart: string[]; afterExport: string[] };
      assert.deepEqual(line.atStart, []);
      // the flush exported metrics too: their exporter is loaded here, those of spans and logs are not
      assert.deepEqual(line.afterExport.filter((m) => m.startsWith('exporter-')), ['exporter-metrics-otlp-http', 'exporter-metrics-otlp-proto']);
      assert.ok(Date.now() - started < 15_000, 'exited without waiting on the thread');
      await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'domain.audit.decision') && receiver.spans.some((s) => s.name === 'update orders'), 10_000, 'the app\'s telemetry');
    } finally {
      await receiver.stop();
    }
  });

  it('DOMAIN_OTEL_EXPORT_THREAD=off: only the configured exporter is loaded, on its first export', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', DOMAIN_OTEL_EXPORT_THREAD: 'off' });
      const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'exporter-modules.cjs')], env);
      assert.equal(result.code, 0, result.stderr);
      const line = JSON.parse(result.stdout.split('\n').find((l) => l.startsWith('{'))!) as { atStart: string[]; afterExport: string[] };
      assert.deepEqual(line.atStart, []);
      // the proto exporters of the three signals (metrics-otlp-http holds the proto one's base), nothing of gRPC or JSON
      assert.deepEqual(line.afterExport.filter((m) => m.startsWith('exporter-')), ['exporter-logs-otlp-proto', 'exporter-metrics-otlp-http', 'exporter-metrics-otlp-proto', 'exporter-trace-otlp-proto']);
    } finally {
      await receiver.stop();
    }
  });
});
