import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { channels } from '@domain-otel/api';
import type { CacheInvalidationMessage } from '@domain-otel/api';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** One cache invalidation, as the adapter published it, and the traced operation it ran in. */
export interface Published {
  invalidation: CacheInvalidationMessage['invalidation'];
  actor: CacheInvalidationMessage['actor'];
}

/**
 * Subscribes to every api channel. Cache invalidations are kept in order; anything
 * published on another channel goes to `others` (this adapter must publish nothing else).
 * A store bound on the mutation and rule `start` channels tells in which traced operation
 * (the mapping's parent span) each invalidation was published: `parentOf(published)`.
 */
export function captureApi() {
  const invalidations: Published[] = [];
  const others: string[] = [];
  const parents = new WeakMap<Published, object | undefined>();
  const current = new AsyncLocalStorage<object>();
  const onCache = (m: CacheInvalidationMessage) => {
    const published = { invalidation: m.invalidation, actor: m.actor };
    parents.set(published, current.getStore());
    invalidations.push(published);
  };
  const other = (name: string) => () => others.push(name);
  const onDecision = other('audit.decision');
  const onRule = other('rule.evaluation');
  const traced = (name: string) => ({ start: other(name), end() {}, asyncStart() {}, asyncEnd() {}, error() {} });
  const authz = traced('authz');
  const mutation = traced('mutation');
  const rule = traced('rule');
  const enter = (ctx: object) => ctx;
  channels.mutation.start.bindStore(current, enter);
  channels.rule.start.bindStore(current, enter);
  channels.cacheInvalidation.subscribe(onCache);
  channels.auditDecision.subscribe(onDecision);
  channels.ruleEvaluation.subscribe(onRule);
  channels.authz.subscribe(authz);
  channels.mutation.subscribe(mutation);
  channels.rule.subscribe(rule);
  return {
    invalidations,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return invalidations.splice(0);
    },
    /** The traced operation (api context object) an invalidation was published in. */
    parentOf(published: Published): object | undefined {
      return parents.get(published);
    },
    stop(): void {
      channels.mutation.start.unbindStore(current);
      channels.rule.start.unbindStore(current);
      channels.cacheInvalidation.unsubscribe(onCache);
      channels.auditDecision.unsubscribe(onDecision);
      channels.ruleEvaluation.unsubscribe(onRule);
      channels.authz.unsubscribe(authz);
      channels.mutation.unsubscribe(mutation);
      channels.rule.unsubscribe(rule);
    },
  };
}

/** Lets the current tick finish. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Asserts that `actual` is exactly `expected` (same items, same order), and on failure
 * reports which expected events are missing and which published ones were not expected.
 */
export function assertExactly<T>(actual: readonly T[], expected: readonly T[], what = 'events'): void {
  const missing = expected.filter((e) => !actual.some((a) => isDeepStrictEqual(a, e)));
  const unexpected = actual.filter((a) => !expected.some((e) => isDeepStrictEqual(a, e)));
  const report = [
    missing.length > 0 ? `missing ${what}:\n${missing.map((m) => `  ${JSON.stringify(m)}`).join('\n')}` : '',
    unexpected.length > 0 ? `unexpected ${what}:\n${unexpected.map((u) => `  ${JSON.stringify(u)}`).join('\n')}` : '',
  ].filter(Boolean).join('\n');
  assert.ok(report === '', report);
  assert.deepStrictEqual(actual, expected, `same ${what} but not in the expected order or number`);
}

/**
 * Installs `specs` (e.g. `cache-manager@6.0.0`, `keyv@5.0.3`) once, together, outside the
 * clone; returns the prefix.
 */
export function ensureInstalled(dirName: string, ...specs: string[]): string {
  const prefix = path.join(os.homedir(), '.cache', 'domain-otel', 'versions', dirName);
  const installed = specs.every((spec) => {
    const [name, version] = [spec.slice(0, spec.lastIndexOf('@')), spec.slice(spec.lastIndexOf('@') + 1)];
    const manifest = path.join(prefix, 'node_modules', name, 'package.json');
    return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version === version;
  });
  if (!installed) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], {
      stdio: ['ignore', 'ignore', 'pipe'], // on failure the error carries npm's stderr
      timeout: 120000,
    });
  }
  return prefix;
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs a fixture with the Node running the tests; only PATH/HOME plus `env` are passed. */
export function runNode(args: string[], env: Record<string, string> = {}, timeoutMs = 30000): Promise<RunResult> {
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
