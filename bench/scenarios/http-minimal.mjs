// HTTP, minimal service (section `http`, bench/http-minimal.mjs): no work per request, so the
// cost of the telemetry itself. Both variants run at once, the load in alternating rounds;
// loopback, keep-alive; both export to a local OTLP endpoint that answers 200 at once.
import { runChildBench } from '../lib/child-bench.mjs';
import { exportThreadAlternative, httpRows } from '../lib/http-rows.mjs';

export default {
  section: 'http',
  title: 'HTTP, minimal service (alternating rounds)',
  async run({ root, quick, row }) {
    const alt = await exportThreadAlternative();
    const rounds = quick ? 3 : 8;
    // the export-thread variant runs in quick mode too where it is not the default: the CPU target is its
    const alternatives = quick ? (alt.defaultOn ? [] : alt.args) : [...alt.args, '--variant', 'sdkrecords=DOMAIN_OTEL_RECORD_PATH=sdk'];
    const { report } = runChildBench(root, 'http-minimal', ['bench/http-minimal.mjs', '--rounds', String(rounds), '--round-ms', quick ? '1000' : '2000', ...alternatives],
      { stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
    if (report) httpRows(row, 'minimal service (no work per request)', report, { rps: 0.6, cpu: 2 }, alt);
    else console.warn('bench: the minimal HTTP bench did not report (see its output above)');
  },
};
