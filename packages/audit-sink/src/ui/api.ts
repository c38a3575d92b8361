/**
 * The viewer's JSON API (server.ts routes /api/* here once the viewer is known). Nothing is sent
 * before the access record of what is sent is committed (503 otherwise), as with `query`; every
 * SQL statement carries the viewer's tenant scope (search.ts, record.ts).
 */
import type { ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import { recordAccess, type AccessEntry } from '../access-log';
import { errorLine } from '../errors';
import { ProofError, prove } from '../proof';
import type { VerifierKey } from '../signed-note';
import type { Viewer } from './auth';
import { startExport, type ExportFormat } from './export';
import { securityHeaders, sendJson } from './http';
import { lookupTrace } from './jaeger';
import { lookupMetrics } from './prometheus';
import { findRecord, verifyRecord } from './record';
import { BadRequest, countMatching, filtersAsArguments, parseFilters, searchPage, timeline, type SearchFilters } from './search';

const MAX_PAGE = 200;
const COUNT_CAP = 10_000;

/** What the API reads from and links to. */
export interface ApiSources {
  /** A pool logged in as a member of domain_otel_audit_reader. */
  pool: Pool;
  jaeger?: { apiUrl: string; uiUrl: string };
  prometheusUrl?: string;
  checkpoints?: { dir: string; key: VerifierKey };
  exportLimit: number;
  log: (line: string) => void;
}

export class ViewerApi {
  constructor(private readonly src: ApiSources) {}

  /** Answers GET `pathname` for `viewer`; 404 for an API that does not exist. */
  async answer(res: ServerResponse, viewer: Viewer, pathname: string, q: URLSearchParams): Promise<void> {
    switch (pathname) {
      case '/api/session':
        return sendJson(res, 200, {
          identity: viewer.identity, tenant: viewer.tenant,
          jaeger: this.src.jaeger ? { uiUrl: this.src.jaeger.uiUrl } : null,
          prometheus: Boolean(this.src.prometheusUrl), checkpoints: Boolean(this.src.checkpoints), exportLimit: this.src.exportLimit,
        });
      case '/api/search':
        return this.search(res, viewer, q);
      case '/api/record':
        return this.record(res, viewer, q);
      case '/api/record/verification':
        return this.verification(res, viewer, q);
      case '/api/record/trace':
        return this.trace(res, viewer, q);
      case '/api/record/proof':
        return this.proof(res, viewer, q);
      case '/api/export':
        return this.export(res, viewer, q);
      case '/api/metrics':
        return this.metrics(res, viewer, q);
      default:
        return sendJson(res, 404, { error: `no such API: ${pathname}` });
    }
  }

  /** Appends the access record; false (and a 503 sent) when it cannot be: then nothing is shown. */
  private async recorded(res: ServerResponse, viewer: Viewer, command: AccessEntry['command'], args: string[], outcome: AccessEntry['outcome'], result: string): Promise<boolean> {
    const argv = ['--viewer', viewer.identity, '--scope', viewer.tenant === null ? 'all-tenants' : `tenant=${viewer.tenant}`, ...args];
    try {
      const r = await recordAccess(this.src.pool, { command, argv, outcome, result });
      if ('skipped' in r) this.src.log(`domain-otel-audit ui: warning: ${command} not recorded as an access: ${r.skipped}`);
      return true;
    } catch (err) {
      this.src.log(`domain-otel-audit ui: could not append the access record of ${command} (${errorLine(err)})`);
      if (outcome === 'success') sendJson(res, 503, { error: `not shown: this view could not be recorded as an access (${errorLine(err)})` });
      return false;
    }
  }

  private async search(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const f = parseFilters(q);
    const offset = intParam(q, 'offset', 0, 0, 10_000_000);
    const limit = intParam(q, 'limit', 50, 1, MAX_PAGE);
    const { pool } = this.src;
    const [rows, total, tl] = await Promise.all([
      searchPage(pool, f, viewer, offset, limit),
      countMatching(pool, f, viewer, COUNT_CAP + 1),
      timeline(pool, f, viewer),
    ]);
    const shown = rows.length ? `${offset + 1}-${offset + rows.length}` : 'none';
    const of = total > COUNT_CAP ? `more than ${COUNT_CAP}` : String(total);
    if (!(await this.recorded(res, viewer, 'ui-search', [...filtersAsArguments(f), '--offset', String(offset), '--limit', String(limit)], 'success', `${rows.length} rows (${shown} of ${of})`))) return;
    sendJson(res, 200, {
      rows: rows.map(({ record, ...r }) => ({ ...r, body: bodyOf(record) })),
      offset, limit, total: Math.min(total, COUNT_CAP), totalCapped: total > COUNT_CAP, timeline: tl,
    });
  }

  private async record(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const uid = uidParam(q);
    const d = await findRecord(this.src.pool, uid, viewer);
    if (!d) {
      await this.recorded(res, viewer, 'ui-record', ['--uid', uid], 'failure', 'no such record in scope');
      return sendJson(res, 404, { error: `no record with uid ${JSON.stringify(uid)}${viewer.tenant !== null ? ` for tenant ${JSON.stringify(viewer.tenant)}` : ''}` });
    }
    if (!(await this.recorded(res, viewer, 'ui-record', ['--uid', uid], 'success', `opened ${d.row.event_name} ${uid} (chain ${d.position.chain} seq ${d.position.seq})`))) return;
    sendJson(res, 200, { ...d, proofAvailable: Boolean(this.src.checkpoints) });
  }

  private async verification(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const d = await findRecord(this.src.pool, uidParam(q), viewer);
    if (!d) return sendJson(res, 404, { error: 'no such record' });
    sendJson(res, 200, await verifyRecord(this.src.pool, d, viewer, this.src.checkpoints));
  }

  private async trace(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    // Only the trace of a record in scope: a tenant token cannot read arbitrary traces through the viewer.
    const d = await findRecord(this.src.pool, uidParam(q), viewer);
    if (!d) return sendJson(res, 404, { error: 'no such record' });
    sendJson(res, 200, { ...(await lookupTrace(d.row.trace_id, this.src.jaeger)), recordSpanId: d.row.span_id });
  }

  private async proof(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const uid = uidParam(q);
    if (!this.src.checkpoints) return sendJson(res, 404, { error: 'no checkpoints configured (start the viewer with --checkpoints DIR --pubkey KEY)' });
    const d = await findRecord(this.src.pool, uid, viewer);
    if (!d) return sendJson(res, 404, { error: 'no such record' });
    let made: Awaited<ReturnType<typeof prove>>;
    try {
      made = await prove(this.src.pool, { uid, ...this.src.checkpoints });
    } catch (err) {
      await this.recorded(res, viewer, 'ui-proof', ['--uid', uid], 'failure', errorLine(err));
      if (err instanceof ProofError) return sendJson(res, 409, { error: err.message });
      throw err;
    }
    if (!(await this.recorded(res, viewer, 'ui-proof', ['--uid', uid], 'success', `proof of ${uid} against checkpoint ${made.checkpoint}`))) return;
    const text = JSON.stringify(made.proof, null, 1) + '\n';
    res.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${safeFileName(`proof-${uid}`)}.json"`,
    });
    res.end(text);
  }

  private async export(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const format = q.get('format');
    if (format !== 'csv' && format !== 'ndjson') throw new BadRequest(`format ${JSON.stringify(format)}: expected csv or ndjson`);
    const f: SearchFilters = parseFilters(q);
    const args = ['--format', format, ...filtersAsArguments(f)];
    const limit = this.src.exportLimit;
    const run = await startExport(this.src.pool, f, viewer, format as ExportFormat, limit);
    if (run.rows > limit) {
      await run.abandon();
      await this.recorded(res, viewer, 'ui-export', args, 'failure', `refused: more than ${limit} rows`);
      return sendJson(res, 413, { error: `more than ${limit} rows match: narrow the search (the export limit is --export-limit ${limit})` });
    }
    if (!(await this.recorded(res, viewer, 'ui-export', args, 'success', `exported ${run.rows} rows as ${format}`))) {
      await run.abandon();
      return;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    res.writeHead(200, {
      ...securityHeaders(),
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="audit-${stamp}.${format}"`,
      'X-Audit-Rows': String(run.rows),
    });
    await run.write((chunk) => new Promise<void>((resolve, reject) => {
      if (res.destroyed) return reject(new Error('the client went away during the export'));
      if (res.write(chunk)) resolve();
      else res.once('drain', resolve);
    })).catch((err) => {
      this.src.log(`domain-otel-audit ui: export interrupted: ${errorLine(err)}`);
      res.destroy();
    });
    res.end();
  }

  private async metrics(res: ServerResponse, viewer: Viewer, q: URLSearchParams): Promise<void> {
    const f = parseFilters(q);
    const to = f.to ?? new Date();
    const from = f.from ?? new Date(to.getTime() - 3600_000);
    sendJson(res, 200, await lookupMetrics(this.src.prometheusUrl, { from, to }, viewer.tenant !== null));
  }
}

function uidParam(q: URLSearchParams): string {
  const uid = q.get('uid');
  if (!uid || uid.length > 1024) throw new BadRequest('uid: expected the uid of a record');
  return uid;
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new BadRequest(`${name} ${JSON.stringify(v.slice(0, 20))}: expected an integer from ${min} to ${max}`);
  return Number(v);
}

/** A search row's body: the record's body as text, cut at 300 characters. */
function bodyOf(record: unknown): string | null {
  const b = (record as { body?: unknown } | null)?.body;
  return b === undefined || b === null ? null : typeof b === 'string' ? b.slice(0, 300) : JSON.stringify(b).slice(0, 300);
}

function safeFileName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 120);
}
