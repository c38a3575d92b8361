import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { channels } from '@domain-otel/api';
import type { Actor, RuleEvaluation, RuleEvaluationMessage, RuleMeta, TracedContext } from '@domain-otel/api';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** One message on the api's channels, as the adapter published it. */
export type Published =
  | { channel: 'rule'; event: 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error'; meta: RuleMeta; outcome?: string; emitEvaluation?: unknown; error?: unknown }
  | { channel: 'rule.evaluation'; evaluation: RuleEvaluation; actor: Actor | undefined };

/**
 * Subscribes to every api channel. Rule operations and rule evaluations are recorded in
 * order (durations checked and removed); anything on another channel goes to `others`.
 */
export function captureApi() {
  const events: Published[] = [];
  const others: string[] = [];
  const onEvaluation = (m: RuleEvaluationMessage) => {
    const { durationMs, ...evaluation } = m.evaluation;
    assert.ok(typeof durationMs === 'number' && durationMs >= 0, `durationMs ${String(durationMs)}`);
    events.push({ channel: 'rule.evaluation', evaluation, actor: m.actor });
  };
  const traced = (event: 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error') => (ctx: TracedContext<RuleMeta>) => {
    const entry: Published = { channel: 'rule', event, meta: ctx.meta };
    if (event === 'asyncEnd' || event === 'end') {
      if (ctx.outcome !== undefined) entry.outcome = ctx.outcome;
      entry.emitEvaluation = ctx.emitEvaluation;
    }
    if (event === 'error') entry.error = ctx.error;
    events.push(entry);
  };
  const rule = { start: traced('start'), end: traced('end'), asyncStart: traced('asyncStart'), asyncEnd: traced('asyncEnd'), error: traced('error') };
  const other = (name: string) => () => others.push(name);
  const onDecision = other('audit.decision');
  const onCache = other('cache.invalidation');
  const authz = { start: other('authz'), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  const mutation = { start: other('mutation'), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  channels.ruleEvaluation.subscribe(onEvaluation);
  channels.rule.subscribe(rule);
  channels.auditDecision.subscribe(onDecision);
  channels.cacheInvalidation.subscribe(onCache);
  channels.authz.subscribe(authz);
  channels.mutation.subscribe(mutation);
  return {
    events,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return events.splice(0);
    },
    stop(): void {
      channels.ruleEvaluation.unsubscribe(onEvaluation);
      channels.rule.unsubscribe(rule);
      channels.auditDecision.unsubscribe(onDecision);
      channels.cacheInvalidation.unsubscribe(onCache);
      channels.authz.unsubscribe(authz);
      channels.mutation.unsubscribe(mutation);
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

/** Installs `spec` (e.g. `json-rules-engine@6.0.0`) once, outside the clone; returns the prefix. */
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
