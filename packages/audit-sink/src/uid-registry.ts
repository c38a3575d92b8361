/**
 * The uid registry (`record_uids`): decides inside the request's transaction which records are
 * new, which are replays of what is stored, and which reuse a stored uid for other content.
 *
 * Each uid is registered with the hash of its record (sha256 of the canonical JSON of what the
 * sender sent). A replay whose record hashes the same is a duplicate; one that hashes differently
 * is a *conflict*: it is not stored as an audit record, and is kept whole in `uid_conflicts`
 * (append-only) as evidence. Uids registered before schema version 3 have no hash: the stored row
 * is read and hashed instead.
 */
import type { PoolClient } from 'pg';
import { canonicalJson, sha256 } from './canonical';
import type { PreparedRecord } from './prepare';
import { SCHEMA } from './sql-text';
import { arrayLiteral } from './store';

/** A record to register, with the segment it is written to. */
export interface Placed {
  record: PreparedRecord;
  segment: string;
}

export interface Conflict {
  uid: string;
  /** Segment holding the record stored under the uid (null: that row could not be found). */
  chain: string | null;
  storedHash: Buffer;
  recordHash: Uint8Array;
}

export interface Registration {
  /** Uids registered by this transaction: their records are written. */
  fresh: Set<string>;
  /** Records of the batch that are replays of what is stored (or of an earlier record of the batch). */
  replays: number;
  /** Replays with other content: refused, kept in uid_conflicts. */
  conflicts: Conflict[];
  /** Conflicts not seen before (rows added to uid_conflicts). */
  newConflicts: number;
}

/**
 * Registers the uids of `placed` (one record per uid) and checks every replay: those of stored
 * uids and `repeats`, the later records of the batch with a uid already in `placed`.
 */
export async function registerUids(client: PoolClient, placed: readonly Placed[], repeats: readonly PreparedRecord[]): Promise<Registration> {
  // Not under a chain lock, so concurrent requests do this in parallel; a uid still uncommitted
  // elsewhere makes us wait for that transaction's outcome. Sorted: no deadlock between batches.
  const inserted = await client.query<{ uid: string }>(
    `INSERT INTO ${SCHEMA}.record_uids (uid, chain, record_hash)
     SELECT u, c, decode(h, 'hex') FROM unnest($1::text[], $2::text[], $3::text[]) AS t(u, c, h) ORDER BY u
     ON CONFLICT (uid) DO NOTHING RETURNING uid`,
    [arrayLiteral(placed.map((p) => p.record.uid)), arrayLiteral(placed.map((p) => p.segment)), arrayLiteral(placed.map((p) => hex(p.record.recordHash)))],
  );
  const fresh = new Set(inserted.rows.map((row) => row.uid));
  const reg: Registration = { fresh, replays: placed.length - fresh.size + repeats.length, conflicts: [], newConflicts: 0 };
  if (reg.replays === 0) return reg;

  const first = new Map(placed.map((p) => [p.record.uid, p]));
  const replayed = placed.filter((p) => !fresh.has(p.record.uid)).map((p) => p.record);
  const stored = await storedHashes(client, [...new Set([...replayed, ...repeats].map((r) => r.uid).filter((u) => !fresh.has(u)))]);
  const conflicting: PreparedRecord[] = [];
  for (const r of [...replayed, ...repeats]) {
    // Against what is stored, or, for a uid new in this batch, against its first record.
    const known = fresh.has(r.uid)
      ? { hash: Buffer.from(first.get(r.uid)!.record.recordHash), chain: first.get(r.uid)!.segment }
      : stored.get(r.uid);
    if (!known || known.hash.equals(r.recordHash)) continue;
    reg.conflicts.push({ uid: r.uid, chain: known.chain, storedHash: known.hash, recordHash: r.recordHash });
    conflicting.push(r);
  }
  if (conflicting.length > 0) reg.newConflicts = await keepConflicts(client, conflicting, reg.conflicts);
  return reg;
}

/** Hash and segment of the records stored under `uids`; hashed from the row for uids of schema version 2. */
async function storedHashes(client: PoolClient, uids: string[]): Promise<Map<string, { hash: Buffer; chain: string | null }>> {
  const out = new Map<string, { hash: Buffer; chain: string | null }>();
  if (uids.length === 0) return out;
  const known = await client.query<{ uid: string; chain: string; record_hash: Buffer | null }>(
    `SELECT uid, chain, record_hash FROM ${SCHEMA}.record_uids WHERE uid = ANY($1::text[])`,
    [uids],
  );
  const unhashed = new Map<string, string>();
  for (const row of known.rows) {
    if (row.record_hash) out.set(row.uid, { hash: row.record_hash, chain: row.chain });
    else unhashed.set(row.uid, row.chain);
  }
  if (unhashed.size > 0) {
    // jsonb gives the record back with its keys reordered; its canonical JSON is the same text.
    const rows = await client.query<{ uid: string; record: unknown }>(
      `SELECT uid, record FROM ${SCHEMA}.records WHERE uid = ANY($1::text[])`,
      [[...unhashed.keys()]],
    );
    for (const row of rows.rows) out.set(row.uid, { hash: sha256(canonicalJson(row.record)), chain: unhashed.get(row.uid)! });
  }
  return out;
}

/** Adds the conflicting records to uid_conflicts (each distinct one once); returns how many were new. */
async function keepConflicts(client: PoolClient, records: PreparedRecord[], conflicts: Conflict[]): Promise<number> {
  // The prepared COPY line holds what is kept: received_at and the record's JSON (fields 14 and 15 from 0).
  const fields = records.map((r) => r.line.split('\t'));
  const res = await client.query(
    `INSERT INTO ${SCHEMA}.uid_conflicts (uid, record_hash, stored_hash, chain, received_at, record)
     SELECT u, decode(h, 'hex'), decode(s, 'hex'), c, t, r::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS x(u, h, s, c, t, r)
     ON CONFLICT (uid, record_hash) DO NOTHING`,
    [
      conflicts.map((c) => c.uid),
      conflicts.map((c) => hex(c.recordHash)),
      conflicts.map((c) => c.storedHash.toString('hex')),
      conflicts.map((c) => c.chain),
      fields.map((f) => f[14]!),
      fields.map((f) => copyFieldValue(f[15]!)),
    ],
  );
  return res.rowCount ?? 0;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The value of a field in COPY text format (the inverse of copy-rows.ts copyField for non-null values). */
function copyFieldValue(field: string): string {
  return field.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}
