// The HTTP row on the minimal service (bench/fixtures/http-service.cjs: no work per request, every
// domain kind per request), so it measures the telemetry alone: the same service with only the
// upstream HTTP instrumentation (base) and with all domain telemetry (ours), in alternating
// rounds (bench/http-rounds.mjs). Both export to a local OTLP endpoint that answers 200 at once.
//
//   node bench/http-minimal.mjs [--rounds 8] [--round-ms 2000] [--connections 32]
//     [--variant name=ENV=value,ENV2=value ...]   extra variants of "ours" (e.g. an alternative path)
//
// Prints progress on stderr and one JSON line on stdout.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { alternatingRounds, startService } from './http-rounds.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '8' }, 'round-ms': { type: 'string', default: '2000' }, connections: { type: 'string', default: '32' },
  variant: { type: 'string', multiple: true, default: [] },
} });

const otlp = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()); });
await new Promise((r) => otlp.listen(0, '127.0.0.1', r));
const env = (enabled, extra = {}) => ({
  PATH: process.env.PATH, HOME: process.env.HOME, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.address().port}`, OTEL_LOG_LEVEL: 'none',
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: enabled, ...extra,
});
const script = path.join(root, 'bench/fixtures/http-service.cjs');
const extras = values.variant.map((v) => {
  const name = v.slice(0, v.indexOf('='));
  const pairs = v.slice(v.indexOf('=') + 1).split(',');
  return { name, env: Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])) };
});
const services = [];
try {
  services.push(await startService({ name: 'base', script, env: env('http') }));
  services.push(await startService({ name: 'ours', script, env: env('http,domain') }));
  for (const x of extras) services.push(await startService({ name: x.name, script, env: env('http,domain', x.env) }));
  const results = await alternatingRounds({
    services, rounds: Number(values.rounds), roundMs: Number(values['round-ms']), warmupMs: 1000, connections: Number(values.connections),
    label: 'http minimal',
    progress: (line) => process.stderr.write(`bench: ${line}\n`),
    workload: async (call, end) => { while (performance.now() < end) await call('POST', '/orders'); },
  });
  console.log(JSON.stringify({ bench: 'http-minimal', rounds: Number(values.rounds), roundMs: Number(values['round-ms']), results }));
} finally {
  for (const s of services) s.stop();
  otlp.close();
}
