/**
 * C2SP signed notes and the checkpoint text, checked against the spec's definitions and against
 * golang.org/x/mod/sumdb/note (run through test/go-note-check when `go` is installed, as on CI).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bodyText, parseBody } from '../src/checkpoint-format';
import { BatchTree, CompactRange, LeafList, leafData, leafHash } from '../src/merkle';
import { generateNoteKey, keyId, openNote, parseSignerKey, parseVerifierKey, signNote, verifierKeyText } from '../src/signed-note';
import { goAvailable, runGoCheck } from './helpers/go-note-check';

describe('audit-sink signed notes (C2SP signed-note, tlog-checkpoint)', function () {
  this.timeout(300_000);
  const keys = generateNoteKey('audit.example/prod');
  const signer = parseSignerKey(keys.signer);
  const verifier = parseVerifierKey(keys.verifier);

  it('keys: NAME+ID+base64(0x01||key), key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]', () => {
    assert.match(keys.verifier, /^audit\.example\/prod\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43}[A-Za-z0-9+/=]$/);
    assert.match(keys.signer, /^PRIVATE\+KEY\+audit\.example\/prod\+[0-9a-f]{8}\+/);
    const raw = Buffer.from(keys.verifier.split('+').slice(2).join('+'), 'base64');
    assert.equal(raw[0], 0x01);
    const id = createHash('sha256').update('audit.example/prod\n').update(Buffer.from([0x01])).update(raw.subarray(1)).digest().readUInt32BE(0);
    assert.equal(keyId('audit.example/prod', raw.subarray(1)), id);
    assert.equal(verifier.keyId, id);
    assert.deepEqual(signer.publicKey, verifier.publicKey);
    assert.equal(verifierKeyText(verifier), keys.verifier);
    assert.throws(() => generateNoteKey('has space'), /expected a non-empty name without spaces or '\+'/);
    assert.throws(() => parseVerifierKey(keys.verifier.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), /key ID 00000000 does not match the key/);
    assert.throws(() => parseSignerKey(keys.verifier), /expected PRIVATE\+KEY\+NAME\+KEYID\+KEYDATA/);
  });

  it('a note is its text, a blank line and "— name base64(key ID || Ed25519 signature)"; altered or foreign notes are refused with the reason', () => {
    const text = 'line one\nline two\n';
    const note = signNote(text, signer);
    const [body, sigs] = note.split('\n\n');
    assert.equal(body + '\n', text);
    const m = /^\u2014 audit\.example\/prod ([A-Za-z0-9+/]+=*)\n$/.exec(sigs!);
    assert.ok(m, sigs);
    const sig = Buffer.from(m[1]!, 'base64');
    assert.equal(sig.length, 68);
    assert.equal(sig.readUInt32BE(0), verifier.keyId);
    assert.equal(openNote(note, verifier), text);

    assert.throws(() => openNote(note.replace('line two', 'line 2'), verifier), /signature by audit\.example\/prod \(key [0-9a-f]{8}\) does not verify/);
    const other = parseVerifierKey(generateNoteKey('audit.example/prod').verifier);
    assert.throws(() => openNote(note, other), /carries no signature by audit\.example\/prod/);
    const cosigned = note + '\u2014 witness.example/w1 ' + Buffer.alloc(68, 7).toString('base64') + '\n';
    assert.equal(openNote(cosigned, verifier), text, 'signatures by unknown keys are ignored');
    assert.throws(() => signNote('no newline', signer), /must end with a newline/);
    assert.throws(() => openNote('text\n\ngarbage\n', verifier), /malformed note: signature line/);
  });

  it('the checkpoint text: origin, size, base64 root, then the checkpoint, time, prev and manifest lines', () => {
    const body = { origin: 'audit.example/prod', size: 1234n, root: Buffer.alloc(32, 1), number: 3, time: '2026-01-02T03:04:05.678Z', prev: Buffer.alloc(32, 2), manifest: Buffer.alloc(32, 3) };
    const text = bodyText(body);
    assert.equal(text, `audit.example/prod\n1234\n${Buffer.alloc(32, 1).toString('base64')}\ncheckpoint 3\ntime 2026-01-02T03:04:05.678Z\n` +
      `prev ${Buffer.alloc(32, 2).toString('base64')}\nmanifest ${Buffer.alloc(32, 3).toString('base64')}\n`);
    assert.deepEqual(parseBody(text), body);
    assert.equal(bodyText({ ...body, number: 1, prev: null }).split('\n')[5], 'prev -');
    assert.throws(() => parseBody(text.replace('1234', '01234')), /malformed checkpoint: tree size line/);
  });

  it('golang.org/x/mod/sumdb/note opens our checkpoint, signs identically with our key, and its keys and notes open here; tlog checks our inclusion proof', async function () {
    if (!goAvailable()) this.skip(); // go is on the development machine and on CI
    const leaves = new LeafList();
    const rows = Array.from({ length: 11 }, (_, i) => createHash('sha256').update(`row ${i}`).digest());
    const prev = new CompactRange();
    for (const r of rows.slice(0, 6)) prev.appendRow(r);
    for (const r of rows.slice(6)) leaves.push(leafHash(r));
    const tree = new BatchTree(prev, leaves);
    const text = bodyText({ origin: 'audit.example/prod', size: 11n, root: tree.root(), number: 2, time: '2026-01-02T03:04:05.678Z', prev: Buffer.alloc(32, 9), manifest: Buffer.alloc(32, 8) });
    const note = signNote(text, signer);
    const out = await runGoCheck({
      verifier_key: keys.verifier, signer_key: keys.signer, note, text_to_sign: text,
      leaf_data: leafData(rows[8]!).toString('base64'), leaf_index: 8, tree_size: 11,
      path: tree.inclusionPath(8).map((h) => h.toString('base64')), root: tree.root().toString('base64'),
    });
    assert.equal(out.open_error, '');
    assert.equal(out.opened_text, text);
    assert.equal(out.signed_by_our_key, note, 'Ed25519 is deterministic: the same key signs the same text to the same note');
    assert.equal(out.leaf_hash, leafHash(rows[8]!).toString('base64'));
    assert.equal(out.proof_error, '', 'tlog.CheckRecord accepts the inclusion path');
    const goVerifier = parseVerifierKey(out.go_verifier_key);
    assert.equal(openNote(out.go_signed_note, goVerifier), text);
    assert.equal(signNote(text, parseSignerKey(out.go_signer_key)), out.go_signed_note);
  });
});
