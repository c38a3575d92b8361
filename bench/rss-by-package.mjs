// Where the distribution's memory goes: peak RSS of a bare `node` that requires the packages the
// distribution loads, one group more per row (each row is its own process, median of --runs),
// then the distribution itself, and what the first export adds: with DOMAIN_OTEL_EXPORT_THREAD=on
// the export thread (its isolate and the exporters), with off the exporters on the request thread.
//
//   node bench/rss-by-package.mjs [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const state = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-rss-'));

const groups = [
  ['bare node', []],
  ['the first package required (ms, one file): the module loader\'s first use', ['ms']],
  ['@opentelemetry/api', ['@opentelemetry/api']],
  ['@opentelemetry/core (with @opentelemetry/semantic-conventions)', ['@opentelemetry/core']],
  ['@opentelemetry/resources', ['@opentelemetry/resources']],
  ['@opentelemetry/sdk-trace', ['@opentelemetry/sdk-trace']],
  ['@opentelemetry/sdk-logs', ['@opentelemetry/sdk-logs']],
  ['@opentelemetry/sdk-metrics', ['@opentelemetry/sdk-metrics']],
  ['@opentelemetry/context-async-hooks', ['@opentelemetry/context-async-hooks']],
  ['@opentelemetry/instrumentation (require/import-in-the-middle)', ['@opentelemetry/instrumentation']],
  ['instrumentation-http, instrumentation-undici', ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici']],
  ['@domain-otel/api, instrumentation-domain, semantic-conventions', ['@domain-otel/api', '@domain-otel/instrumentation-domain', '@domain-otel/semantic-conventions']],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function peak(args, env = {}) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_LOG_LEVEL: 'none', DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(state, 'spool'), OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', ...env } });
    const line = out.stdout.trim().split('\n').at(-1);
    samples.push(JSON.parse(line).maxRssKiB / 1024);
  }
  return median(samples);
}
const report = "process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }) + '\\n')";

const rows = [];
let required = [];
let before;
for (const [label, mods] of groups) {
  required = [...required, ...mods];
  const rss = peak(['-e', `${required.map((m) => `require(${JSON.stringify(m)});`).join('')}${report}`]);
  rows.push({ what: label, peakMiB: rss, addedMiB: before === undefined ? 0 : rss - before });
  before = rss;
}
const bare = rows[0].peakMiB;
// the distribution as the trivial app of the bench sees it: start, nothing exported
const started = peak(['--require', '@domain-otel/node/register', '-e', report], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
rows.push({ what: 'the distribution started (--require register), nothing exported yet', peakMiB: started, addedMiB: started - before });

// one export of each signal, to a local endpoint that answers 200
const otlp = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
await new Promise((r) => otlp.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${otlp.address().port}`;
const exportOnce = `const api = require('@domain-otel/api'); api.traceMutation({ action: 'create', manager: 'orders', entityId: 1 }, () => 1); require('@domain-otel/node').flush().then(() => setTimeout(() => { ${report}; process.exit(0); }, 200));`;
const runPeak = (env) => new Promise((resolve) => {
  // async: the endpoint lives in this process
  const samples = [];
  const next = () => {
    if (samples.length === runs) return resolve(median(samples));
    import('node:child_process').then(({ execFile }) => execFile(process.execPath, ['--require', '@domain-otel/node/register', '-e', exportOnce], {
      cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_LOG_LEVEL: 'none', DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(state, 'spool'), OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...env },
    }, (err, stdout) => { samples.push(JSON.parse(stdout.trim().split('\n').at(-1)).maxRssKiB / 1024); next(); }));
  };
  next();
});
const threadPeak = await runPeak({ DOMAIN_OTEL_EXPORT_THREAD: 'on' });
const inThreadPeak = await runPeak({ DOMAIN_OTEL_EXPORT_THREAD: 'off' });
otlp.close();
rows.push({ what: 'after the first export with DOMAIN_OTEL_EXPORT_THREAD=on: the export thread (its isolate, the OTLP exporters)', peakMiB: threadPeak, addedMiB: threadPeak - started });
rows.push({ what: 'after the first export with DOMAIN_OTEL_EXPORT_THREAD=off: the OTLP exporters on the request thread', peakMiB: inThreadPeak, addedMiB: inThreadPeak - started });
rmSync(state, { recursive: true, force: true });

if (values.json) console.log(JSON.stringify({ bench: 'rss', runs, bareMiB: bare, rows }));
else {
  console.log(`peak RSS (median of ${runs} processes), Node ${process.version}\n`);
  console.log('| loaded (cumulative) | peak RSS | added |\n|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.what} | ${r.peakMiB.toFixed(1)} MiB | ${r.addedMiB === 0 ? '—' : `+${r.addedMiB.toFixed(1)} MiB`} |`);
  console.log(`\nthe distribution started adds ${(started - bare).toFixed(1)} MiB to a bare node`);
}
