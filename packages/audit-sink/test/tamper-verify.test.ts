/**
 * Issue 14's reproductions, played by a schema owner that is NOT a superuser (the DDL guard is
 * not installed: migrate ran as that owner): history rewritten with every hash recomputed, a
 * month dropped behind a forged retirement, the tail of a chain cut off, a segment's `chains`
 * row deleted. Each one is caught by `verify --expect-head` where a head was kept by hand, and
 * by `verify --checkpoints` once signed checkpoints are written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { contentHash, rowHash } from '../src';
import { cli } from './helpers/cli-run';
import { startOwnedSink, type OwnedSink } from './helpers/owned-sink';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';

/** Sends `n` records of `month` (days from..from+n-1), in order, in one request: one chain. */
async function seed(url: string, month: string, from: number, n: number): Promise<void> {
  const specs = Array.from({ length: n }, (_, i) => {
    const day = String(from + i).padStart(2, '0');
    return decision({ 'user.id': '42', 'domain.entity.id': `${month}-${day}` }, { timestamp: new Date(`${month}-${day}T10:00:00Z`) });
  });
  assertExported(await exportWith('proto', url, await sdkRecords(specs, { 'service.name': 'tamper' })));
}

/** The head of a chain as verify prints it: CHAIN:SEQ:HASH. */
function headOf(out: string, chain: string): string {
  const m = new RegExp(`^chain ${chain.replace(/[/#]/g, '\\$&')}: ok, \\d+ rows, head (\\S+)$`, 'm').exec(out);
  assert.ok(m, `no head for ${chain} in:\n${out}`);
  return m[1]!;
}

/**
 * What an owner can do without the DDL guard: switch the append-only triggers off, change one
 * row, recompute content_hash, prev_hash and row_hash of it and of every later row, switch the
 * triggers back on. The chain is consistent again; only a head kept elsewhere tells.
 */
async function rewrite(owner: Client, leaf: string, chain: string, seq: number, user: string): Promise<void> {
  const t = `domain_otel_audit.${leaf}`;
  await owner.query('BEGIN');
  await owner.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
  const rows = (await owner.query(`SELECT * FROM ${t} WHERE stream = 0 AND seq >= $1 - 1 ORDER BY seq`, [seq])).rows;
  let prev: Buffer = rows[0].row_hash;
  for (const row of rows.slice(1)) {
    if (Number(row.seq) === seq) {
      row.user_id = user;
      row.record.attributes['user.id'] = user;
    }
    const content = contentHash({ ...row, time_unix_nano: String(row.time_unix_nano), received_at: row.received_at.toISOString() });
    const hash = rowHash(chain, row.seq, prev, content);
    await owner.query(`UPDATE ${t} SET user_id = $1, record = $2, content_hash = $3, prev_hash = $4, row_hash = $5 WHERE stream = 0 AND seq = $6`,
      [row.user_id, row.record, content, prev, hash, row.seq]);
    prev = hash;
  }
  await owner.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
  await owner.query('COMMIT');
}

/** A retirement that `retain` never did: a retired_chains row, then DETACH and DROP of the month. */
async function forgeRetirement(owner: Client, month: string, heads: Record<string, [string, string]>): Promise<void> {
  const m = month.replace('-', '_');
  await owner.query(
    `INSERT INTO domain_otel_audit.retired_chains (chain, rows, heads, archive_file, archive_sha256)
     VALUES ($1, 0, $2, $3, $4)`,
    [month, JSON.stringify(heads), `/nonexistent/audit-${month}.ndjson`, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  );
  await owner.query(`ALTER TABLE domain_otel_audit.records_${m} DETACH PARTITION domain_otel_audit.records_${m}_default`);
  await owner.query(`DROP TABLE domain_otel_audit.records_${m}_default`);
  await owner.query(`ALTER TABLE domain_otel_audit.records DETACH PARTITION domain_otel_audit.records_${m}`);
  await owner.query(`DROP TABLE domain_otel_audit.records_${m}`);
}

async function withTriggersOff(owner: Client, table: string, sql: string): Promise<void> {
  await owner.query('BEGIN');
  await owner.query(`ALTER TABLE domain_otel_audit.${table} DISABLE TRIGGER USER`);
  await owner.query(sql);
  await owner.query(`ALTER TABLE domain_otel_audit.${table} ENABLE TRIGGER USER`);
  await owner.query('COMMIT');
}

describe('audit-sink tamper evidence: a non-superuser schema owner rewriting history', function () {
  this.timeout(180_000);
  let pg: ThrowawayPostgres;
  let dir: string;

  before(async () => {
    pg = await startThrowawayPostgres();
    dir = mkdtempSync(join(tmpdir(), 'audit-tamper-'));
  });
  after(async () => {
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('verify --expect-head (heads kept by hand)', () => {
    let s: OwnedSink;
    before(async () => {
      s = await startOwnedSink(pg, { guard: false });
    });
    after(async () => s?.close());

    it('the owner is not a superuser, and migrate said the DDL guard could not be installed', async () => {
      const r = await s.owner.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
      assert.equal(r.rows[0].rolsuper, false);
      assert.ok(s.migrateLog.some((l) => /not a superuser.*DDL guard.*not installed/.test(l)), s.migrateLog.join('\n'));
    });

    it('history rewritten (user 42 → mallory at seq 2, seq 2–6 re-hashed): an expected head at seq 3 fails, whatever the current head', async () => {
      await seed(s.url, '2020-03', 1, 3);
      const earlier = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-03']);
      assert.equal(earlier.code, 0, earlier.out + earlier.err);
      const head3 = headOf(earlier.out, '2020-03#0');
      assert.match(head3, /^2020-03#0:3:[0-9a-f]{64}$/);
      await seed(s.url, '2020-03', 4, 3);
      const before = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-03']);
      const head6 = headOf(before.out, '2020-03#0');

      await rewrite(s.owner, 'records_2020_03_default', '2020-03#0', 2, 'mallory');

      const plain = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-03']);
      assert.equal(plain.code, 0, 'the rewritten chain is consistent: only a head kept elsewhere can tell');
      const r = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-03', '--expect-head', head3]);
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.err, /verify: FAILED: chain 2020-03#0 seq 3: expected head seq 3 hash [0-9a-f]{64}, but the row at seq 3 has hash [0-9a-f]{64} \(history rewritten at or before seq 3\)\n$/);
      // The current head, written with leading zeros: compared as the integer 6.
      const [chain, , hash] = head6.split(':');
      const padded = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-03', '--expect-head', `${chain}:0006:${hash}`]);
      assert.equal(padded.code, 1, padded.out + padded.err);
      assert.match(padded.err, /FAILED: chain 2020-03#0 seq 6: expected head seq 6 hash/);
    });

    it('a whole month dropped behind a forged retired_chains row: its expected head fails, with or without forged heads', async () => {
      await seed(s.url, '2020-04', 1, 3);
      await seed(s.url, '2020-05', 1, 3);
      const v = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-04', '--chain', '2020-05']);
      const head4 = headOf(v.out, '2020-04#0');
      const head5 = headOf(v.out, '2020-05#0');
      const [, seq5, hash5] = head5.split(':');

      await forgeRetirement(s.owner, '2020-04', {});
      await forgeRetirement(s.owner, '2020-05', { '2020-05#0': [seq5!, hash5!] }); // a forger who copied the real head

      const plain = await cli(['verify', '--database-url', s.ownerUrl, '--chain', '2020-04']);
      assert.equal(plain.code, 0);
      assert.equal(plain.out, 'segment 2020-04: retired\n', 'without an expected head the forged retirement looks like retention');
      const r4 = await cli(['verify', '--database-url', s.ownerUrl, '--expect-head', head4]);
      assert.equal(r4.code, 1, r4.out + r4.err);
      assert.match(r4.err, /FAILED: chain 2020-04#0 seq 3: expected head seq 3 hash [0-9a-f]{64}, but the retired segment 2020-04 records no head for this chain/);
      const r5 = await cli(['verify', '--database-url', s.ownerUrl, '--expect-head', head5]);
      assert.equal(r5.code, 1, r5.out + r5.err);
      assert.match(r5.err, /FAILED: chain 2020-05#0 seq 3: segment 2020-05 is retired, but its archive \/nonexistent\/audit-2020-05\.ndjson is not at hand to confirm the expected head \(pass --archive FILE\)/);
    });
  });

  describe('verify --checkpoints (signed checkpoints)', () => {
    let s: OwnedSink;
    let key: string;
    let pub: string;
    const cpDir = () => join(dir, 'checkpoints');
    const verifyCp = (...extra: string[]) =>
      cli(['verify', '--database-url', s.ownerUrl, '--checkpoints', cpDir(), '--pubkey', pub, ...extra]);

    before(async () => {
      s = await startOwnedSink(pg, { guard: false });
      key = join(dir, 'audit.key');
      const k = await cli(['keygen', '--name', 'audit.example/tamper-test', '--out', key]);
      assert.equal(k.code, 0, k.err);
      pub = readFileSync(key + '.pub', 'utf8').trim();
      for (const m of ['2021-03', '2021-04', '2021-05', '2021-06']) await seed(s.url, m, 1, 6);
      const c1 = await cli(['checkpoint', '--database-url', s.ownerUrl, '--dir', cpDir(), '--key', key]);
      assert.equal(c1.code, 0, c1.out + c1.err);
      await seed(s.url, '2021-07', 1, 2);
      const c2 = await cli(['checkpoint', '--database-url', s.ownerUrl, '--dir', cpDir(), '--key', key]);
      assert.equal(c2.code, 0, c2.out + c2.err);
    });
    after(async () => s?.close());

    it('before any tampering, every checkpoint verifies: signatures, chain of checkpoints, heads and Merkle roots', async () => {
      const r = await verifyCp();
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.err, /verify: OK .*; 2 checkpoints verified/);
    });

    it('each tampering fails verify --checkpoints with the first divergence named: checkpoint, chain, seq, expected vs found', async () => {
      const heads = (await cli(['verify', '--database-url', s.ownerUrl])).out;
      const [, seq4, hash4] = headOf(heads, '2021-04#0').split(':');

      await rewrite(s.owner, 'records_2021_03_default', '2021-03#0', 2, 'mallory');
      await forgeRetirement(s.owner, '2021-04', { '2021-04#0': [seq4!, hash4!] });
      await withTriggersOff(s.owner, 'records_2021_05_default', 'DELETE FROM domain_otel_audit.records_2021_05_default WHERE seq = 6');
      await withTriggersOff(s.owner, 'chains', `DELETE FROM domain_otel_audit.chains WHERE chain = '2021-06'`);
      await s.owner.query(`DROP TABLE domain_otel_audit.records_2021_06`);
      await s.owner.query(`DELETE FROM domain_otel_audit.record_uids WHERE chain = '2021-06'`);

      const expected = 'checkpoint 1 \\([^)]+\\): expected row hash [0-9a-f]{64}, found';
      const cases: [string, string][] = [
        ['2021-03', `${expected} [0-9a-f]{64} \\(history rewritten at or before seq 6\\)`],
        ['2021-04', `${expected} segment 2021-04 retired after the last checkpoint and no archive at hand \\(/nonexistent/audit-2021-04\\.ndjson\\): pass --archive FILE`],
        ['2021-05', `${expected} no row \\(the chain ends at seq 5: rows removed from its end\\)`],
        ['2021-06', `${expected} no segment 2021-06 \\(not registered, not retired\\)`],
      ];
      for (const [month, message] of cases) {
        const r = await verifyCp('--chain', month);
        assert.equal(r.code, 1, `${month}: ${r.out}${r.err}`);
        assert.match(r.err, new RegExp(`FAILED: chain ${month}#0 seq 6: ${message}\n$`), month);
      }
      const all = await verifyCp();
      assert.equal(all.code, 1);
      for (const [month, message] of cases) assert.match(all.out, new RegExp(`^chain ${month}#0: BROKEN at seq 6: ${message}$`, 'm'));
      assert.match(all.out, /^checkpoint 1 \([^)]+\): Merkle root not recomputed: rows of retired segment 2021-04 are not at hand \(pass --archive\)$/m);
    });
  });
});
