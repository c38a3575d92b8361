/**
 * Inclusion proofs: `prove --uid` writes a self-contained file; `verify-proof FILE --pubkey KEY`
 * checks it with no database; one flipped byte in the record, the path or the signature fails it
 * with the reason.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentHash, rowHash } from '../src';
import { leafData } from '../src/merkle';
import type { Proof } from '../src/proof';
import { cli } from './helpers/cli-run';
import { goAvailable, runGoCheck } from './helpers/go-note-check';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords } from './helpers/otlp-client';

describe('audit-sink inclusion proofs: prove and verify-proof', function () {
  this.timeout(300_000);
  let sink: SinkFixture;
  let dir: string;
  let key: string;
  let pub: string;
  const cpDir = () => join(dir, 'checkpoints');
  const uidsOf = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  const send = async (tag: string, n: number, month: string) =>
    assertExported(await exportWith('proto', sink.url, await sdkRecords(uidsOf(tag, n).map((uid, i) =>
      decision({ 'log.record.uid': uid, 'user.id': '42', 'domain.entity.id': String(i) }, { timestamp: new Date(`${month}-0${1 + (i % 9)}T00:00:00Z`) })))));
  const checkpoint = async () => {
    const r = await cli(['checkpoint', '--database-url', sink.adminUrl, '--dir', cpDir(), '--key', key]);
    assert.equal(r.code, 0, r.out + r.err);
  };
  const prove = async (uid: string, file: string) => {
    const r = await cli(['prove', '--database-url', sink.readerUrl, '--uid', uid, '--checkpoints', cpDir(), '--pubkey', pub, '--out', file]);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(readFileSync(file, 'utf8')) as Proof;
  };
  const verifyFile = (file: string, withKey = pub) => cli(['verify-proof', file, '--pubkey', withKey]);

  before(async () => {
    sink = await startSink();
    dir = mkdtempSync(join(tmpdir(), 'audit-proof-'));
    key = join(dir, 'audit.key');
    assert.equal((await cli(['keygen', '--name', 'audit.example/proofs', '--out', key])).code, 0);
    pub = readFileSync(key + '.pub', 'utf8').trim();
    await send('a', 5, '2021-01');
    await send('b', 3, '2021-02');
    await checkpoint();
    await send('c', 9, '2021-01');
    await send('d', 4, '2021-03');
    await checkpoint();
  });
  after(async () => {
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every record of either checkpoint gets a proof that verifies offline, against the first checkpoint that covers it', async () => {
    for (const [tag, n, cp] of [['a', 5, 1], ['b', 3, 1], ['c', 9, 2], ['d', 4, 2]] as const) {
      for (const uid of uidsOf(tag, n)) {
        const file = join(dir, `${uid}.json`);
        const p = await prove(uid, file);
        assert.equal(p.record.uid, uid);
        assert.match(p.checkpoint, new RegExp(`^audit\\.example/proofs\\n\\d+\\n[A-Za-z0-9+/]{43}=\\ncheckpoint ${cp}\\n`));
        const r = await verifyFile(file);
        assert.equal(r.code, 0, `${uid}: ${r.err}`);
        assert.match(r.out, new RegExp(`^proof OK: record ${uid} \\(chain 2021-0\\d#0 seq \\d+\\) is leaf ${p.leaf_index} of ${p.tree_size} in checkpoint ${cp}, signed by audit\\.example/proofs at \\S+Z\\n$`));
      }
    }
  });

  it('the proof is self-contained: the record, the inputs of its row hash, the path and the signed checkpoint', async () => {
    const p = await prove('c-4', join(dir, 'self.json'));
    assert.equal(p.format, 'domain-otel-audit-proof/v1');
    const content = contentHash(p.record);
    assert.equal(content.toString('hex'), p.record.content_hash);
    assert.equal(rowHash(p.record.chain, p.record.seq, Buffer.from(p.record.prev_hash, 'hex'), content).toString('hex'), p.record.row_hash);
    assert.equal(p.record.record && (p.record.record as { attributes: Record<string, string> }).attributes['log.record.uid'], 'c-4');
    // 21 records and the access record of checkpoint 1's run.
    assert.equal(p.tree_size, '22');
    const pathLength = (i: number, n: number): number => {
      if (n <= 1) return 0;
      let k = 1;
      while (k * 2 < n) k *= 2;
      return 1 + (i < k ? pathLength(i, k) : pathLength(i - k, n - k));
    };
    assert.equal(p.inclusion_path.length, pathLength(Number(p.leaf_index), 22));
  });

  it('one byte flipped in the record, the path or the signature, a wrong key or another checkpoint: FAILED with the reason', async () => {
    const good = readFileSync(join(dir, 'a-2.json'), 'utf8');
    const p = JSON.parse(good) as Proof;
    const cases: [string, (q: Proof) => void, RegExp][] = [
      ['user.id in the record', (q) => { (q.record.record as { attributes: Record<string, string> }).attributes['user.id'] = '43'; },
        /FAILED: the record was altered: its content hashes to [0-9a-f]{64}, the proof was made for [0-9a-f]{64}\n$/],
      ['the record, its content hash adjusted', (q) => { q.record.user_id = '43'; q.record.content_hash = contentHash(q.record).toString('hex'); },
        /FAILED: the record does not hash to the row the proof was made for \(row hash [0-9a-f]{64}, expected [0-9a-f]{64}\): its content, chain, seq or prev_hash was altered\n$/],
      ['the record and both its hashes adjusted', (q) => {
        q.record.user_id = '43';
        const content = contentHash(q.record);
        q.record.content_hash = content.toString('hex');
        q.record.row_hash = rowHash(q.record.chain, q.record.seq, Buffer.from(q.record.prev_hash, 'hex'), content).toString('hex');
      }, /FAILED: the record and its inclusion path lead to root \S+, the checkpoint signs \S+ \(record, chain position, path or leaf index altered\)\n$/],
      ['the seq', (q) => { q.record.seq = String(Number(q.record.seq) + 1); },
        /FAILED: the record does not hash to the row the proof was made for/],
      ['the leaf index', (q) => { q.leaf_index = String(Number(q.leaf_index) ^ 1); },
        /FAILED: the record and its inclusion path lead to root/],
      ['a path hash', (q) => { const b = Buffer.from(q.inclusion_path[1]!, 'base64'); b[5] ^= 0x01; q.inclusion_path[1] = b.toString('base64'); },
        /FAILED: the record and its inclusion path lead to root/],
      ['a path hash missing', (q) => { q.inclusion_path.pop(); },
        /FAILED: the inclusion path has \d+ hashes, which does not fit leaf \d+ of a tree of 8/],
      ['the signature', (q) => {
        const [text, sig] = q.checkpoint.split('\n\n');
        const m = /^(\u2014 \S+ )(\S+)\n$/.exec(sig!)!;
        const b = Buffer.from(m[2]!, 'base64');
        b[20] ^= 0x80;
        q.checkpoint = `${text}\n\n${m[1]}${b.toString('base64')}\n`;
      }, /FAILED: checkpoint: the signature by audit\.example\/proofs \(key [0-9a-f]{8}\) does not verify/],
      ['the checkpoint text', (q) => { q.checkpoint = q.checkpoint.replace(/\ntime \S+\n/, '\ntime 2000-01-01T00:00:00.000Z\n'); },
        /FAILED: checkpoint: the signature by audit\.example\/proofs .* does not verify/],
    ];
    for (const [what, change, expected] of cases) {
      const q = JSON.parse(good) as Proof;
      change(q);
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(q));
      const r = await verifyFile(file);
      assert.equal(r.code, 1, `${what}: ${r.out}${r.err}`);
      assert.match(r.err, expected, what);
      assert.equal(r.err.split('\n').length, 2, 'one line');
    }
    // Raw bytes: one byte of the file changed inside the record's JSON text.
    const at = good.indexOf('"user_id": "42"') + '"user_id": "4'.length;
    writeFileSync(join(dir, 'byte.json'), good.slice(0, at) + '3' + good.slice(at + 1));
    const byte = await verifyFile(join(dir, 'byte.json'));
    assert.equal(byte.code, 1);
    assert.match(byte.err, /FAILED: the record was altered/);

    const other = join(dir, 'other.key');
    await cli(['keygen', '--name', 'audit.example/proofs', '--out', other]);
    const wrongKey = await verifyFile(join(dir, 'a-2.json'), readFileSync(other + '.pub', 'utf8').trim());
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.err, /FAILED: checkpoint: the note carries no signature by audit\.example\/proofs \(key [0-9a-f]{8}\)/);
    assert.equal(p.tree_size, '8');
  });

  it('usage errors are one line, exit 2; a record no checkpoint covers yet is exit 1 with what to do', async () => {
    const none = await cli(['verify-proof', join(dir, 'missing.json'), '--pubkey', pub]);
    assert.equal(none.code, 2);
    assert.match(none.err, /^domain-otel-audit: verify-proof ".*missing\.json": cannot read the proof file \(ENOENT/);
    const badKey = await cli(['verify-proof', join(dir, 'a-2.json'), '--pubkey', 'nonsense']);
    assert.equal(badKey.code, 2);
    assert.equal(badKey.err, 'domain-otel-audit: --pubkey "nonsense": expected a verifier key NAME+KEYID+KEYDATA or a file holding one\n');
    await send('e', 1, '2021-04');
    const late = await cli(['prove', '--database-url', sink.readerUrl, '--uid', 'e-0', '--checkpoints', cpDir(), '--pubkey', pub]);
    assert.equal(late.code, 1);
    assert.match(late.err, /record e-0 \(chain 2021-04#0 seq 1\) is not covered by a checkpoint yet; run domain-otel-audit checkpoint first/);
    const unknown = await cli(['prove', '--database-url', sink.readerUrl, '--uid', 'nope', '--checkpoints', cpDir(), '--pubkey', pub]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no record with uid "nope" in the database/);
  });

  it('golang.org/x/mod/sumdb (note + tlog) accepts a proof made by prove: signature, leaf, path', async function () {
    if (!goAvailable()) this.skip(); // go is on the development machine and on CI
    const p = JSON.parse(readFileSync(join(dir, 'c-7.json'), 'utf8')) as Proof;
    const row = rowHash(p.record.chain, p.record.seq, Buffer.from(p.record.prev_hash, 'hex'), contentHash(p.record));
    const root = p.checkpoint.split('\n')[2]!;
    const out = await runGoCheck({
      verifier_key: pub, signer_key: readFileSync(key, 'utf8').trim(), note: p.checkpoint, text_to_sign: 'x\n',
      leaf_data: leafData(row).toString('base64'), leaf_index: Number(p.leaf_index), tree_size: Number(p.tree_size), path: p.inclusion_path, root,
    });
    assert.equal(out.open_error, '');
    assert.equal(out.opened_text, p.checkpoint.split('\n\n')[0] + '\n');
    assert.equal(out.proof_error, '');
  });
});
