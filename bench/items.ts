/**
 * What telemetry each request of the orders-service mix produces: every span and log record
 * the app exports, grouped by request (trace) and by kind (scope + span name or event name),
 * counted per request, with its share of the OTLP bytes. The app runs under
 * `--require @domain-otel/node/register` against a local OTLP endpoint that decodes what it
 * receives (the upstream protobuf schema).
 *
 *   node --import tsx bench/items.ts [--requests 200] [--enabled http,domain,...] [--env K=V ...]
 *
 * Without --enabled: the distribution's default (every instrumentation). Prints a table.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startThrowawayPostgres } from '../packages/audit-sink/test/helpers/throwaway-postgres';

const { values } = parseArgs({ options: {
  requests: { type: 'string', default: '200' }, enabled: { type: 'string' }, env: { type: 'string', multiple: true, default: [] }, json: { type: 'boolean', default: false },
} });
const ROOT = path.resolve(__dirname, '..');
const proto = require('otlp-proto-root/build/src/generated/root').opentelemetry.proto;

interface Item { kind: 'span' | 'log'; name: string; traceId: string; bytes: number; attrs: number }

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '');

async function main(): Promise<void> {
  const items: Item[] = [];
  const rootOf = new Map<string, string>(); // traceId → server span name
  let metricBytes = 0;
  const otlp = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/v1/traces') {
        const m = proto.collector.trace.v1.ExportTraceServiceRequest.decode(body);
        for (const rs of m.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
          const traceId = hex(s.traceId);
          items.push({ kind: 'span', name: `${ss.scope?.name ?? '?'} | ${s.name}`, traceId, bytes: proto.trace.v1.Span.encode(s).finish().length, attrs: s.attributes.length });
          if (s.kind === 2 && s.parentSpanId?.length === 0) rootOf.set(traceId, s.name);
          if (s.kind === 2 && !rootOf.has(traceId)) rootOf.set(traceId, s.name);
        }
      } else if (req.url === '/v1/logs') {
        const m = proto.collector.logs.v1.ExportLogsServiceRequest.decode(body);
        for (const rl of m.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) {
          items.push({ kind: 'log', name: `${sl.scope?.name ?? '?'} | ${r.eventName || '(log)'}`, traceId: hex(r.traceId), bytes: proto.logs.v1.LogRecord.encode(r).finish().length, attrs: r.attributes.length });
        }
      } else {
        metricBytes += body.length;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const pg = await startThrowawayPostgres();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: await pg.createDatabase('orders_items'),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as { port: number }).port}`, OTEL_LOG_LEVEL: 'none', OTEL_SERVICE_NAME: 'orders-items',
    OTEL_METRIC_EXPORT_INTERVAL: '600000', DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(pg.dir, 'app-spool'), DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: path.join(pg.dir, 'app-dead-letter'),
  };
  if (values.enabled) env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = values.enabled;
  for (const kv of values.env as string[]) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', path.join(ROOT, 'examples/orders-service/app.cjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { const m = /listening on (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); });
    child.once('exit', (code) => reject(new Error(`orders-service exited with ${code}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method: string, urlPath: string, user: string, body?: object) => new Promise<{ id?: number }>((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers: { 'x-user-id': user, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text ? JSON.parse(text) : {}));
    });
    req.on('error', reject);
    req.end(data);
  });
  const n = Number(values.requests);
  // warm-up (table creation, first queries), not counted: everything before `since`
  for (let i = 0; i < 5; i++) { const o = await call('POST', '/orders', '7', { customer: 'w', total: 1 }); await call('POST', `/orders/${o.id}/approve`, '42'); await call('GET', '/orders?limit=1', '9'); }
  await new Promise((r) => setTimeout(r, 6000));
  const since = items.length;
  for (let i = 0; i < n; i++) {
    const o = await call('POST', '/orders', '7', { customer: 'bench', total: 100, card: '4111111111111111' });
    await call('POST', `/orders/${o.id}/approve`, '42');
    await call('GET', '/orders?limit=1', '9');
  }
  agent.destroy();
  child.kill('SIGTERM'); // final flush
  await new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 200));
  otlp.close();
  await pg.destroy();

  const counted = items.slice(since);
  const byRequest = new Map<string, Map<string, { n: number; bytes: number; attrs: number }>>();
  const requestsOf = new Map<string, Set<string>>();
  for (const it of counted) {
    const request = rootOf.get(it.traceId) ?? '(no request)';
    if (!requestsOf.has(request)) requestsOf.set(request, new Set());
    requestsOf.get(request)!.add(it.traceId);
    const m = byRequest.get(request) ?? new Map();
    byRequest.set(request, m);
    const k = `${it.kind} ${it.name}`;
    const e = m.get(k) ?? { n: 0, bytes: 0, attrs: 0 };
    e.n++; e.bytes += it.bytes; e.attrs += it.attrs;
    m.set(k, e);
  }
  const out: Record<string, unknown>[] = [];
  for (const [request, m] of byRequest) {
    const count = requestsOf.get(request)!.size || 1;
    let total = 0;
    for (const [k, e] of [...m].sort((a, b) => a[0].localeCompare(b[0]))) {
      total += e.n;
      out.push({ request, item: k, perRequest: +(e.n / count).toFixed(2), bytes: Math.round(e.bytes / e.n), attributes: +(e.attrs / e.n).toFixed(1) });
    }
    out.push({ request, item: '= all items', perRequest: +(total / count).toFixed(2), bytes: '', attributes: '' });
  }
  if (values.json) console.log(JSON.stringify({ bench: 'items', requests: n, rows: out, metricBytes }));
  else console.table(out);
}

main().catch((err) => { console.error(err); process.exit(1); });
