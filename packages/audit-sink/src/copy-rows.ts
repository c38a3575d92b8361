/**
 * The new rows of a batch as one `COPY … FROM STDIN` (text format) into the leaf partition
 * (segment) they belong to. COPY is used instead of a multi-row INSERT because its text format needs
 * only backslash, tab, newline and CR escaped, where array literals of a multi-row INSERT
 * escape every quote of every JSON record; the uids were already deduplicated (record_uids),
 * so COPY's lack of ON CONFLICT does not matter.
 */
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

// The chain columns come last, so everything before them can be encoded before the chain lock.
export const COPY_COLUMNS = [
  'time', 'time_unix_nano', 'uid', 'uid_generated', 'event_name', 'action', 'outcome', 'manager', 'entity_id',
  'user_id', 'tenant_id', 'trace_id', 'span_id', 'service', 'received_at', 'record', 'content_hash',
  'seq', 'prev_hash', 'row_hash', 'stream',
] as const;

export type CopyValue = string | null;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field in COPY text format. */
export function copyField(v: CopyValue): string {
  if (v === null) return '\\N';
  return NEEDS_ESCAPE.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v;
}

/** A bytea value in COPY text format: `\x<hex>` with its backslash escaped. */
export function copyBytea(b: Uint8Array): string {
  return '\\\\x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * The timestamptz of a nanosecond time exactly as `domain_otel_audit.ns_to_timestamptz` computes
 * it (truncated to microseconds), so rows land in the same monthly partition as before.
 */
export function nsToTimestamptz(ns: string): string {
  const n = BigInt(ns);
  const seconds = n / 1_000_000_000n;
  const micros = (n % 1_000_000_000n) / 1000n;
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${micros.toString().padStart(6, '0')}+00`;
}

/** Streams `lines` (already COPY-encoded, each ending in a newline) into a records leaf partition. */
export async function copyRows(client: PoolClient, table: string, lines: string[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${COPY_COLUMNS.join(', ')}) FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    // One write per ~1 MiB keeps memory flat for large batches.
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length > 1 << 20) {
        stream.write(chunk);
        chunk = '';
      }
    }
    stream.end(chunk);
  });
}
