/**
 * Everything about a row that does not depend on its place in a chain, computed before any
 * lock is taken — and, with `--workers`, on another thread: the canonical JSON of the record
 * (stored as is), its content hash, and its COPY line up to the chain columns.
 */
import { RawJson, canonicalJson, sha256 } from './canonical';
import { contentHash, type RowContent } from './chain';
import { copyBytea, copyField, nsToTimestamptz } from './copy-rows';
import { RequestTooLarge, type RefusedByReason } from './limits';
import type { AuditRecord } from './audit-record';
import { streamExportLogsRequest } from './otlp';
import type { Format } from './otlp-values';
import type { AcceptWindow } from './time-window';

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
  /** The refused ones per reason (for the sink's metrics). */
  refusedBy: RefusedByReason;
}

export function prepareRecords(records: readonly AuditRecord[], receivedAt: Date): PreparedRecord[] {
  const prepare = recordPreparer(receivedAt);
  return records.map(prepare);
}

function recordPreparer(receivedAt: Date): (r: AuditRecord) => PreparedRecord {
  const receivedIso = receivedAt.toISOString();
  const received = copyField(receivedIso);
  return (r) => {
    const json = canonicalJson(r.record);
    const content = contentHash(rowContent(r, receivedIso, new RawJson(json)));
    return {
      uid: r.uid, tenantId: r.tenantId, timeUnixNano: r.timeUnixNano, content, recordHash: sha256(json),
      line: copyLineHead(r, received, json, content),
    };
  };
}

export interface PrepareLimits {
  /** Records outside this window around the receive time are refused (partial success). */
  window?: AcceptWindow;
  /**
   * Row text one request may prepare (characters of COPY lines): every record repeats its
   * resource and scope, so a small body can expand; beyond this the request is RequestTooLarge.
   */
  maxRowChars?: number;
}

/**
 * Decode an OTLP request and prepare its audit records, each as soon as it is decoded (so the
 * decoded form of one record at a time is alive). Throws PayloadError (400) or RequestTooLarge (413).
 */
export function prepareRequest(body: Uint8Array, format: Format, receivedAt: Date, limits: PrepareLimits = {}): PreparedRequest {
  const prepare = recordPreparer(receivedAt);
  const records: PreparedRecord[] = [];
  let chars = 0;
  const counts = streamExportLogsRequest(
    body,
    format,
    { receivedUnixNano: BigInt(receivedAt.getTime()) * 1_000_000n, ...(limits.window ? { window: limits.window } : {}) },
    (r) => {
      const p = prepare(r);
      chars += p.line.length;
      if (limits.maxRowChars !== undefined && chars > limits.maxRowChars) {
        throw new RequestTooLarge(
          `the request's ${records.length + 1}+ audit records expand to more than ${limits.maxRowChars} characters of rows ` +
            '(each row repeats its resource and scope); send smaller batches',
        );
      }
      records.push(p);
    },
  );
  return {
    records,
    total: counts.total,
    ignored: counts.ignored,
    refused: counts.refused,
    ...(counts.refusedReason !== undefined ? { refusedReason: counts.refusedReason } : {}),
    refusedBy: counts.refusedBy,
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
