import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SegmentDecoder } from './record-codec';

/** Segment files of a spool directory: `<seq>.ndjson`, drained in seq order. */
export const SEGMENT_SUFFIX = '.ndjson';
export const ACK_FILE = 'acked.json';
const READ_CHUNK = 1 << 20;
const DECODE_SLICE = 128;

export function segmentName(seq: number): string {
  return `${String(seq).padStart(10, '0')}${SEGMENT_SUFFIX}`;
}

export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^[0-9]{10}\.ndjson$/.test(n)).map((n) => Number(n.slice(0, 10))).sort((a, b) => a - b);
}

export interface AckPoint { seq: number; offset: number }

export async function readAckPoint(dir: string): Promise<AckPoint | undefined> {
  try {
    const p = JSON.parse(await readFile(path.join(dir, ACK_FILE), 'utf8')) as Partial<AckPoint>;
    return Number.isInteger(p.seq) && Number.isInteger(p.offset) ? { seq: p.seq!, offset: p.offset! } : undefined;
  } catch {
    return undefined;
  }
}

export interface ReadLine { record: ReadableLogRecord; seq: number; end: number }

/**
 * Reads one segment file's record lines in order from a byte offset, up to a limit (for the
 * segment still being written: the bytes whose write completed). A last line without its
 * newline is left unread: it is still being written, or was torn by a crash. Definition
 * lines before the start offset are still read, so records after it can be decoded.
 */
export class SegmentCursor {
  private readonly decoder = new SegmentDecoder();
  private offset = 0;

  constructor(readonly dir: string, readonly seq: number, private readonly skipUntil = 0) {}

  get position(): number {
    return this.offset;
  }

  /** Up to `max` records from where the cursor stands, reading no further than `limit` bytes. */
  async read(max: number, limit: number, onBadLine: (err: unknown) => void): Promise<ReadLine[]> {
    const out: ReadLine[] = [];
    if (this.offset >= limit) return out;
    const fh = await open(path.join(this.dir, segmentName(this.seq)), 'r');
    try {
      while (out.length < max && this.offset < limit) {
        const want = Math.min(READ_CHUNK, limit - this.offset);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, this.offset);
        if (bytesRead === 0) break;
        // decoded in slices, so the app's own work runs in between
        let view = buf.subarray(0, bytesRead);
        let progressed = false;
        while (out.length < max) {
          const before = this.offset;
          if (!this.take(view, Math.min(max, out.length + DECODE_SLICE), out, onBadLine)) break;
          progressed = true;
          view = view.subarray(this.offset - before);
          if (out.length < max && view.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        if (!progressed) break;
      }
    } finally {
      await fh.close();
    }
    return out;
  }

  /** Consumes complete lines of `buf` (which starts at `offset`); false when no line was complete. */
  private take(buf: Buffer, max: number, out: ReadLine[], onBadLine: (err: unknown) => void): boolean {
    let start = 0;
    let progressed = false;
    while (out.length < max) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const lineStart = this.offset + start;
      const end = this.offset + nl + 1;
      progressed = true;
      const isDefinition = buf[start + 2] === 0x52 || buf[start + 2] === 0x53; // {"R / {"S
      if (end > this.skipUntil || isDefinition) {
        try {
          const record = this.decoder.decode(buf.toString('utf8', start, nl));
          if (record && lineStart >= this.skipUntil) out.push({ record, seq: this.seq, end });
        } catch (err) {
          onBadLine(err);
        }
      }
      start = nl + 1;
    }
    this.offset += start;
    return progressed;
  }
}
