/**
 * The audit viewer's world for tests and screenshots: a throwaway Postgres with the real sink, known
 * records written through OTLP (two tenants, granted/denied/bypassed decisions, a mutation with
 * changes and a redacted field, a record whose entity id needs CSV quoting), the real Jaeger binary
 * holding the request trace of two of them, a signed checkpoint, and the viewer itself.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Pool } from 'pg';
import { buildBinary, cleanEnv, freePorts, JAEGER_CONFIG, Proc, waitFor, waitForHttpOk } from '../../../../test/collector/helpers';
import { createPool } from '../../src';
import { writeCheckpoint } from '../../src/checkpoint';
import { generateNoteKey, parseSignerKey, parseVerifierKey, type VerifierKey } from '../../src/signed-note';
import { parseTokenFile } from '../../src/ui/auth';
import { ViewerServer } from '../../src/ui/server';
import { assertExported, decision, exportWith, sdkRecords, uid, type EmitSpec } from './otlp-client';
import { startSink, type SinkFixture } from './sink-fixture';

export const AUDITOR_TOKEN = 'auditor-token-5b1e0c2f9a7d4e68';
export const ACME_TOKEN = 'acme-admin-token-c03f7e19b2a84d5';

export interface ViewerScenario {
  sink: SinkFixture;
  viewer: ViewerServer;
  url: string;
  /** A pool as the reader login (what the viewer uses), for assertions. */
  reader: Pool;
  /** The request trace in Jaeger, and the spans the two records point at. */
  traceId: string;
  checkSpanId: string;
  updateSpanId: string;
  jaegerQueryUrl: string;
  uids: { granted: string; mutation: string; denied: string; bypassed: string; globexDenied: string; csvHostile: string };
  csvHostileEntity: string;
  /** Records written (all tenants). */
  total: number;
  acmeTotal: number;
  checkpointDir: string;
  verifier: VerifierKey;
  /** The verifier key as keygen prints it (NAME+KEYID+KEYDATA). */
  verifierText: string;
  dir: string;
  close(): Promise<void>;
}

/** Sends a known request trace to Jaeger over OTLP/HTTP and waits until Jaeger serves it. */
async function sendTrace(otlpHttp: string, queryUrl: string, at: number): Promise<{ traceId: string; checkSpanId: string; updateSpanId: string }> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'billing' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpHttp}/v1/traces` }) })],
  });
  const tracer = provider.getTracer('viewer-scenario');
  const t = (ms: number) => new Date(at + ms);
  const root = tracer.startSpan('POST /invoices/:id/approve', { kind: SpanKind.SERVER, startTime: t(0) });
  const inRoot = trace.setSpan(ROOT_CONTEXT, root);
  const check = tracer.startSpan('casl authorize update Invoice', { startTime: t(2) }, inRoot);
  check.end(t(4));
  const update = tracer.startSpan('InvoiceManager.update', { startTime: t(5) }, inRoot);
  const sql = tracer.startSpan('pg.query UPDATE invoices', { kind: SpanKind.CLIENT, startTime: t(7) }, trace.setSpan(ROOT_CONTEXT, update));
  sql.end(t(15));
  update.end(t(17));
  root.end(t(20));
  await provider.forceFlush();
  await provider.shutdown();
  const traceId = root.spanContext().traceId;
  await waitFor('the scenario trace in Jaeger', async () => {
    const r = await fetch(`${queryUrl}/api/traces/${traceId}`).catch(() => undefined);
    if (!r?.ok) return undefined;
    const body = (await r.json()) as { data?: { spans: unknown[] }[] };
    return body.data?.[0]?.spans.length === 4 ? true : undefined;
  });
  return { traceId, checkSpanId: check.spanContext().spanId, updateSpanId: update.spanContext().spanId };
}

export async function startViewerScenario(opts: { jaeger?: boolean; viewer?: Partial<ConstructorParameters<typeof ViewerServer>[0]> } = {}): Promise<ViewerScenario> {
  const dir = mkdtempSync(path.join(tmpdir(), 'domain-otel-viewer-'));
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const sink = await startSink();
    stops.push(() => sink.close());

    // Jaeger, on free loopback ports, with the request trace of the granted decision and the mutation.
    const now = Date.now();
    const base = now - 5 * 3600_000;
    const reqAt = now - 30 * 60_000;
    let jaegerQueryUrl = '';
    let traced = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', checkSpanId: '00f067aa0ba902b7', updateSpanId: '00f067aa0ba902b8' };
    if (opts.jaeger !== false) {
      const bin = await buildBinary('build-jaeger.sh');
      const [grpc, http, query, queryGrpc, health] = (await freePorts(5)) as [number, number, number, number, number];
      const jaeger = new Proc('jaeger', bin, ['--config', JAEGER_CONFIG], cleanEnv({
        DOMAIN_OTEL_JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
        DOMAIN_OTEL_JAEGER_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
        DOMAIN_OTEL_JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${query}`,
        DOMAIN_OTEL_JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${queryGrpc}`,
        DOMAIN_OTEL_JAEGER_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      }), path.join(dir, 'jaeger.log'), dir);
      stops.push(() => jaeger.stop());
      await waitForHttpOk(`http://127.0.0.1:${health}/status`).catch((err) => {
        throw new Error(`Jaeger did not become healthy: ${String(err)}\n${jaeger.log().slice(-2000)}`);
      });
      jaegerQueryUrl = `http://127.0.0.1:${query}`;
      traced = await sendTrace(`http://127.0.0.1:${http}`, jaegerQueryUrl, reqAt);
    }

    const uids = { granted: uid(), mutation: uid(), denied: uid(), bypassed: uid(), globexDenied: uid(), csvHostile: uid() };
    const csvHostileEntity = 'INV,"7"\nsecond line';
    const at = (ms: number) => ({ timestamp: new Date(ms) });
    const specs: EmitSpec[] = [
      decision({ 'user.id': '42', 'domain.tenant.id': 'acme', 'domain.entity.id': '7', 'domain.audit.action': 'update', 'domain.audit.outcome': 'granted', 'log.record.uid': uids.granted },
        { ...at(reqAt + 3), traceId: traced.traceId, spanId: traced.checkSpanId, body: 'user 42 was granted update on InvoiceManager 7' }),
      {
        eventName: 'domain.manager.mutation',
        ...at(reqAt + 16),
        traceId: traced.traceId,
        spanId: traced.updateSpanId,
        body: 'InvoiceManager updated invoice 7',
        attributes: {
          'user.id': '42', 'domain.tenant.id': 'acme', 'domain.manager.name': 'InvoiceManager', 'domain.entity.id': '7',
          'domain.mutation.action': 'update', 'domain.mutation.outcome': 'success', 'log.record.uid': uids.mutation,
          'domain.mutation.changed_fields': ['status', 'total', 'card_number'],
          'domain.mutation.changes': { status: { old: 'draft', new: 'approved' }, total: { old: 100, new: 120.5 }, card_number: { old: '[REDACTED]', new: '[REDACTED]' } } as never,
        },
      },
      decision({ 'user.id': '7', 'domain.tenant.id': 'acme', 'domain.entity.id': '8', 'domain.audit.action': 'delete', 'domain.audit.outcome': 'denied', 'domain.audit.reason': 'clerks cannot delete invoices', 'log.record.uid': uids.denied },
        { ...at(reqAt + 60_000), body: 'user 7 was denied delete on InvoiceManager 8' }),
      decision({ 'user.id': '1', 'domain.tenant.id': 'acme', 'domain.entity.id': '8', 'domain.audit.action': 'delete', 'domain.audit.outcome': 'bypassed', 'log.record.uid': uids.bypassed },
        { ...at(reqAt + 120_000), body: 'user 1 (admin) bypassed the check for delete on InvoiceManager 8' }),
      decision({ 'user.id': '44', 'domain.tenant.id': 'globex', 'domain.entity.id': '9', 'domain.audit.action': 'update', 'domain.audit.outcome': 'denied', 'log.record.uid': uids.globexDenied },
        { ...at(reqAt + 180_000), body: 'user 44 was denied update on InvoiceManager 9' }),
      decision({ 'user.id': '42', 'domain.tenant.id': 'acme', 'domain.entity.id': csvHostileEntity, 'domain.audit.action': 'read', 'domain.audit.outcome': 'granted', 'log.record.uid': uids.csvHostile },
        { ...at(base - 60_000), body: 'a body with "quotes", commas\nand a line break' }),
    ];
    // A working day of decisions for the timeline: acme and globex, a denial every fifth.
    for (let i = 0; i < 24; i++) {
      const tenant = i % 3 === 0 ? 'globex' : 'acme';
      const outcome = i % 5 === 4 ? 'denied' : i % 7 === 6 ? 'bypassed' : 'granted';
      specs.push(decision({ 'user.id': String(100 + (i % 4)), 'domain.tenant.id': tenant, 'domain.manager.name': 'OrderManager', 'domain.entity.id': `o-${i}`, 'domain.audit.action': i % 2 ? 'read' : 'update', 'domain.audit.outcome': outcome },
        { ...at(base + i * 12 * 60_000), body: `user ${100 + (i % 4)} was ${outcome} on OrderManager o-${i}` }));
    }
    assertExported(await exportWith('proto', sink.url, await sdkRecords(specs, { 'service.name': 'billing' })));
    const total = specs.length;
    const acmeTotal = specs.filter((s) => (s.attributes as Record<string, unknown>)['domain.tenant.id'] === 'acme').length;

    // One signed checkpoint over everything written so far.
    const keys = generateNoteKey('audit.example/viewer');
    const checkpointDir = path.join(dir, 'checkpoints');
    await writeCheckpoint(sink.admin, { dir: checkpointDir, key: parseSignerKey(keys.signer) });
    const verifier = parseVerifierKey(keys.verifier);

    const tokenFile = path.join(dir, 'tokens');
    writeFileSync(tokenFile, `# viewer tokens\n${AUDITOR_TOKEN} name=auditor\n${ACME_TOKEN} tenant=acme name=acme-admin\n`, { mode: 0o600 });
    const pool = createPool({ connectionString: sink.readerUrl, max: 4, timeoutMs: 10_000 });
    stops.push(() => pool.end());
    const viewer = new ViewerServer({
      pool,
      tokens: parseTokenFile(readFileSync(tokenFile, 'utf8'), tokenFile),
      host: '127.0.0.1',
      port: 0,
      ...(jaegerQueryUrl ? { jaeger: { apiUrl: jaegerQueryUrl, uiUrl: jaegerQueryUrl } } : {}),
      checkpoints: { dir: checkpointDir, key: verifier },
      log: () => {},
      ...opts.viewer,
    });
    await viewer.listen();
    stops.push(() => viewer.close());
    const reader = new Pool({ connectionString: sink.readerUrl, max: 2 });
    stops.push(() => reader.end());
    return {
      sink, viewer, url: viewer.url, reader, ...traced, jaegerQueryUrl, uids, csvHostileEntity, total, acmeTotal, checkpointDir, verifier, verifierText: keys.verifier, dir, close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
