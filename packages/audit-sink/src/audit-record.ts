/**
 * Audit-row extraction: a decoded audit log record (its `record` JSON, plain-record.ts) becomes
 * the record the sink stores — with its uid, its effective time and the columns extracted for
 * queries (sql/001_init.sql).
 */
import {
  ATTR_DOMAIN_AUDIT_ACTION,
  ATTR_DOMAIN_AUDIT_OUTCOME,
  ATTR_DOMAIN_ENTITY_ID,
  ATTR_DOMAIN_MANAGER_NAME,
  ATTR_DOMAIN_MUTATION_ACTION,
  ATTR_DOMAIN_MUTATION_OUTCOME,
  ATTR_DOMAIN_TENANT_ID,
  ATTR_LOG_RECORD_UID,
  ATTR_USER_ID,
} from '@domain-otel/semantic-conventions';
import { canonicalJson, sha256, storableString, type PlainValue } from './canonical';
import { ATTR_SERVICE_NAME } from './conventions';
import { MAX_INT64 } from './otlp-values';
import type { PlainRecord } from './plain-record';

/** Extracted columns are capped (btree index entries are limited to ~2.7 kB); the full value stays in `record`. */
export const MAX_COLUMN_CHARS = 256;
/** Longer `log.record.uid` values are replaced by a hash of themselves. */
export const MAX_UID_CHARS = 256;

/** One audit record, ready to be chained and stored. */
export interface AuditRecord {
  uid: string;
  uidGenerated: boolean;
  eventName: string;
  /** Effective time in ns since the epoch (decimal string): time, else observed time, else receive time. */
  timeUnixNano: string;
  action: string | null;
  outcome: string | null;
  manager: string | null;
  entityId: string | null;
  userId: string | null;
  tenantId: string | null;
  traceId: string | null;
  spanId: string | null;
  service: string | null;
  record: PlainRecord;
}

/** The audit record of a decoded log record; `receivedUnixNano` is its time when it carries none. */
export function toAuditRecord(record: PlainRecord, receivedUnixNano: bigint): AuditRecord {
  const attributes = record.attributes;
  return {
    ...uidOf(record),
    eventName: record.eventName,
    timeUnixNano: effectiveTime(record.timeUnixNano, record.observedTimeUnixNano, receivedUnixNano),
    action: columnText(attributes[ATTR_DOMAIN_AUDIT_ACTION] ?? attributes[ATTR_DOMAIN_MUTATION_ACTION]),
    outcome: columnText(attributes[ATTR_DOMAIN_AUDIT_OUTCOME] ?? attributes[ATTR_DOMAIN_MUTATION_OUTCOME]),
    manager: columnText(attributes[ATTR_DOMAIN_MANAGER_NAME]),
    entityId: columnText(attributes[ATTR_DOMAIN_ENTITY_ID]),
    userId: columnText(attributes[ATTR_USER_ID]),
    tenantId: columnText(attributes[ATTR_DOMAIN_TENANT_ID]),
    traceId: record.traceId,
    spanId: record.spanId,
    service: columnText(record.resource.attributes[ATTR_SERVICE_NAME]),
    record,
  };
}

/** The record's `log.record.uid`; a hash of the content when it has none, a hash of the uid when it is too long. */
function uidOf(record: PlainRecord): { uid: string; uidGenerated: boolean } {
  const uid = columnTextUncapped(record.attributes[ATTR_LOG_RECORD_UID]);
  // No uid: derive one from the content so a replay of the same record maps to the same row.
  if (uid === null) return { uid: 'sha256:' + sha256(canonicalJson(record)).toString('hex'), uidGenerated: true };
  if (uid.length > MAX_UID_CHARS) return { uid: 'sha256:' + sha256(uid).toString('hex'), uidGenerated: true };
  return { uid, uidGenerated: false };
}

function columnText(v: PlainValue | undefined): string | null {
  const s = columnTextUncapped(v);
  if (s === null) return null;
  return s.length > MAX_COLUMN_CHARS ? storableString(s.slice(0, MAX_COLUMN_CHARS - 1)) + '…' : s;
}

function columnTextUncapped(v: PlainValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v : typeof v === 'object' ? canonicalJson(v) : String(v);
  return s === '' ? null : s;
}

/** First of time, observed time, receive time that is a usable timestamp (0 < t ≤ int64 max). */
function effectiveTime(time: string, observed: string, received: bigint): string {
  for (const t of [time, observed]) {
    const n = BigInt(t);
    if (n > 0n && n <= MAX_INT64) return t;
  }
  return received.toString();
}
