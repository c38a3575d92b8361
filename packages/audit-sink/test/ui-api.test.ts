/**
 * The audit viewer's server without a browser: login and sessions, security headers, tenant scope
 * enforced by the server whatever the request says, filters and paging, exports (CSV read back by
 * Python's csv module, the export limit), "nothing shown without an access record", `query --csv`,
 * and the `ui` / `serve --ui` command lines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '../src';
import { CSV_COLUMNS } from '../src/query';
import { runCli } from '../src/cli';
import { parseTokenFile } from '../src/ui/auth';
import { ViewerServer } from '../src/ui/server';
import { cli } from './helpers/cli-run';
import { TOKEN } from './helpers/sink-fixture';
import { ACME_TOKEN, AUDITOR_TOKEN, startViewerScenario, type ViewerScenario } from './helpers/viewer-scenario';

function parseCsv(text: string): string[][] {
  return JSON.parse(execFileSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin))))'], { input: text, encoding: 'utf8' }));
}

describe('audit viewer server: auth, tenant scope, search, export, access records, CLI', function () {
  this.timeout(120_000);
  let s: ViewerScenario;

  before(async () => {
    s = await startViewerScenario({ jaeger: false });
  });
  after(async () => {
    await s?.close();
  });

  const api = (p: string, token: string | null = AUDITOR_TOKEN, init: RequestInit = {}) =>
    fetch(`${s.url}${p}`, { redirect: 'manual', ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });
  const json = async (p: string, token: string | null = AUDITOR_TOKEN) => {
    const r = await api(p, token);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & { rows: { uid: string; tenant_id: string }[]; error: string; total: number } };
  };

  describe('login and sessions', () => {
    it('without a session: the login form at /, 401 from the API; the sink\'s ingest token is not a viewer token', async () => {
      const page = await api('/', null);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<form method="post" action="\/login">/);
      assert.equal((await json('/api/search', null)).status, 401);
      assert.equal((await json('/api/search', 'not-a-viewer-token-000')).status, 401);
      assert.equal((await json('/api/search', TOKEN)).status, 401);
      const wrong = await api(`/?token=${TOKEN}`, null);
      assert.equal(wrong.status, 401);
      assert.match(await wrong.text(), /That token is not valid for this viewer\./);
      assert.equal(wrong.headers.get('set-cookie'), null);
    });

    it('the login form sets a random HttpOnly SameSite=Strict cookie that opens the API; logout ends it; cross-origin posts are refused', async () => {
      const login = await api('/login', null, { method: 'POST', body: new URLSearchParams({ token: ACME_TOKEN }), headers: { origin: s.url } });
      assert.equal(login.status, 303);
      assert.equal(login.headers.get('location'), '/');
      const cookie = login.headers.get('set-cookie')!;
      assert.match(cookie, /^domain_otel_audit_viewer=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
      assert.ok(!cookie.includes(ACME_TOKEN));
      const session = cookie.split(';')[0]!;
      const me = await api('/api/session', null, { headers: { cookie: session } });
      assert.deepEqual(await me.json(), { identity: 'acme-admin', tenant: 'acme', jaeger: null, prometheus: false, checkpoints: true, exportLimit: 100000 });
      const out = await api('/logout', null, { method: 'POST', headers: { cookie: session, origin: s.url } });
      assert.equal(out.status, 303);
      assert.match(out.headers.get('set-cookie')!, /Max-Age=0/);
      assert.equal((await api('/api/session', null, { headers: { cookie: session } })).status, 401);

      const evil = await api('/login', null, { method: 'POST', body: new URLSearchParams({ token: ACME_TOKEN }), headers: { origin: 'http://evil.example' } });
      assert.equal(evil.status, 403);
      assert.equal(evil.headers.get('set-cookie'), null);
      const bad = await api('/login', null, { method: 'POST', body: new URLSearchParams({ token: 'wrong-token-0123456789' }) });
      assert.equal(bad.status, 401);
    });

    it('every answer carries a strict CSP and no-sniff; the API is read-only; assets are served from the package, not a CDN', async () => {
      for (const p of ['/', '/api/session', '/assets/app.js']) {
        const r = await api(p);
        assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", p);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
        await r.arrayBuffer();
      }
      const html = await (await api('/')).text();
      assert.deepEqual([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]), ['data:,', '/assets/app.css', '/assets/app.js']);
      const js = await (await api('/assets/app.js')).text();
      assert.ok(!/https?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}\/[^"'\s]*\.(js|css)\b/i.test(js), 'no script or stylesheet URL of another host in the bundle');
      assert.equal((await api('/api/search', AUDITOR_TOKEN, { method: 'POST' })).status, 405);
    });
  });

  describe('search', () => {
    it('filters by user, tenant, manager, entity, action, outcome, service, trace, uid and time range', async () => {
      const uids = async (q: string) => new Set((await json(`/api/search?${q}`)).body.rows.map((r) => r.uid));
      assert.deepEqual(await uids('user=42'), new Set([s.uids.granted, s.uids.mutation, s.uids.csvHostile]));
      assert.deepEqual(await uids('manager=InvoiceManager&entity=8'), new Set([s.uids.denied, s.uids.bypassed]));
      assert.deepEqual(await uids('action=delete&outcome=bypassed'), new Set([s.uids.bypassed]));
      assert.deepEqual(await uids('tenant=globex&outcome=denied&manager=InvoiceManager'), new Set([s.uids.globexDenied]));
      assert.deepEqual(await uids(`trace=${s.traceId.toUpperCase()}`), new Set([s.uids.granted, s.uids.mutation]));
      assert.deepEqual(await uids(`uid=${s.uids.mutation}`), new Set([s.uids.mutation]));
      assert.equal((await uids('service=billing')).size, s.total);
      assert.equal((await uids('service=nothing')).size, 0);
      const rows = (await json('/api/search?order=asc&limit=200')).body.rows as unknown as { time: string; uid: string }[];
      const from = rows[1]!.time.slice(0, 19) + 'Z';
      const to = rows[3]!.time.slice(0, 19) + 'Z';
      assert.deepEqual(await uids(`from=${from}&to=${to}&order=asc`), new Set([rows[1]!.uid, rows[2]!.uid]));
      const bad = await json('/api/search?trace=xyz');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'trace "xyz": expected a trace id of 32 hex digits');
      assert.equal((await json('/api/search?from=2025-13-45')).status, 400);
    });

    it('pages: the same order, no row twice, the count of all matches, and a timeline over the range', async () => {
      const seen: string[] = [];
      for (let offset = 0; offset < s.total; offset += 7) {
        const r = await json(`/api/search?limit=7&offset=${offset}`);
        assert.equal(r.body.total, s.total);
        seen.push(...r.body.rows.map((x) => x.uid));
      }
      assert.equal(seen.length, s.total);
      assert.equal(new Set(seen).size, s.total);
      const tl = (await json('/api/search?limit=1')).body.timeline as { series: Record<string, number[]> };
      const sum = (k: string) => tl.series[k]!.reduce((a, b) => a + b, 0);
      assert.deepEqual([sum('granted'), sum('denied'), sum('bypassed'), sum('mutations')], [19, 6, 4, 1]);
    });
  });

  describe('a tenant-scoped token', () => {
    it('sees only its tenant: in searches, counts, timelines, records, traces, proofs and exports', async () => {
      const all = await json('/api/search?limit=200', ACME_TOKEN);
      assert.equal(all.body.total, s.acmeTotal);
      assert.deepEqual([...new Set(all.body.rows.map((r) => r.tenant_id))], ['acme']);
      const outcome = await json('/api/search?outcome=denied&limit=200', ACME_TOKEN);
      assert.ok(outcome.body.rows.every((r) => r.tenant_id === 'acme') && outcome.body.rows.length > 0);
      const tl = outcome.body.timeline as { series: Record<string, number[]> };
      assert.equal(tl.series['denied']!.reduce((a, b) => a + b, 0), outcome.body.rows.length);

      const other = await json('/api/search?tenant=globex', ACME_TOKEN);
      assert.equal(other.status, 403);
      assert.equal(other.body.error, 'tenant "globex": this token sees only tenant "acme"');
      assert.equal((await json(`/api/search?uid=${s.uids.globexDenied}`, ACME_TOKEN)).body.rows.length, 0);
      for (const p of ['/api/record', '/api/record/verification', '/api/record/trace', '/api/record/proof']) {
        assert.equal((await json(`${p}?uid=${s.uids.globexDenied}`, ACME_TOKEN)).status, 404, p);
      }
      assert.equal((await json(`/api/record?uid=${s.uids.denied}`, ACME_TOKEN)).status, 200);
      const ndjson = await (await api('/api/export?format=ndjson', ACME_TOKEN)).text();
      const lines = ndjson.trim().split('\n').map((l) => JSON.parse(l) as { tenant_id: string });
      assert.equal(lines.length, s.acmeTotal);
      assert.ok(lines.every((l) => l.tenant_id === 'acme'));
      assert.equal((await json('/api/metrics', ACME_TOKEN)).body.status, 'hidden');
      // Access records (tenant_id null) are not this tenant's.
      assert.equal((await json('/api/search?event=domain.audit.access', ACME_TOKEN)).body.rows.length, 0);
      assert.ok((await json('/api/search?event=domain.audit.access')).body.rows.length > 0);
    });
  });

  describe('exports and access records', () => {
    it('CSV and NDJSON of the same search hold the same rows; CSV quoting survives commas, quotes and line breaks', async () => {
      const csv = await api('/api/export?format=csv&user=42');
      assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8; header=present');
      assert.equal(csv.headers.get('x-audit-rows'), '3');
      const [header, ...rows] = parseCsv(await csv.text());
      assert.deepEqual(header, [...CSV_COLUMNS]);
      const nd = (await (await api('/api/export?format=ndjson&user=42')).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(rows.length, 3);
      for (const [i, r] of rows.entries()) {
        for (const [j, c] of CSV_COLUMNS.entries()) {
          const want = nd[i]![c];
          assert.equal(r[j], want === null ? '' : typeof want === 'object' ? JSON.stringify(want) : String(want), `${c} of row ${i}`);
        }
      }
      assert.ok(rows.some((r) => r[CSV_COLUMNS.indexOf('entity_id')] === s.csvHostileEntity));
    });

    it('an export larger than the limit is refused with the count, and recorded as a refused access', async () => {
      const pool = createPool({ connectionString: s.sink.readerUrl, max: 2, timeoutMs: 5000 });
      const small = new ViewerServer({ pool, tokens: parseTokenFile(`${AUDITOR_TOKEN} name=small-limit\n`, 'tokens'), port: 0, exportLimit: 5, log: () => {} });
      await small.listen();
      try {
        const r = await fetch(`${small.url}/api/export?format=csv`, { headers: { authorization: `Bearer ${AUDITOR_TOKEN}` } });
        assert.equal(r.status, 413);
        assert.match(((await r.json()) as { error: string }).error, /^more than 5 rows match: narrow the search/);
        const ok = await fetch(`${small.url}/api/export?format=csv&uid=${s.uids.denied}`, { headers: { authorization: `Bearer ${AUDITOR_TOKEN}` } });
        assert.equal(ok.status, 200);
        assert.equal(parseCsv(await ok.text()).length, 2);
      } finally {
        await small.close();
        await pool.end();
      }
      const rec = await s.reader.query(`SELECT outcome, record->'attributes'->>'domain.audit.access.result' AS result FROM domain_otel_audit.records
                                         WHERE action = 'ui-export' AND record->'attributes'->'domain.audit.access.arguments' @> '["small-limit"]' ORDER BY time, seq`);
      assert.deepEqual(rec.rows, [{ outcome: 'failure', result: 'refused: more than 5 rows' }, { outcome: 'success', result: 'exported 1 rows as csv' }]);
    });

    it('nothing is shown when the view cannot be recorded as an access (a login without record_access)', async () => {
      await s.sink.admin.query(`CREATE ROLE viewer_cannot_record LOGIN;
        GRANT USAGE ON SCHEMA domain_otel_audit TO viewer_cannot_record;
        GRANT SELECT ON domain_otel_audit.records, domain_otel_audit.chains TO viewer_cannot_record`);
      const url = s.sink.readerUrl.replace(/\/\/[^@/]+@/, '//viewer_cannot_record@');
      const pool = createPool({ connectionString: url, max: 2, timeoutMs: 5000 });
      const v = new ViewerServer({ pool, tokens: parseTokenFile(`${AUDITOR_TOKEN}\n`, 'tokens'), port: 0, log: () => {} });
      await v.listen();
      try {
        for (const p of ['/api/search?user=42', `/api/record?uid=${s.uids.granted}`, '/api/export?format=csv&user=42']) {
          const r = await fetch(`${v.url}${p}`, { headers: { authorization: `Bearer ${AUDITOR_TOKEN}` } });
          const text = await r.text();
          assert.equal(r.status, 503, p);
          assert.match(text, /not shown: this view could not be recorded as an access/);
          assert.ok(!text.includes(s.uids.granted) && !text.includes('InvoiceManager'), `${p} leaked data: ${text}`);
        }
      } finally {
        await v.close();
        await pool.end();
      }
    });
  });

  describe('command line', () => {
    it('query --csv: RFC 4180 CSV that a CSV reader parses back to the NDJSON values', async () => {
      const csv = await cli(['query', '--database-url', s.sink.readerUrl, '--user', '42', '--csv']);
      assert.equal(csv.code, 0, csv.err);
      assert.ok(csv.out.includes('\r\n'));
      const [header, ...rows] = parseCsv(csv.out);
      assert.deepEqual(header, [...CSV_COLUMNS]);
      const nd = (await cli(['query', '--database-url', s.sink.readerUrl, '--user', '42', '--ndjson'])).out.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(rows.map((r) => r[CSV_COLUMNS.indexOf('entity_id')]), nd.map((r) => r.entity_id));
      assert.ok(rows.some((r) => r[CSV_COLUMNS.indexOf('entity_id')] === s.csvHostileEntity));
      assert.deepEqual(rows.map((r) => JSON.parse(r[CSV_COLUMNS.indexOf('record')]!)), nd.map((r) => r.record));
      const both = await cli(['query', '--database-url', s.sink.readerUrl, '--csv', '--ndjson']);
      assert.equal(both.code, 2);
      assert.equal(both.err, 'domain-otel-audit: query: --ndjson and --csv both choose the output format; use one\n');
    });

    it('ui: one-line errors for missing or bad tokens, a token equal to the ingest token, a bad URL; serve --ui needs a reader login', async () => {
      const file = path.join(s.dir, 'bad-tokens');
      const run = (args: string[], env: Record<string, string> = {}) => cli(['ui', '--database-url', s.sink.readerUrl, '--port', '0', ...args], env);
      assert.equal((await run([])).err, 'domain-otel-audit: ui: no viewer token; pass --token-file PATH (lines: TOKEN [tenant=ID] [name=LABEL]) or set DOMAIN_OTEL_AUDIT_UI_TOKEN\n');
      writeFileSync(file, `${AUDITOR_TOKEN}\nshort\n`);
      assert.equal((await run(['--token-file', file])).err, `domain-otel-audit: --token-file ${file} line 2: expected a token of at least 16 characters (e.g. openssl rand -hex 32), then optional tenant=ID name=LABEL\n`);
      writeFileSync(file, `${AUDITOR_TOKEN} team=acme\n`);
      assert.equal((await run(['--token-file', file])).err, `domain-otel-audit: --token-file ${file} line 1: "team=acme": expected tenant=ID or name=LABEL after the token\n`);
      const same = await run([], { DOMAIN_OTEL_AUDIT_UI_TOKEN: 'shared-token-0123456789', DOMAIN_OTEL_AUDIT_SINK_TOKEN: 'shared-token-0123456789' });
      assert.equal(same.code, 2);
      assert.match(same.err, /a viewer token equals the sink's ingest token/);
      const url = await run(['--jaeger-url', 'ftp://x'], { DOMAIN_OTEL_AUDIT_UI_TOKEN: AUDITOR_TOKEN });
      assert.equal(url.err, 'domain-otel-audit: --jaeger-url "ftp://x": expected an http:// or https:// URL\n');
      const serveUi = await cli(['serve', '--token', 'ingest-token-0123456789', '--ui', '--port', '0'], { DOMAIN_OTEL_AUDIT_UI_TOKEN: AUDITOR_TOKEN });
      assert.equal(serveUi.code, 2);
      assert.match(serveUi.err, /serve --ui: the viewer connects as a reader, not as the sink's writer: pass --ui-database-url/);
      const noUi = await cli(['serve', '--token', 'ingest-token-0123456789', '--ui-port', '0']);
      assert.equal(noUi.err, 'domain-otel-audit: serve: --ui-port goes with --ui\n');
      const sameAsIngest = await cli(['serve', '--token', AUDITOR_TOKEN, '--ui', '--ui-database-url', s.sink.readerUrl], { DOMAIN_OTEL_AUDIT_UI_TOKEN: AUDITOR_TOKEN });
      assert.match(sameAsIngest.err, /a viewer token equals the sink's ingest token/);
    });

    it('ui and serve --ui start the viewer on loopback and stop on the signal', async () => {
      for (const [args, expected] of [
        [['ui', '--database-url', s.sink.readerUrl, '--port', '0', '--tenant', 'acme'], s.acmeTotal],
        [['serve', '--database-url', s.sink.writerUrl, '--token', 'ingest-token-0123456789', '--port', '0', '--workers', '0', '--ui', '--ui-port', '0', '--ui-database-url', s.sink.readerUrl], s.total],
      ] as const) {
        let stop!: () => void;
        const stopSignal = new Promise<void>((r) => (stop = r));
        let err = '';
        const urls: string[] = [];
        const done = runCli([...args], { out: () => {}, err: (x) => (err += x), env: { DOMAIN_OTEL_AUDIT_UI_TOKEN: ACME_TOKEN }, stopSignal, onListening: (u) => urls.push(u) });
        const viewerUrl = await new Promise<string>((resolve, reject) => {
          const t = setInterval(() => {
            const m = /audit viewer on (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
            if (m) { clearInterval(t); resolve(m[1]!); }
          }, 50);
          done.then(() => { clearInterval(t); reject(new Error(`exited: ${err}`)); }, reject);
        });
        const r = await fetch(`${viewerUrl}/api/search?limit=1`, { headers: { authorization: `Bearer ${ACME_TOKEN}` } });
        assert.equal(r.status, 200, err);
        assert.equal(((await r.json()) as { total: number }).total, expected, 'the env token sees every tenant unless ui --tenant scopes it');
        stop();
        assert.equal(await done, 0, err);
        assert.match(err, /audit viewer on http:\/\/127\.0\.0\.1:\d+\/ \(1 token\)/);
      }
    });
  });
});
