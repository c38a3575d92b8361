// With nothing subscribed, the api must do (almost) nothing.
import assert from 'node:assert/strict';
import {
  audit,
  cacheInvalidated,
  channels,
  ruleEvaluated,
  traceAuthz,
  traceMutation,
  traceRule,
  type AuditDecision,
  type AuditDecisionMessage,
} from '../src/index';
import { recordTraced } from './helpers';

/** An object that counts every property read. */
function watched<T extends object>(target: T): { value: T; reads: () => number } {
  let reads = 0;
  const value = new Proxy(target, {
    get(t, key, receiver) {
      reads++;
      return Reflect.get(t, key, receiver);
    },
  });
  return { value, reads: () => reads };
}

describe('with nothing subscribed', () => {
  before(() => {
    for (const c of [channels.auditDecision, channels.cacheInvalidation, channels.ruleEvaluation, channels.mutation, channels.authz, channels.rule]) {
      assert.equal(c.hasSubscribers, false, 'another test left a subscriber behind');
    }
  });

  it('audit.decision reads nothing and returns one shared resolved promise', async () => {
    const decision = watched<AuditDecision>({ action: 'read', outcome: 'granted', manager: 'M' });
    const a = audit.decision(decision.value);
    const b = audit.decision(decision.value);
    assert.equal(a, b);
    assert.equal(decision.reads(), 0, 'the decision object was inspected');
    assert.equal(await a, undefined);
  });

  it('cacheInvalidated and ruleEvaluated read nothing', () => {
    const inv = watched({ cache: 'c', reason: 'manual' as const, keys: ['a'] });
    const ev = watched({ name: 'r', outcome: 'passed' as const });
    cacheInvalidated(inv.value);
    ruleEvaluated(ev.value);
    assert.equal(inv.reads() + ev.reads(), 0);
  });

  it('a subscriber added later sees only later calls', () => {
    const seen: AuditDecisionMessage[] = [];
    const onMessage = (m: AuditDecisionMessage) => seen.push(m);
    void audit.decision({ action: 'read', outcome: 'granted', manager: 'before' });
    channels.auditDecision.subscribe(onMessage);
    try {
      void audit.decision({ action: 'read', outcome: 'granted', manager: 'after' });
    } finally {
      channels.auditDecision.unsubscribe(onMessage);
    }
    void audit.decision({ action: 'read', outcome: 'granted', manager: 'unsubscribed' });
    assert.deepEqual(
      seen.map((m) => m.decision.manager),
      ['after'],
    );
  });

  it('traced ops call fn exactly once, without arguments when it declares none', () => {
    const calls: number[] = [];
    const meta = { action: 'create', manager: 'M' } as const;
    const result = traceMutation(meta, function () {
      calls.push(arguments.length);
      return 'r';
    });
    assert.equal(result, 'r');
    traceAuthz({ action: 'read', manager: 'M' }, function () {
      calls.push(arguments.length);
      return true;
    });
    traceRule({ name: 'r' }, function () {
      calls.push(arguments.length);
    });
    assert.deepEqual(calls, [0, 0, 0]);
  });

  it('traced ops pass a context when fn declares a parameter', () => {
    const meta = { action: 'create', manager: 'M' } as const;
    const kinds = [
      traceMutation(meta, (ctx) => ctx.kind + (ctx.meta === meta ? '' : '!')),
      traceAuthz({ action: 'read', manager: 'M' }, (ctx) => ctx.kind),
      traceRule({ name: 'r' }, (ctx) => ctx.kind),
    ];
    assert.deepEqual(kinds, ['mutation', 'authz', 'rule']);
  });

  it('traced ops return the very same promise and error objects', async () => {
    const promise = Promise.resolve(1);
    assert.equal(
      traceMutation({ action: 'delete', manager: 'M' }, () => promise),
      promise,
    );
    const error = new Error('x');
    assert.throws(
      () =>
        traceMutation({ action: 'delete', manager: 'M' }, () => {
          throw error;
        }),
      (e) => e === error,
    );
  });

  it('a tracing subscriber added later sees only later operations', () => {
    traceMutation({ action: 'update', manager: 'early' }, () => 1);
    const recorder = recordTraced(channels.mutation);
    try {
      traceMutation({ action: 'update', manager: 'late' }, () => 1);
    } finally {
      recorder.stop();
    }
    assert.deepEqual(
      recorder.events.map((e) => `${e.event}:${e.ctx.meta.manager}`),
      ['start:late', 'end:late'],
    );
  });
});
