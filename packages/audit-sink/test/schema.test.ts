import assert from 'node:assert/strict';
import { Client, Pool } from 'pg';
import { migrate } from '../src';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';

function monthOf(d: Date, plus: number): string {
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1));
  return m.toISOString().slice(0, 7);
}

describe('audit-sink schema: partitions, roles, append-only enforcement', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  /** The current month (LIST-partitioned by tenant) and its shared segment (the leaf rows go to). */
  let month: string;
  let partition: string;

  before(async () => {
    sink = await startSink();
    assertExported(
      await exportWith('proto', sink.url, await sdkRecords([decision(), decision(), decision()], { 'service.name': 'schema' })),
    );
    const now = new Date();
    month = `domain_otel_audit.records_${monthOf(now, 0).replace('-', '_')}`;
    partition = `${month}_default`;
  });
  after(async () => {
    await sink?.close();
  });

  async function as(url: string, sql: string): Promise<unknown> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  }

  async function rejects(url: string, sql: string, pattern: RegExp, code?: string) {
    await assert.rejects(as(url, sql), (err: { message: string; code: string }) => {
      assert.match(err.message, pattern, sql);
      if (code) assert.equal(err.code, code, sql);
      return true;
    });
  }

  it('migrate creates the current month and the next 3 ahead, and a second run changes nothing', async () => {
    const now = new Date();
    const expected = [0, 1, 2, 3].map((i) => monthOf(now, i));
    const chains = (await sink.admin.query<{ chain: string }>('SELECT chain FROM domain_otel_audit.chains ORDER BY chain')).rows.map((r) => r.chain);
    for (const c of expected) assert.ok(chains.includes(c), `chain ${c} created ahead`);
    const parts = await sink.admin.query(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'domain_otel_audit.records'::regclass`,
    );
    const again = await migrate(sink.admin);
    assert.deepEqual(again.applied, []);
    assert.deepEqual(again.partitions, expected);
    const parts2 = await sink.admin.query(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'domain_otel_audit.records'::regclass`,
    );
    assert.equal(parts2.rows[0].n, parts.rows[0].n);
  });

  it('has the indexes the query CLI relies on', async () => {
    const r = await sink.admin.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = 'domain_otel_audit' AND tablename = 'records'`,
    );
    const defs = r.rows.map((x) => x.indexdef).join('\n');
    for (const cols of ['(user_id, "time")', '(tenant_id, "time")', '(manager, entity_id, "time")', '("time")', '(trace_id)']) {
      assert.ok(defs.includes(cols), `index on ${cols}`);
    }
    const chainKey = await sink.admin.query(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [
      partition.split('.')[1] + '_chain_key',
    ]);
    assert.match(chainKey.rows[0].indexdef, /UNIQUE INDEX .* \(stream, seq\)/);
  });

  it('the writer role can INSERT and SELECT only: UPDATE, DELETE, TRUNCATE, DDL are refused', async () => {
    const w = sink.writerUrl;
    await as(w, 'SELECT count(*) FROM domain_otel_audit.records');
    for (const sql of [
      `UPDATE domain_otel_audit.records SET action = 'x'`,
      `DELETE FROM domain_otel_audit.records`,
      `TRUNCATE domain_otel_audit.records`,
      `UPDATE ${partition} SET action = 'x'`,
      `DELETE FROM ${partition}`,
      `TRUNCATE ${partition}`,
      `UPDATE ${month} SET action = 'x'`,
      `DELETE FROM ${month}`,
      `TRUNCATE ${month}`,
      `DELETE FROM domain_otel_audit.record_uids`,
      `DROP TABLE ${partition}`,
      `DROP TABLE ${month}`,
      `ALTER TABLE ${month} DETACH PARTITION ${partition}`,
      `UPDATE domain_otel_audit.settings SET value = '1'`,
      `INSERT INTO domain_otel_audit.tenant_partitions VALUES ('x', 99)`,
      `ALTER TABLE domain_otel_audit.records DISABLE TRIGGER ALL`,
      `CREATE TABLE domain_otel_audit.x (a int)`,
    ]) {
      await rejects(w, sql, /permission denied|must be owner/, '42501');
    }
  });

  it('the reader role can SELECT only', async () => {
    await as(sink.readerUrl, 'SELECT count(*) FROM domain_otel_audit.records');
    await rejects(sink.readerUrl, `INSERT INTO domain_otel_audit.record_uids VALUES ('x', '2020-01')`, /permission denied/, '42501');
    await rejects(sink.readerUrl, `SELECT domain_otel_audit.ensure_partition('2001-01-01')`, /permission denied/, '42501');
  });

  it('triggers reject UPDATE, DELETE and TRUNCATE for a superuser too, on the table and on each partition', async () => {
    const su = sink.adminUrl;
    for (const sql of [
      `UPDATE domain_otel_audit.records SET action = 'x'`,
      `DELETE FROM domain_otel_audit.records`,
      `DELETE FROM domain_otel_audit.records WHERE false`,
      `TRUNCATE domain_otel_audit.records`,
      `UPDATE ${partition} SET action = 'x'`,
      `DELETE FROM ${partition} WHERE seq = 1`,
      `TRUNCATE ${partition}`,
      `UPDATE ${month} SET action = 'x'`,
      `DELETE FROM ${month} WHERE false`,
      `TRUNCATE ${month}`,
      `UPDATE domain_otel_audit.chains SET partition_name = 'x'`,
      `DELETE FROM domain_otel_audit.tenant_partitions`,
      `DELETE FROM domain_otel_audit.retired_chains`,
    ]) {
      await rejects(su, sql, /is append-only: (UPDATE|DELETE|TRUNCATE) is not allowed/, '42501');
    }
    const n = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE service = 'schema'`);
    assert.equal(n.rows[0].n, 3);
  });

  it('a new partition created on demand by the writer gets the same protection', async () => {
    assertExported(await exportWith('json', sink.url, await sdkRecords([decision({}, { timestamp: new Date('2021-06-01T00:00:00Z') })])));
    for (const table of ['records_2021_06', 'records_2021_06_default']) {
      await rejects(sink.adminUrl, `TRUNCATE domain_otel_audit.${table}`, /append-only/, '42501');
      await rejects(sink.adminUrl, `DELETE FROM domain_otel_audit.${table}`, /append-only/, '42501');
      await rejects(sink.adminUrl, `UPDATE domain_otel_audit.${table} SET uid = 'x'`, /append-only/, '42501');
      const owner = await sink.admin.query(`SELECT tableowner FROM pg_tables WHERE tablename = $1`, [table]);
      assert.equal(owner.rows[0].tableowner, 'postgres', `${table} owned by the schema owner, not the writer`);
    }
  });

  it('every chain stays linear when many requests append at once', async () => {
    const pool = new Pool({ connectionString: sink.adminUrl });
    const batches = await Promise.all(Array.from({ length: 20 }, () => sdkRecords([decision(), decision(), decision(), decision()])));
    const results = await Promise.all(batches.map((b, i) => exportWith(i % 2 ? 'json' : 'proto', sink.url, b)));
    results.forEach(assertExported);
    const r = await pool.query(
      `SELECT stream, count(*)::int AS n, min(seq)::int AS lo, max(seq)::int AS hi FROM ${partition} GROUP BY stream`);
    for (const c of r.rows) {
      assert.equal(c.lo, 1, `stream ${c.stream} starts at seq 1`);
      assert.equal(c.hi, c.n, `stream ${c.stream}: seq 1..n without gaps or duplicates`);
    }
    assert.equal(r.rows.reduce((a, c) => a + c.n, 0), 3 + 80);
    await pool.end();
  });
});
