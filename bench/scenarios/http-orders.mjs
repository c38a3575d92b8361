// HTTP, the demo service (section `http`, bench/http-orders.ts): real work per request (Express,
// CASL, Sequelize on a throwaway Postgres, json-rules-engine, lru-cache), plus the distribution's
// default (also upstream express and pg spans) as a third variant.
import { fmtSpread, medianOf, ratioSpread } from '../http-rounds.mjs';
import { runChildBench } from '../lib/child-bench.mjs';
import { exportThreadAlternative, httpRows, rpsAndP99 } from '../lib/http-rows.mjs';

export default {
  section: 'http',
  title: 'HTTP, demo orders-service (alternating rounds)',
  async run({ root, quick, row }) {
    const alt = await exportThreadAlternative();
    const rounds = quick ? 2 : 6;
    const alternatives = quick ? [] : alt.args;
    const { report: r } = runChildBench(root, 'http-orders', ['--import', 'tsx', 'bench/http-orders.ts', '--rounds', String(rounds), '--round-ms', quick ? '1500' : '3000', ...alternatives],
      { stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_200_000 });
    if (!r) {
      console.warn('bench: the orders-service bench did not report (see its output above)');
      return;
    }
    const { base } = httpRows(row, 'demo orders-service', r, { rps: 0.95, p99: 1.1 }, alt);
    const def = r.results.default;
    const rps = ratioSpread(base, def, (x) => x.rps);
    const cpu = ratioSpread(base, def, (x) => x.threadUsPerReq);
    row('HTTP throughput, demo orders-service, distribution default (+ express, pg spans)', 'only upstream HTTP instrumentation',
      rpsAndP99(def), `${medianOf(base, (x) => x.rps).toFixed(0)} req/s`, rps.median, '≥ 0.85× req/s', rps.median >= 0.85,
      `req/s ${fmtSpread(rps)}; request-thread CPU ${medianOf(def, (x) => x.threadUsPerReq).toFixed(0)} µs/req, ${fmtSpread(cpu)}`);
  },
};
