// Per-call costs: a baseline and our code timed by tinybench in the same run.
import { Bench } from 'tinybench';

/** The latencies of `baselineFn` and `oursFn`, each run for `timeMs`. */
export async function pair(name, timeMs, baselineFn, oursFn) {
  const bench = new Bench({ name, time: timeMs, warmup: true, warmupTime: Math.min(timeMs, 300) });
  bench.add('baseline', baselineFn).add('ours', oursFn);
  await bench.run();
  const [b, o] = bench.tasks.map((t) => t.result);
  return { baseline: b.latency, ours: o.latency };
}

export const fmtLatency = (lat) => `${(lat.p50 * 1e6).toFixed(0)} ns med, ±${lat.rme.toFixed(1)}%`;
