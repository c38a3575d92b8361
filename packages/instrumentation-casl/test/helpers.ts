import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { channels } from '@domain-otel/api';
import type { AuditDecisionMessage } from '@domain-otel/api';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** What the adapter published on the api's audit-decision channel, in order. */
export interface Published {
  decision: AuditDecisionMessage['decision'];
  actor: AuditDecisionMessage['actor'];
}

/**
 * Subscribes to every api channel. Audit decisions are kept; anything published on another
 * channel is kept in `others` (an adapter for CASL must publish nothing else).
 */
export function captureApi() {
  const decisions: Published[] = [];
  const others: string[] = [];
  const onDecision = (m: AuditDecisionMessage) => decisions.push({ decision: m.decision, actor: m.actor });
  const other = (name: string) => () => others.push(name);
  const onCache = other('cache.invalidation');
  const onRule = other('rule.evaluation');
  const traced = (name: string) => ({ start: other(name), end() {}, asyncStart() {}, asyncEnd() {}, error() {} });
  const authz = traced('authz');
  const mutation = traced('mutation');
  const rule = traced('rule');
  channels.auditDecision.subscribe(onDecision);
  channels.cacheInvalidation.subscribe(onCache);
  channels.ruleEvaluation.subscribe(onRule);
  channels.authz.subscribe(authz);
  channels.mutation.subscribe(mutation);
  channels.rule.subscribe(rule);
  return {
    decisions,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return decisions.splice(0);
    },
    stop(): void {
      channels.auditDecision.unsubscribe(onDecision);
      channels.cacheInvalidation.unsubscribe(onCache);
      channels.ruleEvaluation.unsubscribe(onRule);
      channels.authz.unsubscribe(authz);
      channels.mutation.unsubscribe(mutation);
      channels.rule.unsubscribe(rule);
    },
  };
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

/** Installs `spec` (e.g. `@casl/ability@6.0.0`) once, outside the clone; returns the prefix. */
export function ensureInstalled(dirName: string, spec: string): string {
  const prefix = path.join(os.homedir(), '.cache', 'domain-otel', 'versions', dirName);
  const name = spec.slice(0, spec.lastIndexOf('@'));
  if (!existsSync(path.join(prefix, 'node_modules', name, 'package.json'))) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', spec], {
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
