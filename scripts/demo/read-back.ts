// Reading every backend of the stack back after the demo's workload: each read waits (up to a
// limit) until the backend holds at least what was sent, then reports what it holds.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { STACK_DIR } from '../stack';
import type { StackState } from '../stack';
import { ENDPOINTS } from './endpoints';
import { BOB } from './workload';
import type { Sent } from './workload';

export interface BackendRow { backend: string; sent: number; holds: number }
export type Trace = { traceID: string; spans: { operationName: string; tags: { key: string; value: unknown }[] }[] };

/** Calls `fn` every 500 ms until it returns a value (errors count as none) or `ms` pass; then its last value. */
export async function poll<T>(fn: () => Promise<T | undefined>, ms = 30000): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn().catch(() => undefined);
    if (last !== undefined) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

/** The service's rows in the Postgres audit store (as audit_reader), and its denied and bypassed decisions. */
async function readAuditStore(pgPort: number, service: string, expected: number): Promise<{ rows: number; denied: number; bypassed: number }> {
  const pg = new Client({ connectionString: `postgres://audit_reader@127.0.0.1:${pgPort}/audit` });
  await pg.connect();
  try {
    const total = async () => Number((await pg.query('SELECT count(*) FROM domain_otel_audit.records WHERE service = $1', [service])).rows[0].count);
    const rows = (await poll(async () => { const n = await total(); return n >= expected ? n : undefined; })) ?? await total();
    const outcome = async (o: string) => Number((await pg.query(
      "SELECT count(*) FROM domain_otel_audit.records WHERE service = $1 AND event_name = 'domain.audit.decision' AND outcome = $2", [service, o])).rows[0].count);
    return { rows, denied: await outcome('denied'), bypassed: await outcome('bypassed') };
  } finally {
    await pg.end();
  }
}

/** Jaeger's traces of the service that have a server span (start-up work such as sequelize.sync() has its own traces). */
async function readRequestTraces(service: string, expected: number): Promise<Trace[]> {
  const requestTraces = async () => ((await (await fetch(`${ENDPOINTS.jaeger}/api/traces?service=${service}&limit=1000&lookback=1h`)).json()) as { data: Trace[] }).data
    .filter((t) => t.spans.some((s) => s.tags.some((tag) => tag.key === 'span.kind' && tag.value === 'server')));
  return (await poll(async () => {
    const found = await requestTraces();
    return found.length >= expected ? found : undefined;
  })) ?? (await requestTraces());
}

/** Log records of the service per event name in the collector's NDJSON file. */
function countNdjsonEvents(service: string): Record<string, number> {
  const file = path.join(STACK_DIR, 'telemetry', 'logs.ndjson');
  const counts: Record<string, number> = {};
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes(service)) continue;
    const req = JSON.parse(line) as { resourceLogs?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeLogs?: { logRecords?: { eventName?: string }[] }[] }[] };
    for (const rl of req.resourceLogs ?? []) {
      if (!rl.resource?.attributes?.some((a) => a.key === 'service.name' && a.value.stringValue === service)) continue;
      for (const sl of rl.scopeLogs ?? []) for (const r of sl.logRecords ?? []) if (r.eventName) counts[r.eventName] = (counts[r.eventName] ?? 0) + 1;
    }
  }
  return counts;
}

async function readNdjson(service: string, expectedDecisions: number): Promise<Record<string, number>> {
  return (await poll(async () => {
    const c = countNdjsonEvents(service);
    return (c['domain.audit.decision'] ?? 0) >= expectedDecisions ? c : undefined;
  })) ?? countNdjsonEvents(service);
}

/** domain_audit_decisions_total of the service on the collector's Prometheus exporter. */
async function readPrometheusDecisions(service: string, expected: number): Promise<number> {
  return (await poll(async () => {
    const text = await (await fetch(`${ENDPOINTS.prometheusExporter}/metrics`)).text();
    const total = text.split('\n').filter((l) => l.startsWith('domain_audit_decisions_total{') && l.includes(`job="${service}"`))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    return total >= expected ? total : undefined;
  })) ?? 0;
}

/** The service's decision and mutation events in Loki. */
async function readLoki(service: string, sent: Sent): Promise<BackendRow[]> {
  const lokiCount = async (eventName: string) => {
    const now = Date.now();
    const qs = new URLSearchParams({ query: `{service_name="${service}"} | event_name = "${eventName}"`, start: String((now - 3_600_000) * 1e6), end: String((now + 60_000) * 1e6), limit: '5000' });
    const body = (await (await fetch(`${ENDPOINTS.loki}/loki/api/v1/query_range?${qs}`)).json()) as { data: { result: { values: unknown[] }[] } };
    return body.data.result.reduce((n, stream) => n + stream.values.length, 0);
  };
  const holds = async (eventName: string, expected: number) =>
    (await poll(async () => { const n = await lokiCount(eventName); return n >= expected ? n : undefined; })) ?? await lokiCount(eventName).catch(() => 0);
  return [
    { backend: 'Loki: domain.audit.decision', sent: sent.decisions, holds: await holds('domain.audit.decision', sent.decisions) },
    { backend: 'Loki: domain.manager.mutation', sent: sent.mutations, holds: await holds('domain.manager.mutation', sent.mutations) },
  ];
}

/** Bob's records as the audit viewer lists them from Postgres, through its own API and token (the same search the page runs). */
async function readViewer(viewerToken: string | undefined, service: string, expected: number): Promise<number> {
  const viewerTotal = async () => {
    const q = new URLSearchParams({ user: BOB, service, limit: '1' });
    const res = await fetch(`${ENDPOINTS.viewer}/api/search?${q}`, { headers: { authorization: `Bearer ${viewerToken}` } });
    return res.ok ? ((await res.json()) as { total: number }).total : undefined;
  };
  return (await poll(async () => { const n = await viewerTotal(); return n !== undefined && n >= expected ? n : undefined; }, 10000)) ?? (await viewerTotal().catch(() => 0)) ?? 0;
}

/** Every backend's row (sent, holds), and the request traces found in Jaeger. */
export async function readBackends(state: StackState, service: string, sent: Sent, bobRecords: number): Promise<{ rows: BackendRow[]; traces: Trace[] }> {
  const expectedAudit = sent.decisions + sent.mutations;
  const audit = await readAuditStore(state.pgPort, service, expectedAudit);
  const traces = await readRequestTraces(service, sent.requests);
  const ndjson = await readNdjson(service, sent.decisions);
  const prometheus = await readPrometheusDecisions(service, sent.decisions);
  const loki = state.services.some((x) => x.name === 'loki') ? await readLoki(service, sent) : [];
  const viewer = await readViewer(state.viewerToken, service, bobRecords);
  const rows = [
    { backend: 'Jaeger: request traces', sent: sent.requests, holds: traces.length },
    { backend: 'Postgres audit store (decisions + mutations)', sent: expectedAudit, holds: audit.rows },
    { backend: 'NDJSON file: domain.audit.decision', sent: sent.decisions, holds: ndjson['domain.audit.decision'] ?? 0 },
    { backend: 'NDJSON file: domain.manager.mutation', sent: sent.mutations, holds: ndjson['domain.manager.mutation'] ?? 0 },
    { backend: 'NDJSON file: domain.rule.evaluation', sent: sent.rules, holds: ndjson['domain.rule.evaluation'] ?? 0 },
    { backend: 'NDJSON file: domain.cache.invalidation', sent: sent.cache, holds: ndjson['domain.cache.invalidation'] ?? 0 },
    { backend: 'Prometheus: domain_audit_decisions_total', sent: sent.decisions, holds: prometheus },
    { backend: 'Postgres: denied decisions', sent: sent.denied, holds: audit.denied },
    { backend: 'Postgres: bypassed decisions', sent: sent.bypassed, holds: audit.bypassed },
    ...loki,
    { backend: 'Audit viewer: records of user 7 (Bob)', sent: bobRecords, holds: viewer },
  ];
  return { rows, traces };
}
