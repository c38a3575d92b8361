// Per-call costs: a baseline and our code timed by tinybench in the same run, in alternating
// rounds (the order swaps each round) so a drift of the machine's speed during the run moves
// both; the ratio is the median of the per-round ratios of medians, with their range.
import { Bench } from 'tinybench';
import { median } from '../http-rounds.mjs';

async function once(name, timeMs, tasks) {
  const bench = new Bench({ name, time: timeMs, warmup: true, warmupTime: Math.min(timeMs, 300) });
  for (const [label, fn] of tasks) bench.add(label, fn);
  await bench.run();
  return Object.fromEntries(bench.tasks.map((t) => [t.name, t.result.latency]));
}

/**
 * `baselineFn` and `oursFn` over `rounds` rounds sharing `timeMs`. Returns the latencies of the
 * round whose ratio is the median (for the absolute figures) and the ratio's median and range.
 */
export async function pair(name, timeMs, baselineFn, oursFn, rounds = 5) {
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const tasks = [['baseline', baselineFn], ['ours', oursFn]];
    const lat = await once(name, timeMs / rounds, r % 2 ? tasks.reverse() : tasks);
    results.push({ baseline: lat.baseline, ours: lat.ours, ratio: lat.ours.p50 / lat.baseline.p50 });
  }
  const ratios = results.map((x) => x.ratio);
  const mid = median(ratios);
  const closest = results.reduce((a, b) => (Math.abs(b.ratio - mid) < Math.abs(a.ratio - mid) ? b : a));
  return { baseline: closest.baseline, ours: closest.ours, ratio: mid, min: Math.min(...ratios), max: Math.max(...ratios), rounds };
}

export const fmtLatency = (lat) => `${(lat.p50 * 1e6).toFixed(0)} ns med, ±${lat.rme.toFixed(1)}%`;

export const fmtPairSpread = (r) => `${r.ratio.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)}, ${r.rounds} alternating rounds)`;
