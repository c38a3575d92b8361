// Where a service's request thread spends its time under load: runs one variant of the minimal
// service (or the orders-service with --orders), drives it like the HTTP bench, profiles the
// main thread (inspector, 100 µs sampling) after a warm-up, and prints the share of samples by
// package and the top functions by self samples.
//
//   node bench/profile-http.mjs [--enabled http,domain] [--seconds 6] [--env K=V ...] [--orders] [--top 25]
//
// The profile file is kept in a temp directory (its path is printed) for a closer look.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  enabled: { type: 'string', default: 'http,domain' }, seconds: { type: 'string', default: '6' }, env: { type: 'string', multiple: true, default: [] },
  orders: { type: 'boolean', default: false }, top: { type: 'string', default: '25' }, connections: { type: 'string', default: '32' },
} });

const otlp = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
await new Promise((r) => otlp.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-prof-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(dir, 'spool'), DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: path.join(dir, 'dead-letter'), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.address().port}`, OTEL_LOG_LEVEL: 'none', OTEL_NODE_ENABLED_INSTRUMENTATIONS: values.enabled };
for (const kv of values.env) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
let pg;
if (values.orders) {
  const { startThrowawayPostgres } = await import('../packages/audit-sink/test/helpers/throwaway-postgres.ts');
  pg = await startThrowawayPostgres();
  env.DATABASE_URL = await pg.createDatabase('orders_prof');
}
const script = values.orders ? path.join(root, 'examples/orders-service/app.cjs') : path.join(root, 'bench/fixtures/http-service.cjs');
// The profiler runs only while the load runs (after a warm-up), through the inspector.
const profiler = path.join(dir, 'profiler.cjs');
(await import('node:fs')).writeFileSync(profiler, `
const { Session } = require('node:inspector');
const session = new Session();
session.connect();
process.on('message', (m) => {
  if (m === 'start') session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start', () => process.send('started'))));
  if (m === 'stop') session.post('Profiler.stop', (err, r) => { require('node:fs').writeFileSync(${JSON.stringify(path.join(dir, 'requests.cpuprofile'))}, JSON.stringify(r.profile)); process.send('stopped'); });
});
`);
const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', '--require', profiler, script], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const ask = (m, answer) => new Promise((resolve) => { child.on('message', function on(x) { if (x === answer) { child.off('message', on); resolve(); } }); child.send(m); });
const port = await new Promise((resolve) => { let out = ''; child.stdout.on('data', (d) => { out += d; const m = /listening on (\d+)/.exec(out); if (m) resolve(Number(m[1])); }); });
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(values.connections) });
const call = (method, p, user, body) => new Promise((resolve, reject) => {
  const data = body && JSON.stringify(body);
  http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: { ...(user ? { 'x-user-id': user } : {}), ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
    let t = ''; res.on('data', (c) => { t += c; }); res.on('end', () => { try { resolve(JSON.parse(t)); } catch { resolve({}); } });
  }).on('error', reject).end(data);
});
let n = 0;
const drive = (ms) => { const end = performance.now() + ms; return Promise.all(Array.from({ length: Number(values.connections) }, async () => {
  while (performance.now() < end) {
    if (values.orders) {
      const o = await call('POST', '/orders', '7', { customer: 'p', total: 100 });
      if (o.id !== undefined) await call('POST', `/orders/${o.id}/approve`, '42');
      await call('GET', '/orders?limit=1', '9');
      n += 3;
    } else {
      await call('POST', '/orders');
      n++;
    }
  }
})); };
await drive(2000); // warm-up
n = 0;
await ask('start', 'started');
await drive(Number(values.seconds) * 1000);
await ask('stop', 'stopped');
agent.destroy();
child.kill('SIGKILL');
otlp.close();
await pg?.destroy();

const file = 'requests.cpuprofile';
const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
// Samples counted, not their time deltas: on a loaded machine a delta includes the time the
// thread waited for a core, which would be charged to whatever function it resumed in.
const self = new Map();
for (const id of prof.samples) self.set(id, (self.get(id) ?? 0) + 1);
const pkgOf = (url) => {
  if (!url) return '(native/VM)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.split('node_modules/').length > 2 ? url.slice(url.lastIndexOf('node_modules/')) : url);
  if (m) return m[1];
  const ours = /packages\/([^/]+)\//.exec(url);
  if (ours) return `@domain-otel/${ours[1]}`;
  return path.relative(root, url.replace('file://', ''));
};
let total = 0;
const pkg = new Map();
const fn = new Map();
for (const [id, t] of self) {
  const nd = byId.get(id);
  const cf = nd.callFrame;
  const name = cf.functionName || '(anonymous)';
  const special = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : undefined;
  const p = special ?? pkgOf(cf.url);
  total += t;
  pkg.set(p, (pkg.get(p) ?? 0) + t);
  const k = `${name} ${special ? '' : `(${p}${cf.url ? `:${cf.lineNumber + 1}` : ''})`}`;
  fn.set(k, (fn.get(k) ?? 0) + t);
}
const busy = total - (pkg.get('(idle)') ?? 0);
console.log(`${n} requests in ${values.seconds} s; ${busy} busy samples (${(pkg.get('(idle)') ?? 0)} idle); profile: ${path.join(dir, file)}`);
const pct = (t) => `${((100 * t) / busy).toFixed(1)} %`;
console.log('\nself time by package (share of busy time):');
for (const [p, t] of [...pkg].filter(([p]) => p !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(t).padStart(7)}  ${p}`);
console.log('\ntop functions by self time:');
for (const [k, t] of [...fn].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`  ${pct(t).padStart(7)}  ${k}`);
