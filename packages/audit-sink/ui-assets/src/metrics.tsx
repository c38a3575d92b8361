// Cache invalidations and rule evaluations from Prometheus: a chart over the searched range from a
// Prometheus server, the current totals from a scrape endpoint, or why there is nothing.
import { useEffect, useState } from 'preact/hooks';
import { get, type Metrics } from './api';
import { Chart } from './chart';

const COLORS = ['#6b4bd8', '#0f8b8d', '#b8487a', '#8a6d3b', '#444'];

export function MetricsPanel({ from, to }: { from: number; to: number }) {
  const [m, setM] = useState<Metrics | null>(null);
  useEffect(() => {
    const q = new URLSearchParams({ from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString() });
    get<Metrics>(`/api/metrics?${q}`).then(setM, (err: Error) => setM({ status: 'unreachable', message: err.message }));
  }, [from, to]);
  return (
    <div class="panel" data-testid="metrics">
      <h2>Cache invalidations and rule evaluations</h2>
      {!m && <p class="muted">Loading…</p>}
      {m?.status === 'series' && (
        <>
          <p class="muted">Increase per {m.stepSeconds} s, from Prometheus at {m.source}</p>
          {m.series.length === 0 ? (
            <p class="muted">No samples of domain_cache_invalidations_total or domain_rule_evaluations_total in this range.</p>
          ) : (
            <Chart x={m.timestamps} series={m.series.map((s, i) => ({ label: s.name, values: s.values, stroke: COLORS[i % COLORS.length]! }))} height={170} testId="metrics-chart" />
          )}
        </>
      )}
      {m?.status === 'totals' && (
        <>
          <p class="muted">{m.note}. Source: {m.source}</p>
          <table class="compact">
            <thead><tr><th>Metric</th><th>Labels</th><th>Total</th></tr></thead>
            <tbody>
              {m.totals.map((t, i) => (
                <tr key={i}>
                  <td class="mono">{t.metric}</td>
                  <td class="mono">{Object.entries(t.labels).map(([k, v]) => `${k}=${v}`).join(' ')}</td>
                  <td>{t.value}</td>
                </tr>
              ))}
              {m.totals.length === 0 && <tr><td colSpan={3} class="muted">Neither metric has been exported yet.</td></tr>}
            </tbody>
          </table>
        </>
      )}
      {m && m.status !== 'series' && m.status !== 'totals' && <p class={m.status === 'unreachable' ? 'warn' : 'muted'}>{m.message}</p>}
    </div>
  );
}
