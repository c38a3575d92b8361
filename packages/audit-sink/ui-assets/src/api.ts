// The viewer's JSON API (src/ui/api.ts, served by src/ui/server.ts), typed for the page. Same origin, session cookie.
import type { ExtractedColumns } from '../../src/columns';
import type { Timeline, TraceLookup as ServerTraceLookup, Verification, WaterfallSpan } from '../../src/ui/api-types';

export type { Timeline, Verification };
export type Span = WaterfallSpan;

export interface Session {
  identity: string;
  tenant: string | null;
  jaeger: { uiUrl: string } | null;
  prometheus: boolean;
  checkpoints: boolean;
  exportLimit: number;
}

export interface Row extends ExtractedColumns {
  time: string;
  chain: string;
  seq: string;
  received_at: string;
  body: string | null;
}

export interface SearchResult {
  rows: Row[];
  offset: number;
  limit: number;
  total: number;
  totalCapped: boolean;
  timeline: Timeline;
}

export interface RecordDetail {
  row: Row & { record: PlainRecord; uid_generated: boolean };
  position: { chain: string; segment: string; stream: number; seq: string; row_hash: string; prev_hash: string; content_hash: string };
  proofAvailable: boolean;
}

export interface PlainRecord {
  attributes?: Record<string, unknown>;
  body?: unknown;
  resource?: { attributes?: Record<string, unknown> };
  scope?: { name?: string; version?: string };
  [k: string]: unknown;
}

/** The trace lookup (src/ui/jaeger.ts) and the span of the record, to highlight it. */
export type TraceLookup = { recordSpanId: string | null } & ServerTraceLookup;

export type Metrics =
  | { status: 'series'; source: string; stepSeconds: number; timestamps: number[]; series: { name: string; values: (number | null)[] }[] }
  | { status: 'totals'; source: string; note: string; totals: { metric: string; labels: Record<string, string>; value: number }[] }
  | { status: 'not-configured' | 'unreachable' | 'hidden'; message: string };

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`, res.status);
  return body;
}

export const FILTERS = ['user', 'tenant', 'manager', 'entity', 'action', 'outcome', 'event', 'service', 'trace', 'uid', 'from', 'to'] as const;
export type FilterName = (typeof FILTERS)[number];
export type Filters = Partial<Record<FilterName, string>> & { order?: 'asc' | 'desc' };

export function filterQuery(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of FILTERS) {
    const v = f[k]?.trim();
    if (v) q.set(k, v);
  }
  if (f.order === 'asc') q.set('order', 'asc');
  return q;
}
