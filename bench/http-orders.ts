/**
 * The HTTP row on the demo service (examples/orders-service: Express, CASL, Sequelize on
 * Postgres, json-rules-engine, lru-cache): the same service and workload with only the upstream
 * HTTP instrumentation, with all domain telemetry (mapping + the adapters it uses), and with the
 * distribution's default (also upstream express and pg spans); all export to a local OTLP
 * endpoint that answers 200 at once.
 *
 *   node --import tsx bench/http-orders.ts [--rounds 6] [--round-ms 3000] [--connections 16]
 *     [--variant name=ENV=value,...]   extra variants of the all-domain service
 *
 * The variants run at once and get the load in alternating rounds (bench/http-rounds.mjs).
 * Each connection loops: create an order (clerk), approve it (admin: rules + update), list the
 * clerk's orders (read, cached until the next write). Progress on stderr, one JSON line on stdout.
 */
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startThrowawayPostgres } from '../packages/audit-sink/test/helpers/throwaway-postgres';
import { alternatingRounds, startService } from './http-rounds.mjs';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '6' }, 'round-ms': { type: 'string', default: '3000' }, connections: { type: 'string', default: '16' },
  variant: { type: 'string', multiple: true, default: [] },
} });
const connections = Number(values.connections);
const ROOT = path.resolve(__dirname, '..');
const APP = path.join(ROOT, 'examples/orders-service/app.cjs');

type Call = (method: string, urlPath: string, user: string, body?: object) => Promise<{ status: number; json: unknown }>;

/** Each connection loops: a clerk creates an order, an admin approves it, a clerk lists the tenant's orders. */
async function workload(call: Call, end: number): Promise<void> {
  while (performance.now() < end) {
    const created = await call('POST', '/orders', '7', { customer: 'bench', total: 100, card: '4111111111111111' });
    const id = (created.json as { id?: number } | undefined)?.id;
    if (id !== undefined) await call('POST', `/orders/${id}/approve`, '42');
    await call('GET', '/orders?limit=1', '9');
  }
}

async function main(): Promise<void> {
  const pg = await startThrowawayPostgres();
  const otlp = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()); });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const otlpUrl = `http://127.0.0.1:${(otlp.address() as { port: number }).port}`;
  const env = async (db: string, enabled: string | undefined, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> => ({
    PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: await pg.createDatabase(db), OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    OTEL_LOG_LEVEL: 'none', OTEL_SERVICE_NAME: 'orders-bench', ...(enabled !== undefined ? { OTEL_NODE_ENABLED_INSTRUMENTATIONS: enabled } : {}), ...extra,
  });
  const extras = (values.variant as string[]).map((v) => ({
    name: v.slice(0, v.indexOf('=')),
    env: Object.fromEntries(v.slice(v.indexOf('=') + 1).split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
  }));
  const services: { name: string; stop(): void }[] = [];
  try {
    services.push(await startService({ name: 'base', script: APP, env: await env('orders_base', 'http') }));
    // All domain telemetry: the mapping and the adapters this service's libraries use.
    const ALL_DOMAIN = 'http,domain,casl,json-rules-engine,lru-cache,sequelize';
    services.push(await startService({ name: 'ours', script: APP, env: await env('orders_ours', ALL_DOMAIN) }));
    // The distribution's default: everything, including upstream express and pg spans.
    services.push(await startService({ name: 'default', script: APP, env: await env('orders_all', undefined) }));
    for (const [i, x] of extras.entries()) services.push(await startService({ name: x.name, script: APP, env: await env(`orders_x${i}`, ALL_DOMAIN, x.env) }));
    const results = await alternatingRounds({
      services, rounds: Number(values.rounds), roundMs: Number(values['round-ms']), warmupMs: 1500, connections,
      label: 'http orders', progress: (line: string) => process.stderr.write(`bench: ${line}\n`), workload,
    });
    console.log(JSON.stringify({ bench: 'http-orders', rounds: Number(values.rounds), roundMs: Number(values['round-ms']), connections, results }));
  } finally {
    for (const s of services) s.stop();
    otlp.close();
    await pg.destroy();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
