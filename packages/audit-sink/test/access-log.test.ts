/**
 * Audit of the audit: each query, verify, retain, checkpoint and prove run appends a
 * `domain.audit.access` record (who — database login, OS user —, what, arguments, result),
 * chained like every other row, so verify and the checkpoints cover it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../src';
import { cli } from './helpers/cli-run';
import { READER_LOGIN, startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, postRecords, sdkRecords } from './helpers/otlp-client';

interface AccessRow {
  uid: string;
  user_id: string;
  action: string;
  outcome: string;
  service: string;
  record: { attributes: Record<string, unknown>; body: string; eventName: string };
}

describe('audit-sink access records: every query, verify, retain, checkpoint and prove run is itself audited', function () {
  this.timeout(180_000);
  let sink: SinkFixture;
  let dir: string;
  const access = async (): Promise<AccessRow[]> =>
    (await sink.admin.query<AccessRow>(`SELECT uid, user_id, action, outcome, service, record FROM domain_otel_audit.records
      WHERE event_name = 'domain.audit.access' ORDER BY time_unix_nano, seq`)).rows;

  before(async () => {
    sink = await startSink();
    dir = mkdtempSync(join(tmpdir(), 'audit-access-'));
    assertExported(await exportWith('proto', sink.url, await sdkRecords([
      decision({ 'user.id': 'alice', 'log.record.uid': 'rec-1' }, { timestamp: new Date('2020-05-01T00:00:00Z') }),
      decision({ 'user.id': 'bob' }),
    ])));
  });
  after(async () => {
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a query by the reader login (which may not INSERT) is recorded under that login, arguments kept, the connection string redacted', async () => {
    const odd = `it's "quoted" \\ back\tslash\nnew line é 😀 \u0001`;
    const r = await cli(['query', '--database-url', sink.readerUrl, '--user', odd, '--ndjson']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    const [row, ...more] = await access();
    assert.equal(more.length, 0);
    assert.equal(row!.user_id, READER_LOGIN);
    assert.equal(row!.action, 'query');
    assert.equal(row!.outcome, 'success');
    assert.equal(row!.service, 'domain-otel-audit');
    assert.equal(row!.record.eventName, 'domain.audit.access');
    assert.deepEqual(row!.record.attributes, {
      'domain.audit.access.command': 'query',
      'domain.audit.access.arguments': ['--database-url', '***', '--user', odd, '--ndjson'],
      'domain.audit.access.outcome': 'success',
      'domain.audit.access.result': '0 rows',
      'process.owner': userInfo().username,
      'host.name': row!.record.attributes['host.name'],
      'user.id': READER_LOGIN,
    });
    assert.match(row!.record.body, new RegExp(`^${READER_LOGIN} \\(${userInfo().username} on \\S+\\) ran domain-otel-audit query: success, 0 rows$`));
    const denied = new Client({ connectionString: sink.readerUrl });
    await denied.connect();
    await assert.rejects(denied.query(`INSERT INTO domain_otel_audit.record_uids VALUES ('x', '2020-01')`), /permission denied/);
    await denied.end();
  });

  it('the access records chain like every row: verify (as the reader) recomputes them; query shows them only when asked', async () => {
    const v = await cli(['verify', '--database-url', sink.readerUrl]);
    assert.equal(v.code, 0, v.out + v.err);
    const rows = await access();
    assert.deepEqual(rows.map((r) => [r.action, r.outcome, r.record.attributes['domain.audit.access.result']]), [
      ['query', 'success', '0 rows'],
      ['verify', 'success', 'OK, 3 rows'],
    ]);
    const plain = await cli(['query', '--database-url', sink.readerUrl, '--since', '1h', '--ndjson']);
    assert.deepEqual(plain.out.trim().split('\n').map((l) => JSON.parse(l).user_id), ['bob'], 'access records are not mixed into the audit trail');
    const asked = await cli(['query', '--database-url', sink.readerUrl, '--event', 'domain.audit.access', '--ndjson']);
    assert.deepEqual(asked.out.trim().split('\n').map((l) => JSON.parse(l).action), ['query', 'verify', 'query']);
  });

  it('retain, checkpoint, prove and a failing verify are recorded too, with how they ended; the checkpoint covers the access records', async () => {
    const key = join(dir, 'k');
    assert.equal((await cli(['keygen', '--name', 'audit.example/access', '--out', key])).code, 0);
    const pub = readFileSync(key + '.pub', 'utf8').trim();
    assert.equal((await cli(['retain', '--database-url', sink.adminUrl, '--older-than', '3650d', '--archive-dir', dir])).code, 0);
    const cp = await cli(['checkpoint', '--database-url', sink.adminUrl, '--dir', join(dir, 'cp'), '--key', key]);
    assert.equal(cp.code, 0, cp.err);
    const proof = await cli(['prove', '--database-url', sink.readerUrl, '--uid', 'rec-1', '--checkpoints', join(dir, 'cp'), '--pubkey', pub]);
    assert.equal(proof.code, 0, proof.err);
    const bad = await cli(['verify', '--database-url', sink.readerUrl, '--expect-head', `2020-05#0:9:${'0'.repeat(64)}`]);
    assert.equal(bad.code, 1);
    const rows = (await access()).slice(4);
    assert.deepEqual(rows.map((r) => [r.user_id, r.action, r.outcome]), [
      ['postgres', 'retain', 'success'],
      ['postgres', 'checkpoint', 'success'],
      [READER_LOGIN, 'prove', 'success'],
      [READER_LOGIN, 'verify', 'failure'],
    ]);
    assert.equal(rows[0]!.record.attributes['domain.audit.access.result'], 'nothing to retire');
    assert.match(String(rows[1]!.record.attributes['domain.audit.access.result']), /^checkpoint 1, \d+ rows \(\d+ new\)$/);
    assert.equal(rows[2]!.record.attributes['domain.audit.access.result'], 'proof of rec-1 against checkpoint 1');
    assert.match(String(rows[3]!.record.attributes['domain.audit.access.result']), /^FAILED: 2020-05#0: expected head seq 9/);
    const v = await cli(['verify', '--database-url', sink.readerUrl, '--checkpoints', join(dir, 'cp'), '--pubkey', pub]);
    assert.equal(v.code, 0, v.out + v.err);
  });

  it('an application cannot send access records: the sink ignores domain.audit.access over OTLP', async () => {
    const before = (await access()).length;
    const forged = await sdkRecords([{ eventName: 'domain.audit.access', body: 'forged', attributes: { 'log.record.uid': 'forged-access', 'user.id': 'auditor' } }]);
    const res = await postRecords(sink.url, forged);
    assert.equal(res.status, 200);
    assert.equal((await access()).length, before);
    const stored = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE uid = 'forged-access'`);
    assert.equal(stored.rows[0].n, 0);
  });

  it('on a read-only database (a hot standby) query and verify read there and append their access record where --access-database-url points (the primary)', async () => {
    // A standby refuses every write, like a session with default_transaction_read_only.
    const standby = `${sink.readerUrl}${sink.readerUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c default_transaction_read_only=on')}`;
    const before = (await access()).length;
    const refused = await cli(['query', '--database-url', standby, '--user', 'alice', '--ndjson']);
    assert.equal(refused.code, 3, 'nothing is shown without a record of who asked');
    assert.equal(refused.out, '');
    assert.match(refused.err, /read-only transaction/);

    const q = await cli(['query', '--database-url', standby, '--access-database-url', sink.readerUrl, '--user', 'alice', '--ndjson']);
    assert.equal(q.code, 0, q.err);
    assert.deepEqual(q.out.trim().split('\n').map((l) => JSON.parse(l).uid), ['rec-1']);
    const v = await cli(['verify', '--database-url', standby, '--access-database-url', sink.readerUrl]);
    assert.equal(v.code, 0, v.out + v.err);
    const bad = await cli(['verify', '--database-url', standby, '--access-database-url', 'mysql://x']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--access-database-url "mysql:\/\/x": expected a postgres:\/\/ or postgresql:\/\/ connection string/);

    const added = (await access()).slice(before);
    assert.deepEqual(added.map((r) => [r.action, r.outcome, r.user_id]), [['query', 'success', READER_LOGIN], ['verify', 'success', READER_LOGIN]]);
    assert.deepEqual(added[0]!.record.attributes['domain.audit.access.arguments'], ['--database-url', '***', '--access-database-url', '***', '--user', 'alice', '--ndjson']);
  });

  it('record_access accepts only command names and success/failure; a database without it (schema before version 4) warns and still answers', async () => {
    await assert.rejects(sink.admin.query(`SELECT domain_otel_audit.record_access('DROP TABLE', '{}', 'success', '', 'u', 'h')`), /is not a domain-otel-audit command name/);
    await assert.rejects(sink.admin.query(`SELECT domain_otel_audit.record_access('query', '{}', 'maybe', '', 'u', 'h')`), /neither success nor failure/);
    const db = await sink.pg.createDatabase(`old_schema_${process.pid}`);
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: db, max: 1 });
    await migrate(pool, { upToVersion: 2 });
    await pool.end();
    const r = await cli(['query', '--database-url', db, '--user', 'x']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, 'domain-otel-audit query: warning: this run is not recorded as an access: the database has no record_access() (schema older than version 4: run domain-otel-audit migrate)\n');
  });
});
