import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { chainLockKey } from '../src';
import { cli } from './helpers/cli-run';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, postRecords, sdkRecords } from './helpers/otlp-client';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;


const at = (iso: string) => ({ timestamp: new Date(iso) });

describe('audit-sink segments: several chains per month, tenants with partitions of their own', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  let dir: string;
  const db = () => ['--database-url', sink.adminUrl];

  async function send(...specs: ReturnType<typeof decision>[]) {
    assertExported(await exportWith('proto', sink.url, await sdkRecords(specs, { 'service.name': 'segments' })));
  }
  /** Which leaf (and stream) holds the record of this user id. */
  async function whereIs(userId: string): Promise<{ leaf: string; stream: number }[]> {
    const r = await sink.admin.query<{ leaf: string; stream: number }>(
      `SELECT c.relname AS leaf, r.stream FROM domain_otel_audit.records r JOIN pg_class c ON c.oid = r.tableoid WHERE r.user_id = $1`,
      [userId],
    );
    return r.rows;
  }
  /** Sends the records and returns the sink's answer (its partial success). */
  async function post(specs: ReturnType<typeof decision>[]) {
    const res = await postRecords(sink.url, await sdkRecords(specs));
    assert.equal(res.status, 200);
    return logsV1.ExportLogsServiceResponse.decode(res.body);
  }

  before(async () => {
    sink = await startSink();
    dir = mkdtempSync(join(tmpdir(), 'audit-segments-'));
    await send(
      decision({ 'user.id': 'shared-jan', 'domain.tenant.id': 'acme' }, at('2022-01-10T00:00:00Z')),
      decision({ 'user.id': 'globex-jan-before', 'domain.tenant.id': 'globex' }, at('2022-01-11T00:00:00Z')),
      decision({ 'user.id': 'shared-feb', 'domain.tenant.id': 'acme' }, at('2022-02-10T00:00:00Z')),
    );
  });
  after(async () => {
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a writer takes a chain of the month no one else is appending to: a held chain sends the next request to the next one', async () => {
    const [k1, k2] = chainLockKey('2022-02#0');
    const holder = new Client({ connectionString: sink.adminUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
      await send(decision({ 'user.id': 'feb-while-held', 'domain.tenant.id': 'acme' }, at('2022-02-11T00:00:00Z')));
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    await send(decision({ 'user.id': 'feb-after', 'domain.tenant.id': 'acme' }, at('2022-02-12T00:00:00Z')));
    assert.deepEqual(await whereIs('shared-feb'), [{ leaf: 'records_2022_02_default', stream: 0 }]);
    assert.deepEqual(await whereIs('feb-while-held'), [{ leaf: 'records_2022_02_default', stream: 1 }]);
    assert.deepEqual(await whereIs('feb-after'), [{ leaf: 'records_2022_02_default', stream: 0 }], 'a quiet sink goes back to chain 0');
    const v = await cli(['verify', ...db(), '--chain', '2022-02']);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^chain 2022-02#0: ok, 2 rows, head 2022-02#0:2:[0-9a-f]{64}$/m);
    assert.match(v.out, /^chain 2022-02#1: ok, 1 rows, head 2022-02#1:1:[0-9a-f]{64}$/m);
  });

  it('many concurrent requests spread over the chains of one month, each chain linear and verified', async () => {
    const batches = await Promise.all(Array.from({ length: 16 }, (_, b) =>
      sdkRecords(Array.from({ length: 50 }, (_, i) => decision({ 'user.id': `burst-${b}-${i}` }, at('2022-04-01T00:00:00Z'))))));
    const results = await Promise.all(batches.map((recs) => exportWith('proto', sink.url, recs)));
    results.forEach(assertExported);
    const r = await sink.admin.query(
      `SELECT stream, count(*)::int AS n, min(seq)::int AS lo, max(seq)::int AS hi FROM domain_otel_audit.records_2022_04_default GROUP BY stream`);
    assert.equal(r.rows.reduce((a, c) => a + c.n, 0), 800);
    for (const c of r.rows) assert.deepEqual([c.lo, c.hi], [1, c.n], `chain 2022-04#${c.stream} is 1..n`);
    const v = await cli(['verify', ...db(), '--chain', '2022-04', '--json']);
    assert.equal(v.code, 0, v.out);
    assert.equal(JSON.parse(v.out).rows, 800);
  });

  it('migrate --tenant gives a tenant segments of its own, except in months whose shared segment already holds its records', async () => {
    const r = await cli(['migrate', ...db(), '--tenant', 'globex']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^tenant "globex": own segments in 2022-02, 2022-04, \d{4}-\d{2}.*; records of 2022-01 stay in the shared segment \(it already held some\)$/m);
    const seg = await sink.admin.query(`SELECT chain, partition_name, tenant_id, streams FROM domain_otel_audit.chains WHERE tenant_id = 'globex' AND chain LIKE '2022-%' ORDER BY chain`);
    assert.deepEqual(seg.rows, [
      { chain: '2022-02/globex', partition_name: 'records_2022_02_t1', tenant_id: 'globex', streams: 8 },
      { chain: '2022-04/globex', partition_name: 'records_2022_04_t1', tenant_id: 'globex', streams: 8 },
    ]);
    const again = await cli(['migrate', ...db(), '--tenant', 'globex']);
    assert.equal(again.code, 0, again.err);
    const count = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.tenant_partitions`);
    assert.equal(count.rows[0].n, 1, 'registering twice changes nothing');
  });

  it('the running sink sends the tenant\'s new records to its segment (what it knew about the month is re-read), other tenants to the shared one', async () => {
    await send(
      decision({ 'user.id': 'globex-feb', 'domain.tenant.id': 'globex' }, at('2022-02-15T00:00:00Z')),
      decision({ 'user.id': 'globex-jan-after', 'domain.tenant.id': 'globex' }, at('2022-01-15T00:00:00Z')),
      decision({ 'user.id': 'globex-mar', 'domain.tenant.id': 'globex' }, at('2022-03-15T00:00:00Z')),
      decision({ 'user.id': 'initech-mar', 'domain.tenant.id': 'initech' }, at('2022-03-16T00:00:00Z')),
    );
    assert.deepEqual(await whereIs('globex-feb'), [{ leaf: 'records_2022_02_t1', stream: 0 }]);
    assert.deepEqual(await whereIs('globex-jan-after'), [{ leaf: 'records_2022_01_default', stream: 0 }]);
    assert.deepEqual(await whereIs('globex-mar'), [{ leaf: 'records_2022_03_t1', stream: 0 }], 'a month created later includes the tenant');
    assert.deepEqual(await whereIs('initech-mar'), [{ leaf: 'records_2022_03_default', stream: 0 }]);
    const v = await cli(['verify', ...db()]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^chain 2022-02\/globex#0: ok, 1 rows, head 2022-02\/globex#0:1:[0-9a-f]{64}$/m);
    const q = await cli(['query', ...db(), '--tenant', 'globex', '--ndjson']);
    assert.deepEqual(q.out.trim().split('\n').map((l) => JSON.parse(l).chain), ['2022-01#0', '2022-01#0', '2022-02/globex#0', '2022-03/globex#0']);
  });

  it('retain without --tenant retires the shared segments only; the tenant keeps its own', async () => {
    const r = await cli(['retain', ...db(), '--older-than', '1d', '--archive-dir', dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^retired 2022-01: 3 rows/m);
    assert.match(r.out, /^retired 2022-02: 3 rows/m);
    assert.doesNotMatch(r.out, /globex/);
    const tables = await sink.admin.query(`SELECT to_regclass('domain_otel_audit.records_2022_01') IS NOT NULL AS jan,
      to_regclass('domain_otel_audit.records_2022_02') IS NOT NULL AS feb, to_regclass('domain_otel_audit.records_2022_02_t1') IS NOT NULL AS feb_globex,
      to_regclass('domain_otel_audit.records_2022_02_default') IS NOT NULL AS feb_shared`);
    assert.deepEqual(tables.rows[0], { jan: false, feb: true, feb_globex: true, feb_shared: false }, 'January had no tenant segment: the month went with its shared one');
    const globex = await sink.admin.query(`SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE tenant_id = 'globex'`);
    assert.equal(globex.rows[0].n, 2, 'globex records in its own segments (February, March) are still there');

    // Late records: refused for a retired segment, stored in a live one of the same month.
    const late = await post([
      decision({ 'user.id': 'late-shared', 'domain.tenant.id': 'acme' }, at('2022-02-20T00:00:00Z')),
      decision({ 'user.id': 'late-globex', 'domain.tenant.id': 'globex' }, at('2022-02-20T00:00:00Z')),
    ]);
    assert.equal(Number(late.partialSuccess.rejectedLogRecords), 1);
    assert.match(late.partialSuccess.errorMessage, /retired audit chain 2022-02/);
    assert.deepEqual(await whereIs('late-globex'), [{ leaf: 'records_2022_02_t1', stream: 0 }]);
    assert.deepEqual(await whereIs('late-shared'), []);
  });

  it('retain --tenant retires that tenant\'s segments on its own schedule, one archive per segment; the month goes with its last segment', async () => {
    const r = await cli(['retain', ...db(), '--tenant', 'globex', '--older-than', '1d', '--archive-dir', dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^retired 2022-02\/globex: 2 rows → .*audit-2022-02\.tenant-globex\.ndjson \(sha256 [0-9a-f]{64}\)$/m);
    assert.match(r.out, /^retired 2022-03\/globex: 1 rows/m);
    assert.match(r.out, /^retired 2022-04\/globex: 0 rows/m, 'an empty segment is retired too');
    const lines = readFileSync(join(dir, 'audit-2022-02.tenant-globex.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.chain, l.segment, l.seq, l.user_id]), [
      ['2022-02/globex#0', '2022-02/globex', '1', 'globex-feb'],
      ['2022-02/globex#0', '2022-02/globex', '2', 'late-globex'],
    ]);
    assert.ok(existsSync(join(dir, 'audit-2022-02.tenant-globex.ndjson.sha256')));
    const tables = await sink.admin.query(`SELECT to_regclass('domain_otel_audit.records_2022_02') IS NOT NULL AS feb,
      to_regclass('domain_otel_audit.records_2022_03') IS NOT NULL AS mar, to_regclass('domain_otel_audit.records_2022_03_default') IS NOT NULL AS mar_shared`);
    assert.deepEqual(tables.rows[0], { feb: false, mar: false, mar_shared: false });
    const v = await cli(['verify', ...db(), '--chain', '2022-02']);
    assert.equal(v.code, 0, v.out + v.err);
    assert.equal(v.out, 'segment 2022-02: retired\nsegment 2022-02/globex (tenant "globex"): retired\n');
    const late = await post([decision({ 'user.id': 'later-globex', 'domain.tenant.id': 'globex' }, at('2022-02-21T00:00:00Z'))]);
    assert.equal(Number(late.partialSuccess.rejectedLogRecords), 1);
    const all = await cli(['verify', ...db()]);
    assert.equal(all.code, 0, all.out + all.err);
  });

  it('retain --tenant names a tenant without segments of its own: one line, exit 3, nothing retired', async () => {
    const r = await cli(['retain', ...db(), '--tenant', 'initech', '--older-than', '1d', '--archive-dir', dir]);
    assert.equal(r.code, 3);
    assert.equal(r.err, 'domain-otel-audit retain: tenant "initech" has no segments of its own; its records are retired with the shared segments (give it its own with migrate --tenant)\n');
    const bad = await cli(['migrate', ...db(), '--tenant', '']);
    assert.equal(bad.code, 2);
    assert.equal(bad.err, 'domain-otel-audit: --tenant "": expected a tenant id of 1 to 256 characters\n');
  });
});
