import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { DeliveryTicket } from '@domain-otel/api';
import type { AuditSpool } from '../spool/spool';
import type { AuditEntry } from './audit-entry';
import { uidOf } from './audit-entry';

/**
 * The audit queue's way into and out of the spool: records go in without their tickets
 * (a ticket cannot be written to disk), which wait here by uid until the record is read back,
 * exported and acknowledged.
 */
export class SpoolBridge {
  private readonly tickets = new Map<string, DeliveryTicket>();

  constructor(readonly spool: AuditSpool) {}

  /** Whether new records must go to the spool to stay behind the ones already there. */
  get active(): boolean {
    return !this.spool.isEmpty();
  }

  /** Spools one entry; false when the spool is full. */
  put(entry: AuditEntry): boolean {
    if (!this.spool.append(entry.record)) return false;
    const uid = uidOf(entry.record);
    entry.ticket?.queued(uid);
    if (entry.ticket && uid !== undefined) this.tickets.set(uid, entry.ticket);
    return true;
  }

  /**
   * Spools the memory-only entries of `queue`, in order, and returns the queue without them.
   * Entries of an export still in flight (`inFlight`) are copied but stay queued, marked
   * `copied`; a copied entry no longer in flight is dropped from the queue (its copy is in the
   * spool). If the spool fills up, the rest stays in memory.
   */
  spill(queue: readonly AuditEntry[], inFlight: ReadonlySet<AuditEntry> = new Set()): AuditEntry[] {
    const kept: AuditEntry[] = [];
    let full = false;
    for (const e of queue) {
      if (e.spooled) {
        kept.push(e);
      } else if (e.copied) {
        if (inFlight.has(e)) kept.push(e);
      } else if (!full && this.put(e)) {
        if (inFlight.has(e)) {
          e.copied = true;
          kept.push(e);
        }
      } else {
        full = true;
        kept.push(e);
      }
    }
    return kept;
  }

  /** Up to `max` spooled records as queue entries, tickets reattached. */
  async take(max: number): Promise<AuditEntry[]> {
    const read = await this.spool.read(max);
    return read.map(({ record, position }) => {
      const uid = uidOf(record);
      const ticket = uid !== undefined ? this.tickets.get(uid) : undefined;
      if (uid !== undefined) this.tickets.delete(uid);
      return { record, ticket, spooled: position };
    });
  }

  /** The handled prefix of a batch: acknowledges its last spooled entry (and so all before it). */
  handled(entries: readonly AuditEntry[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const p = entries[i]!.spooled;
      if (p) {
        this.spool.acknowledge(p);
        return;
      }
    }
  }

  /** The tickets of these records (which will not be read back), settled by `settle`. */
  rejectTickets(records: readonly ReadableLogRecord[], settle: (ticket: DeliveryTicket) => void): void {
    for (const r of records) {
      const uid = uidOf(r);
      const t = uid !== undefined ? this.tickets.get(uid) : undefined;
      if (t && uid !== undefined) {
        this.tickets.delete(uid);
        settle(t);
      }
    }
  }

  /** Tickets of records still in the spool at shutdown: they are delivered by the next start, not now. */
  releaseTickets(why: (ticket: DeliveryTicket) => void): void {
    for (const t of this.tickets.values()) why(t);
    this.tickets.clear();
  }

  spillSync(records: readonly ReadableLogRecord[]): number {
    return this.spool.spillSync(records);
  }
}
