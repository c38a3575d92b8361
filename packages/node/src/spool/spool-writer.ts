import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SegmentEncoder } from './record-codec';
import { segmentName } from './segment-reader';

const WRITE_CHUNK = 2048;
const ENCODE_SLICE = 128;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes one process's spool directory: segment files `<seq>.ndjson`, a new one after
 * `segmentBytes`. Records wait in memory (`pending`) until the write loop takes everything
 * appended meanwhile, serialises it, writes it and fsyncs it in one go: a group commit per
 * loop turn, never an fsync per record, and never on the caller's path.
 */
export class SpoolWriter {
  pending: ReadableLogRecord[] = [];
  /** Taken by the write loop and not yet fsynced. */
  inFlight: ReadableLogRecord[] = [];
  /** Segment being written (0 before the first write). */
  seq = 0;
  /** Bytes written to it so far. */
  written = 0;
  /** Bytes of this directory's segments still on disk. */
  diskBytes = 0;
  avgRecordBytes = 1024;
  /** fsyncs done so far (one per group commit). */
  syncs = 0;
  broken = false;
  private flushing: Promise<void> | undefined;
  private fh: FileHandle | undefined;
  private encoder = new SegmentEncoder();
  private readonly sizes = new Map<number, number>();

  constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    /** A segment file was started (the reader adds it to its list). */
    private readonly onSegment: (seq: number) => void,
    /** The write failed (disk full, I/O error): these records were not written. */
    private readonly onFailed: (records: ReadableLogRecord[], err: unknown) => void,
    /** Everything queued is written and fsynced (the spool may free acknowledged files now). */
    private readonly onIdle: () => void = () => {},
  ) {}

  get open(): boolean {
    return this.fh !== undefined;
  }

  get busy(): boolean {
    return this.flushing !== undefined;
  }

  enqueue(record: ReadableLogRecord): void {
    this.pending.push(record);
    // setImmediate: every record appended in this turn joins the same write (group commit)
    this.flushing ??= new Promise<void>((resolve) => setImmediate(() => void this.loop().finally(resolve)));
  }

  async whenWritten(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Marks the directory as in use, for adopters on other hosts (see owner.ts). */
  heartbeat(): void {
    if (this.fh) void utimes(this.dir, new Date(), new Date()).catch(() => {});
  }

  /** A segment was deleted: its bytes no longer count. */
  forget(seq: number): void {
    this.diskBytes -= this.sizes.get(seq) ?? 0;
    this.sizes.delete(seq);
  }

  /** Everything written was acknowledged: closes the file; the next write starts a new segment. */
  reset(): void {
    const fh = this.fh;
    this.fh = undefined;
    void fh?.close().catch(() => {});
    this.sizes.clear();
    this.diskBytes = 0;
    this.written = 0;
  }

  async close(): Promise<void> {
    await this.whenWritten();
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }

  /**
   * At process exit: writes the records not on disk yet (a write that may not have completed
   * included) plus `extra` into a new segment, synchronously, fsynced. Returns how many.
   */
  writeSync(extra: readonly ReadableLogRecord[]): number {
    const all = [...this.inFlight, ...this.pending, ...extra];
    if (all.length === 0 || this.broken) return 0;
    const encoder = new SegmentEncoder();
    let text = '';
    for (const r of all) text += encoder.encode(r);
    mkdirSync(this.dir, { recursive: true });
    // a new segment: an interrupted asynchronous write cannot interleave with these lines
    const fd = openSync(path.join(this.dir, segmentName(this.seq + 1)), 'a', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.seq++;
    this.pending = [];
    this.inFlight = [];
    return all.length;
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.broken) {
        const chunk = this.pending.splice(0, WRITE_CHUNK);
        this.inFlight = chunk;
        for (const r of chunk) {
          if (r.resource.asyncAttributesPending) await r.resource.waitForAsyncAttributes?.().catch(() => {});
        }
        if (!this.fh || this.written >= this.segmentBytes) await this.rotate();
        let text = '';
        for (let i = 0; i < chunk.length; i++) {
          text += this.encoder.encode(chunk[i]!);
          // let the app's own work run between slices: the event loop is never held for long
          if (i % ENCODE_SLICE === ENCODE_SLICE - 1) await yieldToEventLoop();
        }
        const buf = Buffer.from(text);
        await this.fh!.write(buf);
        this.written += buf.length;
        this.diskBytes += buf.length;
        this.sizes.set(this.seq, this.written);
        this.avgRecordBytes = Math.max(64, Math.round(0.8 * this.avgRecordBytes + (0.2 * buf.length) / chunk.length));
        await this.fh!.sync();
        this.syncs++;
        this.inFlight = [];
      }
    } catch (err) {
      this.broken = true;
      const lost = [...this.inFlight, ...this.pending];
      this.inFlight = [];
      this.pending = [];
      this.onFailed(lost, err);
    } finally {
      this.flushing = undefined;
      this.onIdle();
    }
  }

  private async rotate(): Promise<void> {
    await this.fh?.close();
    mkdirSync(this.dir, { recursive: true });
    this.seq++;
    this.fh = await open(path.join(this.dir, segmentName(this.seq)), 'a', 0o600);
    this.encoder = new SegmentEncoder();
    this.written = 0;
    this.onSegment(this.seq);
  }
}
