// The adapter against the real json-rules-engine installed at the root (7.x): every path, event by event.
import assert from 'node:assert/strict';
import { withActor } from '@domain-otel/api';
import type { RuleEvaluation, RuleMeta } from '@domain-otel/api';
import { JsonRulesEngineInstrumentation, nameEngine } from '../src';
import { assertExactly, captureApi } from './helpers';
import type { Published } from './helpers';

type Jre = typeof import('json-rules-engine');

const BIG_ORDER = {
  name: 'big-order',
  conditions: { all: [{ fact: 'total', operator: 'greaterThan', value: 100 }, { fact: 'country', operator: 'equal', value: 'DE' }] },
  event: { type: 'discount' },
};
const VIP = { conditions: { any: [{ fact: 'vip', operator: 'equal', value: true }] }, event: { type: 'vip' } };

/** The operation events of one run around the given rule results (async run: end, then settlement). */
function run(meta: RuleMeta, evaluations: Published[], outcome: string, error?: unknown): Published[] {
  return [
    { channel: 'rule', event: 'start', meta },
    { channel: 'rule', event: 'end', meta, emitEvaluation: false },
    ...evaluations,
    ...(error !== undefined ? [{ channel: 'rule' as const, event: 'error' as const, meta, error }] : []),
    { channel: 'rule', event: 'asyncStart', meta },
    { channel: 'rule', event: 'asyncEnd', meta, outcome, emitEvaluation: false },
  ];
}

const evaluation = (e: RuleEvaluation, actor?: object): Published => ({ channel: 'rule.evaluation', evaluation: e, actor: actor as undefined });

/** Rules of one priority run concurrently: their relative order is not part of the contract. */
function byNameWithinRuns(events: Published[]): Published[] {
  const out = [...events];
  for (let i = 0; i < out.length; i++) {
    let j = i;
    while (j < out.length && out[j]!.channel === 'rule.evaluation') j++;
    if (j - i > 1) {
      const sorted = (out.slice(i, j) as Extract<Published, { channel: 'rule.evaluation' }>[])
        .sort((a, b) => a.evaluation.name.localeCompare(b.evaluation.name));
      out.splice(i, j - i, ...sorted);
    }
  }
  return out;
}

describe('json-rules-engine instrumentation (in process, root version)', () => {
  let instrumentation: JsonRulesEngineInstrumentation;
  let jre: Jre;
  let capture: ReturnType<typeof captureApi>;

  before(() => {
    instrumentation = new JsonRulesEngineInstrumentation();
    jre = require('json-rules-engine') as Jre;
  });
  after(() => instrumentation.disable());
  beforeEach(() => {
    instrumentation.setConfig({});
    capture = captureApi();
  });
  afterEach(() => capture.stop());

  const engine = (name?: string) => {
    const e = new jre.Engine([BIG_ORDER, VIP]);
    return name === undefined ? e : nameEngine(e, name);
  };

  it('a run is one rule operation; each rule result one evaluation with its condition trace and input', async () => {
    const facts = { total: 150, country: 'FR', vip: true };
    const result = await engine('pricing').run(facts);
    assert.deepEqual(result.events, [{ type: 'vip' }]);
    const meta = { name: 'pricing', set: 'pricing' };
    assertExactly(byNameWithinRuns(capture.take()), run(meta, [
      evaluation({
        name: 'big-order', set: 'pricing', outcome: 'failed', input: facts,
        conditions: { all: [
          { fact: 'total', operator: 'greaterThan', value: 100, factResult: 150, result: true },
          { fact: 'country', operator: 'equal', value: 'DE', factResult: 'FR', result: false },
        ] },
      }),
      evaluation({
        name: 'vip', set: 'pricing', outcome: 'passed', input: facts,
        conditions: { any: [{ fact: 'vip', operator: 'equal', value: true, factResult: true, result: true }] },
      }),
    ], 'failed'));
    assert.deepEqual(capture.others, []);
  });

  it('every rule passed: the run\'s outcome is passed; unnamed engine uses the default name', async () => {
    const facts = { total: 500, country: 'DE', vip: true };
    await engine().run(facts);
    const meta = { name: 'json-rules-engine', set: 'json-rules-engine' };
    const events = byNameWithinRuns(capture.take());
    assert.deepEqual(events.map((e) => (e.channel === 'rule' ? `${e.event}${e.outcome ? `:${e.outcome}` : ''}` : `${e.evaluation.name}:${e.evaluation.outcome}`)), [
      'start', 'end', 'big-order:passed', 'vip:passed', 'asyncStart', 'asyncEnd:passed',
    ]);
    assert.deepEqual(events[0], { channel: 'rule', event: 'start', meta });
  });

  it('a rule that throws: evaluation with outcome error, the run fails with the library\'s own error', async () => {
    const e = nameEngine(new jre.Engine([{ name: 'limit', conditions: { all: [{ fact: 'limit', operator: 'lessThan', value: 10 }] }, event: { type: 'x' } }]), 'limits');
    const error = await e.run({ other: 1 }).then(() => undefined, (err: unknown) => err);
    assert.ok(error instanceof Error);
    assert.equal((error as Error & { code?: string }).code, 'UNDEFINED_FACT');
    const meta = { name: 'limits', set: 'limits' };
    assertExactly(capture.take(), run(meta, [
      evaluation({ name: 'limit', set: 'limits', outcome: 'error', errorType: 'UNDEFINED_FACT', input: { other: 1 } }),
    ], 'error', error));
  });

  it('nested groups, not, path, shared conditions and short-circuited conditions', async () => {
    const e = nameEngine(new jre.Engine(), 'credit');
    e.setCondition('adult', { all: [{ fact: 'age', operator: 'greaterThanInclusive', value: 18 }] });
    e.addRule({
      name: 'eligible',
      conditions: { all: [
        { fact: 'account', path: '$.tier', operator: 'in', value: ['gold', 'platinum'] },
        { not: { fact: 'account', path: '$.blocked', operator: 'equal', value: true } },
        { condition: 'adult' },
        { any: [
          { fact: 'score', operator: 'greaterThanInclusive', value: 700, priority: 2 },
          { fact: 'income', operator: 'greaterThan', value: 50000, priority: 1 },
        ] },
      ] },
      event: { type: 'approve' },
    });
    const facts = { account: { tier: 'gold', blocked: false }, age: 30, score: 720, income: 10, password: 'hunter2' };
    await e.run(facts);
    assertExactly(capture.take(), run({ name: 'credit', set: 'credit' }, [evaluation({
      name: 'eligible', set: 'credit', outcome: 'passed',
      input: facts, // as given: redaction (password) and audit levels are applied by the mapping
      conditions: { all: [
        { fact: 'account', operator: 'in', value: ['gold', 'platinum'], path: '$.tier', factResult: 'gold', result: true },
        { not: { fact: 'account', operator: 'equal', value: true, path: '$.blocked', factResult: false, result: false }, result: true },
        { all: [{ fact: 'age', operator: 'greaterThanInclusive', value: 18, factResult: 30, result: true }], result: true },
        { any: [
          { fact: 'score', operator: 'greaterThanInclusive', value: 700, factResult: 720, result: true },
          { fact: 'income', operator: 'greaterThan', value: 50000 },
        ], result: true },
      ] },
    })], 'passed'));
  });

  it('a fact compared with another fact carries valueResult; Fact objects in the facts become their value', async () => {
    const e = nameEngine(new jre.Engine([{
      name: 'within-limit',
      conditions: { all: [{ fact: 'spent', operator: 'lessThanInclusive', value: { fact: 'limit' } }] },
      event: { type: 'ok' },
    }]), 'budget');
    await e.run({ spent: 40, limit: new jre.Fact('limit', 50), bonus: new jre.Fact('bonus', () => 1) });
    assertExactly(capture.take(), run({ name: 'budget', set: 'budget' }, [evaluation({
      name: 'within-limit', set: 'budget', outcome: 'passed', input: { spent: 40, limit: 50, bonus: '[dynamic fact]' },
      conditions: { all: [{ fact: 'spent', operator: 'lessThanInclusive', value: { fact: 'limit' }, factResult: 40, valueResult: 50, result: true }] },
    })], 'passed'));
  });

  it('engineName and ruleName hooks; nameEngine wins over the hook', async () => {
    instrumentation.setConfig({ engineName: () => 'from-hook', ruleName: (rule) => `rule:${String((rule as { name?: string }).name ?? 'anon')}` });
    await engine().run({ total: 1, country: 'DE', vip: false });
    await engine('named').run({ total: 1, country: 'DE', vip: false });
    const names = capture.take().map((e) => (e.channel === 'rule' ? `${e.event} ${e.meta.name}` : `${e.evaluation.set}/${e.evaluation.name}`));
    assert.deepEqual(names.filter((n) => n.startsWith('start')), ['start from-hook', 'start named']);
    assert.deepEqual(names.filter((n) => n.includes('/')).sort(), ['from-hook/rule:anon', 'from-hook/rule:big-order', 'named/rule:anon', 'named/rule:big-order']);
  });

  it('the actor of the scope is on every evaluation; concurrent runs keep their own input', async () => {
    const e = engine('pricing');
    await withActor({ id: '7', name: 'Grace' }, () => Promise.all([
      e.run({ total: 1, country: 'DE', vip: false }),
      e.run({ total: 2, country: 'DE', vip: false }),
    ]));
    const evaluations = capture.take().flatMap((p) => (p.channel === 'rule.evaluation' ? [p] : []));
    assert.equal(evaluations.length, 4);
    for (const p of evaluations) assert.deepEqual(p.actor, { id: '7', name: 'Grace' });
    const totals = evaluations.map((p) => `${p.evaluation.name}:${(p.evaluation.input as { total: number }).total}:${JSON.stringify(p.evaluation.conditions).match(/"factResult":(\d+)/)?.[1] ?? '-'}`).sort();
    assert.deepEqual(totals, ['big-order:1:1', 'big-order:2:2', 'vip:1:-', 'vip:2:-']);
  });

  it('engine.stop(): rules that were not evaluated produce nothing', async () => {
    const e = nameEngine(new jre.Engine([
      { name: 'first', priority: 10, conditions: { all: [{ fact: 'x', operator: 'equal', value: 1 }] }, event: { type: 'stop' } },
      { name: 'second', priority: 1, conditions: { all: [{ fact: 'x', operator: 'equal', value: 2 }] }, event: { type: 'never' } },
    ]), 'stopping');
    e.on('stop', () => { e.stop(); });
    await e.run({ x: 1 });
    assertExactly(capture.take(), run({ name: 'stopping', set: 'stopping' }, [evaluation({
      name: 'first', set: 'stopping', outcome: 'passed', input: { x: 1 },
      conditions: { all: [{ fact: 'x', operator: 'equal', value: 1, factResult: 1, result: true }] },
    })], 'passed'));
  });

  it('only the evaluation channel subscribed: evaluations still published', async () => {
    capture.stop();
    const evaluations: string[] = [];
    const onEvaluation = (m: { evaluation: RuleEvaluation }) => evaluations.push(`${m.evaluation.name}:${m.evaluation.outcome}`);
    const { channels } = await import('@domain-otel/api');
    channels.ruleEvaluation.subscribe(onEvaluation);
    try {
      await engine('pricing').run({ total: 150, country: 'DE', vip: false });
    } finally {
      channels.ruleEvaluation.unsubscribe(onEvaluation);
      capture = captureApi();
    }
    assert.deepEqual(evaluations.sort(), ['big-order:passed', 'vip:failed']);
  });

  it('nothing subscribed: runs as usual and nothing is published', async () => {
    capture.stop();
    const result = await engine('pricing').run({ total: 150, country: 'DE', vip: false });
    capture = captureApi();
    assert.deepEqual(result.events, [{ type: 'discount' }]);
    assert.deepEqual(capture.take(), []);
  });

  it('a throwing hook never reaches the app', async () => {
    instrumentation.setConfig({ engineName: () => { throw new Error('hook bug'); }, ruleName: () => { throw new Error('hook bug'); } });
    const result = await engine().run({ total: 150, country: 'DE', vip: false });
    assert.deepEqual(result.events, [{ type: 'discount' }]);
    assert.deepEqual(capture.take(), []);
  });

  it('disable() unpatches; enable() patches again', async () => {
    instrumentation.disable();
    try {
      await engine('pricing').run({ total: 1, country: 'DE', vip: false });
      assert.deepEqual(capture.take(), []);
    } finally {
      instrumentation.enable();
    }
    await engine('pricing').run({ total: 1, country: 'DE', vip: false });
    assert.equal(capture.take().length, 6);
  });
});
