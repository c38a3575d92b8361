// The HTTP benches' method: every variant of a service runs at once as its own process, and the
// load goes to one at a time in alternating rounds (the order rotates each round), so every
// ratio compares rounds run seconds apart under the same machine load. Each service is preloaded
// with bench/fixtures/cpu-probe.cjs, which reports its CPU time over IPC: the request thread's
// CPU per request is read around each round, which holds on machines with more cores than the
// load generator leaves free here.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROBE = path.join(root, 'bench/fixtures/cpu-probe.cjs');
/** After a round, before its CPU is read: the batch processors' last exports of the round. */
const SETTLE_MS = 250;

/**
 * Starts one variant: `node --require @domain-otel/node/register --require cpu-probe <script>`,
 * with its audit spool in a directory of its own (removed by stop()), so a variant never adopts
 * what an earlier run left behind.
 */
export async function startService({ name, script, env }) {
  const state = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-bench-'));
  const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', '--require', PROBE, script], {
    cwd: root, env: { ...env, DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(state, 'spool'), DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: path.join(state, 'dead-letter') }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = /listening on (\d+)/.exec(out); if (m) resolve(Number(m[1])); });
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before listening`)));
  });
  const cpu = () => new Promise((resolve) => { child.once('message', resolve); child.send('cpu?'); });
  return { name, port, cpu, stop: () => { child.kill('SIGKILL'); rmSync(state, { recursive: true, force: true }); } };
}

/** One keep-alive client: `call(method, path, headers?, body?)` → { status, json }, latency recorded. */
function client(port, connections, record) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const call = (method, urlPath, user, body) => new Promise((resolve, reject) => {
    const t = performance.now();
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...(user ? { 'x-user-id': user } : {}), ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        record(performance.now() - t, res.statusCode ?? 0);
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
  return { call, close: () => agent.destroy() };
}

/** Drives `connections` loops of `workload(call, endTime)` at one service for `ms`. */
async function drive(service, ms, connections, workload) {
  const latencies = [];
  let errors = 0;
  const c = client(service.port, connections, (lat, status) => { latencies.push(lat); if (status >= 400) errors++; });
  const before = await service.cpu();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, () => workload(c.call, t0 + ms)));
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = await service.cpu();
  const n = latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    requests: n,
    errors,
    rps: n / seconds,
    p50: latencies[Math.floor(n * 0.5)] ?? NaN,
    p99: latencies[Math.floor(n * 0.99)] ?? NaN,
    threadUsPerReq: (after.thread - before.thread) / n,
    processUsPerReq: (after.process - before.process) / n,
    rssMiB: after.rssKiB / 1024,
  };
}

/**
 * Runs `rounds` rounds; in each, every service gets the load for `roundMs` in turn (order
 * rotated per round). A warm-up round first, not counted. `progress(line)` is told after each
 * round. Returns { [service name]: [per-round results] }.
 */
export async function alternatingRounds({ services, rounds, roundMs, warmupMs, connections, workload, progress = () => {}, label }) {
  for (const s of services) await drive(s, warmupMs, connections, workload);
  const results = Object.fromEntries(services.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = services.map((_, i) => services[(i + r) % services.length]);
    for (const s of order) results[s.name].push(await drive(s, roundMs, connections, workload));
    const base = results[services[0].name][r];
    progress(`${label} round ${r + 1}/${rounds}: ${services.map((s) => {
      const x = results[s.name][r];
      return `${s.name} ${x.rps.toFixed(0)} req/s p99 ${x.p99.toFixed(1)} ms ${x.threadUsPerReq.toFixed(0)} µs/req${s === services[0] ? '' : ` (${(x.rps / base.rps).toFixed(2)}×)`}`;
    }).join('; ')}`);
  }
  return results;
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Median and min–max over rounds of `f(ours round) / f(base round)` (rounds paired by index). */
export function ratioSpread(base, ours, f) {
  const ratios = ours.map((o, i) => f(o) / f(base[i]));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), n: ratios.length };
}

/** Median over rounds of `f(round)`. */
export function medianOf(results, f) {
  return median(results.map(f));
}

export const fmtSpread = (s, digits = 2) => `${s.median.toFixed(digits)}× (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, ${s.n} rounds)`;
