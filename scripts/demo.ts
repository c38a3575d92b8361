// `npm run demo` (until the full stack lands): the quickstart service under
// `node --require @domain-otel/node/register`, a scripted workload, and what arrived at a
// local OTLP receiver, printed as a trace waterfall and tables.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { OtlpReceiver } from '../test/helpers/otlp-receiver';
import type { ReceivedSpan } from '../test/helpers/otlp-receiver';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const receiver = await new OtlpReceiver().start();
  console.log(`OTLP receiver on ${receiver.httpUrl} (http/protobuf)`);
  const app = spawn(process.execPath, ['--require', '@domain-otel/node/register', 'examples/quickstart/app.cjs'], {
    cwd: root,
    env: { ...process.env, OTEL_SERVICE_NAME: 'quickstart-orders', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'info', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    app.stdout.on('data', (d: Buffer) => { const m = /listening on (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
    app.on('exit', (code) => reject(new Error(`the service exited early (${code})`)));
  });
  const call = async (method: string, url: string, user: string | undefined, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      method, body: body ? JSON.stringify(body) : undefined,
      headers: { 'content-type': 'application/json', 'x-request-id': `demo-${method}-${url}`, ...(user ? { 'x-user-id': user } : {}) },
    });
    console.log(`  ${method.padEnd(6)} ${url.padEnd(22)} as ${(user ?? 'anonymous').padEnd(9)} → ${res.status}`);
    return res;
  };
  console.log('\nworkload:');
  await call('POST', '/orders', '42', { total: 120, card: '4111111111111111' });
  await call('POST', '/orders', '42', { total: 5000 });
  await call('POST', '/orders/1/approve', '42');
  await call('POST', '/orders/2/approve', '42');
  await call('DELETE', '/orders/1', '7');
  await call('POST', '/orders', undefined, { total: 1 });
  await call('DELETE', '/orders/2', '42');
  app.kill('SIGTERM');
  await new Promise((r) => app.on('exit', r));

  const approve = receiver.spans.find((s) => s.name === 'update orders');
  if (approve) {
    console.log(`\ntrace ${approve.traceId} (POST /orders/1/approve):`);
    printWaterfall(receiver.spans.filter((s) => s.traceId === approve.traceId));
  }
  console.log('\nlog events received:');
  const byEvent = new Map<string, number>();
  for (const l of receiver.logs) byEvent.set(l.eventName || '(plain log)', (byEvent.get(l.eventName || '(plain log)') ?? 0) + 1);
  for (const [name, n] of byEvent) console.log(`  ${name.padEnd(28)} ${n}`);
  const denied = receiver.logs.filter((l) => l.attributes['domain.audit.outcome'] === 'denied');
  for (const d of denied) console.log(`  denied: ${String(d.body)}`);
  const created = receiver.logs.find((l) => l.eventName === 'domain.manager.mutation' && l.attributes['domain.mutation.action'] === 'create');
  if (created) console.log(`  create changes (secrets redacted): ${JSON.stringify(created.attributes['domain.mutation.changes'])}`);
  console.log('\nmetrics received:');
  for (const name of [...new Set(receiver.metrics.map((m) => m.name))].filter((n) => n.startsWith('domain.'))) {
    const last = new Map<string, unknown>();
    for (const p of receiver.metricPoints(name)) last.set(JSON.stringify(p.attributes), p.value);
    for (const [attrs, value] of last) console.log(`  ${name} ${attrs} ${JSON.stringify(value)}`);
  }
  console.log(`\ntotals: ${receiver.spans.length} spans, ${receiver.logs.length} log records, ${receiver.metrics.length} metric series exports`);
  await receiver.stop();
}

function printWaterfall(spans: ReceivedSpan[]): void {
  const children = new Map<string, ReceivedSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const parent = ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const walk = (parent: string, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      console.log(`  ${'  '.repeat(depth)}${s.name}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk('', 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
