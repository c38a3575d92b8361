// A uPlot chart as a Preact component: created on mount, re-created when its data changes,
// resized with its container, destroyed on unmount. Times are shown in UTC.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  stroke: string;
  width?: number;
  /** Draw points on every value (used to make denials stand out). */
  points?: boolean;
  bars?: boolean;
}

/** Axis labels in UTC, 24-hour: the time of day, with the date when the range spans days. */
function utcLabel(ts: number, x: number[]): string {
  const iso = new Date(ts * 1000).toISOString();
  const days = x.length > 1 && x.at(-1)! - x[0]! > 86400;
  return days ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 16);
}

export function Chart({ x, series, height = 200, testId }: { x: number[]; series: ChartSeries[]; height?: number; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([x, series]);
  useEffect(() => {
    const el = box.current!;
    const bars = uPlot.paths.bars!({ size: [0.8, 40] });
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ values: (_u, splits) => splits.map((ts) => utcLabel(ts, x)) }, { size: 40 }],
      legend: { live: false },
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.bars ? 0 : (s.width ?? 1.5),
          ...(s.bars ? { paths: bars, fill: s.stroke + (s.label === 'denied' ? 'ee' : '99') } : {}),
          points: { show: s.points ?? false, size: 7, fill: s.stroke },
        })),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [key]);
  return <div class="chart" ref={box} data-testid={testId} />;
}
