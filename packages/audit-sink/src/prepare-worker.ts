/**
 * Worker thread of the PreparePool: decodes requests and prepares their rows (prepare.ts).
 * Hashes travel back in one transferred buffer, 64 bytes per record (content hash, record hash).
 */
import { parentPort } from 'node:worker_threads';
import { PayloadError, RequestTooLarge, type RefusedByReason } from './limits';
import type { Format } from './otlp-values';
import { prepareRequest, type PrepareLimits } from './prepare';

export interface PrepareTask {
  id: number;
  body: Uint8Array;
  format: Format;
  receivedAtMs: number;
  limits: PrepareLimits;
}

export type PrepareReply =
  | {
      id: number;
      ok: true;
      total: number;
      ignored: number;
      refused: number;
      refusedReason?: string;
      refusedBy: RefusedByReason;
      uids: string[];
      tenants: (string | null)[];
      times: string[];
      lines: string[];
      contents: ArrayBuffer;
    }
  | { id: number; ok: false; kind: 'payload' | 'too_large' | 'range' | 'bug'; message: string };

parentPort?.on('message', (task: PrepareTask) => {
  let reply: PrepareReply;
  try {
    const r = prepareRequest(task.body, task.format, new Date(task.receivedAtMs), task.limits);
    const contents = new Uint8Array(64 * r.records.length);
    r.records.forEach((p, i) => {
      contents.set(p.content, 64 * i);
      contents.set(p.recordHash, 64 * i + 32);
    });
    reply = {
      id: task.id,
      ok: true,
      total: r.total,
      ignored: r.ignored,
      refused: r.refused,
      ...(r.refusedReason !== undefined ? { refusedReason: r.refusedReason } : {}),
      refusedBy: r.refusedBy,
      uids: r.records.map((p) => p.uid),
      tenants: r.records.map((p) => p.tenantId),
      times: r.records.map((p) => p.timeUnixNano),
      lines: r.records.map((p) => p.line),
      contents: contents.buffer,
    };
    parentPort!.postMessage(reply, [contents.buffer]);
    return;
  } catch (err) {
    const kind = err instanceof PayloadError ? 'payload' : err instanceof RequestTooLarge ? 'too_large' : err instanceof RangeError ? 'range' : 'bug';
    reply = { id: task.id, ok: false, kind, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
