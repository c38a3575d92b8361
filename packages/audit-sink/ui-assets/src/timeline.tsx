// Decisions per outcome (and mutations) over the searched range, stacked; denials in red at the bottom.
import type { Timeline } from './api';
import { Chart, type ChartSeries } from './chart';

const STYLE: Record<string, { stroke: string; width?: number }> = {
  denied: { stroke: '#d42020', width: 2 },
  granted: { stroke: '#2f8a4c' },
  bypassed: { stroke: '#c98a00' },
  mutations: { stroke: '#3a6fd8' },
};

export function TimelineChart({ timeline }: { timeline: Timeline }) {
  const names = Object.keys(timeline.series).sort((a, b) => order(a) - order(b));
  const totals = names.map((n) => [n, timeline.series[n]!.reduce((s, v) => s + v, 0)] as const);
  // Stacked bars, denials at the bottom: each series is drawn as the running sum of those below it,
  // the tallest first, so every band shows its own count and the red one is never hidden.
  const running = timeline.buckets.map(() => 0);
  const stacked = names.map((n) => ({ n, values: timeline.series[n]!.map((v, i) => (running[i]! += v)) }));
  const series: ChartSeries[] = stacked.reverse().map(({ n, values }) => ({
    label: n,
    values,
    stroke: STYLE[n]?.stroke ?? '#777',
    bars: true,
    ...(STYLE[n]?.width ? { width: STYLE[n]!.width } : {}),
  }));
  const width = timeline.bucketSeconds >= 86400 ? `${timeline.bucketSeconds / 86400} d` : timeline.bucketSeconds >= 3600 ? `${timeline.bucketSeconds / 3600} h` : `${timeline.bucketSeconds / 60} min`;
  return (
    <>
      <p class="totals" data-testid="timeline-totals">
        {totals.map(([n, t]) => (
          <span key={n} class={`total total-${n}${n === 'denied' && t > 0 ? ' alarm' : ''}`}>
            {n} <b>{t}</b>
          </span>
        ))}
        <span class="muted">per {width}</span>
      </p>
      <Chart x={timeline.buckets} series={series} testId="timeline" />
    </>
  );
}

function order(name: string): number {
  const i = ['denied', 'granted', 'bypassed', 'mutations'].indexOf(name);
  return i < 0 ? 99 : i;
}
