/**
 * The `domain.cache.invalidations` and `domain.rule.evaluations` counters next to the timeline.
 *
 * `--prometheus-url` is either a Prometheus server (its HTTP API answers /api/v1/query_range):
 * increases per step over the selected range; or a scrape endpoint ending in /metrics (e.g. the
 * collector's Prometheus exporter, 127.0.0.1:8889/metrics), which has no history: the current
 * counter values are shown, said to be totals since each service started. Metrics carry no tenant,
 * so a tenant-scoped viewer is not shown them.
 */
import { errorLine } from '../errors';

export const METRICS = {
  cache: 'domain_cache_invalidations_total',
  rules: 'domain_rule_evaluations_total',
} as const;

export type MetricsLookup =
  | { status: 'series'; source: string; stepSeconds: number; timestamps: number[]; series: { name: string; values: (number | null)[] }[] }
  | { status: 'totals'; source: string; note: string; totals: { metric: string; labels: Record<string, string>; value: number }[] }
  | { status: 'not-configured' | 'unreachable' | 'hidden'; message: string };

export async function lookupMetrics(url: string | undefined, range: { from: Date; to: Date }, tenantScoped: boolean, timeoutMs = 3000): Promise<MetricsLookup> {
  if (tenantScoped) return { status: 'hidden', message: 'metrics are not kept per tenant: shown to tokens that see every tenant' };
  if (!url) return { status: 'not-configured', message: 'no Prometheus configured (start the viewer with --prometheus-url)' };
  try {
    return /\/metrics\/?$/.test(new URL(url).pathname) ? await totals(url, timeoutMs) : await series(url, range, timeoutMs);
  } catch (err) {
    return { status: 'unreachable', message: `Prometheus not reachable at ${url} (${errorLine((err as { cause?: unknown }).cause ?? err)})` };
  }
}

async function series(base: string, range: { from: Date; to: Date }, timeoutMs: number): Promise<MetricsLookup> {
  const start = Math.floor(range.from.getTime() / 1000);
  const end = Math.max(start + 1, Math.ceil(range.to.getTime() / 1000));
  const step = Math.max(15, Math.ceil((end - start) / 120));
  const queries: [string, string][] = [
    ['cache invalidations', `sum(increase(${METRICS.cache}[${step}s]))`],
    ['rule evaluations', `sum by (domain_rule_outcome) (increase(${METRICS.rules}[${step}s]))`],
  ];
  const timestamps: number[] = [];
  for (let t = start; t <= end; t += step) timestamps.push(t);
  const out: { name: string; values: (number | null)[] }[] = [];
  for (const [name, query] of queries) {
    const qs = new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) });
    const res = await fetch(`${base.replace(/\/$/, '')}/api/v1/query_range?${qs}`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => undefined)) as
      | { status: string; error?: string; data?: { result: { metric: Record<string, string>; values: [number, string][] }[] } }
      | undefined;
    if (!res.ok || body?.status !== 'success') {
      return { status: 'unreachable', message: `Prometheus at ${base} refused the query (HTTP ${res.status}${body?.error ? `: ${body.error}` : ''})` };
    }
    for (const r of body.data?.result ?? []) {
      const values = timestamps.map(() => null as number | null);
      for (const [ts, v] of r.values) {
        const i = Math.round((ts - start) / step);
        if (i >= 0 && i < values.length) values[i] = Number(v);
      }
      const label = r.metric['domain_rule_outcome'];
      out.push({ name: label ? `${name}: ${label}` : name, values });
    }
  }
  return { status: 'series', source: base, stepSeconds: step, timestamps, series: out };
}

async function totals(url: string, timeoutMs: number): Promise<MetricsLookup> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) return { status: 'unreachable', message: `${url} answered HTTP ${res.status}` };
  const found: { metric: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || (m[1] !== METRICS.cache && m[1] !== METRICS.rules)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    found.push({ metric: m[1], labels, value: Number(m[4]) });
  }
  return {
    status: 'totals',
    source: url,
    note: 'current counter values from a scrape endpoint (totals since each service started; no history — point --prometheus-url at a Prometheus server for a time series)',
    totals: found,
  };
}
