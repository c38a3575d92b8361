/**
 * A record's request trace from Jaeger's query API (`GET /api/traces/<id>`), reduced to what the
 * waterfall draws. Fetched by the viewer's server, so the page talks only to its own origin.
 */
import { errorLine } from '../errors';
import type { TraceLookup, WaterfallSpan } from './api-types';

export type { TraceLookup, WaterfallSpan };

interface JaegerSpan {
  spanID: string; operationName: string; startTime: number; duration: number; processID: string;
  references?: { refType: string; spanID: string }[]; tags?: { key: string; value: unknown }[];
}
interface JaegerTrace { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }

export const MAX_SPANS = 2000;

export async function lookupTrace(
  traceId: string | null,
  jaeger: { apiUrl: string; uiUrl: string } | undefined,
  timeoutMs = 3000,
): Promise<TraceLookup> {
  if (!traceId) return { status: 'no-trace', message: 'this record carries no trace id' };
  if (!jaeger) return { status: 'not-configured', message: 'no Jaeger configured (start the viewer with --jaeger-url)' };
  const apiUrl = `${jaeger.apiUrl}/api/traces/${traceId}`;
  const uiUrl = `${jaeger.uiUrl}/trace/${traceId}`;
  let res: Response;
  try {
    res = await fetch(apiUrl, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    return { status: 'unreachable', message: `Jaeger not reachable at ${jaeger.apiUrl} (${errorLine((err as { cause?: unknown }).cause ?? err)})`, uiUrl, apiUrl };
  }
  if (res.status === 404) {
    await res.arrayBuffer().catch(() => {});
    return { status: 'not-found', message: `trace ${traceId} is not in Jaeger (not sent, not arrived yet, or expired from its store)`, uiUrl, apiUrl };
  }
  if (!res.ok) {
    await res.arrayBuffer().catch(() => {});
    return { status: 'unreachable', message: `Jaeger at ${jaeger.apiUrl} answered HTTP ${res.status}`, uiUrl, apiUrl };
  }
  let body: { data?: JaegerTrace[] };
  try {
    body = (await res.json()) as { data?: JaegerTrace[] };
  } catch (err) {
    return { status: 'unreachable', message: `Jaeger at ${jaeger.apiUrl} answered something other than JSON (${errorLine(err)})`, uiUrl, apiUrl };
  }
  const t = body.data?.[0];
  if (!t || !Array.isArray(t.spans) || t.spans.length === 0) {
    return { status: 'not-found', message: `trace ${traceId} is not in Jaeger (not sent, not arrived yet, or expired from its store)`, uiUrl, apiUrl };
  }
  const ids = new Set(t.spans.map((s) => s.spanID));
  const spans = t.spans.slice(0, MAX_SPANS).map((s): WaterfallSpan => {
    const tag = (k: string) => s.tags?.find((x) => x.key === k)?.value;
    const parent = s.references?.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID))?.spanID ?? '';
    return {
      spanID: s.spanID,
      parentSpanID: parent,
      operationName: String(s.operationName),
      service: t.processes?.[s.processID]?.serviceName ?? '',
      startTime: Number(s.startTime),
      duration: Number(s.duration),
      kind: String(tag('span.kind') ?? ''),
      error: tag('otel.status_code') === 'ERROR' || tag('error') === true,
    };
  });
  return { status: 'ok', traceID: t.traceID, spans, truncated: t.spans.length > MAX_SPANS, uiUrl, apiUrl };
}
