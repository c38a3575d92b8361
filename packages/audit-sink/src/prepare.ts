/**
 * Everything about a row that does not depend on its place in a chain, computed before any
 * lock is taken — and, with `--workers`, on another thread: the canonical JSON of the record
 * (stored as is), its content hash, and its COPY line up to the chain columns.
 */
import { RawJson, canonicalJson, sha256 } from './canonical';
import { contentHash, type RowContent } from './chain';
import { copyBytea, copyField, nsToTimestamptz } from './copy-rows';
import { decodeExportLogsRequest, type AcceptWindow, type AuditRecord, type Format } from './otlp';

export interface PreparedRecord {
  uid: string;
  tenantId: string | null;
  /** Effective time, ns since the epoch (decides the month). */
  timeUnixNano: string;
  /** sha256 of the row's canonical content. */
  content: Uint8Array;
  /**
   * sha256 of the canonical JSON of the record alone (what the sender sent, nothing the sink
   * adds): kept with the uid, so a replay of the uid with other content is recognised.
   */
  recordHash: Uint8Array;
  /** The row in COPY text format up to the chain columns (COPY_COLUMNS without seq, prev_hash, row_hash, stream). */
  line: string;
}

export interface PreparedRequest {
  records: PreparedRecord[];
  /** Log records in the request, audit or not. */
  total: number;
  /** Log records of other event names: accepted and not stored. */
  ignored: number;
  /** Audit records refused one by one (partial success), and why the first was. */
  refused: number;
  refusedReason?: string;
}

export function prepareRecords(records: readonly AuditRecord[], receivedAt: Date): PreparedRecord[] {
  const receivedIso = receivedAt.toISOString();
  const received = copyField(receivedIso);
  return records.map((r) => {
    const json = canonicalJson(r.record);
    const content = contentHash(rowContent(r, receivedIso, new RawJson(json)));
    return {
      uid: r.uid, tenantId: r.tenantId, timeUnixNano: r.timeUnixNano, content, recordHash: sha256(json),
      line: copyLineHead(r, received, json, content),
    };
  });
}

/** Decode an OTLP request and prepare its audit records (throws PayloadError for a bad payload). */
export function prepareRequest(body: Uint8Array, format: Format, receivedAt: Date, window?: AcceptWindow): PreparedRequest {
  const decoded = decodeExportLogsRequest(body, format, {
    receivedUnixNano: BigInt(receivedAt.getTime()) * 1_000_000n,
    ...(window ? { window } : {}),
  });
  return {
    records: prepareRecords(decoded.audit, receivedAt),
    total: decoded.total,
    ignored: decoded.ignored,
    refused: decoded.refused,
    ...(decoded.refusedReason !== undefined ? { refusedReason: decoded.refusedReason } : {}),
  };
}

/** The hashed content of a row (see chain.ts). */
export function rowContent(r: AuditRecord, receivedIso: string, record: unknown): RowContent {
  return {
    uid: r.uid,
    uid_generated: r.uidGenerated,
    event_name: r.eventName,
    time_unix_nano: r.timeUnixNano,
    action: r.action,
    outcome: r.outcome,
    manager: r.manager,
    entity_id: r.entityId,
    user_id: r.userId,
    tenant_id: r.tenantId,
    trace_id: r.traceId,
    span_id: r.spanId,
    service: r.service,
    received_at: receivedIso,
    record,
  };
}

function copyLineHead(r: AuditRecord, received: string, json: string, content: Uint8Array): string {
  return [
    nsToTimestamptz(r.timeUnixNano), r.timeUnixNano, copyField(r.uid), r.uidGenerated ? 't' : 'f',
    copyField(r.eventName), copyField(r.action), copyField(r.outcome), copyField(r.manager), copyField(r.entityId),
    copyField(r.userId), copyField(r.tenantId), copyField(r.traceId), copyField(r.spanId), copyField(r.service),
    received, copyField(json), copyBytea(content),
  ].join('\t');
}
