// Where a service's request thread spends its time under load: runs a variant of the minimal
// service (or the orders-service with --orders), drives it like the HTTP bench, profiles the
// main thread (inspector, 100 µs sampling) after a warm-up, and prints self time by package and
// the top functions, per request. With --diff it profiles the bench's baseline (only upstream
// HTTP instrumentation) and the variant in alternating rounds and prints what the variant adds
// per request, by package and by function.
//
//   node bench/profile-http.mjs [--orders] [--enabled LIST] [--seconds 6] [--env K=V ...] [--top 25]
//   node bench/profile-http.mjs --diff [--rounds 2] [--orders] ...
//
// --enabled defaults to the bench's "all domain telemetry" variant of the service; `--enabled
// default` leaves OTEL_NODE_ENABLED_INSTRUMENTATIONS unset (the distribution's default). The profile
// files are kept in a temp directory (their paths are printed) for a closer look.
//
// Two figures per request: the request thread's CPU from process.threadCpuUsage() (what the
// bench reports) and the profiler's samples × 100 µs. On this 2-core machine under load the
// sampler thread waits for a core too, so samples cover only part of the CPU time (about 40 %
// here); compare samples between variants of one run, and take the CPU figure as the total.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addSummary, differences, summarise } from './lib/cpu-profile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  enabled: { type: 'string' }, seconds: { type: 'string', default: '6' }, env: { type: 'string', multiple: true, default: [] },
  orders: { type: 'boolean', default: false }, top: { type: 'string', default: '25' }, connections: { type: 'string' },
  diff: { type: 'boolean', default: false }, rounds: { type: 'string', default: '2' },
} });
// The HTTP bench's variants (bench/http-orders.ts, bench/http-minimal.mjs).
const BASELINE = 'http';
const enabled = values.enabled ?? (values.orders ? 'http,domain,casl,json-rules-engine,lru-cache,sequelize' : 'http,domain');
const connections = Number(values.connections ?? (values.orders ? 16 : 32));
const dir = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-prof-'));
const script = values.orders ? path.join(root, 'examples/orders-service/app.cjs') : path.join(root, 'bench/fixtures/http-service.cjs');

// The profiler runs only while the load runs (after a warm-up), through the inspector.
const profiler = path.join(dir, 'profiler.cjs');
writeFileSync(profiler, `
const { Session } = require('node:inspector');
const session = new Session();
session.connect();
process.on('message', (m) => {
  if (m?.profile === 'start') session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start', () => process.send('started'))));
  if (m?.profile === 'stop') session.post('Profiler.stop', (err, r) => { require('node:fs').writeFileSync(m.file, JSON.stringify(r.profile)); process.send('stopped'); });
});
`);

/** One keep-alive client driving the bench's workload; returns the number of requests made. */
function driver(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const call = (method, p, user, body) => new Promise((resolve, reject) => {
    const data = body && JSON.stringify(body);
    http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: { ...(user ? { 'x-user-id': user } : {}), ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let t = ''; res.on('data', (c) => { t += c; }); res.on('end', () => { try { resolve(JSON.parse(t)); } catch { resolve({}); } });
    }).on('error', reject).end(data);
  });
  const drive = async (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        if (values.orders) {
          const o = await call('POST', '/orders', '7', { customer: 'bench', total: 100, card: '4111111111111111' });
          if (o.id !== undefined) await call('POST', `/orders/${o.id}/approve`, '42');
          await call('GET', '/orders?limit=1', '9');
          n += 3;
        } else {
          await call('POST', '/orders');
          n++;
        }
      }
    }));
    return n;
  };
  return { drive, close: () => agent.destroy() };
}

/** Starts the service with `enabledList`, warms it up, profiles `seconds` of load; stops it. */
async function profileOnce(enabledList, env, label) {
  const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', '--require', path.join(root, 'bench/fixtures/cpu-probe.cjs'), '--require', profiler, script], {
    cwd: root, env: { ...env, ...(enabledList === 'default' ? {} : { OTEL_NODE_ENABLED_INSTRUMENTATIONS: enabledList }) }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const reply = (m, test) => new Promise((resolve) => { child.on('message', function on(x) { if (test(x)) { child.off('message', on); resolve(x); } }); child.send(m); });
  const cpu = () => reply('cpu?', (x) => typeof x === 'object');
  const port = await new Promise((resolve) => { let out = ''; child.stdout.on('data', (d) => { out += d; const m = /listening on (\d+)/.exec(out); if (m) resolve(Number(m[1])); }); });
  const client = driver(port);
  await client.drive(2000); // warm-up
  const file = path.join(dir, `${label}.cpuprofile`);
  await reply({ profile: 'start' }, (x) => x === 'started');
  const before = await cpu();
  const requests = await client.drive(Number(values.seconds) * 1000);
  const after = await cpu();
  await reply({ profile: 'stop', file }, (x) => x === 'stopped');
  client.close();
  child.kill('SIGKILL');
  const summary = summarise(JSON.parse(readFileSync(file, 'utf8')), root);
  return { requests, threadUs: after.thread - before.thread, processUs: after.process - before.process, summary, file };
}

const otlp = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
await new Promise((r) => otlp.listen(0, '127.0.0.1', r));
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(dir, 'spool'), DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: path.join(dir, 'dead-letter'), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.address().port}`, OTEL_LOG_LEVEL: 'none' };
for (const kv of values.env) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
let pg;
if (values.orders) {
  const { startThrowawayPostgres } = await import('../packages/audit-sink/test/helpers/throwaway-postgres.ts');
  pg = await startThrowawayPostgres();
}

/** A variant's rounds added up: requests, CPU and samples. */
const variants = values.diff ? [['baseline', BASELINE], ['variant', enabled]] : [['variant', enabled]];
const totals = Object.fromEntries(variants.map(([name]) => [name, { requests: 0, threadUs: 0, processUs: 0, summary: undefined, files: [] }]));
const rounds = values.diff ? Number(values.rounds) : 1;
for (let r = 0; r < rounds; r++) {
  for (const [name, list] of r % 2 ? [...variants].reverse() : variants) {
    const runEnv = pg ? { ...env, DATABASE_URL: await pg.createDatabase(`prof_${name}_${r}`) } : env;
    const one = await profileOnce(list, runEnv, `${name}-${r + 1}`);
    const t = totals[name];
    t.requests += one.requests;
    t.threadUs += one.threadUs;
    t.processUs += one.processUs;
    t.summary = addSummary(t.summary, one.summary);
    t.files.push(one.file);
    process.stderr.write(`profile: ${name} (${list}) round ${r + 1}/${rounds}: ${one.requests} requests, ${(one.threadUs / one.requests).toFixed(0)} µs/req request-thread CPU\n`);
  }
}
otlp.close();
await pg?.destroy();

const perReq = (samples, n) => (samples * 100) / n;
const fmt = (x) => x.toFixed(1).padStart(8);
for (const [name, list] of variants) {
  const t = totals[name];
  console.log(`${name} (${list}): ${t.requests} requests; request-thread CPU ${(t.threadUs / t.requests).toFixed(1)} µs/req, whole process ${(t.processUs / t.requests).toFixed(1)} µs/req; sampled ${perReq(t.summary.busy, t.requests).toFixed(1)} µs/req (${t.summary.idle} idle samples); profiles: ${t.files.join(' ')}`);
}
if (values.diff) {
  const [a, b] = [totals.baseline, totals.variant];
  console.log(`\nthe variant adds ${(b.threadUs / b.requests - a.threadUs / a.requests).toFixed(1)} µs/req of request-thread CPU (${((b.threadUs / b.requests) / (a.threadUs / a.requests)).toFixed(2)}×), ${(perReq(b.summary.busy, b.requests) - perReq(a.summary.busy, a.requests)).toFixed(1)} µs/req sampled:`);
  for (const key of ['packages', 'functions']) {
    const scale = (m, n) => new Map([...m].map(([k, v]) => [k, perReq(v, n)]));
    console.log(`\n${key === 'packages' ? 'by package' : 'by function'} (sampled µs/req):  added  baseline  variant`);
    for (const [k, x, y, d] of differences(scale(a.summary[key], a.requests), scale(b.summary[key], b.requests)).slice(0, Number(values.top))) console.log(`  ${fmt(d)} ${fmt(x)} ${fmt(y)}  ${k}`);
  }
} else {
  const { summary, requests } = totals.variant;
  const share = (t) => `${((100 * t) / summary.busy).toFixed(1)} %`.padStart(7);
  console.log('\nself time by package (share of busy samples, sampled µs/req):');
  for (const [p, t] of [...summary.packages].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${share(t)} ${fmt(perReq(t, requests))}  ${p}`);
  console.log('\ntop functions by self time:');
  for (const [k, t] of [...summary.functions].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${share(t)}  ${k}`);
}
