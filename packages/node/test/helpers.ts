import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

const scratch: string[] = [];
process.on('exit', () => { for (const d of scratch) rmSync(d, { recursive: true, force: true }); });

/** A temporary directory removed when the test process exits. */
export function scratchDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `domain-otel-${prefix}-`));
  scratch.push(d);
  return d;
}

/**
 * Env for a child app: only what we pass plus PATH/HOME, never the test runner's OTEL_* vars.
 * Each app gets its own spool and dead-letter directories unless the test passes them, so no
 * app adopts another test's spool (and nothing is written under HOME).
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const state = scratchDir('state');
  return {
    PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: state, // the defaults' base, should a test garble the two below
    OTEL_METRIC_EXPORT_INTERVAL: '500', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200',
    DOMAIN_OTEL_AUDIT_SPOOL_DIR: path.join(state, 'spool'), DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: path.join(state, 'dead-letter'),
    ...extra,
  };
}

export function startApp(args: string[], env: NodeJS.ProcessEnv, nodeBinary = process.execPath): { child: ChildProcess; done: Promise<RunResult>; output: () => RunResult } {
  const child = spawn(nodeBinary, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, output: () => ({ code: null, signal: null, stdout, stderr }) };
}

export async function runApp(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20000): Promise<RunResult> {
  const app = startApp(args, env);
  const timer = setTimeout(() => app.child.kill('SIGKILL'), timeoutMs);
  try {
    return await app.done;
  } finally {
    clearTimeout(timer);
  }
}

export function waitForOutput(app: ReturnType<typeof startApp>, text: string, ms = 15000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (app.output().stdout.includes(text)) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`no "${text}" in output: ${JSON.stringify(app.output())}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}
