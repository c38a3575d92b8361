/**
 * The DDL guard (sql/004, after `-- @superuser`): event triggers that refuse, for the schema
 * owner and for superusers alike, the DDL that could rewrite or remove audit history — unless it
 * is retain dropping a segment it recorded as retired.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { migrate } from '../src';
import { GUARD_EVENT_TRIGGERS, guardInstalled } from '../src/migrate';
import { cli } from './helpers/cli-run';
import { startOwnedSink, type OwnedSink } from './helpers/owned-sink';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';

describe('audit-sink DDL guard: DROP, DETACH, DISABLE TRIGGER, rewrites of audit tables are refused', function () {
  this.timeout(180_000);
  let pg: ThrowawayPostgres;
  let s: OwnedSink;
  let dir: string;
  const leaf = 'domain_otel_audit.records_2020_03_default';
  const month = 'domain_otel_audit.records_2020_03';

  before(async () => {
    pg = await startThrowawayPostgres();
    s = await startOwnedSink(pg, { guard: true });
    dir = mkdtempSync(join(tmpdir(), 'audit-guard-'));
    const specs = ['2020-03-01', '2020-03-02', '2020-04-01'].map((d) => decision({}, { timestamp: new Date(`${d}T00:00:00Z`) }));
    assertExported(await exportWith('proto', s.url, await sdkRecords(specs)));
  });
  after(async () => {
    await s?.close();
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs sql as `client` and expects the guard (or the append-only trigger) to refuse it. */
  async function refused(client: Client, sql: string, reason: RegExp) {
    await assert.rejects(client.query(sql), (err: { message: string; code: string }) => {
      assert.match(err.message, reason, sql);
      assert.equal(err.code, '42501', sql);
      return true;
    });
  }

  it('installed by a superuser (migrate --guard-only) on a schema whose owner is not one; the owner cannot switch it off', async () => {
    assert.ok(s.migrateLog.some((l) => /warning: migrate runs as "audit_owner_\w+", which is not a superuser: the DDL guard .* is not installed/.test(l)));
    assert.ok(s.migrateLog.some((l) => /DDL guard installed/.test(l)));
    assert.equal(await guardInstalled(s.admin), true);
    await assert.rejects(s.owner.query(`ALTER EVENT TRIGGER ${GUARD_EVENT_TRIGGERS[0]} DISABLE`), /must be owner of event trigger/);
    await assert.rejects(s.owner.query(`CREATE OR REPLACE FUNCTION domain_otel_audit_guard.violation() RETURNS text LANGUAGE sql AS 'SELECT NULL'`),
      /permission denied for schema domain_otel_audit_guard/);
  });

  it('refuses the owner: DISABLE TRIGGER, ENABLE REPLICA TRIGGER, DETACH, DROP (with or without retain\'s setting), DROP TRIGGER, DROP COLUMN, rewrites, replacing the trigger function', async () => {
    const o = s.owner;
    await refused(o, `ALTER TABLE ${leaf} DISABLE TRIGGER USER`, /DDL guard: ALTER TABLE refused: table domain_otel_audit\.records_2020_03\w* would lose its enabled append-only trigger/);
    await refused(o, `ALTER TABLE domain_otel_audit.chains DISABLE TRIGGER chains_append_only`, /table domain_otel_audit\.chains would lose its enabled append-only trigger/);
    await refused(o, `ALTER TABLE ${leaf} ENABLE REPLICA TRIGGER records_2020_03_default_append_only_stmt`, /would lose its enabled append-only trigger/);
    await refused(o, `ALTER TABLE ${month} DETACH PARTITION ${leaf}`, /segment 2020-03 \(table records_2020_03_default\) would leave the partition tree without being retired/);
    await refused(o, `DROP TABLE ${leaf}`, /DROP domain_otel_audit\.records_2020_03_default refused: segments are dropped by domain-otel-audit retain only/);
    await o.query('BEGIN');
    await o.query(`SET LOCAL domain_otel_audit.retain = 'on'`);
    await refused(o, `DROP TABLE ${leaf}`, /refused: it holds a segment that was not retired/);
    await o.query('ROLLBACK');
    await refused(o, `DROP TRIGGER records_append_only_stmt ON domain_otel_audit.records`, /audit objects are never dropped/);
    await refused(o, `ALTER TABLE domain_otel_audit.records DROP COLUMN service`, /audit objects are never dropped/);
    await refused(o, `ALTER TABLE domain_otel_audit.records ALTER COLUMN user_id TYPE varchar(300) USING user_id || ''`, /table_rewrite refused|audit tables are never rewritten/);
    await refused(o, `CREATE OR REPLACE FUNCTION domain_otel_audit.reject_modification() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
      /CREATE FUNCTION refused: function domain_otel_audit\.reject_modification\(\) was replaced or altered/);
    await refused(o, `ALTER FUNCTION domain_otel_audit.reject_modification() RENAME TO reject_nothing`, /reject_modification\(\) was replaced or altered/);
    await refused(o, `CREATE OR REPLACE FUNCTION domain_otel_audit.protect_partition(p_table text) RETURNS void LANGUAGE sql AS 'SELECT'`,
      /protect_partition\(text\) was replaced or altered/);
    await refused(o, `DROP SCHEMA domain_otel_audit CASCADE`, /the audit schema and the guard cannot be dropped/);
    // TRUNCATE is not DDL: the BEFORE TRUNCATE statement triggers refuse it (and the guard keeps them on).
    await refused(o, `TRUNCATE ${leaf}`, /records_2020_03_default is append-only: TRUNCATE is not allowed/);
    await refused(o, `TRUNCATE domain_otel_audit.record_uids`, /record_uids is append-only: TRUNCATE is not allowed/);
    const v = await cli(['verify', '--database-url', s.ownerUrl]);
    assert.equal(v.code, 0, v.out + v.err);
  });

  it('refuses a superuser too, until the superuser switches the event triggers off (what checkpoints are for)', async () => {
    const su = new Client({ connectionString: s.adminUrl });
    await su.connect();
    try {
      await refused(su, `ALTER TABLE ${leaf} DISABLE TRIGGER USER`, /DDL guard: ALTER TABLE refused/);
      await su.query('BEGIN');
      for (const t of GUARD_EVENT_TRIGGERS) await su.query(`ALTER EVENT TRIGGER ${t} DISABLE`);
      await su.query(`ALTER TABLE ${leaf} DISABLE TRIGGER USER`);
      await su.query('ROLLBACK');
    } finally {
      await su.end();
    }
  });

  it('does not stand in the way of the sink, migrate (as the owner or a superuser) or retain', async () => {
    assertExported(await exportWith('proto', s.url, await sdkRecords([decision({}, { timestamp: new Date('2019-07-01T00:00:00Z') })])));
    const ownerPool = new Pool({ connectionString: s.ownerUrl, max: 1 });
    const owner = await migrate(ownerPool, { tenants: ['acme'] }).finally(() => ownerPool.end());
    assert.equal(owner.guard, 'installed');
    assert.deepEqual(owner.warnings, []);
    const again = await migrate(s.admin);
    assert.equal(again.guard, 'installed');
    const r = await cli(['retain', '--database-url', s.ownerUrl, '--older-than', '1d', '--archive-dir', dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^retired 2019-07: 1 rows/m);
    assert.match(r.out, /^retired 2020-03: 2 rows/m);
    const gone = await s.admin.query(`SELECT to_regclass('${month}') IS NULL AS gone`);
    assert.equal(gone.rows[0].gone, true);
    const v = await cli(['verify', '--database-url', s.ownerUrl]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^segment 2020-03: retired$/m);
  });

  it('the writer role still gets Postgres\' own permission errors', async () => {
    const w = new Client({ connectionString: s.writerUrl });
    await w.connect();
    const now = new Date();
    const current = `domain_otel_audit.records_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}_default`;
    try {
      await assert.rejects(w.query(`ALTER TABLE ${current} DISABLE TRIGGER USER`), /must be owner of table/);
      await assert.rejects(w.query(`DROP TABLE ${current}`), /must be owner of table/);
    } finally {
      await w.end();
    }
  });
});
