// `npm run bench`: every cost as a ratio against a baseline measured in the same run.
// Prints a table and writes bench/results.json. Absolute numbers are noise on shared
// machines; the ratios are what we publish and check against the targets.
// Each scenario is a file in bench/scenarios/; this file only runs them in order.
//   --quick            shorter runs (fewer rounds, fewer records)
//   --only <sections>  e.g. --only micro,strict: run just those sections (results.json is not written);
//                      sections: micro, strict, startup, heap, http, sink, e2e, checkpoint, scale-out
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, progress, row, writeResults } from './lib/report.mjs';
import perCall from './scenarios/per-call.mjs';
import strictDelivery from './scenarios/strict-delivery.mjs';
import startupMemory from './scenarios/startup-memory.mjs';
import heap from './scenarios/heap.mjs';
import httpMinimal from './scenarios/http-minimal.mjs';
import httpOrders from './scenarios/http-orders.mjs';
import sinkIngest from './scenarios/sink-ingest.mjs';
import e2e from './scenarios/e2e.mjs';
import checkpoint from './scenarios/checkpoint.mjs';
import scaleOut from './scenarios/scale-out.mjs';

/** In the order they run: the per-call costs first, before anything listens. */
const SCENARIOS = [perCall, strictDelivery, startupMemory, heap, httpMinimal, httpOrders, sinkIngest, e2e, checkpoint, scaleOut];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const unknown = [...(only ?? [])].filter((s) => !SCENARIOS.some((x) => x.section === s));
if (unknown.length) {
  console.error(`bench: --only ${unknown.join(',')}: no such section; expected some of ${[...new Set(SCENARIOS.map((s) => s.section))].join(', ')}`);
  process.exit(2);
}

const ctx = { root, quick, timeMs: quick ? 150 : 1000, row };
for (const scenario of SCENARIOS.filter((s) => only === undefined || only.has(s.section))) {
  progress(scenario.title);
  await scenario.run(ctx);
}

printTable(quick);
if (only === undefined) writeResults(root, quick);
process.exit(0);
