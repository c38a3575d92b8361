import type { Context } from '@opentelemetry/api';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { ATTR_LOG_RECORD_UID } from '@domain-otel/semantic-conventions';
import { AuditDeliveryError } from '@domain-otel/api';

export interface AuditProcessorOptions {
  exporter: LogRecordExporter;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  /** strict: each record gets a waiter that settles when the collector acknowledged it. */
  strict: boolean;
  strictTimeoutMillis: number;
  onDropped: (reason: string, count: number) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 5000];

/**
 * The audit records' own processor and queue (DESIGN §5): ordinary log volume can never
 * evict them. Failed exports are retried with backoff, never dropped while there is room;
 * in strict mode one export carries every record emitted meanwhile (group commit) and
 * settles each record's waiter.
 */
export class AuditLogRecordProcessor implements LogRecordProcessor {
  private queue: ReadableLogRecord[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;
  private shutDown = false;

  constructor(private readonly options: AuditProcessorOptions) {}

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    if (this.shutDown) {
      this.options.onDropped('shutdown', 1);
      return;
    }
    if (this.queue.length >= this.options.maxQueueSize) {
      this.options.onDropped('queue_full', 1);
      this.settle([record], (uid) => new AuditDeliveryError('audit queue full: record not delivered', { uid }));
      return;
    }
    this.queue.push(record);
    if (this.options.strict) this.addWaiter(record);
    this.schedule();
  }

  /** Resolves when the record with this uid was acknowledged (strict mode), else at once. */
  whenDelivered(uid: string): Promise<void> {
    const w = this.waiters.get(uid);
    if (!w) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const prev = w;
      this.waiters.set(uid, {
        timer: prev.timer,
        resolve: () => { prev.resolve(); resolve(); },
        reject: (e) => { prev.reject(e); reject(e); },
      });
    });
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
      this.options.onDropped('export_failed', this.queue.length);
      this.settle(this.queue, (uid) => new AuditDeliveryError('audit record not delivered before shutdown', { uid }));
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
    const batches: ReadableLogRecord[][] = [];
    for (let i = 0; i < this.queue.length; i += this.options.maxExportBatchSize) {
      batches.push(this.queue.slice(i, i + this.options.maxExportBatchSize));
    }
    let acknowledged = 0;
    try {
      acknowledged = sendSync(batches);
    } catch {
      acknowledged = 0;
    }
    for (const batch of batches.slice(0, acknowledged)) {
      this.removeExported(batch);
      this.settle(batch);
    }
    return this.queue.length;
  }

  /** Takes exactly the exported records off the queue (normally its head), never others. */
  private removeExported(batch: readonly ReadableLogRecord[]): void {
    if (batch.every((r, i) => this.queue[i] === r)) {
      this.queue.splice(0, batch.length);
      return;
    }
    const sent = new Set(batch);
    this.queue = this.queue.filter((r) => !sent.has(r));
  }

  private addWaiter(record: ReadableLogRecord): void {
    const uid = uidOf(record);
    if (uid === undefined) return;
    const timer = setTimeout(() => {
      const w = this.waiters.get(uid);
      if (!w) return;
      this.waiters.delete(uid);
      w.reject(new AuditDeliveryError(`audit record ${uid} not acknowledged within ${this.options.strictTimeoutMillis} ms`, { uid }));
    }, this.options.strictTimeoutMillis);
    timer.unref();
    this.waiters.set(uid, { resolve: () => {}, reject: () => {}, timer });
  }

  private settle(records: readonly ReadableLogRecord[], failure?: (uid: string) => Error): void {
    for (const r of records) {
      const uid = uidOf(r);
      if (uid === undefined) continue;
      const w = this.waiters.get(uid);
      if (!w) continue;
      this.waiters.delete(uid);
      clearTimeout(w.timer);
      if (failure) {
        w.reject(failure(uid));
      } else {
        w.resolve();
      }
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
    const resource = batch[0]?.resource;
    if (resource?.asyncAttributesPending) await resource.waitForAsyncAttributes?.().catch(() => {});
    return new Promise<void>((resolve) => {
      try {
        this.options.exporter.export(batch, (result) => {
          if (result.code === ExportResultCode.SUCCESS) {
            this.failures = 0;
            this.removeExported(batch);
            this.settle(batch);
          } else {
            this.failures++;
          }
          resolve();
        });
      } catch {
        this.failures++;
        resolve();
      }
    });
  }
}

function uidOf(record: ReadableLogRecord): string | undefined {
  const v = record.attributes[ATTR_LOG_RECORD_UID];
  return typeof v === 'string' ? v : undefined;
}
