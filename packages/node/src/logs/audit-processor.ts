import type { Context } from '@opentelemetry/api';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { ATTR_LOG_RECORD_UID } from '@domain-otel/semantic-conventions';
import type { AuditDeliveryFailure, DeliveryTicket } from '@domain-otel/api';
import { deliveryTicketOf } from '@domain-otel/instrumentation-domain';
import type { DeadLetterFile } from './dead-letter';
import { exportIsolating } from './isolating-export';
import type { RefusalClassifier } from './refusal';

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

/** A queued audit record and, under strict delivery, its ticket (see @domain-otel/api delivery.ts). */
interface Entry {
  record: ReadableLogRecord;
  ticket: DeliveryTicket | undefined;
}

const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 5000];

/**
 * The audit records' own processor and queue: ordinary log volume can never evict them.
 * Failed exports are retried with backoff, never dropped while there is room; a batch the
 * receiver refuses for good is split until the refused records are isolated (dead-lettered,
 * counted as rejected) and the rest delivered, so one bad record never blocks the queue. In
 * strict mode one export carries every record emitted meanwhile (group commit) and settles
 * each record's delivery ticket: acknowledged on export, rejected with the reason otherwise.
 */
export class AuditLogRecordProcessor implements LogRecordProcessor {
  private queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;
  private shutDown = false;

  constructor(private readonly options: AuditProcessorOptions) {}

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    const entry: Entry = { record, ticket: deliveryTicketOf(context) };
    if (this.shutDown) {
      this.drop([entry], 'shutdown', 'domain-otel has shut down; the audit record was not queued');
      return;
    }
    if (this.queue.length >= this.options.maxQueueSize) {
      this.drop([entry], 'queue_full', `the audit queue is full (${this.options.maxQueueSize} records); the record was dropped`);
      return;
    }
    this.queue.push(entry);
    entry.ticket?.queued(uidOf(record));
    this.schedule();
  }

  async forceFlush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) await this.inFlight;
    while (this.queue.length > 0) {
      const before = this.queue.length;
      // Through the one in-flight slot: a second export running beside this one would send
      // the same head of the queue twice.
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      await this.runExport();
      if (this.queue.length >= before) break; // the export failed; keep records, stop spinning
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.shutDown = true;
    if (this.queue.length > 0) {
      this.drop(this.queue, 'export_failed', 'the audit record was not delivered before shutdown');
      this.queue = [];
    }
    await this.options.exporter.shutdown();
  }

  pending(): number {
    return this.queue.length;
  }

  /**
   * Last resort at process exit, when nothing asynchronous can run any more: hands the queued
   * records, in export-sized batches, to `sendSync`, which returns how many batches were
   * acknowledged. Returns how many records are still undelivered.
   */
  exportPendingSync(sendSync: (batches: ReadableLogRecord[][]) => number): number {
    if (this.queue.length === 0) return 0;
    const batches: Entry[][] = [];
    for (let i = 0; i < this.queue.length; i += this.options.maxExportBatchSize) {
      batches.push(this.queue.slice(i, i + this.options.maxExportBatchSize));
    }
    let acknowledged = 0;
    try {
      acknowledged = sendSync(batches.map((b) => b.map((e) => e.record)));
    } catch {
      acknowledged = 0;
    }
    for (const batch of batches.slice(0, acknowledged)) {
      this.removeExported(batch);
      acknowledge(batch);
    }
    return this.queue.length;
  }

  /** Takes exactly the exported entries off the queue (normally its head), never others. */
  private removeExported(batch: readonly Entry[]): void {
    if (batch.every((e, i) => this.queue[i] === e)) {
      this.queue.splice(0, batch.length);
      return;
    }
    const sent = new Set(batch);
    this.queue = this.queue.filter((e) => !sent.has(e));
  }

  /** Counts the entries as dropped and rejects their tickets with the reason. */
  private drop(entries: readonly Entry[], reason: AuditDeliveryFailure, message: string): void {
    this.options.onDropped(reason, entries.length);
    for (const e of entries) {
      e.ticket?.queued(uidOf(e.record));
      e.ticket?.reject(reason, message);
    }
  }

  private schedule(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const now = this.options.strict || this.queue.length >= this.options.maxExportBatchSize;
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      // setImmediate: every record emitted in this turn joins the same export (group commit)
      setImmediate(() => this.kick());
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, this.delay());
      this.timer.unref();
    }
  }

  private delay(): number {
    if (this.failures === 0) return this.options.scheduledDelayMillis;
    return RETRY_DELAYS_MS[Math.min(this.failures - 1, RETRY_DELAYS_MS.length - 1)];
  }

  /** Runs one export in the in-flight slot (at most one export at a time). */
  private runExport(): Promise<void> {
    const run = this.exportNext().finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  private kick(): void {
    if (this.inFlight || this.queue.length === 0) return;
    void this.runExport().then(() => {
      if (this.failures > 0) {
        if (this.timer === undefined && this.queue.length > 0) {
          this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, this.delay());
          this.timer.unref();
        }
      } else {
        this.schedule();
      }
    });
  }

  private async exportNext(): Promise<void> {
    const batch = this.queue.slice(0, this.options.maxExportBatchSize);
    const resource = batch[0]?.record.resource;
    if (resource?.asyncAttributesPending) await resource.waitForAsyncAttributes?.().catch(() => {});
    const outcome = await exportIsolating(batch, (entries) => this.send(entries), this.options.refusal ?? neverRefused);
    if (outcome.failure === undefined) this.failures = 0;
    else this.failures++;
    if (outcome.handled === 0) return;
    const handled = batch.slice(0, outcome.handled);
    this.removeExported(handled);
    acknowledge(handled.filter((_, i) => !outcome.refused.has(i)));
    if (outcome.refused.size > 0) this.setAside([...outcome.refused].map(([i, why]) => ({ entry: batch[i]!, why })));
  }

  private send(entries: readonly Entry[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      try {
        this.options.exporter.export(entries.map((e) => e.record), resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  /** Records refused for good: to the dead-letter file, counted as rejected, their waiters rejected. */
  private setAside(refused: readonly { entry: Entry; why: string }[]): void {
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

function acknowledge(entries: readonly Entry[]): void {
  for (const e of entries) e.ticket?.acknowledge();
}

function uidOf(record: ReadableLogRecord): string | undefined {
  const v = record.attributes[ATTR_LOG_RECORD_UID];
  return typeof v === 'string' ? v : undefined;
}
