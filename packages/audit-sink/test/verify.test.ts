import assert from 'node:assert/strict';
import { Client } from 'pg';
import { contentHash, rowHash } from '../src';
import { GUARD_EVENT_TRIGGERS } from '../src/migrate';
import { cli } from './helpers/cli-run';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';


describe('audit-sink hash chain: verify finds the first broken link', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  let su: Client;
  const uids: Record<string, string[]> = {};

  /** Five records in the given month, sent in order, in one chain. */
  async function seed(month: string) {
    const specs = [1, 2, 3, 4, 5].map((d) => decision({ 'user.id': `user-${d}` }, { timestamp: new Date(`${month}-0${d}T10:00:00Z`) }));
    uids[month] = specs.map((s) => (s.attributes as Record<string, string>)['log.record.uid']!);
    assertExported(await exportWith('proto', sink.url, await sdkRecords(specs, { 'service.name': 'verify' })));
  }

  /** Run SQL as superuser with the append-only triggers switched off (what an attacker with superuser can do). */
  async function tamper(sql: string, params: unknown[] = []) {
    await su.query('BEGIN');
    await su.query('SET LOCAL session_replication_role = replica');
    await su.query(sql, params);
    await su.query('COMMIT');
  }

  before(async () => {
    sink = await startSink();
    su = new Client({ connectionString: sink.adminUrl });
    await su.connect();
    // This suite plays a superuser who first switches off the DDL guard (which refuses DISABLE
    // TRIGGER and DROP; see ddl-guard.test.ts): what remains is for the hash chain to find.
    for (const t of GUARD_EVENT_TRIGGERS) await su.query(`ALTER EVENT TRIGGER ${t} DISABLE`);
    for (const m of ['2020-01', '2020-02', '2020-03', '2020-04', '2020-05', '2020-06', '2020-07', '2020-08']) await seed(m);
  });
  after(async () => {
    await su?.end();
    await sink?.close();
  });

  const db = () => ['--database-url', sink.adminUrl];

  it('an untouched database verifies, with the heads printed', async () => {
    const r = await cli(['verify', ...db()]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^chain 2020-01#0: ok, 5 rows, head 2020-01#0:5:[0-9a-f]{64}$/m);
    assert.match(r.out, /^segment \d{4}-\d{2}: ok, empty \(8 chains\)$/m, 'the months created ahead are empty');
    assert.match(r.err, /verify: OK \(\d+ segments, \d+ chains, 40 rows\)/);
  });

  it('reports a row changed by a superuser with the triggers disabled (ALTER TABLE … DISABLE TRIGGER)', async () => {
    const head = (await cli(['verify', ...db(), '--chain', '2020-07'])).out.match(/head (\S+)/)![1]!;

    await su.query('ALTER TABLE domain_otel_audit.records_2020_01_default DISABLE TRIGGER USER');
    await su.query(`UPDATE domain_otel_audit.records_2020_01_default SET user_id = 'mallory' WHERE seq = 3`);
    await su.query('ALTER TABLE domain_otel_audit.records_2020_01_default ENABLE TRIGGER USER');

    const r = await cli(['verify', ...db()]);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`^chain 2020-01#0: BROKEN at seq 3 \\(uid ${uids['2020-01']![2]}\\): content does not match content_hash \\(row altered\\)$`, 'm'));
    assert.match(r.err, new RegExp(`verify: FAILED: chain 2020-01#0 seq 3 uid ${uids['2020-01']![2]}: content does not match`));
    assert.match(r.out, /^chain 2020-08#0: ok, 5 rows/m, 'other chains still verified');

    // A change deep inside the jsonb record.
    await tamper(`UPDATE domain_otel_audit.records_2020_02_default SET record = jsonb_set(record, '{attributes,domain.audit.outcome}', '"denied"') WHERE seq = 2`);
    // A deleted row.
    await tamper(`DELETE FROM domain_otel_audit.records_2020_03_default WHERE seq = 2`);
    // A changed column with content_hash recomputed: the row hash no longer matches.
    const row4 = (await su.query(`SELECT * FROM domain_otel_audit.records_2020_04_default WHERE seq = 2`)).rows[0];
    const forged4 = contentHash({ ...row4, action: 'read', time_unix_nano: String(row4.time_unix_nano), received_at: row4.received_at.toISOString() });
    await tamper(`UPDATE domain_otel_audit.records_2020_04_default SET action = 'read', content_hash = $1 WHERE seq = 2`, [forged4]);
    // content_hash and row_hash recomputed: the next row's prev_hash no longer matches.
    const row5 = (await su.query(`SELECT * FROM domain_otel_audit.records_2020_05_default WHERE seq = 2`)).rows[0];
    const forged5 = contentHash({ ...row5, action: 'read', time_unix_nano: String(row5.time_unix_nano), received_at: row5.received_at.toISOString() });
    await tamper(`UPDATE domain_otel_audit.records_2020_05_default SET action = 'read', content_hash = $1, row_hash = $2 WHERE seq = 2`, [
      forged5,
      rowHash('2020-05#0', 2, row5.prev_hash, forged5),
    ]);
    // Only the derived time column moved (to hide a row from time-range queries).
    await tamper(`UPDATE domain_otel_audit.records_2020_06_default SET time = time + interval '1 day' WHERE seq = 4`);
    // The newest row removed: invisible from inside the chain, caught with the head recorded before.
    await tamper(`DELETE FROM domain_otel_audit.records_2020_07_default WHERE seq = 5`);

    const all = await cli(['verify', ...db(), '--json']);
    assert.equal(all.code, 1);
    const report = JSON.parse(all.out);
    const byChain = Object.fromEntries(report.problems.map((p: { chain: string }) => [p.chain, p]));
    assert.deepEqual(
      Object.fromEntries(Object.entries(byChain).map(([c, p]) => [c, [(p as { kind: string }).kind, (p as { seq?: string }).seq]])),
      {
        '2020-01#0': ['content', '3'],
        '2020-02#0': ['content', '2'],
        '2020-03#0': ['gap', '3'],
        '2020-04#0': ['row_hash', '2'],
        '2020-05#0': ['link', '3'],
        '2020-06#0': ['time', '4'],
      },
    );
    assert.equal(report.chains.find((c: { chain: string }) => c.chain === '2020-07#0').status, 'ok');

    const withHead = await cli(['verify', ...db(), '--chain', '2020-07', '--expect-head', head]);
    assert.equal(withHead.code, 1);
    assert.match(withHead.out, /chain 2020-07#0: BROKEN: expected head seq 5 hash [0-9a-f]{64}, found seq 4/);
    const okChain = await cli(['verify', ...db(), '--chain', '2020-08']);
    assert.equal(okChain.code, 0);
  });

  it('reports a partition dropped outside of retention', async () => {
    await su.query(`DROP TABLE domain_otel_audit.records_2020_08`);
    const r = await cli(['verify', ...db(), '--chain', '2020-08']);
    assert.equal(r.code, 1);
    assert.match(r.out, /segment 2020-08: BROKEN: partition records_2020_08_default is missing and was not retired/);
  });

  it('exits 2 with one line for bad arguments, 3 when the database is unreachable', async () => {
    const bad = await cli(['verify', ...db(), '--chain', '2020-13']);
    assert.equal(bad.code, 2);
    assert.equal(bad.err, 'domain-otel-audit: --chain "2020-13": expected a month such as 2025-11, a segment such as 2025-11/acme or a chain such as 2025-11#3\n');
    const head = await cli(['verify', ...db(), '--expect-head', 'abc']);
    assert.equal(head.code, 2);
    assert.match(head.err, /--expect-head "abc": expected CHAIN:SEQ:HASH/);
    const down = await cli(['verify', '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
    assert.equal(down.code, 3);
    assert.match(down.err, /^domain-otel-audit verify: .*ECONNREFUSED/);
    assert.equal(down.err.trim().split('\n').length, 1);
  });
});
