// A request trace as a waterfall: one row per span, indented under its parent, with a bar on the
// trace's time scale; the span that emitted the record is highlighted.
import type { Span } from './api';
import { ms } from './format';

export function Waterfall({ spans, recordSpanId }: { spans: Span[]; recordSpanId: string | null }) {
  const children = new Map<string, Span[]>();
  for (const s of spans) children.set(s.parentSpanID, [...(children.get(s.parentSpanID) ?? []), s]);
  for (const list of children.values()) list.sort((a, b) => a.startTime - b.startTime);
  const t0 = Math.min(...spans.map((s) => s.startTime));
  const t1 = Math.max(...spans.map((s) => s.startTime + s.duration));
  const total = Math.max(1, t1 - t0);
  const rows: { span: Span; depth: number }[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      rows.push({ span: s, depth });
      walk(s.spanID, depth + 1);
    }
  };
  walk('', 0);
  return (
    <div class="waterfall" data-testid="waterfall">
      <div class="wf-head">
        <span>{spans.length} spans, {ms(total)}</span>
      </div>
      {rows.map(({ span, depth }) => (
        <div key={span.spanID} class={`wf-row${span.spanID === recordSpanId ? ' wf-mine' : ''}${span.error ? ' wf-error' : ''}`} data-span={span.spanID}>
          <div class="wf-name" style={{ paddingLeft: `${depth * 14 + 4}px` }} title={`${span.service} · ${span.kind}`}>
            {span.operationName}
            {depth === 0 && span.service && <span class="muted"> [{span.service}]</span>}
            {span.spanID === recordSpanId && <span class="badge mine">this record</span>}
          </div>
          <div class="wf-track">
            <div class="wf-bar" style={{ left: `${((span.startTime - t0) / total) * 100}%`, width: `${Math.max(0.4, (span.duration / total) * 100)}%` }} />
          </div>
          <div class="wf-time">{ms(span.duration)}</div>
        </div>
      ))}
    </div>
  );
}
