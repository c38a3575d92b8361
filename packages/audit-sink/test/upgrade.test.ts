import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { AuditStore, contentHash, createPool, decodeExportLogsRequest, genesisHash, migrate, rowHash, type AuditRecord } from '../src';
import { rowContent } from '../src/prepare';
import { cli } from './helpers/cli-run';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';

function records(month: string, users: string[]): AuditRecord[] {
  const body = {
    resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'v1' } }] }, scopeLogs: [{ scope: { name: 's' },
      logRecords: users.map((u, i) => ({
        timeUnixNano: String(BigInt(Date.parse(`${month}-0${i + 1}T00:00:00Z`)) * 1_000_000n),
        eventName: 'domain.audit.decision',
        attributes: [
          { key: 'log.record.uid', value: { stringValue: `upgrade-${month}-${u}` } },
          { key: 'user.id', value: { stringValue: u } },
          { key: 'domain.audit.outcome', value: { stringValue: 'granted' } },
        ],
      })) }] }],
  };
  return decodeExportLogsRequest(Buffer.from(JSON.stringify(body)), 'json', { receivedUnixNano: 0n }).audit;
}


describe('audit-sink upgrade: a database of schema version 1 keeps its chains and accepts records after migrate', function () {
  this.timeout(120_000);
  let pg: ThrowawayPostgres;
  let adminUrl: string;
  let admin: Pool;

  before(async () => {
    pg = await startThrowawayPostgres();
    adminUrl = await pg.createDatabase('upgrade');
    admin = new Pool({ connectionString: adminUrl, max: 2 });
  });
  after(async () => {
    await admin?.end();
    await pg?.destroy();
  });

  it('rows written as version 1 wrote them (one chain per month, named after it) verify after the upgrade, and the chain goes on', async () => {
    const v1 = await migrate(admin, { upToVersion: 1, writerLogin: 'upgrade_writer', monthsAhead: 0 });
    assert.deepEqual(v1.applied, ['001_init.sql']);
    // What the version-1 sink did: one chain '2021-03', seq 1, 2, 3, hashes over that name.
    await admin.query(`SELECT domain_otel_audit.ensure_partition('2021-03-01')`);
    const received = new Date('2021-03-20T00:00:00.000Z');
    let prev = genesisHash('2021-03');
    let seq = 0;
    for (const r of records('2021-03', ['old-1', 'old-2', 'old-3'])) {
      seq++;
      const content = contentHash(rowContent(r, received.toISOString(), r.record));
      const row = rowHash('2021-03', seq, prev, content);
      await admin.query(
        `INSERT INTO domain_otel_audit.records (time, time_unix_nano, seq, uid, uid_generated, event_name, outcome, user_id, service,
           received_at, record, content_hash, prev_hash, row_hash)
         VALUES (domain_otel_audit.ns_to_timestamptz($1), $1, $2, $3, false, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [r.timeUnixNano, seq, r.uid, r.eventName, r.outcome, r.userId, r.service, received, JSON.stringify(r.record), content, prev, row],
      );
      await admin.query(`INSERT INTO domain_otel_audit.record_uids (uid, chain) VALUES ($1, '2021-03')`, [r.uid]);
      prev = row;
    }

    const v2 = await migrate(admin, { writerLogin: 'upgrade_writer', monthsAhead: 0 });
    assert.equal(v2.applied[0], '002_streams_and_tenant_partitions.sql', 'and the versions after it');
    const before = await cli(['verify', '--database-url', adminUrl, '--chain', '2021-03']);
    assert.equal(before.code, 0, before.out + before.err);
    assert.match(before.out, /^chain 2021-03: ok, 3 rows, head 2021-03:3:[0-9a-f]{64}$/m);

    // The upgraded sink, as the writer login, appends to the same chain (the month stays one chain).
    const writer = createPool({ connectionString: pg.connectionString('upgrade', 'upgrade_writer'), max: 2 });
    try {
      const store = new AuditStore(writer);
      const res = await store.insert([...records('2021-03', ['old-1', 'new-4', 'new-5'])], new Date());
      assert.deepEqual([res.inserted, res.duplicates], [2, 1], 'the replayed version-1 uid is still known');
      await store.insert(records('2021-05', ['may-1']), new Date());
    } finally {
      await writer.end();
    }
    const after = await cli(['verify', '--database-url', adminUrl]);
    assert.equal(after.code, 0, after.out + after.err);
    assert.match(after.out, /^chain 2021-03: ok, 5 rows, head 2021-03:5:[0-9a-f]{64}$/m);
    assert.match(after.out, /^chain 2021-05#0: ok, 1 rows/m, 'a month created after the upgrade has numbered chains');
    const streams = await admin.query(`SELECT chain, streams, numbered FROM domain_otel_audit.chains WHERE chain IN ('2021-03', '2021-05') ORDER BY chain`);
    assert.deepEqual(streams.rows, [{ chain: '2021-03', streams: 1, numbered: false }, { chain: '2021-05', streams: 8, numbered: true }]);
    const q = await cli(['query', '--database-url', adminUrl, '--user', 'new-4', '--ndjson']);
    assert.equal(JSON.parse(q.out).chain, '2021-03');

    const archive = await cli(['retain', '--database-url', adminUrl, '--older-than', '1d', '--archive-dir', `${pg.dir}/archive`]);
    assert.equal(archive.code, 0, archive.err);
    assert.match(archive.out, /^retired 2021-03: 5 rows/m);
    const heads = await admin.query(`SELECT head_seq::int, heads FROM domain_otel_audit.retired_chains WHERE chain = '2021-03'`);
    assert.equal(heads.rows[0].head_seq, 5);
    assert.deepEqual(Object.keys(heads.rows[0].heads), ['2021-03']);
  });
});
