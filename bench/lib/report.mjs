// The bench's rows and output: progress lines on stderr while it runs (the full run takes
// minutes), then the table on stdout and, for a run of every section, bench/results.json.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const rows = [];
const startedAt = performance.now();

/** A progress line on stderr, with the seconds since the run started. */
export const progress = (what) => process.stderr.write(`bench: [${((performance.now() - startedAt) / 1000).toFixed(0)} s] ${what}\n`);

/** One row of the table; `pass` is null for a row that is only reported. */
export function row(measure, baseline, ours, baselineValue, ratio, target, pass, note = '') {
  rows.push({ measure, baseline, ours, baselineValue, ratio: Number(ratio.toFixed(3)), target, pass, note });
  progress(`${measure}: ${ratio.toFixed(3)}× ${pass === null ? '' : pass ? 'PASS' : 'MISS'}`);
}

export function printTable(quick) {
  console.log(`\ndomain-otel benchmarks (Node ${process.version}, ${quick ? 'quick' : 'full'} run)\n`);
  console.table(rows.map((r) => ({ measure: r.measure, ours: r.ours, baseline: `${r.baseline}: ${r.baselineValue}`, ratio: `${r.ratio}×`, target: r.target, result: r.pass === null ? '—' : r.pass ? 'PASS' : 'MISS', note: r.note })));
}

export function writeResults(root, quick) {
  writeFileSync(path.join(root, 'bench/results.json'), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, rows }, null, 2)}\n`);
  console.log('written bench/results.json');
}
