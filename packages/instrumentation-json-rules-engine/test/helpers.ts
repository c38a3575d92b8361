import assert from 'node:assert/strict';
import path from 'node:path';
import type { Actor, RuleEvaluation, RuleEvaluationMessage, RuleMeta, TracedContext } from '@domain-otel/api';
import { subscribeApi } from '../../../test/helpers/api-capture';
export { assertExactly, ensureInstalled, runNode, jsonLines } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';

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
  const stop = subscribeApi({ ruleEvaluation: onEvaluation, rule }, others);
  return {
    events,
    others,
    /** Returns and forgets what was captured so far. */
    take(): Published[] {
      return events.splice(0);
    },
    stop,
  };
}
