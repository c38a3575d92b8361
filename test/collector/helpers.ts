import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const ROOT = path.resolve(__dirname, '../..');
export const CONFIG_DIR = path.join(ROOT, 'collector-config');
export const OTELCOL_CONFIG = path.join(CONFIG_DIR, 'otelcol.yaml');
export const JAEGER_CONFIG = path.join(CONFIG_DIR, 'jaeger.yaml');

/** Enough for a cold build of both binaries on a 2-core machine; cached runs take milliseconds. */
export const BUILD_TIMEOUT_MS = 40 * 60 * 1000;

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs a command to completion (never rejects on a non-zero exit; the caller asserts). */
export function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs one of scripts/go/build-*.sh (cached after the first build) and returns the binary path. */
export async function buildBinary(script: 'build-collector.sh' | 'build-jaeger.sh' | 'build-loki.sh'): Promise<string> {
  const res = await run('bash', [path.join(ROOT, 'scripts', 'go', script)], { timeoutMs: BUILD_TIMEOUT_MS });
  if (res.code !== 0) throw new Error(`${script} failed (exit ${res.code}):\n${res.stderr.slice(-4000)}`);
  const lines = res.stdout.trim().split('\n');
  return lines[lines.length - 1]!;
}

/** Environment for collector/Jaeger child processes: ours, minus any DOMAIN_OTEL_* the developer has set. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOMAIN_OTEL_') || k === 'DOMAIN_OTEL_CACHE') env[k] = v;
  return { ...env, ...extra };
}

/** The loopback ports otelcol.yaml listens on: OTLP gRPC and HTTP, health, its own metrics, the Prometheus exporter. */
export interface CollectorPorts { grpc: number; http: number; health: number; self: number; prom: number }

/** The environment of an otelcol.yaml collector: its ports on loopback, its queue and files under `dir`, then `extra`. */
export function collectorEnv(ports: CollectorPorts, dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    DOMAIN_OTEL_COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
    DOMAIN_OTEL_COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
    DOMAIN_OTEL_COLLECTOR_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
    DOMAIN_OTEL_COLLECTOR_SELF_METRICS_PORT: String(ports.self),
    DOMAIN_OTEL_PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.prom}`,
    DOMAIN_OTEL_COLLECTOR_DATA: path.join(dir, 'queue'),
    DOMAIN_OTEL_COLLECTOR_FILES: path.join(dir, 'files'),
    ...extra,
  });
}

/** Reserves `n` distinct free loopback ports (held open together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server | ReturnType<typeof createNetServer>>((resolve, reject) => {
      const s = createNetServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await sleep(everyMs);
  }
}

/** GET returning status and body, or undefined when nothing is listening yet. */
export async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

export function waitForHttpOk(url: string, timeoutMs = 30_000): Promise<string> {
  return waitFor(`${url} to answer 200`, async () => {
    const r = await httpGet(url);
    return r && r.status === 200 ? r.body : undefined;
  }, timeoutMs);
}

export interface ExitStatus { code: number | null; signal: NodeJS.Signals | null }

/**
 * A started child process whose output goes to a log file: killable with any signal, stopped
 * (SIGTERM, then SIGKILL after a grace time) by stop(), its exit awaited. How it is started and
 * where its output goes is the subclass's (Proc here, the fault suite's Service and HostProcess).
 * `settledOn: 'close'` waits until its output streams are read to the end, too.
 */
export class LoggedProcess {
  readonly exited: Promise<ExitStatus>;
  private done = false;

  constructor(readonly name: string, readonly child: ChildProcess, readonly logFile: string, settledOn: 'exit' | 'close' = 'exit') {
    this.exited = new Promise((resolve) => {
      child.once(settledOn, (code: number | null, signal: NodeJS.Signals | null) => { this.done = true; resolve({ code, signal }); });
      child.once('error', () => { this.done = true; resolve({ code: null, signal: null }); });
    });
  }

  get running(): boolean { return !this.done; }
  get pid(): number { return this.child.pid ?? -1; }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void { if (this.running) this.child.kill(signal); }

  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  log(): string {
    try { return readFileSync(this.logFile, 'utf8'); } catch { return ''; }
  }
}

/** A child process whose stdout and stderr go to a new log file. */
export class Proc extends LoggedProcess {
  constructor(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, cwd = ROOT) {
    super(name, spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }), logFile);
    const out = createWriteStream(logFile);
    this.child.stdout!.pipe(out, { end: false });
    this.child.stderr!.pipe(out, { end: false });
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `domain-otel-${prefix}-`));
}

/** The top-level component names listed per kind by `<collector> components`. */
export function parseComponents(output: string): Record<string, Set<string>> {
  const kinds: Record<string, Set<string>> = {};
  let current: Set<string> | undefined;
  for (const line of output.split('\n')) {
    const section = /^([a-z]+):/.exec(line);
    if (section) {
      current = kinds[section[1]!] = new Set();
      continue;
    }
    const item = /^ {4}- name: (\S+)/.exec(line) ?? /^ {2}- name: (\S+)/.exec(line);
    if (item && current) current.add(item[1]!);
  }
  return kinds;
}

// --- a stand-in for the audit sink: a minimal OTLP/HTTP logs endpoint -------------------------

interface Decoder { decode(b: Uint8Array): unknown; toObject(m: unknown, o: object): Record<string, unknown> }
const protoRoot = require('otlp-proto-root/build/src/generated/root') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: Decoder } } } } };
};
const logsRequest = protoRoot.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

export interface SinkRecord { eventName: string; body: unknown; attributes: Record<string, unknown>; serviceName: unknown }
export interface SinkRequest { path: string; authorization?: string; contentType?: string; contentEncoding?: string }

/** Converts an OTLP AnyValue (protobuf toObject or OTLP/JSON form) to a plain value. */
export function anyValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('arrayValue' in o) return ((o.arrayValue as { values?: unknown[] }).values ?? []).map(anyValue);
  if ('kvlistValue' in o) return kvList((o.kvlistValue as { values?: unknown[] }).values);
  return undefined;
}

export function kvList(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of (list as { key: string; value: unknown }[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** Flattens an ExportLogsServiceRequest (protobuf toObject or OTLP/JSON) into records. */
export function flattenLogs(req: Record<string, unknown>): SinkRecord[] {
  const out: SinkRecord[] = [];
  for (const rl of (req.resourceLogs as Record<string, unknown>[] | undefined) ?? []) {
    const resource = kvList((rl.resource as { attributes?: unknown } | undefined)?.attributes);
    for (const sl of (rl.scopeLogs as Record<string, unknown>[] | undefined) ?? []) {
      for (const lr of (sl.logRecords as Record<string, unknown>[] | undefined) ?? []) {
        out.push({
          eventName: (lr.eventName as string | undefined) ?? '',
          body: anyValue(lr.body),
          attributes: kvList(lr.attributes),
          serviceName: resource['service.name'],
        });
      }
    }
  }
  return out;
}

export class AuditSinkStandIn {
  readonly records: SinkRecord[] = [];
  readonly requests: SinkRequest[] = [];
  private server?: Server;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    this.requests.push({
      path: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      contentEncoding: req.headers['content-encoding'],
    });
    if (req.method !== 'POST' || req.url !== '/v1/logs') {
      res.writeHead(404).end();
      return;
    }
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = String(req.headers['content-type']).startsWith('application/json');
      const decoded = json
        ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
        : logsRequest.toObject(logsRequest.decode(body), { longs: String, bytes: String, defaults: false });
      this.records.push(...flattenLogs(decoded));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
    }
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
  }
}
