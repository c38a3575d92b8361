import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_LOG_RECORD_UID } from '@domain-otel/semantic-conventions';
import type { DeliveryTicket } from '@domain-otel/api';
import type { SpoolPosition } from '../spool/spool';

/**
 * An audit record in the processor's queue: its strict-delivery ticket if any (see
 * @domain-otel/api delivery.ts), and where it sits in the spool if it was read from there
 * (a record without a position exists only in memory).
 */
export interface AuditEntry {
  record: ReadableLogRecord;
  ticket: DeliveryTicket | undefined;
  spooled?: SpoolPosition;
  /** A copy was written to the spool while this entry's export was stalled (see AuditLogRecordProcessor). */
  copied?: true;
}

/** Only in memory: lost if the process dies now. */
export function inMemoryOnly(e: AuditEntry): boolean {
  return e.spooled === undefined && e.copied === undefined;
}

export function uidOf(record: ReadableLogRecord): string | undefined {
  const v = record.attributes[ATTR_LOG_RECORD_UID];
  return typeof v === 'string' ? v : undefined;
}
