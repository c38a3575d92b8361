/**
 * The hash chains. Each segment (leaf partition: one month, shared or one tenant's) holds
 * `streams` chains named `<segment>#<stream>`; a month created by schema version 1 is one
 * segment with one chain named after the month. Rows of a chain are numbered seq = 1, 2, …
 *
 *   content_hash = sha256("domain-otel-audit/content/v1\n" + canonicalJson(content))
 *   prev_hash    = row_hash of seq - 1, or the chain's genesis hash for seq 1
 *   row_hash     = sha256("domain-otel-audit/row/v1\n" + chain + "\n" + seq + "\n" + prev_hash + content_hash)
 *   genesis      = sha256("domain-otel-audit/genesis/v1\n" + chain)
 *
 * `content` is every stored column except the hashes, seq and the derived `time`
 * (verify checks `time` against `time_unix_nano` separately), with `record` as parsed
 * from jsonb. The sink computes all of it before the INSERT; `verify` recomputes it from
 * what Postgres returns.
 */
import { createHash, hash } from 'node:crypto';
import { RawJson, canonicalJson, sha256 } from './canonical';
import type { ExtractedColumns } from './columns';
import type { PlainRecord } from './plain-record';

export interface RowContent extends ExtractedColumns {
  uid_generated: boolean;
  /** ISO-8601 with milliseconds, UTC. */
  received_at: string;
  record: PlainRecord | unknown;
}

export function contentHash(c: RowContent): Buffer {
  // The canonical JSON of {v: 1, uid, …, record}, written with its keys already in canonical
  // (sorted) order; the record, the largest part, is hashed without being copied into it.
  const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));
  const record = c.record instanceof RawJson ? c.record.json : canonicalJson(c.record);
  return createHash('sha256')
    .update('domain-otel-audit/content/v1\n')
    .update(
      `{"action":${str(c.action)},"entity_id":${str(c.entity_id)},"event_name":${str(c.event_name)},` +
        `"manager":${str(c.manager)},"outcome":${str(c.outcome)},"received_at":${str(c.received_at)},"record":`,
    )
    .update(record)
    .update(
      `,"service":${str(c.service)},"span_id":${str(c.span_id)},"tenant_id":${str(c.tenant_id)},` +
        `"time_unix_nano":${str(c.time_unix_nano)},"trace_id":${str(c.trace_id)},"uid":${str(c.uid)},` +
        `"uid_generated":${c.uid_generated ? 'true' : 'false'},"user_id":${str(c.user_id)},"v":1}`,
    )
    .digest();
}

export function rowHash(chain: string, seq: bigint | number | string, prev: Uint8Array, content: Uint8Array): Buffer {
  // One-shot over one buffer: about a third cheaper than a Hash object with three updates.
  return hash('sha256', Buffer.concat([Buffer.from(`domain-otel-audit/row/v1\n${chain}\n${String(seq)}\n`, 'utf8'), prev, content]), 'buffer');
}

export function genesisHash(chain: string): Buffer {
  return sha256(`domain-otel-audit/genesis/v1\n${chain}`);
}

/** Month ('YYYY-MM', UTC) of a ns timestamp. */
export function monthOfUnixNano(ns: string | bigint): string {
  const ms = Number(BigInt(ns) / 1_000_000n);
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Id of the chain `stream` of a segment; a version-1 segment has one chain named after it. */
export function chainId(segment: string, stream: number, numbered: boolean): string {
  return numbered ? `${segment}#${stream}` : segment;
}

/** The ids of every chain of a segment, by stream. */
export function chainIds(segment: string, streams: number, numbered: boolean): string[] {
  return Array.from({ length: streams }, (_, stream) => chainId(segment, stream, numbered));
}

/** The month part of a segment or chain id. */
export function monthOf(id: string): string {
  return id.slice(0, 7);
}

/**
 * Advisory lock key (two int4) serialising appends to one chain, derived from its id. Two
 * chains sharing a key (1 in 2^32) only take turns; they stay correct.
 */
export function chainLockKey(chain: string): [number, number] {
  return [1096107093, sha256(chain).readInt32BE(0)];
}
