// The sink tier scaled out (section `scale-out`, bench/scale-out.ts): three sinks behind HAProxy
// against one, same Postgres, same run.
import { runChildBench } from '../lib/child-bench.mjs';

const cpu = (p) => `sinks ${p.cpuUsPerRecord.sinks} µs + postgres ${p.cpuUsPerRecord.postgres} µs + haproxy ${p.cpuUsPerRecord.haproxy} µs, ${p.coresBusy} cores busy`;

export default {
  section: 'scale-out',
  title: 'the sink tier scaled out (HAProxy, throwaway Postgres)',
  run({ root, quick, row }) {
    const { report: r, stderr } = runChildBench(root, 'scale-out', ['--import', 'tsx', 'bench/scale-out.ts', ...(quick ? ['--records', '20000', '--rounds', '1'] : [])], { timeout: 900_000 });
    if (!r) {
      console.warn(`bench: the scale-out bench did not report (needs Postgres server binaries and HAProxy): ${stderr.slice(-500)}`);
      return;
    }
    row('audit rows/s, 3 sinks behind HAProxy (sustained)', '1 sink behind the same HAProxy', `${r.three.rowsPerS} rows/s`, `${r.one.rowsPerS} rows/s`, r.ratio, '≥ 0.9×, 0 lost', r.ratio >= 0.9 && r.lost === 0 && r.duplicated === 0,
      `CPU per record: 1 sink: ${cpu(r.one)}; 3 sinks: ${cpu(r.three)}; ${r.cores} cores shared by all; ${r.lost} lost, ${r.duplicated} duplicated`);
  },
};
