/**
 * Decoding and row preparation on worker threads, so one sink process uses more than one
 * core: the request thread keeps HTTP and Postgres, the workers do the CPU work per record.
 * A worker that dies (a bug, not bad input) fails its tasks with WorkerLostError (answered 503,
 * so senders retry) and is replaced. Each worker's heap is capped (resourceLimits): a worker that
 * runs out of it while decoding one request alone fails that request with RequestTooLarge (413:
 * its retry would fail the same way); the request limits (limits.ts) keep that from happening.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { WorkerLostError } from './errors';
import { PayloadError, RequestTooLarge } from './limits';
import type { Format } from './otlp-values';
import type { PrepareLimits, PreparedRequest } from './prepare';
import type { PrepareReply, PrepareTask } from './prepare-worker';

// Next to this file: prepare-worker.js in the build, prepare-worker.ts when run from source.
const WORKER_FILE = join(__dirname, `prepare-worker${extname(__filename)}`);

/** Old-generation heap of one worker by default: several times what the request limits let a request use. */
export const DEFAULT_WORKER_HEAP_MB = 512;

function startWorker(heapMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: heapMb };
  if (extname(__filename) !== '.ts') return new Worker(WORKER_FILE, { resourceLimits });
  // Run from source (tests and benches under tsx): workers do not inherit tsx's loader, so
  // the TypeScript worker is loaded through it explicitly.
  const tsx = require.resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(WORKER_FILE)});`, { eval: true, resourceLimits });
}

interface Pending {
  resolve: (r: PreparedRequest) => void;
  reject: (err: Error) => void;
}

class Slot {
  worker!: Worker;
  readonly pending = new Map<number, Pending>();
  closing = false;
  /** Set while a worker that died right after starting waits to be replaced: tasks are refused (503). */
  down = false;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onFatal: (msg: string) => void,
    private readonly heapMb: number,
    private readonly onRestart: () => void,
  ) {
    this.start();
  }

  stop(): Promise<number> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    return this.worker.terminate();
  }

  private start(): void {
    const worker = startWorker(this.heapMb);
    this.worker = worker;
    this.down = false;
    this.startedAt = Date.now();
    worker.unref();
    let answered = false;
    worker.on('message', (reply: PrepareReply) => {
      answered = true;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(toPrepared(reply));
      else if (reply.kind === 'payload') p.reject(new PayloadError(reply.message));
      else if (reply.kind === 'too_large') p.reject(new RequestTooLarge(reply.message));
      else if (reply.kind === 'range') p.reject(new RangeError(reply.message));
      else p.reject(new Error(reply.message));
    });
    let outOfMemory = false;
    let failed = false;
    const fail = (why: string) => {
      if (failed || this.worker !== worker || this.closing) return;
      failed = true;
      const alone = this.pending.size === 1;
      for (const p of this.pending.values()) {
        p.reject(outOfMemory && alone
          ? new RequestTooLarge(`decoding the request needed more than the ${this.heapMb} MiB heap of a worker thread; send smaller batches`)
          : new WorkerLostError(`prepare worker ${why}`));
      }
      this.pending.clear();
      // A worker that cannot even start must not be restarted in a tight loop.
      const quick = !answered && Date.now() - this.startedAt < 1000;
      this.onFatal(`audit-sink: prepare worker ${why}; starting a new one${quick ? ' in 1 s' : ''}`);
      this.onRestart();
      if (!quick) return this.start();
      this.down = true;
      this.restartTimer = setTimeout(() => this.start(), 1000);
      this.restartTimer.unref();
    };
    worker.on('error', (err) => {
      outOfMemory ||= (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      fail(`failed: ${err.message}`);
    });
    worker.on('exit', (code) => fail(`exited with code ${code}`));
  }
}

function toPrepared(r: Extract<PrepareReply, { ok: true }>): PreparedRequest {
  const contents = new Uint8Array(r.contents);
  return {
    total: r.total,
    ignored: r.ignored,
    refused: r.refused,
    ...(r.refusedReason !== undefined ? { refusedReason: r.refusedReason } : {}),
    refusedBy: r.refusedBy,
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

  constructor(size: number, log: (line: string) => void = () => {}, heapMb = DEFAULT_WORKER_HEAP_MB, onRestart: () => void = () => {}) {
    this.slots = Array.from({ length: size }, () => new Slot(log, heapMb, onRestart));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Decode and prepare one request on the least busy worker. Rejects with PayloadError for a bad payload. */
  run(body: Uint8Array, format: Format, receivedAt: Date, limits: PrepareLimits = {}): Promise<PreparedRequest> {
    const up = this.slots.filter((s) => !s.down);
    if (up.length === 0) return Promise.reject(new WorkerLostError('no prepare worker running (restarting)'));
    let slot = up[0]!;
    for (const s of up) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    const task: PrepareTask = { id, body, format, receivedAtMs: receivedAt.getTime(), limits };
    return new Promise<PreparedRequest>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.stop()));
  }
}
