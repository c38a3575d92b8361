/**
 * Signed checkpoints: the chain of checkpoints itself (missing, reordered, replaced, altered),
 * Merkle roots against the rows, refusing to sign over a changed history, retirements attested
 * through their archives, `verify --archive`, publishing, and `serve --checkpoint-every`.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { Client as PgClient } from 'pg';
import { contentHash, rowHash } from '../src';
import { runCli } from '../src/cli';
import { GUARD_EVENT_TRIGGERS } from '../src/migrate';
import { cli } from './helpers/cli-run';
import { TOKEN, startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';

describe('audit-sink checkpoints: chain of checkpoints, Merkle roots, retirements, archives, serve', function () {
  this.timeout(300_000);
  let sink: SinkFixture;
  let su: Client;
  let dir: string;
  let key: string;
  let pub: string;
  const cpDir = () => join(dir, 'cp');
  const db = () => ['--database-url', sink.adminUrl];
  const send = async (month: string, n: number, tag = month) =>
    assertExported(await exportWith('proto', sink.url, await sdkRecords(Array.from({ length: n }, (_, i) =>
      decision({ 'log.record.uid': `${tag}-${i}-${Math.random()}`, 'domain.entity.id': String(i) }, { timestamp: new Date(`${month}-01T00:00:00Z`) })))));
  const checkpoint = (...extra: string[]) => cli(['checkpoint', ...db(), '--dir', cpDir(), '--key', key, ...extra]);
  const verifyCp = (d = cpDir(), ...extra: string[]) => cli(['verify', ...db(), '--checkpoints', d, '--pubkey', pub, ...extra]);

  before(async () => {
    sink = await startSink();
    su = new PgClient({ connectionString: sink.adminUrl });
    await su.connect();
    dir = mkdtempSync(join(tmpdir(), 'audit-cp-'));
    key = join(dir, 'audit.key');
    const k = await cli(['keygen', '--name', 'audit.example/cp', '--out', key]);
    assert.equal(k.code, 0, k.err);
    pub = readFileSync(key + '.pub', 'utf8').trim();
    assert.equal(k.out, pub + '\n');
    await send('2020-01', 12);
    await send('2020-02', 3);
    for (const n of [1, 2, 3]) {
      await send('2020-03', n);
      const r = await checkpoint();
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, new RegExp(`^checkpoint ${n}: \\d+ rows \\(\\d+ new\\) → .*checkpoint-0000000${n}\\.note\\n$`));
    }
  });
  after(async () => {
    await su?.end();
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keygen refuses to overwrite a key; checkpoint without a key or with a bad one is a one-line usage error', async () => {
    const again = await cli(['keygen', '--name', 'audit.example/cp', '--out', key]);
    assert.equal(again.code, 2);
    assert.match(again.err, /exists; not overwriting a key/);
    const none = await cli(['checkpoint', ...db(), '--dir', cpDir()]);
    assert.equal(none.code, 2);
    assert.equal(none.err, 'domain-otel-audit: no checkpoint signing key; pass --key FILE or set DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY_FILE (or DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY); create one with domain-otel-audit keygen\n');
    const bad = await cli(['checkpoint', ...db(), '--dir', cpDir()], { DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY: 'PRIVATE+KEY+x' });
    assert.equal(bad.code, 2);
    assert.equal(bad.err, 'domain-otel-audit: DOMAIN_OTEL_AUDIT_CHECKPOINT_KEY: signing key: expected PRIVATE+KEY+NAME+KEYID+KEYDATA as written by domain-otel-audit keygen\n');
    const fromEnv = await cli(['verify', ...db(), '--checkpoints', cpDir()], { DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBKEY: pub });
    assert.equal(fromEnv.code, 0, fromEnv.err);
  });

  it('the chain of checkpoints: a missing, renamed, replaced or altered checkpoint, or the wrong key, fails verify naming it', async () => {
    const variant = (name: string, change: (d: string) => void) => {
      const d = join(dir, name);
      cpSync(cpDir(), d, { recursive: true });
      change(d);
      return d;
    };
    const f = (d: string, n: number, ext: string) => join(d, `checkpoint-0000000${n}.${ext}`);
    const cases: [string, (d: string) => void, RegExp][] = [
      ['missing', (d) => { unlinkSync(f(d, 2, 'note')); unlinkSync(f(d, 2, 'json')); }, /FAILED: checkpoints: checkpoint 2 is missing from .* \(found 1 and 3\)/],
      ['renamed', (d) => {
        for (const ext of ['note', 'json']) renameSync(f(d, 3, ext), join(d, `x.${ext}`));
        for (const ext of ['note', 'json']) renameSync(f(d, 2, ext), f(d, 3, ext));
        for (const ext of ['note', 'json']) renameSync(join(d, `x.${ext}`), f(d, 2, ext));
      }, /FAILED: checkpoints: checkpoint 2: the signed text says checkpoint 3 \(file renamed or reordered\)/],
      ['manifest', (d) => writeFileSync(f(d, 2, 'json'), readFileSync(f(d, 2, 'json'), 'utf8').replace('"live"', '"retired"')),
        /FAILED: checkpoints: checkpoint 2: .*checkpoint-00000002\.json does not match the hash in the signed checkpoint \(manifest altered\)/],
      ['signature', (d) => writeFileSync(f(d, 1, 'note'), readFileSync(f(d, 1, 'note'), 'utf8').replace(/(\u2014 \S+ \S{20})(\S)/, (_, a, c) => a + (c === 'A' ? 'B' : 'A'))),
        /FAILED: checkpoints: checkpoint 1: the signature by audit\.example\/cp \(key [0-9a-f]{8}\) does not verify/],
    ];
    for (const [name, change, expected] of cases) {
      const r = await verifyCp(variant(name, change));
      assert.equal(r.code, 1, `${name}: ${r.out}${r.err}`);
      assert.match(r.err, expected, name);
    }
    // Replaced: checkpoint 2 signed again (by the key holder) over a different history: checkpoint 3 no longer names it.
    const replaced = variant('replaced', (d) => { unlinkSync(f(d, 3, 'note')); unlinkSync(f(d, 3, 'json')); });
    const r2 = await cli(['checkpoint', ...db(), '--dir', replaced, '--key', key]);
    assert.equal(r2.code, 0, r2.err);
    cpSync(f(cpDir(), 3, 'note'), f(replaced, 4, 'note'));
    cpSync(f(cpDir(), 3, 'json'), f(replaced, 4, 'json'));
    const r = await verifyCp(replaced);
    assert.equal(r.code, 1);
    assert.match(r.err, /FAILED: checkpoints: checkpoint 4: the signed text says checkpoint 3/);
    const other = join(dir, 'other.key');
    await cli(['keygen', '--name', 'audit.example/cp', '--out', other]);
    const wrong = await cli(['verify', ...db(), '--checkpoints', cpDir(), '--pubkey', readFileSync(other + '.pub', 'utf8').trim()]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /FAILED: checkpoints: checkpoint 1: the note carries no signature by audit\.example\/cp/);
  });

  it('a row rewritten with every hash recomputed fails the head and the Merkle root of the checkpoint that covered it; checkpoint refuses to sign over it', async () => {
    const d = join(dir, 'rewrite');
    cpSync(cpDir(), d, { recursive: true });
    for (const t of GUARD_EVENT_TRIGGERS) await su.query(`ALTER EVENT TRIGGER ${t} DISABLE`);
    try {
      const t = 'domain_otel_audit.records_2020_01_default';
      await su.query('BEGIN');
      await su.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
      const rows = (await su.query(`SELECT * FROM ${t} WHERE stream = 0 ORDER BY seq`)).rows;
      let prev: Buffer = rows[9].row_hash;
      for (const row of rows.slice(10)) {
        if (Number(row.seq) === 11) row.outcome = 'denied';
        const content = contentHash({ ...row, time_unix_nano: String(row.time_unix_nano), received_at: row.received_at.toISOString() });
        const hash = rowHash('2020-01#0', row.seq, prev, content);
        await su.query(`UPDATE ${t} SET outcome = $1, content_hash = $2, prev_hash = $3, row_hash = $4 WHERE stream = 0 AND seq = $5`, [row.outcome, content, prev, hash, row.seq]);
        prev = hash;
      }
      await su.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
      await su.query('COMMIT');

      const r = await verifyCp(d);
      assert.equal(r.code, 1);
      assert.match(r.err, /FAILED: chain 2020-01#0 seq 12: checkpoint 1 \([^)]+\): expected row hash [0-9a-f]{64}, found [0-9a-f]{64} \(history rewritten at or before seq 12\)\n$/);
      assert.match(r.out, /^checkpoint 1: BROKEN: checkpoint 1 \([^)]+\): Merkle root \S+ does not match the rows it covers \(they hash to \S+\)$/m);
      const refused = await cli(['checkpoint', ...db(), '--dir', d, '--key', key]);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /checkpoint: REFUSED: chain 2020-01#0 seq 12: checkpoint 3 recorded row hash [0-9a-f]{64}, found [0-9a-f]{64} \(history rewritten\)\n$/);
      assert.equal(existsSync(join(d, 'checkpoint-00000004.note')), false);
    } finally {
      await su.query('ROLLBACK').catch(() => {});
    }
  });

  it('retirement: attested by the next checkpoint when its archive is at hand; verify then needs the archive only to recompute the old roots', async () => {
    // A fresh database for the rest: the one above has a rewritten month.
    const fresh = await startSink({ pg: sink.pg });
    const d = join(dir, 'retire');
    const arch = join(dir, 'archive');
    const run = (args: string[]) => cli([...args, '--database-url', fresh.adminUrl]);
    try {
      assertExported(await exportWith('proto', fresh.url, await sdkRecords([1, 2, 3].map((i) => decision({ 'domain.entity.id': String(i) }, { timestamp: new Date(`2019-0${i}-01T00:00:00Z`) })))));
      assert.equal((await run(['checkpoint', '--dir', d, '--key', key])).code, 0);
      const ret = await run(['retain', '--older-than', '1d', '--archive-dir', arch]);
      assert.equal(ret.code, 0, ret.err);
      const c2 = await run(['checkpoint', '--dir', d, '--key', key]);
      assert.equal(c2.code, 0, c2.out + c2.err);
      const m2 = JSON.parse(readFileSync(join(d, 'checkpoint-00000002.json'), 'utf8'));
      assert.deepEqual(m2.segments.filter((s: { segment: string }) => s.segment === '2019-02').map((s: { status: string; verified: boolean }) => [s.status, s.verified]), [['retired', true]]);
      const ok = await cli(['verify', '--database-url', fresh.adminUrl, '--checkpoints', d, '--pubkey', pub]);
      assert.equal(ok.code, 0, ok.out + ok.err);

      // The archives leave for cold storage: the retirement stays attested; old roots need --archive.
      const cold = join(dir, 'cold');
      renameSync(arch, cold);
      const attested = await cli(['verify', '--database-url', fresh.adminUrl, '--checkpoints', d, '--pubkey', pub]);
      assert.equal(attested.code, 0, attested.out + attested.err);
      assert.match(attested.out, /^checkpoint 1 \([^)]+\): Merkle root not recomputed: rows of retired segment 2019-0\d are not at hand \(pass --archive\)$/m);
      const archives = readdirSync(cold).filter((f) => f.endsWith('.ndjson')).flatMap((f) => ['--archive', join(cold, f)]);
      const full = await cli(['verify', '--database-url', fresh.adminUrl, '--checkpoints', d, '--pubkey', pub, ...archives]);
      assert.equal(full.code, 0, full.out + full.err);
      assert.doesNotMatch(full.out, /not recomputed/);
      assert.match(full.out, /^archive .*audit-2019-02\.ndjson: ok, segment 2019-02, 1 rows, recomputes to the retired heads$/m);

      // An archive altered in cold storage no longer recomputes; one of another segment does not match.
      const a2 = join(cold, 'audit-2019-02.ndjson');
      writeFileSync(join(dir, 'altered.ndjson'), readFileSync(a2, 'utf8').replace('"outcome":"granted"', '"outcome":"denied"'));
      const altered = await cli(['verify', '--database-url', fresh.adminUrl, '--archive', join(dir, 'altered.ndjson')]);
      assert.equal(altered.code, 1);
      assert.match(altered.err, /FAILED: chain 2019-02: archive .*altered\.ndjson does not recompute: chain 2019-02#0 seq 1 \(line 1\): content does not match content_hash \(row altered in the archive\)/);
    } finally {
      await fresh.close();
    }
  });

  it('a retirement without its archive at hand is not attested (checkpoint exits 1); verify --checkpoints fails until given the archive', async () => {
    const fresh = await startSink({ pg: sink.pg });
    const d = join(dir, 'unattested');
    const arch = join(dir, 'archive2');
    const run = (args: string[]) => cli([...args, '--database-url', fresh.adminUrl]);
    try {
      assertExported(await exportWith('proto', fresh.url, await sdkRecords([decision({}, { timestamp: new Date('2018-05-01T00:00:00Z') })])));
      assert.equal((await run(['checkpoint', '--dir', d, '--key', key])).code, 0);
      assert.equal((await run(['retain', '--older-than', '1d', '--archive-dir', arch])).code, 0);
      renameSync(arch, join(dir, 'elsewhere'));
      const c2 = await run(['checkpoint', '--dir', d, '--key', key]);
      assert.equal(c2.code, 1);
      assert.match(c2.out, /^segment 2018-05: retired, NOT attested: archive .*archive2\/audit-2018-05\.ndjson not found$/m);
      const v = await cli(['verify', '--database-url', fresh.adminUrl, '--checkpoints', d, '--pubkey', pub]);
      assert.equal(v.code, 1);
      assert.match(v.err, /FAILED: chain 2018-05#0 seq 1: checkpoint 1 \([^)]+\): expected row hash [0-9a-f]{64}, found segment 2018-05 retired, but no checkpoint could check its archive \(archive .* not found\) and no archive at hand/);
      const given = await cli(['verify', '--database-url', fresh.adminUrl, '--checkpoints', d, '--pubkey', pub, '--archive', join(dir, 'elsewhere', 'audit-2018-05.ndjson')]);
      assert.equal(given.code, 0, given.out + given.err);
      // The next checkpoint, pointed at where the archives are now, attests it.
      const c3 = await run(['checkpoint', '--dir', d, '--key', key, '--archive-dir', join(dir, 'elsewhere')]);
      assert.equal(c3.code, 0, c3.out + c3.err);
      const v3 = await cli(['verify', '--database-url', fresh.adminUrl, '--checkpoints', d, '--pubkey', pub]);
      assert.equal(v3.code, 0, v3.out + v3.err);
    } finally {
      await fresh.close();
    }
  });

  it('--publish-command runs with the note and the manifest once both are written; its failure is exit 3, the checkpoint stays', async () => {
    const fresh = await startSink({ pg: sink.pg });
    const d = join(dir, 'pub');
    const out = join(dir, 'published');
    try {
      const ok = await cli(['checkpoint', '--database-url', fresh.adminUrl, '--dir', d, '--key', key, '--publish-command', `mkdir -p ${out} && cp -t ${out}`]);
      assert.equal(ok.code, 0, ok.err);
      assert.deepEqual(readdirSync(out).sort(), ['checkpoint-00000001.json', 'checkpoint-00000001.note']);
      const bad = await cli(['checkpoint', '--database-url', fresh.adminUrl, '--dir', d, '--key', key], { DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND: 'false' });
      assert.equal(bad.code, 3);
      assert.match(bad.err, /checkpoint: publish command failed/);
      assert.ok(existsSync(join(d, 'checkpoint-00000002.note')));
    } finally {
      await fresh.close();
    }
  });

  it('serve --checkpoint-every signs checkpoints while it runs (only when something changed) and a last one when it stops', async () => {
    const d = join(dir, 'serve');
    let stop!: () => void;
    const stopSignal = new Promise<void>((r) => (stop = r));
    let url = '';
    let err = '';
    const listening = new Promise<void>((resolve) => {
      void runCli(['serve', '--port', '0', '--workers', '0', '--database-url', sink.writerUrl, '--checkpoint-every', '300ms',
        '--checkpoint-dir', d, '--checkpoint-key', key], {
        out: () => {}, err: (s) => (err += s), env: { DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN }, stopSignal,
        onListening: (u) => { url = u; resolve(); },
      }).then((code) => assert.equal(code, 0, err));
    });
    await listening;
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(pred(), err);
    };
    const count = () => readdirSync(d, { withFileTypes: true }).filter((f) => f.name.endsWith('.note')).length;
    await waitFor(() => existsSync(d) && count() >= 1);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = count();
    assertExported(await exportWith('proto', url, await sdkRecords([decision({ 'log.record.uid': 'served-1' })])));
    await waitFor(() => count() > idle);
    assert.equal(idle, 1, 'nothing changed: no new checkpoint');
    assertExported(await exportWith('proto', url, await sdkRecords([decision({ 'log.record.uid': 'served-2' })])));
    stop();
    await waitFor(() => /stopped/.test(err));
    assert.match(err, /signing a checkpoint every 300ms into .* as audit\.example\/cp/);
    const v = await cli(['verify', '--database-url', sink.readerUrl, '--checkpoints', d, '--pubkey', pub, '--chain', new Date().toISOString().slice(0, 7)]);
    assert.equal(v.code, 0, v.out + v.err);
    const proof = await cli(['prove', '--database-url', sink.readerUrl, '--uid', 'served-2', '--checkpoints', d, '--pubkey', pub]);
    assert.equal(proof.code, 0, 'the last checkpoint, written at shutdown, covers the last record: ' + proof.err);
    const badEvery = await cli(['serve', '--token', 't', '--checkpoint-every', 'soon', '--checkpoint-dir', d, '--checkpoint-key', key]);
    assert.equal(badEvery.code, 2);
    assert.equal(badEvery.err, 'domain-otel-audit: --checkpoint-every "soon": expected a positive duration such as 90s, 30m, 24h, 7d or 2w\n');
  });
});
