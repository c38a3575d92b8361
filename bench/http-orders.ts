/**
 * The HTTP row on the demo service (examples/orders-service: Express, CASL, Sequelize on
 * Postgres, json-rules-engine, lru-cache): the same service and workload with only the upstream
 * HTTP instrumentation, with all domain telemetry (mapping + the adapters it uses), and with the
 * distribution's default (also upstream express and pg spans); all export to a local OTLP
 * endpoint that answers 200 at once.
 *
 *   node --import tsx bench/http-orders.ts [--ms 8000] [--connections 16]
 *
 * Each connection loops: create an order (clerk), approve it (admin: rules + update), list the
 * clerk's orders (read, cached until the next write). Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startThrowawayPostgres } from '../packages/audit-sink/test/helpers/throwaway-postgres';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '8000' }, connections: { type: 'string', default: '16' } } });
const durationMs = Number(values.ms);
const connections = Number(values.connections);
const ROOT = path.resolve(__dirname, '..');

interface Measured { rps: number; p99: number; errors: number }

async function measure(enabled: string | undefined, databaseUrl: string, otlpUrl: string): Promise<Measured> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_LOG_LEVEL: 'none', OTEL_SERVICE_NAME: 'orders-bench' };
  if (enabled !== undefined) env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = enabled;
  const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', path.join(ROOT, 'examples/orders-service/app.cjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { const m = /listening on (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); });
    child.once('exit', (code) => reject(new Error(`orders-service exited with ${code}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const call = (method: string, urlPath: string, user: string, body?: object) => new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const t = performance.now();
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers: { 'x-user-id': user, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        latencies.push(performance.now() - t);
        if ((res.statusCode ?? 500) >= 400) errors++;
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
  const loop = async (end: number) => {
    while (performance.now() < end) {
      const created = await call('POST', '/orders', '7', { customer: 'bench', total: 100, card: '4111111111111111' });
      const id = (created.json as { id?: number } | undefined)?.id;
      if (id !== undefined) await call('POST', `/orders/${id}/approve`, '42');
      await call('GET', '/orders?limit=1', '9');
    }
  };
  await Promise.all(Array.from({ length: connections }, () => loop(performance.now() + 1000))); // warm-up
  latencies.length = 0;
  errors = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, () => loop(t0 + durationMs)));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  child.kill('SIGKILL');
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN, errors };
}

async function main(): Promise<void> {
  const pg = await startThrowawayPostgres();
  const otlp = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()); });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const otlpUrl = `http://127.0.0.1:${(otlp.address() as { port: number }).port}`;
  try {
    const base = await measure('http', await pg.createDatabase('orders_base'), otlpUrl);
    // All domain telemetry: the mapping and the adapters this service's libraries use.
    const ours = await measure('http,domain,casl,json-rules-engine,lru-cache,sequelize', await pg.createDatabase('orders_ours'), otlpUrl);
    // The distribution's default: everything, including upstream express and pg spans.
    const everything = await measure(undefined, await pg.createDatabase('orders_all'), otlpUrl);
    console.log(JSON.stringify({ bench: 'http-orders', durationMs, connections, base, ours, everything }));
  } finally {
    otlp.close();
    await pg.destroy();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
