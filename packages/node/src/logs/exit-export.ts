import { execFileSync } from 'node:child_process';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpSignalConfig } from '../config/load';
import { logsSerializers } from './otlp-serializers';

/**
 * The last chance for queued audit records when the process is already exiting
 * (`process.exit()` called by the app, or an exit our async flush could not wait for): in the
 * `exit` event only synchronous work runs, so the records are serialised here and posted by a
 * short-lived child process that we wait for with `execFileSync`, bounded by `timeoutMillis`.
 * Each batch is one OTLP/HTTP request; the child stops at the first one not acknowledged.
 * Returns how many of `batches` were acknowledged. gRPC endpoints are not supported here
 * (returns 0): the audit processor writes what this did not deliver to the spool instead.
 */
export function exportBatchesSync(batches: readonly ReadableLogRecord[][], c: OtlpSignalConfig, timeoutMillis: number): number {
  if (batches.length === 0 || c.protocol === 'grpc') return 0;
  const transformer = logsSerializers();
  const json = c.protocol === 'http/json';
  const frames: Buffer[] = [];
  for (const batch of batches) {
    const body = json ? transformer.JsonLogsSerializer.serializeRequest(batch) : transformer.ProtobufLogsSerializer.serializeRequest(batch);
    if (!body) return 0;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    frames.push(len, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  const headers = { ...c.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf' };
  try {
    const out = execFileSync(process.execPath, ['-e', CHILD], {
      input: Buffer.concat(frames),
      // no NODE_OPTIONS: the child must not preload us again
      env: { PATH: process.env.PATH ?? '', DOMAIN_OTEL_EXIT_URL: c.url, DOMAIN_OTEL_EXIT_HEADERS: JSON.stringify(headers), DOMAIN_OTEL_EXIT_DEADLINE: String(Date.now() + timeoutMillis) },
      timeout: timeoutMillis + 1000,
      stdio: ['pipe', 'pipe', 'ignore'],
      windowsHide: true,
    });
    const n = Number(String(out).trim().split('\n').pop());
    return Number.isInteger(n) && n >= 0 ? Math.min(n, batches.length) : 0;
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout;
    const n = out ? Number(String(out).trim().split('\n').pop()) : NaN;
    return Number.isInteger(n) && n >= 0 ? Math.min(n, batches.length) : 0;
  }
}

/** Reads length-prefixed request bodies from stdin, posts them in order, prints how many were acknowledged. */
const CHILD = `
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const input = Buffer.concat(chunks);
  const headers = JSON.parse(process.env.DOMAIN_OTEL_EXIT_HEADERS);
  const deadline = Number(process.env.DOMAIN_OTEL_EXIT_DEADLINE);
  let ok = 0;
  for (let at = 0; at + 4 <= input.length;) {
    const len = input.readUInt32BE(at);
    const body = input.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      const res = await fetch(process.env.DOMAIN_OTEL_EXIT_URL, { method: 'POST', headers, body, signal: AbortSignal.timeout(left) });
      await res.arrayBuffer();
      if (!res.ok) break;
      ok++;
    } catch { break; }
  }
  process.stdout.write(ok + '\\n');
});
`;
