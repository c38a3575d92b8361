/**
 * What every library adapter's tests share: the exact-events assertion with a report of
 * missing and unexpected events, installing a library version outside the clone, and running
 * a fixture in a child process. Each package's `test/helpers.ts` re-exports these.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Asserts that `actual` is exactly `expected` (same items, same order), and on failure
 * reports which expected events are missing and which published ones were not expected.
 */
export function assertExactly<T>(actual: readonly T[], expected: readonly T[], what = 'events'): void {
  const show = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  const missing = expected.filter((e) => !actual.some((a) => isDeepStrictEqual(a, e)));
  const unexpected = actual.filter((a) => !expected.some((e) => isDeepStrictEqual(a, e)));
  const report = [
    missing.length > 0 ? `missing ${what}:\n${missing.map((m) => `  ${show(m)}`).join('\n')}` : '',
    unexpected.length > 0 ? `unexpected ${what}:\n${unexpected.map((u) => `  ${show(u)}`).join('\n')}` : '',
  ].filter(Boolean).join('\n');
  assert.ok(report === '', report);
  assert.deepStrictEqual(actual, expected, `same ${what} but not in the expected order or number`);
}

/**
 * Installs `specs` (e.g. `typeorm@0.3.0`, or a library with the versions of its companions)
 * once into `~/.cache/domain-otel/versions/<dirName>`, outside the clone; returns the prefix.
 */
export function ensureInstalled(dirName: string, ...specs: string[]): string {
  const prefix = path.join(os.homedir(), '.cache', 'domain-otel', 'versions', dirName);
  const installed = specs.every((spec) => {
    const at = spec.lastIndexOf('@');
    const manifest = path.join(prefix, 'node_modules', spec.slice(0, at), 'package.json');
    return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version === spec.slice(at + 1);
  });
  if (!installed) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], {
      stdio: ['ignore', 'ignore', 'pipe'], // on failure the error carries npm's stderr
      timeout: 600000,
    });
  }
  return prefix;
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs a fixture with the Node running the tests, from the repository root; only PATH/HOME plus `env` are passed. */
export function runNode(args: string[], env: Record<string, string> = {}, timeoutMs = 120000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON lines a fixture printed with the given prefix. */
export function jsonLines<T>(stdout: string, prefix: string): T[] {
  return stdout.split('\n').filter((l) => l.startsWith(prefix)).map((l) => JSON.parse(l.slice(prefix.length)) as T);
}

/** Resolves after the current turn's I/O callbacks (events batched per turn are out by then). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
