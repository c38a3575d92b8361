/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, in the key encodings of
 * golang.org/x/mod/sumdb/note, so that the checkpoints can be read by existing witness and
 * transparency tooling:
 *
 *   note          = text ("\n"-terminated) || "\n" || signature line+
 *   signature line = "— " || key name || " " || base64(key ID (4 bytes, big-endian) || Ed25519 signature of text) || "\n"
 *   key ID        = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]
 *   verifier key  = <name>+<key ID, 8 hex digits>+base64(0x01 || public key)
 *   signer key    = PRIVATE+KEY+<name>+<key ID>+base64(0x01 || 32-byte private seed)
 *
 * Ed25519 itself is node:crypto's.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

const ALG_ED25519 = 0x01;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const EM_DASH = '\u2014';

export class NoteError extends Error {
  override name = 'NoteError';
}

export interface VerifierKey {
  name: string;
  keyId: number;
  publicKey: Buffer;
}

export interface SignerKey extends VerifierKey {
  privateKey: KeyObject;
}

/** Key names: non-empty, no Unicode space, no '+', no control character. */
export function checkKeyName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || /[\s\u0085+\u0000-\u001f\u007f]/u.test(name)) {
    throw new NoteError(`key name ${JSON.stringify(name)}: expected a non-empty name without spaces or '+', such as audit.example.com/prod`);
  }
}

export function keyId(name: string, publicKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ALG_ED25519])).update(publicKey).digest().readUInt32BE(0);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function publicKeyOf(privateKey: KeyObject): Buffer {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

export function generateNoteKey(name: string): { signer: string; verifier: string } {
  checkKeyName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = der.subarray(der.length - 32);
  const pub = publicKeyOf(privateKey);
  const id = hex8(keyId(name, pub));
  return {
    signer: `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([ALG_ED25519]), seed]).toString('base64')}`,
    verifier: `${name}+${id}+${Buffer.concat([Buffer.from([ALG_ED25519]), pub]).toString('base64')}`,
  };
}

function decodeKeyData(what: string, data: string): Buffer {
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(data) ? Buffer.from(data, 'base64') : Buffer.alloc(0);
  if (raw.length !== 33 || raw[0] !== ALG_ED25519) throw new NoteError(`${what}: expected base64 of 0x01 followed by a 32-byte Ed25519 key`);
  return raw.subarray(1);
}

/** Splits on '+' into at most n parts, the last one keeping its '+' (base64 key data has some). */
function splitN(text: string, n: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (parts.length < n - 1) {
    const i = rest.indexOf('+');
    if (i < 0) break;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  parts.push(rest);
  return parts;
}

export function parseVerifierKey(text: string): VerifierKey {
  const parts = splitN(text.trim(), 3);
  if (parts.length !== 3 || !/^[0-9a-f]{8}$/.test(parts[1]!)) {
    throw new NoteError(`verifier key ${JSON.stringify(text.trim().slice(0, 60))}: expected NAME+KEYID+KEYDATA as printed by domain-otel-audit keygen`);
  }
  const [name, id, data] = parts as [string, string, string];
  checkKeyName(name);
  const publicKey = decodeKeyData('verifier key', data);
  if (hex8(keyId(name, publicKey)) !== id) throw new NoteError(`verifier key for ${name}: key ID ${id} does not match the key`);
  return { name, keyId: parseInt(id, 16), publicKey };
}

export function parseSignerKey(text: string): SignerKey {
  const parts = splitN(text.trim(), 5);
  if (parts.length !== 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY' || !/^[0-9a-f]{8}$/.test(parts[3]!)) {
    throw new NoteError('signing key: expected PRIVATE+KEY+NAME+KEYID+KEYDATA as written by domain-otel-audit keygen');
  }
  const [, , name, id, data] = parts as [string, string, string, string, string];
  checkKeyName(name);
  const seed = decodeKeyData('signing key', data);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = publicKeyOf(privateKey);
  if (hex8(keyId(name, publicKey)) !== id) throw new NoteError(`signing key for ${name}: key ID ${id} does not match the key`);
  return { name, keyId: parseInt(id, 16), publicKey, privateKey };
}

export function verifierKeyText(key: VerifierKey): string {
  return `${key.name}+${hex8(key.keyId)}+${Buffer.concat([Buffer.from([ALG_ED25519]), key.publicKey]).toString('base64')}`;
}

/** Checks what the format requires of a note text: UTF-8 text ending in a newline, no control character but newline. */
function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('note text must end with a newline');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteError('note text must not contain control characters other than newline');
}

export function signNote(text: string, key: SignerKey): string {
  checkText(text);
  const sig = sign(null, Buffer.from(text, 'utf8'), key.privateKey);
  const idBytes = Buffer.alloc(4);
  idBytes.writeUInt32BE(key.keyId);
  return `${text}\n${EM_DASH} ${key.name} ${Buffer.concat([idBytes, sig]).toString('base64')}\n`;
}

/**
 * Opens a signed note: returns its text when it carries a valid signature by `key`. Signatures by
 * other keys are ignored, as the format requires; a signature by `key` that does not verify, or
 * none at all, is an error whose message says which.
 */
export function openNote(note: string, key: VerifierKey): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new NoteError('malformed note: control characters other than newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed note: no blank line between the text and the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2);
  if (!lines.endsWith('\n')) throw new NoteError('malformed note: the last signature line does not end with a newline');
  let found = false;
  for (const line of lines.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m) throw new NoteError(`malformed note: signature line ${JSON.stringify(line.slice(0, 60))}`);
    const raw = Buffer.from(m[2]!, 'base64');
    if (raw.length < 5) throw new NoteError(`malformed note: signature of ${m[1]} is too short`);
    if (m[1] !== key.name || raw.readUInt32BE(0) !== key.keyId) continue;
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, key.publicKey]), format: 'der', type: 'spki' });
    if (raw.length !== 68 || !verify(null, Buffer.from(text, 'utf8'), publicKey, raw.subarray(4))) {
      throw new NoteError(`the signature by ${key.name} (key ${hex8(key.keyId)}) does not verify: the note was altered or signed by another key`);
    }
    found = true;
  }
  if (!found) throw new NoteError(`the note carries no signature by ${key.name} (key ${hex8(key.keyId)})`);
  return text;
}
