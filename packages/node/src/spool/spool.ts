import { accessSync, constants, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ACK_FILE, listSegments, readAckPoint, SegmentCursor, segmentName } from './segment-reader';
import type { AckPoint } from './segment-reader';
import { adoptOrphans, currentOwner, HEARTBEAT_MS, ownerName } from './owner';
import { SpoolWriter } from './spool-writer';

export interface SpoolOptions {
  /** `<DOMAIN_OTEL_AUDIT_SPOOL_DIR>/<service>`: each process of the service has its own directory in it. */
  serviceDir: string;
  /** Bound of this process's spool on disk (bytes written and not yet acknowledged). */
  maxBytes: number;
  /** Records waiting in memory for the writer before append() refuses them. */
  maxPending: number;
  /** Segment file size after which the writer starts a new one (default 16 MiB). */
  segmentBytes?: number;
  /** A line that cannot be decoded (disk corruption): one record lost. */
  onBadLine?: (file: string, err: unknown) => void;
  /** The writer failed (disk full, I/O error): these records were not written. */
  onWriteFailed?: (records: ReadableLogRecord[], err: unknown) => void;
}

/** Where a record read from the spool sits; acknowledging it acknowledges everything before it. */
export interface SpoolPosition {
  readonly n: number;
  readonly source: Source;
  readonly seq: number;
  readonly end: number;
}

export interface SpooledRecord {
  record: ReadableLogRecord;
  position: SpoolPosition;
}

/** A directory being drained: an adopted one (a dead process's), or this process's own. */
interface Source {
  dir: string;
  own: boolean;
  /** Segments not read to the end yet, in order. */
  segments: number[];
  /** Segments read to the end, deleted once acknowledged past. */
  finished: number[];
  cursor: SegmentCursor | undefined;
  start: AckPoint | undefined;
  /** `n` of the last record read from it. */
  lastN: number;
  /** Adopted: every segment read. */
  exhausted: boolean;
  removed: boolean;
}

const ACK_PERSIST_MS = 1000;

/**
 * The audit spool: an append-only, size-bounded file log on local disk for audit records the
 * queue cannot hold or the collector cannot take right now. append() only queues the record in
 * memory; the writer (spool-writer.ts) serialises everything appended meanwhile, writes it and
 * fsyncs it in one go (group commit), so the request path never waits for the disk. Records are read back in order
 * (spools adopted from dead processes first, then this process's own) and acknowledged by
 * position once exported; acknowledged segment files are deleted, and the acknowledged point is
 * kept in `acked.json` so a process adopting the directory after a crash resends little.
 */
export class AuditSpool {
  readonly ownDir: string;
  private readonly sources: Source[] = [];
  private readonly own: Source;
  private readonly ready: Promise<void>;
  private readonly writer: SpoolWriter;
  private appended = 0;
  private readOwn = 0;
  private readN = 0;
  private ackedN = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: SpoolOptions) {
    const me = ownerName(currentOwner());
    this.ownDir = path.join(options.serviceDir, me);
    // throws when the directory cannot be made or written: the caller turns the spool off
    mkdirSync(options.serviceDir, { recursive: true });
    accessSync(options.serviceDir, constants.W_OK);
    const adopted = adoptOrphans(options.serviceDir, me);
    for (const dir of adopted) this.sources.push(newSource(dir, false));
    this.own = newSource(this.ownDir, true);
    this.sources.push(this.own);
    this.writer = new SpoolWriter(this.ownDir, options.segmentBytes ?? 16 * 1024 * 1024, (seq) => this.own.segments.push(seq), (records, err) => {
      this.appended -= records.length;
      this.options.onWriteFailed?.(records, err);
    }, () => this.cleanUp());
    this.ready = this.prepareAdopted();
    this.heartbeat = setInterval(() => this.writer.heartbeat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** fsyncs done so far (one per group commit). */
  get syncs(): number {
    return this.writer.syncs;
  }

  /** Spools left by dead processes of this service that this one took over. */
  get adoptedDirs(): string[] {
    return this.sources.filter((s) => !s.own).map((s) => s.dir);
  }

  /** Queues one record for the disk; false when the spool is full (size bound or writer backlog). */
  append(record: ReadableLogRecord): boolean {
    const w = this.writer;
    if (w.broken || this.closed || w.pending.length >= this.options.maxPending) return false;
    if (w.diskBytes + (w.pending.length + w.inFlight.length + 1) * w.avgRecordBytes > this.options.maxBytes) return false;
    w.enqueue(record);
    this.appended++;
    return true;
  }

  /** Nothing left to send: nothing pending, unread or read but unacknowledged. */
  isEmpty(): boolean {
    return this.appended === this.readOwn && this.readN === this.ackedN && this.sources.every((s) => s.own || s.exhausted);
  }

  /** There are records that read() can return now or once they are written. */
  hasUnread(): boolean {
    return this.appended > this.readOwn || this.sources.some((s) => !s.own && !s.exhausted);
  }

  /** This process's records in the spool not acknowledged yet (adopted spools not counted). */
  backlog(): number {
    return this.appended - this.readOwn + Math.max(0, this.readN - this.ackedN);
  }

  /** Records appended but not written to disk yet (lost if the process were killed now). */
  unwritten(): number {
    return this.writer.pending.length + this.writer.inFlight.length;
  }

  /** Resolves once everything appended so far is written and fsynced. */
  whenWritten(): Promise<void> {
    return this.writer.whenWritten();
  }

  /** Up to `max` records, in order, after the ones already read. Waits for a write in progress. */
  async read(max: number): Promise<SpooledRecord[]> {
    await this.ready;
    const out: SpooledRecord[] = [];
    for (const src of this.sources) {
      if (out.length >= max || src.removed) continue;
      if (src.own && this.appended > this.readOwn && this.unwritten() >= this.appended - this.readOwn) {
        await this.writer.whenWritten(); // only unwritten records left: let the writer finish
      }
      await this.readFrom(src, max - out.length, out);
      if (!src.own && !src.exhausted) break; // in order: finish this directory first
    }
    this.cleanUp();
    return out;
  }

  /** Everything up to and including `position` was exported (or set aside). */
  acknowledge(position: SpoolPosition): void {
    if (position.n <= this.ackedN) return;
    this.ackedN = position.n;
    const src = position.source;
    src.start = { seq: position.seq, offset: position.end };
    for (const seq of src.finished.filter((s) => s < position.seq)) this.deleteSegment(src, seq);
    this.scheduleAckPersist();
    this.cleanUp();
  }

  /** Writes everything still queued for the disk and closes the files (shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writer.close();
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.ackTimer);
    this.persistAckSync();
    if (this.isEmpty()) await rm(this.ownDir, { recursive: true, force: true }).catch(() => {});
  }

  /**
   * At process exit, when nothing asynchronous runs any more: writes the records not yet on
   * disk (including a write that may not have completed) plus `extra` into a new segment,
   * synchronously, and fsyncs it. Returns how many records were written.
   */
  spillSync(extra: readonly ReadableLogRecord[]): number {
    const n = this.writer.writeSync(extra);
    this.appended += extra.length;
    this.persistAckSync();
    return n;
  }

  private async prepareAdopted(): Promise<void> {
    for (const src of this.sources) {
      if (src.own) continue;
      src.start = await readAckPoint(src.dir);
      const all = await listSegments(src.dir);
      for (const seq of all) {
        if (src.start && seq < src.start.seq) await unlink(path.join(src.dir, segmentName(seq))).catch(() => {});
        else src.segments.push(seq);
      }
      if (src.segments.length === 0) src.exhausted = true;
    }
  }

  private async readFrom(src: Source, max: number, out: SpooledRecord[]): Promise<void> {
    while (out.length < max) {
      if (!src.cursor) {
        const seq = src.segments[0];
        if (seq === undefined) {
          if (!src.own) src.exhausted = true;
          return;
        }
        src.cursor = new SegmentCursor(src.dir, seq, src.start?.seq === seq ? src.start.offset : 0);
      }
      const seq = src.cursor.seq;
      const growing = src.own && seq === this.writer.seq && !this.closed;
      const limit = growing ? this.writer.written : await fileSize(path.join(src.dir, segmentName(seq)));
      let lines: Awaited<ReturnType<SegmentCursor['read']>>;
      try {
        lines = await src.cursor.read(max - out.length, limit, (err) => this.options.onBadLine?.(path.join(src.dir, segmentName(seq)), err));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        lines = []; // the segment was removed behind our back: nothing more to read in it
        if (growing) return;
      }
      for (const l of lines) {
        out.push({ record: l.record, position: { n: ++this.readN, source: src, seq, end: l.end } });
        src.lastN = this.readN;
      }
      if (src.own) this.readOwn += lines.length;
      if (out.length >= max || growing) return;
      // a complete segment read to its end (a last line without newline was torn by a crash)
      src.segments.shift();
      src.finished.push(seq);
      src.cursor = undefined;
    }
  }

  private deleteSegment(src: Source, seq: number): void {
    src.finished = src.finished.filter((s) => s !== seq);
    if (src.own) this.writer.forget(seq);
    void unlink(path.join(src.dir, segmentName(seq))).catch(() => {});
  }

  /** Removes adopted directories that are drained, and this process's segments once all is acknowledged. */
  private cleanUp(): void {
    for (const src of this.sources) {
      if (src.own || src.removed || !src.exhausted || src.lastN > this.ackedN) continue;
      src.removed = true;
      void rm(src.dir, { recursive: true, force: true }).catch(() => {});
    }
    if (this.isEmpty() && !this.writer.busy && this.writer.open && this.own.cursor?.position === this.writer.written) {
      // fully drained: start the next write in a fresh segment and free the disk now
      const seqs = [...this.own.finished, ...this.own.segments];
      this.own.segments = [];
      this.own.finished = [];
      this.own.cursor = undefined;
      this.own.start = undefined;
      this.writer.reset();
      for (const s of seqs) void unlink(path.join(this.ownDir, segmentName(s))).catch(() => {});
    }
  }

  private scheduleAckPersist(): void {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      void this.persistAck();
    }, ACK_PERSIST_MS);
    this.ackTimer.unref();
  }

  private async persistAck(): Promise<void> {
    for (const src of this.sources) {
      if (src.removed || !src.start) continue;
      const file = path.join(src.dir, ACK_FILE);
      await writeFile(`${file}.tmp`, JSON.stringify(src.start)).then(() => rename(`${file}.tmp`, file)).catch(() => {});
    }
  }

  private persistAckSync(): void {
    for (const src of this.sources) {
      if (src.removed || !src.start) continue;
      const file = path.join(src.dir, ACK_FILE);
      try {
        writeFileSync(`${file}.tmp`, JSON.stringify(src.start));
        renameSync(`${file}.tmp`, file);
      } catch {
        // the directory is gone or unwritable: the next reader starts from its first segment
      }
    }
  }
}

function newSource(dir: string, own: boolean): Source {
  return { dir, own, segments: [], finished: [], cursor: undefined, start: undefined, lastN: 0, exhausted: false, removed: false };
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
