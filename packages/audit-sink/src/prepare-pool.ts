/**
 * Decoding and row preparation on worker threads, so one sink process uses more than one
 * core: the request thread keeps HTTP and Postgres, the workers do the CPU work per record.
 * A worker that dies (a bug, not bad input) fails its tasks with WorkerLostError (answered 503,
 * so senders retry) and is replaced.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { WorkerLostError } from './errors';
import { PayloadError, type AcceptWindow, type Format } from './otlp';
import type { PreparedRequest } from './prepare';
import type { PrepareReply, PrepareTask } from './prepare-worker';

// Next to this file: prepare-worker.js in the build, prepare-worker.ts when run from source.
const WORKER_FILE = join(__dirname, `prepare-worker${extname(__filename)}`);

function startWorker(): Worker {
  if (extname(__filename) !== '.ts') return new Worker(WORKER_FILE);
  // Run from source (tests and benches under tsx): workers do not inherit tsx's loader, so
  // the TypeScript worker is loaded through it explicitly.
  const tsx = require.resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(WORKER_FILE)});`, { eval: true });
}

interface Pending {
  resolve: (r: PreparedRequest) => void;
  reject: (err: Error) => void;
}

class Slot {
  worker!: Worker;
  readonly pending = new Map<number, Pending>();
  closing = false;

  constructor(private readonly onFatal: (msg: string) => void) {
    this.start();
  }

  private start(): void {
    const worker = startWorker();
    this.worker = worker;
    worker.unref();
    worker.on('message', (reply: PrepareReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(toPrepared(reply));
      else if (reply.kind === 'payload') p.reject(new PayloadError(reply.message));
      else if (reply.kind === 'range') p.reject(new RangeError(reply.message));
      else p.reject(new Error(reply.message));
    });
    const fail = (why: string) => {
      if (this.worker !== worker) return;
      for (const p of this.pending.values()) p.reject(new WorkerLostError(`prepare worker ${why}`));
      this.pending.clear();
      this.onFatal(`audit-sink: prepare worker ${why}; starting a new one`);
      this.start();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.closing) fail(`exited with code ${code}`);
    });
  }
}

function toPrepared(r: Extract<PrepareReply, { ok: true }>): PreparedRequest {
  const contents = new Uint8Array(r.contents);
  return {
    total: r.total,
    ignored: r.ignored,
    refused: r.refused,
    ...(r.refusedReason !== undefined ? { refusedReason: r.refusedReason } : {}),
    records: r.uids.map((uid, i) => ({
      uid,
      tenantId: r.tenants[i]!,
      timeUnixNano: r.times[i]!,
      line: r.lines[i]!,
      content: contents.subarray(64 * i, 64 * i + 32),
      recordHash: contents.subarray(64 * i + 32, 64 * (i + 1)),
    })),
  };
}

export class PreparePool {
  private readonly slots: Slot[];
  private nextId = 1;

  constructor(size: number, log: (line: string) => void = () => {}) {
    this.slots = Array.from({ length: size }, () => new Slot(log));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Decode and prepare one request on the least busy worker. Rejects with PayloadError for a bad payload. */
  run(body: Uint8Array, format: Format, receivedAt: Date, window?: AcceptWindow): Promise<PreparedRequest> {
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    const task: PrepareTask = { id, body, format, receivedAtMs: receivedAt.getTime(), ...(window ? { window } : {}) };
    return new Promise<PreparedRequest>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => {
      s.closing = true;
      return s.worker.terminate();
    }));
  }
}
