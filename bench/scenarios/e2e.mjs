// End to end (section `e2e`, bench/e2e.ts): app → collector → audit sink → Postgres, counted in
// rows stored.
import { runChildBench } from '../lib/child-bench.mjs';

const RATE = 20000;

export default {
  section: 'e2e',
  title: 'end to end through the collector and the sink',
  run({ root, quick, row }) {
    const seconds = quick ? 5 : 60;
    const measure = `end to end, app → collector → sink → Postgres, ${seconds} s at 20k/s offered`;
    const target = '≥ 20k audit events/s, 0 lost';
    const { report: r, stderr } = runChildBench(root, 'e2e', ['--import', 'tsx', 'bench/e2e.ts', '--rate', String(RATE), '--seconds', String(seconds)], { timeout: (seconds + 240) * 1000 });
    if (!r) {
      row(measure, '—', 'did not report', '—', NaN, target, false, `see stderr: ${stderr.trim().split('\n').at(-1) ?? ''}`);
      console.warn(`bench: the end-to-end bench did not report: ${stderr.slice(-800)}`);
      return;
    }
    row(measure, '—', `${r.rowsPerSecond} rows/s sustained, ${r.lost} lost, ${r.duplicated} duplicated`, `${r.sent} sent`, r.rowsPerSecond / RATE, target, r.rowsPerSecond >= RATE && r.lost === 0 && r.duplicated === 0,
      `stored ${r.stored} in ${r.sustainedSeconds.toFixed(1)} s; the app emitted for ${r.emitSeconds.toFixed(1)} s${r.stillQueued ? `; ${r.stillQueued} still queued in the collector after 10 min` : ''}${r.appWarnings?.length ? `; app: ${r.appWarnings[0]}` : ''}`);
    if (r.lost > 0) console.warn(stderr.slice(-6000));
  },
};
