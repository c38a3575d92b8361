// `npm run trace -- <trace-id>`: a trace from Jaeger's query API as an indented waterfall
// with start offsets and durations, for terminals without a browser UI.
interface JaegerSpan {
  spanID: string; operationName: string; startTime: number; duration: number; processID: string;
  references: { refType: string; spanID: string }[]; tags: { key: string; value: unknown }[];
}
interface JaegerTrace { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }

export async function fetchTrace(traceId: string, queryUrl = process.env.DOMAIN_OTEL_JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686'): Promise<JaegerTrace> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
  if (!res.ok) throw new Error(`Jaeger answered ${res.status} for trace ${traceId} at ${queryUrl}`);
  const body = (await res.json()) as { data: JaegerTrace[] };
  if (!body.data?.length) throw new Error(`trace ${traceId} not found in Jaeger at ${queryUrl}`);
  return body.data[0];
}

/** Lines of the waterfall: offset, duration, a bar on a 40-column scale, indented name. */
export function waterfall(trace: JaegerTrace, width = 40): string[] {
  const spans = trace.spans;
  const ids = new Set(spans.map((s) => s.spanID));
  const parent = (s: JaegerSpan) => s.references.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID))?.spanID ?? '';
  const children = new Map<string, JaegerSpan[]>();
  for (const s of spans) children.set(parent(s), [...(children.get(parent(s)) ?? []), s]);
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime);
  const t0 = Math.min(...spans.map((s) => s.startTime));
  const t1 = Math.max(...spans.map((s) => s.startTime + s.duration));
  const scale = width / Math.max(1, t1 - t0);
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const lines = [`trace ${trace.traceID}: ${spans.length} spans, ${ms(t1 - t0)}`];
  const walk = (id: string, depth: number) => {
    for (const s of children.get(id) ?? []) {
      const from = Math.floor((s.startTime - t0) * scale);
      const len = Math.max(1, Math.round(s.duration * scale));
      const bar = `${' '.repeat(from)}${'█'.repeat(Math.min(len, width - from))}`.padEnd(width);
      const err = s.tags.some((t) => t.key === 'otel.status_code' && t.value === 'ERROR') ? '  ✗ error' : '';
      const service = trace.processes[s.processID]?.serviceName ?? '';
      lines.push(`${ms(s.startTime - t0).padStart(10)} ${ms(s.duration).padStart(10)} │${bar}│ ${'  '.repeat(depth)}${s.operationName}${depth === 0 && service ? `  [${service}]` : ''}${err}`);
      walk(s.spanID, depth + 1);
    }
  };
  walk('', 0);
  return lines;
}

if (require.main === module) {
  const id = process.argv[2];
  if (!id || !/^[0-9a-f]{32}$/i.test(id)) {
    console.error(`trace: expected a 32-hex-digit trace id, got ${JSON.stringify(id ?? '')}`);
    process.exit(2);
  }
  fetchTrace(id).then((t) => console.log(waterfall(t).join('\n')), (err: unknown) => {
    console.error(`trace: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
