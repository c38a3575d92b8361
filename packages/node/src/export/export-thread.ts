import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { decodeValue, encodeJson } from '../spool/value-codec';
import { WireEncoder } from './wire';
import type { FromWorker, Signal, ToWorker, WireError, WorkerInit } from './wire';

/** Who started an export: one of the exporters below (the worker has one upstream exporter per signal). */
type Owner = object;

interface Pending { owner: Owner | undefined; done: (result: ExportResult) => void }

/**
 * The request thread's side of the export thread (export-worker.ts): one worker per process,
 * started on the first export, shared by the span and log exporters below. An export is handed
 * over in wire form (wire.ts) and its callback runs when the worker reports the exporter's
 * result, so the batch processors' back-pressure (one export at a time, queue limits, drop
 * counting) and the audit processor's acknowledgements work exactly as with an exporter on this
 * thread. While an export is in flight the worker keeps the process alive, as the exporter's
 * socket would; otherwise it does not. A worker that dies fails its exports in flight (they are
 * retried or counted by their processor) and the next export starts a new one.
 */
export class ExportThread {
  private worker: Worker | undefined;
  private encoder: WireEncoder | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly idleWaiters: { owner: Owner | undefined; resolve: () => void }[] = [];
  /** Exporters not shut down yet, per signal. */
  private readonly open = new Map<Signal, Set<Owner>>();

  constructor(private readonly init: WorkerInit) {}

  /** An exporter of `signal` starts using the thread. */
  attach(signal: Signal, owner: Owner): void {
    const set = this.open.get(signal) ?? new Set();
    set.add(owner);
    this.open.set(signal, set);
  }

  exportSpans(owner: Owner, spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.send(owner, 'traces', (e) => spans.map((s) => e.span(s)), done);
  }

  exportLogs(owner: Owner, records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.send(owner, 'logs', (e) => records.map((r) => e.log(r)), done);
  }

  /** Resolves once no export (of `owner`, if given) is in flight. */
  idle(owner?: Owner): Promise<void> {
    if (!this.busy(owner)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push({ owner, resolve }));
  }

  /**
   * Waits for the owner's exports; the last exporter of a signal closes the worker's exporter
   * of it, the last of all ends the worker.
   */
  async shutdown(signal: Signal, owner: Owner): Promise<void> {
    await this.idle(owner);
    const set = this.open.get(signal);
    set?.delete(owner);
    if (set && set.size > 0) return;
    this.open.delete(signal);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const id = this.track(undefined, () => resolve());
      this.post(worker, { t: 'shutdown', id, signal }, () => this.settle(id, { code: ExportResultCode.SUCCESS }));
    });
    if (this.open.size === 0 && this.worker === worker) {
      this.worker = undefined;
      this.encoder = undefined;
      await worker.terminate().catch(() => 0);
    }
  }

  private busy(owner: Owner | undefined): boolean {
    for (const p of this.pending.values()) if (owner === undefined || p.owner === owner) return true;
    return false;
  }

  private send(owner: Owner, signal: Signal, encode: (e: WireEncoder) => unknown[], done: (result: ExportResult) => void): void {
    let worker: Worker;
    let items: unknown[];
    try {
      worker = this.start();
      items = encode(this.encoder!);
    } catch (error) {
      done(failed(error));
      return;
    }
    const id = this.track(owner, done);
    const message = { t: 'export', id, signal, items } as ToWorker;
    this.post(worker, message, (error) => {
      // a value structured clone cannot copy (a function, a symbol, a Proxy): copied as the
      // exporter would have encoded it (spool/value-codec.ts is exact for that), then sent again
      try {
        worker.postMessage({ ...message, items: decodeValue(JSON.parse(encodeJson(items))) });
      } catch {
        this.settle(id, failed(error));
      }
    });
  }

  private post(worker: Worker, message: ToWorker, onError: (error: unknown) => void): void {
    try {
      worker.postMessage(message);
    } catch (error) {
      onError(error);
    }
  }

  private track(owner: Owner | undefined, done: (result: ExportResult) => void): number {
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker?.ref();
    this.pending.set(id, { owner, done });
    return id;
  }

  private settle(id: number, result: ExportResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    try {
      p.done(result);
    } finally {
      for (const w of [...this.idleWaiters]) {
        if (this.busy(w.owner)) continue;
        this.idleWaiters.splice(this.idleWaiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, __filename.endsWith('.ts') ? 'export-worker.ts' : 'export-worker.js'), {
      workerData: this.init,
      execArgv: withoutDistributionPreload(process.execArgv),
    });
    worker.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the export thread exited with code ${code}`)));
    this.worker = worker;
    this.encoder = new WireEncoder((definition) => worker.postMessage(definition));
    return worker;
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'diag') {
      diag[m.level](m.message);
      return;
    }
    this.settle(m.id, m.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: fromWire(m.error) });
  }

  /** The worker is gone: what it had in flight failed (its processors retry or count it). */
  private lost(worker: Worker, error: unknown): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.encoder = undefined;
    if (this.pending.size > 0) diag.warn(`domain-otel: the export thread stopped (${error instanceof Error ? error.message : String(error)}); ${this.pending.size} export(s) in flight failed and are retried or counted`);
    for (const id of [...this.pending.keys()]) this.settle(id, failed(error));
  }
}

function failed(error: unknown): ExportResult {
  return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
}

function fromWire(w: WireError | undefined): Error {
  const error = new Error(w?.message ?? 'export failed') as Error & Partial<WireError>;
  if (w?.name !== undefined) error.name = w.name;
  if (w?.code !== undefined) error.code = w.code;
  if (w?.data !== undefined) error.data = w.data;
  if (w?.details !== undefined) error.details = w.details;
  return error;
}

const PRELOAD_FLAGS = new Set(['--require', '-r', '--import']);
const DISTRIBUTION = /@domain-otel[\\/]node[\\/](register|import)|packages[\\/]node[\\/](dist|src)[\\/](register|import)/;

/** The worker inherits the process's flags (e.g. a TypeScript loader) but not the distribution's own preload. */
export function withoutDistributionPreload(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (PRELOAD_FLAGS.has(arg) && DISTRIBUTION.test(execArgv[i + 1] ?? '')) {
      i++;
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && PRELOAD_FLAGS.has(arg.slice(0, eq)) && DISTRIBUTION.test(arg.slice(eq + 1))) continue;
    out.push(arg);
  }
  return out;
}

const SHUT_DOWN: ExportResult = { code: ExportResultCode.FAILED, error: new Error('the exporter has shut down') };

/** What the two exporters below share: an owner of one signal's exports on the export thread. */
abstract class ThreadExporter<T> {
  private closed = false;

  constructor(protected readonly thread: ExportThread, private readonly signal: Signal) {
    thread.attach(signal, this);
  }

  protected abstract send(items: T[], done: (result: ExportResult) => void): void;

  export(items: T[], done: (result: ExportResult) => void): void {
    if (this.closed) done(SHUT_DOWN);
    else this.send(items, done);
  }

  forceFlush(): Promise<void> {
    return this.thread.idle(this);
  }

  shutdown(): Promise<void> {
    this.closed = true;
    return this.thread.shutdown(this.signal, this);
  }
}

/** A SpanExporter whose exports run on the export thread. */
export class ThreadSpanExporter extends ThreadExporter<ReadableSpan> implements SpanExporter {
  constructor(thread: ExportThread) {
    super(thread, 'traces');
  }

  protected send(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.thread.exportSpans(this, spans, done);
  }
}

/** A LogRecordExporter whose exports run on the export thread (ordinary logs and audit records). */
export class ThreadLogExporter extends ThreadExporter<ReadableLogRecord> implements LogRecordExporter {
  constructor(thread: ExportThread) {
    super(thread, 'logs');
  }

  protected send(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.thread.exportLogs(this, records, done);
  }
}
