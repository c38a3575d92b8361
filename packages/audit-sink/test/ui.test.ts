/**
 * Issue 17's "done when": the audit viewer in a real browser (Debian's Chromium through
 * playwright-core) over a real sink, real Postgres and the real Jaeger binary — search, open a
 * record, download its proof, export CSV — asserting what is on screen, what is in the files, and
 * that each view and export was itself appended as an access record.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { BUILD_TIMEOUT_MS, freePorts } from '../../../test/collector/helpers';
import { createPool } from '../src';
import { CSV_COLUMNS } from '../src/query';
import { parseTokenFile } from '../src/ui/auth';
import { ViewerServer } from '../src/ui/server';
import { launchChromium, type Browser } from './helpers/browser';
import { cli } from './helpers/cli-run';
import { ACME_TOKEN, AUDITOR_TOKEN, startViewerScenario, type ViewerScenario } from './helpers/viewer-scenario';

/** Python's csv module, a CSV reader that is not ours, reads the file back. */
function parseCsv(text: string): string[][] {
  return JSON.parse(execFileSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.reader(sys.stdin))))'], { input: text, encoding: 'utf8' }));
}

interface AccessRow { action: string; user_id: string; args: string[]; result: string; outcome: string }

async function accessRecords(s: ViewerScenario, command: string): Promise<AccessRow[]> {
  const r = await s.reader.query(
    `SELECT action, user_id, record->'attributes'->'domain.audit.access.arguments' AS args,
            record->'attributes'->>'domain.audit.access.result' AS result, outcome
       FROM domain_otel_audit.records WHERE event_name = 'domain.audit.access' AND action = $1 ORDER BY time, seq`,
    [command],
  );
  return r.rows as AccessRow[];
}

describe('audit viewer in Chromium: search, record, proof, export, access records', function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let s: ViewerScenario;
  let browser: Browser;
  let page: Page;

  before(async function () {
    s = await startViewerScenario();
    browser = await launchChromium();
    page = await browser.context.newPage();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const rowUids = () => page.$$eval('[data-testid=results] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-uid')));
  const totals = () => page.textContent('[data-testid=timeline-totals]');

  async function search(fields: Record<string, string>): Promise<void> {
    await page.click('[data-testid=search-form] button.secondary'); // Clear
    for (const [name, value] of Object.entries(fields)) {
      const el = page.locator(`[data-testid=search-form] [name=${name}]`);
      if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
      else await el.fill(value);
    }
    await page.click('[data-testid=search-form] button[type=submit]');
    // the results shown are those of the search in the address (not of the Clear before it)
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLElement>('[data-testid=result-count]');
      return c !== null && location.hash.includes('?') && c.dataset['for'] === location.hash;
    });
  }

  it('a first visit with ?token= logs in: an HttpOnly SameSite=Strict session cookie, the token gone from the address', async () => {
    await page.goto(`${s.url}/?token=${AUDITOR_TOKEN}`);
    assert.equal(page.url(), `${s.url}/`);
    await page.waitForSelector('[data-testid=results] tbody tr');
    assert.equal(await page.textContent('[data-testid=who]'), 'auditor · all tenants');
    const cookies = await browser.context.cookies(s.url);
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]!.httpOnly, true);
    assert.equal(cookies[0]!.sameSite, 'Strict');
    assert.ok(!cookies[0]!.value.includes(AUDITOR_TOKEN));
    // Every record of every tenant (30), newest first; the access records are not listed.
    assert.equal(await page.textContent('[data-testid=result-count]'), `Records 1–${s.total} of ${s.total}`);
  });

  it('searches by user, then by outcome: exactly the matching rows, and a timeline where denials stand out', async () => {
    await search({ user: '42' });
    assert.deepEqual(new Set(await rowUids()), new Set([s.uids.granted, s.uids.mutation, s.uids.csvHostile]));
    assert.equal(await page.textContent('[data-testid=result-count]'), 'Records 1–3 of 3');
    assert.match((await totals())!, /denied 0.*granted 2.*mutations 1/);
    assert.equal(await page.locator('.total-denied.alarm').count(), 0);

    await search({ outcome: 'denied' });
    const denied = await rowUids();
    assert.equal(denied.length, 6);
    assert.ok(denied.includes(s.uids.denied) && denied.includes(s.uids.globexDenied));
    assert.deepEqual(await page.$$eval('[data-testid=results] tbody tr .badge', (b) => [...new Set(b.map((x) => x.textContent))]), ['denied']);
    assert.match((await totals())!, /denied 6/);
    assert.equal(await page.locator('.total-denied.alarm').count(), 1);
    assert.equal(await page.locator('[data-testid=timeline] canvas').count(), 1, 'uPlot drew the timeline');

    await search({ manager: 'InvoiceManager', entity: '8', action: 'delete' });
    assert.deepEqual(new Set(await rowUids()), new Set([s.uids.denied, s.uids.bypassed]));
    await search({ trace: s.traceId });
    assert.deepEqual(new Set(await rowUids()), new Set([s.uids.granted, s.uids.mutation]));
    await search({ uid: s.uids.bypassed });
    assert.deepEqual(await rowUids(), [s.uids.bypassed]);
  });

  it('opens a record: the whole record, changes old → new with the redacted field marked, chain position, verification, checkpoint, the trace from Jaeger', async () => {
    await search({ user: '42' });
    await page.click(`tr[data-uid="${s.uids.mutation}"] a`);
    await page.waitForSelector('[data-testid=record]');
    assert.equal(await page.textContent('[data-testid=record-body]'), 'InvoiceManager updated invoice 7');
    const change = (field: string) => page.locator(`[data-testid=changes] tr[data-field=${field}] td`).allTextContents();
    assert.deepEqual(await change('status'), ['status', 'draft', '→', 'approved']);
    assert.deepEqual(await change('total'), ['total', '100', '→', '120.5']);
    assert.deepEqual(await change('card_number'), ['card_number', 'redacted', '→', 'redacted']);
    assert.equal(await page.locator('[data-testid=changes] tr.is-redacted[data-field=card_number] .redacted').count(), 2);
    assert.equal(await page.locator('[data-testid=changes] tr.is-redacted').count(), 1);

    const db = (await s.reader.query(`SELECT seq::text AS seq, encode(row_hash, 'hex') AS row_hash, encode(prev_hash, 'hex') AS prev_hash FROM domain_otel_audit.records WHERE uid = $1`, [s.uids.mutation])).rows[0];
    const position = await page.textContent('[data-testid=position]');
    assert.ok(position!.includes(`Seq${db.seq}`), position!);
    assert.ok(position!.includes(db.row_hash) && position!.includes(db.prev_hash));

    await page.waitForSelector('[data-testid=verification] li.ok >> nth=1');
    const checks = await page.locator('[data-testid=verification] li').allTextContents();
    assert.match(checks[0]!, /^Chain verified from its genesis hash to seq \d+ \(\d+ rows recomputed\), this record included\.$/);
    assert.match(checks[1]!, /^Covered by signed checkpoint 1 \(audit\.example\/viewer, .*\): its head for this chain, seq \d+, matches the database\.$/);

    await page.waitForSelector('[data-testid=waterfall]');
    const spans = await page.locator('[data-testid=waterfall] .wf-name').allTextContents();
    assert.deepEqual(spans.map((x) => x.replace(/\s*\[billing\]|this record/g, '').trim()), [
      'POST /invoices/:id/approve', 'casl authorize update Invoice', 'InvoiceManager.update', 'pg.query UPDATE invoices',
    ]);
    assert.equal(await page.locator(`[data-testid=waterfall] .wf-row.wf-mine[data-span="${s.updateSpanId}"]`).count(), 1);
    assert.equal(await page.getAttribute('[data-testid=jaeger-link]', 'href'), `${s.jaegerQueryUrl}/trace/${s.traceId}`);
  });

  it('downloads the record\'s inclusion proof, which verify-proof accepts offline', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-proof]')]);
    const file = path.join(browser.downloads, 'proof.json');
    await download.saveAs(file);
    const proof = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(proof.record.uid, s.uids.mutation);
    const r = await cli(['verify-proof', file, '--pubkey', s.verifierText]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^proof OK: record ${s.uids.mutation} `));
  });

  it('exports the search as CSV: every matching row, quoted so that a CSV reader gets the values back exactly', async () => {
    await page.goto(`${s.url}/#/?user=42`);
    await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.textContent === 'Records 1–3 of 3');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
    assert.match(download.suggestedFilename(), /^audit-\d{8}T\d{6}Z\.csv$/);
    const file = path.join(browser.downloads, 'export.csv');
    await download.saveAs(file);
    const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
    assert.deepEqual(header, [...CSV_COLUMNS]);
    assert.equal(rows.length, 3);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const hostile = rows.find((r) => r[col('uid')] === s.uids.csvHostile)!;
    assert.equal(hostile[col('entity_id')], s.csvHostileEntity);
    assert.equal(JSON.parse(hostile[col('record')]!).body, 'a body with "quotes", commas\nand a line break');
    const ndjson = (await cli(['query', '--database-url', s.sink.readerUrl, '--user', '42', '--desc', '--ndjson'])).out.trim().split('\n').map((l) => JSON.parse(l));
    for (const [i, r] of rows.entries()) {
      assert.equal(r[col('uid')], ndjson[i].uid);
      assert.equal(r[col('time')], ndjson[i].time);
      assert.equal(r[col('seq')], ndjson[i].seq);
      assert.deepEqual(JSON.parse(r[col('record')]!), ndjson[i].record);
    }
  });

  it('every search, record view, proof and export was appended as an access record: the token\'s name, the filters, the uid, the format and row count', async () => {
    const searches = await accessRecords(s, 'ui-search');
    const byUser = searches.find((a) => a.args.includes('--user') && a.args[a.args.indexOf('--user') + 1] === '42' && a.args.length === 10);
    assert.ok(byUser, JSON.stringify(searches.map((a) => a.args)));
    assert.deepEqual(byUser.args, ['--viewer', 'auditor', '--scope', 'all-tenants', '--user', '42', '--offset', '0', '--limit', '50']);
    assert.equal(byUser.result, '3 rows (1-3 of 3)');
    assert.equal(byUser.user_id, 'audit_sink_reader', 'the database login the viewer uses');
    assert.ok(searches.some((a) => a.args.join(' ').includes('--outcome denied') && a.result === '6 rows (1-6 of 6)'));

    const opened = await accessRecords(s, 'ui-record');
    assert.ok(opened.some((a) => a.args.join(' ') === `--viewer auditor --scope all-tenants --uid ${s.uids.mutation}` && a.outcome === 'success'));
    const proofs = await accessRecords(s, 'ui-proof');
    assert.equal(proofs.length, 1);
    assert.equal(proofs[0]!.result, `proof of ${s.uids.mutation} against checkpoint 1`);
    const exports = await accessRecords(s, 'ui-export');
    assert.deepEqual(exports.map((a) => [a.args, a.result]), [[['--viewer', 'auditor', '--scope', 'all-tenants', '--format', 'csv', '--user', '42'], 'exported 3 rows as csv']]);

    // Access records are chained like every row: the whole log still verifies.
    const v = await cli(['verify', '--database-url', s.sink.readerUrl]);
    assert.equal(v.code, 0, v.out + v.err);
  });

  it('a tenant-scoped token sees only its tenant, in the table and in the tenant field', async () => {
    await page.click('header .logout button');
    await page.waitForSelector('form[action="/login"]');
    await page.fill('input[name=token]', ACME_TOKEN);
    await page.click('form[action="/login"] button');
    await page.waitForSelector('[data-testid=results] tbody tr');
    assert.equal(await page.textContent('[data-testid=who]'), 'acme-admin · tenant acme');
    assert.equal(await page.textContent('[data-testid=result-count]'), `Records 1–${s.acmeTotal} of ${s.acmeTotal}`);
    const tenants = await page.$$eval('[data-testid=results] tbody tr td:nth-child(8)', (tds) => [...new Set(tds.map((t) => t.textContent))]);
    assert.deepEqual(tenants, ['acme']);
    assert.equal(await page.locator('[name=tenant]').isDisabled(), true);
    assert.equal(await page.inputValue('[name=tenant]'), 'acme');
    await page.goto(`${s.url}/#/record?uid=${encodeURIComponent(s.uids.globexDenied)}`);
    assert.match((await page.waitForSelector('[data-testid=record-error]').then((e) => e.textContent()))!, /no record with uid .* for tenant "acme"/);
  });

  it('with Jaeger not reachable, the record view says so and still shows the record', async () => {
    const [port] = await freePorts(1);
    const pool = createPool({ connectionString: s.sink.readerUrl, max: 2, timeoutMs: 5000 });
    const other = new ViewerServer({ pool, tokens: parseTokenFile(`${AUDITOR_TOKEN} name=auditor\n`, 'tokens'), port: 0, jaeger: { apiUrl: `http://127.0.0.1:${port}`, uiUrl: `http://127.0.0.1:${port}` }, log: () => {} });
    await other.listen();
    try {
      await page.goto(`${other.url}/?token=${AUDITOR_TOKEN}`);
      await page.goto(`${other.url}/#/record?uid=${encodeURIComponent(s.uids.granted)}`);
      const msg = await page.waitForSelector('[data-testid=trace-message]').then((e) => e.textContent());
      assert.match(msg!, new RegExp(`^Jaeger not reachable at http://127\\.0\\.0\\.1:${port} \\(`));
      assert.equal(await page.textContent('[data-testid=record-body]'), 'user 42 was granted update on InvoiceManager 7');
      assert.match((await page.textContent('[data-testid=verification]'))!, /Chain verified/);
      assert.match((await page.textContent('[data-testid=verification]'))!, /No signed checkpoints configured/);
    } finally {
      await other.close();
      await pool.end();
    }
  });
});
