import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { AuditStore, contentHash, createPool, genesisHash, migrate, rowHash } from '../src';
import { rowContent } from '../src/prepare';
import { sinkForSuite, TOKEN, type SinkFixture } from './helpers/sink-fixture';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';
import { cli } from './helpers/cli-run';
import { decodeExportLogsRequest } from '../src/otlp';

interface Spec {
  uid: string;
  user: string;
  outcome?: string;
  /** Seconds after 2025-11-13T02:13:20Z (default: the record's index in the request). */
  second?: number;
}

/** An OTLP/JSON request of decisions, built by hand so every field is known. */
function request(specs: Spec[]): Buffer {
  return Buffer.from(JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'conflicts' } }] },
      scopeLogs: [{
        scope: { name: 'test' },
        logRecords: specs.map((s, i) => ({
          timeUnixNano: String(1763000000000000000n + BigInt(s.second ?? i) * 1_000_000_000n),
          eventName: 'domain.audit.decision',
          attributes: [
            { key: 'log.record.uid', value: { stringValue: s.uid } },
            { key: 'user.id', value: { stringValue: s.user } },
            { key: 'domain.audit.outcome', value: { stringValue: s.outcome ?? 'granted' } },
          ],
        })),
      }],
    }],
  }));
}

async function post(url: string, specs: Spec[]): Promise<{ status: number; rejected: number; message: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: request(specs),
  });
  const text = await res.text();
  const body = res.status === 200 ? (JSON.parse(text) as { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } }) : {};
  return { status: res.status, rejected: Number(body.partialSuccess?.rejectedLogRecords ?? 0), message: res.status === 200 ? body.partialSuccess?.errorMessage ?? '' : text };
}

describe('audit-sink: a replay with a known log.record.uid but other content is kept as evidence, not swallowed', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  sinkForSuite((s) => (sink = s));

  const stored = async (uid: string) =>
    (await sink.admin.query('SELECT user_id, outcome FROM domain_otel_audit.records WHERE uid = $1', [uid])).rows;
  const conflicts = async (uid: string) =>
    (await sink.admin.query(`SELECT uid, chain, record->'attributes'->>'user.id' AS user_id, received_at,
            encode(record_hash, 'hex') AS record_hash, encode(stored_hash, 'hex') AS stored_hash
       FROM domain_otel_audit.uid_conflicts WHERE uid = $1 ORDER BY received_at`, [uid])).rows;

  it('an identical replay is a duplicate; the same uid with another user or outcome is refused (partial success), logged, counted and kept', async () => {
    const u = 'conflict-1';
    assert.deepEqual(await post(sink.url, [{ uid: u, user: '42' }]), { status: 200, rejected: 0, message: '' });
    const dupBefore = sink.receiver.stats.duplicates;
    assert.deepEqual(await post(sink.url, [{ uid: u, user: '42' }]), { status: 200, rejected: 0, message: '' });
    assert.equal(sink.receiver.stats.duplicates, dupBefore + 1);

    const forged = await post(sink.url, [{ uid: u, user: '43', outcome: 'denied' }, { uid: 'conflict-1-other', user: '7' }]);
    assert.equal(forged.status, 200);
    assert.equal(forged.rejected, 1, 'the conflicting record is refused, the other one of the request stored');
    assert.match(forged.message, /1 record\(s\) reuse a log\.record\.uid already stored with other content \(uid "conflict-1"\); kept in domain_otel_audit\.uid_conflicts/);
    assert.deepEqual(await stored(u), [{ user_id: '42', outcome: 'granted' }], 'the stored record is unchanged');
    assert.equal((await stored('conflict-1-other')).length, 1);
    assert.equal(sink.receiver.stats.duplicates, dupBefore + 1, 'not counted as a duplicate');
    assert.equal(sink.receiver.stats.conflicts, 1);
    assert.ok(sink.logs.some((l) => /uid conflict.*uid "conflict-1" already stored with other content/.test(l)), sink.logs.join('\n'));
    const c = await conflicts(u);
    assert.equal(c.length, 1);
    assert.equal(c[0].user_id, '43', 'the conflicting content is kept whole');
    assert.match(c[0].chain, /^2025-11/);
    assert.notEqual(c[0].record_hash, c[0].stored_hash);

    // the same forged replay again: refused again, evidence kept once
    const again = await post(sink.url, [{ uid: u, user: '43', outcome: 'denied' }]);
    assert.equal(again.rejected, 1);
    assert.equal((await conflicts(u)).length, 1);
    assert.equal(sink.receiver.stats.conflicts, 2);
  });

  it('two records with one uid and different content in the same request: the first is stored, the second kept as a conflict', async () => {
    const r = await post(sink.url, [{ uid: 'conflict-2', user: 'a' }, { uid: 'conflict-2', user: 'b', second: 0 }, { uid: 'conflict-2', user: 'a', second: 0 }]);
    assert.equal(r.rejected, 1);
    assert.deepEqual(await stored('conflict-2'), [{ user_id: 'a', outcome: 'granted' }]);
    const c = await conflicts('conflict-2');
    assert.deepEqual(c.map((x) => [x.user_id, x.chain]), [['b', '2025-11']], 'against the first record of the request');
  });

  it('uid_conflicts is append-only for every role, superusers included', async () => {
    const writer = new Pool({ connectionString: sink.writerUrl, max: 1 });
    try {
      for (const sql of [
        `UPDATE domain_otel_audit.uid_conflicts SET uid = 'x'`,
        `DELETE FROM domain_otel_audit.uid_conflicts`,
        `TRUNCATE domain_otel_audit.uid_conflicts`,
        `DELETE FROM domain_otel_audit.uid_conflicts WHERE false`,
      ]) {
        for (const pool of [sink.admin, writer]) {
          await assert.rejects(pool.query(sql), (err: { code?: string }) => err.code === '42501', sql);
        }
      }
    } finally {
      await writer.end();
    }
    assert.ok((await conflicts('conflict-1')).length === 1);
  });

  it('verify reports the conflicts and still exits 0 (history intact); query --conflicts lists them', async () => {
    const v = await cli(['verify', '--database-url', sink.readerUrl]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^uid conflicts: 2 \(replays reusing a log\.record\.uid with other content; the stored records are unchanged; see query --conflicts\)$/m);
    const j = await cli(['verify', '--database-url', sink.readerUrl, '--json']);
    assert.equal(JSON.parse(j.out).conflicts.count, 2);

    const q = await cli(['query', '--database-url', sink.readerUrl, '--conflicts', '--ndjson']);
    assert.equal(q.code, 0, q.err);
    const rows = q.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.uid).sort(), ['conflict-1', 'conflict-2']);
    const one = rows.find((r) => r.uid === 'conflict-1');
    assert.equal(one.record.attributes['user.id'], '43');
    assert.match(one.stored_hash, /^[0-9a-f]{64}$/);
    const accesses = await cli(['query', '--database-url', sink.readerUrl, '--event', 'domain.audit.access', '--ndjson']);
    const listed = accesses.out.trim().split('\n').map((l) => JSON.parse(l).record.attributes)
      .filter((a) => a['domain.audit.access.result'] === '2 uid conflicts');
    assert.equal(listed.length, 1, `query --conflicts is itself recorded as an access: ${accesses.out}`);
    const table = await cli(['query', '--database-url', sink.readerUrl, '--conflicts', '--uid', 'conflict-2']);
    assert.match(table.out, /^RECEIVED \(UTC\)\s+UID\s+STORED IN\s+STORED SHA256\s+SENT SHA256\s+USER\s+OUTCOME$/m);
    assert.match(table.out, /conflict-2\s+2025-11\s+[0-9a-f]{12}\s+[0-9a-f]{12}\s+b\s+granted/);
    const bad = await cli(['query', '--database-url', sink.readerUrl, '--conflicts', '--user', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--conflicts takes --uid, --since, --from, --to, --limit, --desc and --ndjson; --user does not apply/);
  });
});

describe('audit-sink: uids registered before schema version 3 (no content hash) are compared with the stored row', function () {
  this.timeout(120_000);
  let pg: ThrowawayPostgres;
  let admin: Pool;

  before(async () => {
    pg = await startThrowawayPostgres();
    admin = new Pool({ connectionString: await pg.createDatabase('v2'), max: 2 });
  });
  after(async () => {
    await admin?.end();
    await pg?.destroy();
  });

  it('a version-2 database upgrades to 3; an old uid replayed with other content is a conflict, identical content a duplicate', async () => {
    const v2 = await migrate(admin, { upToVersion: 2, writerLogin: 'v2_writer', monthsAhead: 0 });
    assert.deepEqual(v2.applied, ['001_init.sql', '002_streams_and_tenant_partitions.sql']);
    const decode = (specs: Spec[]) => decodeExportLogsRequest(request(specs), 'json', { receivedUnixNano: 0n }).audit;
    // What a version-2 sink wrote: rows in chain 2025-11#0, uids registered without a content hash.
    await admin.query(`SELECT domain_otel_audit.ensure_partition('2025-11-01')`);
    const received = new Date('2025-11-20T00:00:00.000Z');
    let prev = genesisHash('2025-11#0');
    let seq = 0;
    for (const r of decode([{ uid: 'old-1', user: '42' }, { uid: 'old-2', user: '42' }])) {
      seq++;
      const content = contentHash(rowContent(r, received.toISOString(), r.record));
      const row = rowHash('2025-11#0', seq, prev, content);
      await admin.query(
        `INSERT INTO domain_otel_audit.records_2025_11_default (time, time_unix_nano, seq, uid, uid_generated, event_name, outcome, user_id,
           service, received_at, record, content_hash, prev_hash, row_hash, stream)
         VALUES (domain_otel_audit.ns_to_timestamptz($1), $1, $2, $3, false, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)`,
        [r.timeUnixNano, seq, r.uid, r.eventName, r.outcome, r.userId, r.service, received, JSON.stringify(r.record), content, prev, row],
      );
      await admin.query(`INSERT INTO domain_otel_audit.record_uids (uid, chain) VALUES ($1, '2025-11')`, [r.uid]);
      prev = row;
    }

    const v3 = await migrate(admin, { writerLogin: 'v2_writer', monthsAhead: 0 });
    assert.deepEqual(v3.applied.filter((f) => f.startsWith('003')), ['003_uid_content_and_conflicts.sql']);
    const writer = createPool({ connectionString: pg.connectionString('v2', 'v2_writer'), max: 2 });
    try {
      const store = new AuditStore(writer);
      const replay = await store.insert(decode([{ uid: 'old-1', user: '42' }, { uid: 'old-2', user: '99' }, { uid: 'new-3', user: '1' }]), new Date());
      assert.deepEqual([replay.inserted, replay.duplicates, replay.conflicts], [1, 1, 1]);
      const c = await admin.query(`SELECT uid, chain, record->'attributes'->>'user.id' AS user_id FROM domain_otel_audit.uid_conflicts`);
      assert.deepEqual(c.rows, [{ uid: 'old-2', chain: '2025-11', user_id: '99' }]);
      const hashes = await admin.query(`SELECT uid, record_hash IS NOT NULL AS hashed FROM domain_otel_audit.record_uids ORDER BY uid`);
      assert.deepEqual(hashes.rows, [{ uid: 'new-3', hashed: true }, { uid: 'old-1', hashed: false }, { uid: 'old-2', hashed: false }]);
    } finally {
      await writer.end();
    }
    const v = await cli(['verify', '--database-url', pg.connectionString('v2')]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^chain 2025-11#0: ok, 3 rows/m);
    assert.match(v.out, /^uid conflicts: 1 /m);
  });
});
