// Audit sink ingest (section `sink`, packages/audit-sink/bench/ingest.ts): OTLP/HTTP into the
// sink and on into a throwaway Postgres, against a raw COPY of the same rows.
import os from 'node:os';
import { runChildBench } from '../lib/child-bench.mjs';

export default {
  section: 'sink',
  title: 'audit sink ingest (throwaway Postgres)',
  run({ root, quick, row }) {
    const records = quick ? 20000 : 100000;
    const { report: r, stderr } = runChildBench(root, 'audit-sink-ingest', ['--import', 'tsx', 'packages/audit-sink/bench/ingest.ts', '--records', String(records), '--batch', '5000']);
    if (!r) {
      console.warn(`bench: the audit sink ingest bench did not report (needs Postgres server binaries): ${stderr.slice(-500)}`);
      return;
    }
    const ratio = r.ratio_to_raw_copy['sink-http'];
    const cpu = (k) => `${k}: node ${r.cpu_us_per_record[k].node} µs + postgres ${r.cpu_us_per_record[k].postgres} µs`;
    row('audit sink ingest into Postgres (OTLP/HTTP → rows)', 'raw COPY of the same rows', `${r.records_per_s['sink-http']} rows/s`, `${r.records_per_s['raw-copy']} rows/s`, ratio, '≥ 0.5× and ≥ 50k rows/s', ratio >= 0.5 && r.records_per_s['sink-http'] >= 50000,
      `${r.workers} worker thread(s) as serve's default here; store path alone ${r.records_per_s['sink-store']} rows/s; CPU per record (${cpu('sink-http')}; ${cpu('sink-store')}; ${cpu('raw-copy')}) on ${os.cpus().length} cores shared by both`);
  },
};
