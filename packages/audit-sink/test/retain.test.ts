import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentHash, rowHash } from '../src';
import { cli } from './helpers/cli-run';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, postRecords, sdkRecords } from './helpers/otlp-client';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;


describe('audit-sink retention: archive a partition to NDJSON, then drop it', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  let dir: string;

  before(async () => {
    sink = await startSink();
    dir = mkdtempSync(join(tmpdir(), 'audit-archive-'));
    const specs = [
      ...[1, 2, 3].map((d) => decision({ 'user.id': `old-${d}` }, { timestamp: new Date(`2020-01-0${d}T00:00:00Z`) })),
      ...[1, 2].map((d) => decision({}, { timestamp: new Date(`2020-02-0${d}T00:00:00Z`) })),
      decision({ 'user.id': 'recent' }, { timestamp: new Date() }),
    ];
    assertExported(await exportWith('proto', sink.url, await sdkRecords(specs)));
  });
  after(async () => {
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const db = () => ['--database-url', sink.adminUrl];

  it('--dry-run lists what would be retired and changes nothing', async () => {
    const r = await cli(['retain', ...db(), '--older-than', '180d', '--archive-dir', dir, '--dry-run']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /would retire 2020-01: 3 rows\nwould retire 2020-02: 2 rows\n/);
    const n = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE event_name <> 'domain.audit.access'`);
    assert.equal(n.rows[0].n, 6);
  });

  it('refuses to archive a chain that does not verify', async () => {
    await sink.admin.query('BEGIN');
    await sink.admin.query(`SET LOCAL session_replication_role = replica`);
    await sink.admin.query(`UPDATE domain_otel_audit.records_2020_02_default SET outcome = 'denied' WHERE seq = 1`);
    await sink.admin.query('COMMIT');
    const r = await cli(['retain', ...db(), '--older-than', '180d', '--archive-dir', dir]);
    assert.equal(r.code, 3);
    assert.match(r.err, /chain 2020-02#0 does not verify at seq 1; not archiving it/);
    // 2020-01 (good, earlier) was retired, the month with it (its only segment); 2020-02 is untouched.
    const parts = await sink.admin.query(`SELECT to_regclass('domain_otel_audit.records_2020_02_default') IS NOT NULL AS p2,
      to_regclass('domain_otel_audit.records_2020_01_default') IS NOT NULL AS p1, to_regclass('domain_otel_audit.records_2020_01') IS NOT NULL AS m1`);
    assert.deepEqual(parts.rows[0], { p1: false, m1: false, p2: true });
  });

  it('the archive holds every row with its hashes: the chain re-verifies offline from the file alone', async () => {
    const file = join(dir, 'audit-2020-01.ndjson');
    const text = readFileSync(file, 'utf8');
    assert.equal(readFileSync(file + '.sha256', 'utf8'), `${createHash('sha256').update(text).digest('hex')}  audit-2020-01.ndjson\n`);
    const rows = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.user_id), ['old-1', 'old-2', 'old-3']);
    let prev: Buffer = createHash('sha256').update('domain-otel-audit/genesis/v1\n2020-01#0').digest();
    for (const r of rows) {
      assert.equal(r.chain, '2020-01#0');
      assert.equal(r.segment, '2020-01');
      assert.equal(r.prev_hash, prev.toString('hex'));
      const content = contentHash(r);
      assert.equal(content.toString('hex'), r.content_hash);
      const row = rowHash('2020-01#0', r.seq, prev, content);
      assert.equal(row.toString('hex'), r.row_hash);
      prev = row;
    }
    const retired = await sink.admin.query(`SELECT chain, rows::int, heads, archive_sha256 FROM domain_otel_audit.retired_chains`);
    assert.deepEqual(retired.rows, [{
      chain: '2020-01', rows: 3, heads: { '2020-01#0': ['3', rows[2].row_hash] }, archive_sha256: createHash('sha256').update(text).digest('hex'),
    }]);
    const uids = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.record_uids WHERE chain = '2020-01'`);
    assert.equal(uids.rows[0].n, 0, 'the uids of a retired chain are forgotten');
  });

  it('verify reports the retired chain as retired, not missing', async () => {
    const r = await cli(['verify', ...db(), '--chain', '2020-01']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out, 'segment 2020-01: retired\n');
  });

  it('a late record for a retired month is refused through partial success, not stored, no partition recreated', async () => {
    const records = await sdkRecords([decision({}, { timestamp: new Date('2020-01-15T00:00:00Z') }), decision({}, { timestamp: new Date() })]);
    const res = await postRecords(sink.url, records);
    assert.equal(res.status, 200);
    const body = logsV1.ExportLogsServiceResponse.decode(res.body);
    assert.equal(Number(body.partialSuccess.rejectedLogRecords), 1);
    assert.match(body.partialSuccess.errorMessage, /retired audit chain 2020-01/);
    const p = await sink.admin.query(`SELECT to_regclass('domain_otel_audit.records_2020_01') IS NOT NULL AS p`);
    assert.equal(p.rows[0].p, false);
    const uid = (records[1]!.attributes as Record<string, string>)['log.record.uid'];
    const stored = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE uid = $1`, [uid]);
    assert.equal(stored.rows[0].n, 1, 'the other record of the request is stored');
  });

  it('rejects bad arguments with one line', async () => {
    const r = await cli(['retain', ...db(), '--older-than', 'forever', '--archive-dir', dir]);
    assert.equal(r.code, 2);
    assert.equal(r.err, 'domain-otel-audit: --older-than "forever": expected a positive duration such as 90s, 30m, 24h, 7d or 2w\n');
    const r2 = await cli(['retain', ...db(), '--older-than', '180d']);
    assert.equal(r2.err, 'domain-otel-audit: retain: --archive-dir is required (where the NDJSON archives are written)\n');
  });
});
