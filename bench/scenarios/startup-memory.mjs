// Start-up time and peak memory (section `startup`) of a trivial app: bare node,
// --require @domain-otel/node/register, and upstream's @opentelemetry/auto-instrumentations-node/register
// (installed outside the clone by bench/upstream.mjs, local resource detectors only so no cloud
// metadata endpoint is probed); then what the first export adds (bench/rss-by-package.mjs, whose
// table is in docs/performance.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { upstreamRegister } from '../upstream.mjs';
import { runChildBench } from '../lib/child-bench.mjs';

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall time (ms) and peak RSS (MiB) of `runs` starts of the trivial app with `args`. */
function measure(root, args, runs, spoolDir) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = spawnSync(process.execPath, [...args, path.join(root, 'bench/fixtures/trivial.cjs')], {
      cwd: root, encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', DOMAIN_OTEL_AUDIT_SPOOL_DIR: spoolDir },
    });
    const wall = performance.now() - t0;
    const parsed = JSON.parse(out.stdout.trim().split('\n').at(-1));
    samples.push({ wall, maxRssKiB: parsed.maxRssKiB });
  }
  return { wall: median(samples.map((s) => s.wall)), rss: median(samples.map((s) => s.maxRssKiB)) / 1024 };
}

function startupRows({ root, quick, row }) {
  // its own spool directory: no run adopts (and starts sending) what another process left behind
  const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-bench-spool-'));
  const runs = quick ? 5 : 11;
  const bare = measure(root, [], runs, spoolDir);
  const ours = measure(root, ['--require', '@domain-otel/node/register'], runs, spoolDir);
  const upstreamPath = upstreamRegister();
  const upstream = upstreamPath ? measure(root, ['--require', upstreamPath], runs, spoolDir) : undefined;
  rmSync(spoolDir, { recursive: true, force: true });
  const addedMs = ours.wall - bare.wall;
  const addedMiB = ours.rss - bare.rss;
  const upAddedMs = upstream ? upstream.wall - bare.wall : NaN;
  const upAddedMiB = upstream ? upstream.rss - bare.rss : NaN;
  const vsUpstream = addedMs / upAddedMs;
  row('startup time, trivial app, --require register', 'bare node', `${ours.wall.toFixed(0)} ms`, `${bare.wall.toFixed(0)} ms`, ours.wall / bare.wall, 'added ≤ 150 ms', addedMs <= 150, `adds ${addedMs.toFixed(0)} ms`);
  if (upstream) {
    row('startup time added, vs upstream auto-instrumentations register', 'upstream register (added over bare node)', `+${addedMs.toFixed(0)} ms`, `+${upAddedMs.toFixed(0)} ms`, vsUpstream, '≤ 0.25× of what upstream adds', vsUpstream <= 0.25, `upstream adds ${upAddedMiB.toFixed(1)} MiB`);
  } else {
    row('startup time added, vs upstream auto-instrumentations register', 'upstream register', 'n/a', 'not installed', NaN, '≤ 0.25× of what upstream adds', false, 'baseline could not be installed: see the warning above');
  }
  row('peak memory, trivial app, --require register', 'bare node', `${ours.rss.toFixed(1)} MiB`, `${bare.rss.toFixed(1)} MiB`, ours.rss / bare.rss, 'added ≤ 20 MiB', addedMiB <= 20, `adds ${addedMiB.toFixed(1)} MiB${upstream ? `; upstream adds ${upAddedMiB.toFixed(1)} MiB` : ''}`);
}

function firstExportRow({ root, quick, row }) {
  const { report: r } = runChildBench(root, 'rss', ['bench/rss-by-package.mjs', '--json', '--runs', quick ? '3' : '5'], { timeout: 300_000 });
  if (!r) return;
  const find = (prefix) => r.rows.find((x) => x.what.startsWith(prefix));
  const started = find('the distribution started');
  const thread = find('after the first export with DOMAIN_OTEL_EXPORT_THREAD=on');
  const inThread = find('after the first export with DOMAIN_OTEL_EXPORT_THREAD=off');
  row('peak memory after the first export, export thread (DOMAIN_OTEL_EXPORT_THREAD=on)', 'exporters on the request thread (DOMAIN_OTEL_EXPORT_THREAD=off)', `+${(thread.peakMiB - r.bareMiB).toFixed(1)} MiB over bare node`, `+${(inThread.peakMiB - r.bareMiB).toFixed(1)} MiB`, (thread.peakMiB - r.bareMiB) / (inThread.peakMiB - r.bareMiB), 'reported', null,
    `started, nothing exported: +${(started.peakMiB - r.bareMiB).toFixed(1)} MiB; the thread adds ${thread.addedMiB.toFixed(1)} MiB at its first export, the exporters on the request thread ${inThread.addedMiB.toFixed(1)} MiB`);
}

export default {
  section: 'startup',
  title: 'start-up time and peak memory (spawning the trivial app repeatedly)',
  run(ctx) {
    startupRows(ctx);
    firstExportRow(ctx);
  },
};
