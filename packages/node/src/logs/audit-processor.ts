import { context as otelContext } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { AuditDeliveryFailure, DeliveryTicket } from '@domain-otel/api';
import { deliveryTicketOf } from '@domain-otel/instrumentation-domain';
import type { AuditSpool } from '../spool/spool';
import type { AuditEntry } from './audit-entry';
import { inMemoryOnly, uidOf } from './audit-entry';
import type { DeadLetterFile } from './dead-letter';
import { exportIsolating } from './isolating-export';
import type { RefusalClassifier } from './refusal';
import { SpoolBridge } from './spool-bridge';

export interface AuditProcessorOptions {
  exporter: LogRecordExporter;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  /** strict: export at once (group commit), since callers wait for the acknowledgement. */
  strict: boolean;
  onDropped: (reason: AuditDeliveryFailure, count: number) => void;
  /** Which export failures refuse the records themselves, for good (refusal.ts). Default: none. */
  refusal?: RefusalClassifier;
  /** Where refused records are kept for `domain-otel-resend`. */
  deadLetter?: DeadLetterFile;
  /** Told about every refusal once its records were set aside (for the log line). */
  onRefused?: (refusal: Refusal) => void;
  /** Where records go when the queue is full or the collector fails (see spool/spool.ts). */
  spool?: AuditSpool;
  /** An export running longer than this counts as failing (default 1000 ms). */
  stallMillis?: number;
}

export interface Refusal {
  uids: (string | undefined)[];
  /** The receiver's answer for the first of them. */
  why: string;
  /** The dead-letter file they were written to, if any. */
  file?: string;
  /** Why they could not be written there. */
  writeError?: unknown;
}

/** What happened to the records still undelivered when the process exits. */
export interface ExitOutcome {
  /** Records in the spool, not delivered yet (sent by the next start). */
  spooled: number;
  /** Neither delivered nor spooled: lost. */
  undelivered: number;
}

const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 5000];
const STALL_MS = 1000;

/**
 * The audit records' own processor and queue: ordinary log volume can never evict them.
 *
 * - A full queue or a failing collector sends records to the spool (when on): an append-only
 *   file on local disk, read back in order once export recovers; while it holds records, new
 *   ones go there too, so the order is kept. Without the spool they are dropped and counted.
 *   An export still running after `stallMillis` (the exporter retries an unreachable collector
 *   for up to its timeout) counts as failing: what is only in memory is written to the spool,
 *   the batch in flight included (if that export succeeds after all, its copies are sent again
 *   later and the sink keeps each uid once).
 * - Failed exports are retried with backoff. A batch the receiver refuses for good is split
 *   until the refused records are isolated: those are dead-lettered and counted as rejected,
 *   the rest delivered, so one bad record never blocks the queue.
 * - strict: one export carries every record emitted meanwhile (group commit) and settles each
 *   record's delivery ticket, acknowledged on export or rejected with the reason.
 */
export class AuditLogRecordProcessor implements LogRecordProcessor {
  private queue: AuditEntry[] = [];
  private readonly spool: SpoolBridge | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;
  /** The export in flight has run longer than stallMillis. */
  private stalled = false;
  /** A kick is already scheduled for the next turn (one per turn, not one per record). */
  private kickPending = false;
  /** Records delivered or set aside so far: how forceFlush sees progress. */
  private handledTotal = 0;
  private shutDown = false;

  constructor(private readonly options: AuditProcessorOptions) {
    this.spool = options.spool ? new SpoolBridge(options.spool) : undefined;
    if (this.spool?.spool.hasUnread()) this.schedule(); // a spool adopted from a dead process
  }

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    const entry: AuditEntry = { record, ticket: deliveryTicketOf(context) };
    if (this.shutDown) {
      this.drop([entry], 'shutdown', 'domain-otel has shut down; the audit record was not queued');
      return;
    }
    const full = this.queue.length >= this.options.maxQueueSize;
    if (this.spool && (full || this.failures > 0 || this.stalled || this.spool.active)) {
      if (this.spool.put(entry)) {
        this.schedule();
        return;
      }
      // the spool is full (or its disk failed): memory while there is room, else dropped
      if (full) {
        this.drop([entry], 'spool_full', 'the audit queue and the spool are full; the record was dropped');
        return;
      }
    }
    if (full) {
      this.drop([entry], 'queue_full', `the audit queue is full (${this.options.maxQueueSize} records); the record was dropped`);
      return;
    }
    this.queue.push(entry);
    entry.ticket?.queued(uidOf(record));
    this.schedule();
  }

  /** Exports everything queued and spooled; stops early when an export fails. */
  async forceFlush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) await this.inFlight;
    while (this.hasWork()) {
      // Through the one in-flight slot: a second export running beside this one would send
      // the same head of the queue twice.
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      const before = this.handledTotal;
      await this.runExport();
      if (this.handledTotal === before) break; // the export failed; keep records, stop spinning
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.shutDown = true;
    if (this.spool) {
      const onDisk = this.queue;
      this.queue = this.spool.spill(this.queue).filter(inMemoryOnly);
      const kept = (t: DeliveryTicket) => t.reject('shutdown', 'not acknowledged before shutdown; the record is kept in the audit spool and sent by the next start');
      for (const e of onDisk) if (e.ticket && !this.queue.includes(e)) kept(e.ticket);
      this.spool.releaseTickets(kept);
      await this.spool.spool.close();
    }
    const lost = this.queue.filter(inMemoryOnly);
    if (lost.length > 0) this.drop(lost, 'export_failed', 'the audit record was not delivered before shutdown');
    this.queue = [];
    await this.options.exporter.shutdown();
  }

  /** Records that would be lost if the process ended now (in memory only, not on disk). */
  pending(): number {
    return this.queue.filter(inMemoryOnly).length + (this.spool?.spool.unwritten() ?? 0);
  }

  /**
   * Last resort at process exit, when nothing asynchronous can run any more. With `sendSync`
   * (OTLP/HTTP), memory-only records are first sent in export-sized batches (it returns how
   * many batches were acknowledged); what is left is written to the spool synchronously.
   */
  exitSync(sendSync: ((batches: ReadableLogRecord[][]) => number) | undefined): ExitOutcome {
    let volatile = this.queue.filter(inMemoryOnly);
    if (volatile.length > 0 && sendSync) {
      const batches: AuditEntry[][] = [];
      for (let i = 0; i < volatile.length; i += this.options.maxExportBatchSize) batches.push(volatile.slice(i, i + this.options.maxExportBatchSize));
      let acknowledged = 0;
      try {
        acknowledged = sendSync(batches.map((b) => b.map((e) => e.record)));
      } catch {
        // a send that threw acknowledged nothing: every batch goes to the spool below
      }
      const sent = batches.slice(0, acknowledged).flat();
      this.removeExported(sent);
      acknowledge(sent);
      volatile = volatile.slice(sent.length);
    }
    if (this.spool) {
      try {
        if (this.spool.spillSync(volatile.map((e) => e.record)) > 0) volatile = [];
      } catch {
        // reported as undelivered below
      }
    }
    return { spooled: this.spool?.spool.backlog() ?? 0, undelivered: volatile.length };
  }

  /** The spool could not write these records (disk full, I/O error): counted, their waiters rejected. */
  spoolWriteFailed(records: readonly ReadableLogRecord[], err: unknown): void {
    this.options.onDropped('spool_full', records.length);
    const message = `the audit spool could not be written (${err instanceof Error ? err.message : String(err)}); the record was dropped`;
    this.spool?.rejectTickets(records, (t) => t.reject('spool_full', message));
  }

  private hasWork(): boolean {
    return this.queue.length > 0 || (this.spool?.spool.hasUnread() ?? false);
  }

  /** Takes exactly the exported entries off the queue (normally its head), never others. */
  private removeExported(batch: readonly AuditEntry[]): void {
    if (batch.every((e, i) => this.queue[i] === e)) {
      this.queue.splice(0, batch.length);
      return;
    }
    const sent = new Set(batch);
    this.queue = this.queue.filter((e) => !sent.has(e));
  }

  /** Counts the entries as dropped and rejects their tickets with the reason. */
  private drop(entries: readonly AuditEntry[], reason: AuditDeliveryFailure, message: string): void {
    this.options.onDropped(reason, entries.length);
    for (const e of entries) {
      e.ticket?.queued(uidOf(e.record));
      e.ticket?.reject(reason, message);
    }
  }

  private schedule(): void {
    if (this.inFlight || !this.hasWork()) return;
    const now = this.options.strict || this.queue.length >= this.options.maxExportBatchSize || (this.spool?.spool.hasUnread() ?? false);
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      // setImmediate: every record emitted in this turn joins the same export (group commit)
      if (!this.kickPending) {
        this.kickPending = true;
        setImmediate(() => {
          this.kickPending = false;
          this.kick();
        });
      }
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, this.delay());
      this.timer.unref();
    }
  }

  private delay(): number {
    if (this.failures === 0) return this.options.scheduledDelayMillis;
    return RETRY_DELAYS_MS[Math.min(this.failures - 1, RETRY_DELAYS_MS.length - 1)]!;
  }

  /** Runs one export in the in-flight slot (at most one export at a time). */
  private runExport(): Promise<void> {
    const run = this.exportNext().catch(() => { this.failures++; }).finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  private kick(): void {
    if (this.inFlight || !this.hasWork()) return;
    void this.runExport().then(() => {
      if (this.failures > 0) {
        if (this.timer === undefined && this.hasWork()) {
          this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, this.delay());
          this.timer.unref();
        }
      } else {
        this.schedule();
      }
    });
  }

  private async exportNext(): Promise<void> {
    if (this.spool && this.queue.length < this.options.maxExportBatchSize && this.spool.spool.hasUnread()) {
      this.queue.push(...await this.spool.take(this.options.maxExportBatchSize - this.queue.length));
    }
    const batch = this.queue.slice(0, this.options.maxExportBatchSize);
    if (batch.length === 0) return;
    const resource = batch[0]?.record.resource;
    if (resource?.asyncAttributesPending) await resource.waitForAsyncAttributes?.().catch(() => {});
    const stall = this.spool ? setTimeout(() => this.onStall(batch), this.options.stallMillis ?? STALL_MS) : undefined;
    stall?.unref();
    const outcome = await exportIsolating(batch, (entries) => this.send(entries), this.options.refusal ?? neverRefused)
      .finally(() => clearTimeout(stall));
    this.stalled = false;
    if (outcome.handled > 0) {
      const handled = batch.slice(0, outcome.handled);
      this.removeExported(handled);
      this.handledTotal += handled.length;
      acknowledge(handled.filter((_, i) => !outcome.refused.has(i)));
      if (outcome.refused.size > 0) this.setAside([...outcome.refused].map(([i, why]) => ({ entry: batch[i]!, why })));
      this.spool?.handled(handled);
    }
    if (outcome.failure === undefined) {
      this.failures = 0;
    } else {
      this.failures++;
      // the collector is failing: what is only in memory goes to disk, in case we die now
      if (this.spool) this.queue = this.spool.spill(this.queue);
    }
  }

  /** The export of `batch` is taking too long: the collector is as good as unreachable. */
  private onStall(batch: readonly AuditEntry[]): void {
    this.stalled = true;
    if (this.spool) this.queue = this.spool.spill(this.queue, new Set(batch));
  }

  private send(entries: readonly AuditEntry[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      try {
        // untraced: an export started inside a request must not add its HTTP call to that trace
        otelContext.with(suppressTracing(otelContext.active()), () => this.options.exporter.export(entries.map((e) => e.record), resolve));
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  /** Records refused for good: to the dead-letter file, counted as rejected, their waiters rejected. */
  private setAside(refused: readonly { entry: AuditEntry; why: string }[]): void {
    let file: string | undefined;
    let writeError: unknown;
    try {
      file = this.options.deadLetter?.write(refused.map(({ entry, why }) => ({ record: entry.record, why })));
    } catch (err) {
      writeError = err;
    }
    this.options.onDropped('rejected', refused.length);
    for (const { entry, why } of refused) {
      entry.ticket?.reject('rejected', `the collector refused the audit record for good (${why})${file ? `; it was written to ${file}` : ''}`);
    }
    this.options.onRefused?.({ uids: refused.map(({ entry }) => uidOf(entry.record)), why: refused[0]!.why, file, writeError });
  }
}

const neverRefused: RefusalClassifier = () => undefined;

function acknowledge(entries: readonly AuditEntry[]): void {
  for (const e of entries) e.ticket?.acknowledge();
}
