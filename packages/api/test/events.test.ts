import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  CHANNEL_NAMES,
  actorStorage,
  audit,
  cacheInvalidated,
  channels,
  ruleEvaluated,
  setActor,
  traceAuthz,
  traceMutation,
  traceRule,
  withActor,
  type AuditAction,
  type AuditDecisionMessage,
  type CacheInvalidationMessage,
  type RuleEvaluationMessage,
} from '../src/index';
import { resetWarnings } from '../src/validate';
import { tick } from './helpers';

/** Subscribes by channel *name* (what any other copy of the api would publish on). */
function collect<M>(name: string) {
  const messages: M[] = [];
  const onMessage = (m: unknown) => messages.push(m as M);
  diagnosticsChannel.subscribe(name, onMessage);
  return { messages, stop: () => diagnosticsChannel.unsubscribe(name, onMessage) };
}

describe('point events', () => {
  it('publishes each kind on its agreed channel name, the one every other copy of the api uses', async () => {
    /** How many messages a subscriber of `name` (by name, not by channel object) got while `act` ran. */
    const heardOn = async (name: string, act: () => unknown) => {
      const sink = collect(name);
      try {
        await act();
      } finally {
        sink.stop();
      }
      return sink.messages.length;
    };
    const started = (operation: string) => `tracing:domain-otel:${operation}:start`;
    assert.equal(await heardOn('domain-otel:audit.decision', () => audit.decision({ action: 'read', outcome: 'granted', manager: 'M' })), 1);
    assert.equal(await heardOn('domain-otel:cache.invalidation', () => cacheInvalidated({ cache: 'c', reason: 'manual' })), 1);
    assert.equal(await heardOn('domain-otel:rule.evaluation', () => ruleEvaluated({ name: 'r', outcome: 'passed' })), 1);
    assert.equal(await heardOn(started('authz'), () => traceAuthz({ action: 'read', manager: 'M' }, () => true)), 1);
    assert.equal(await heardOn(started('mutation'), () => traceMutation({ action: 'create', manager: 'M' }, () => 1)), 1);
    assert.equal(await heardOn(started('rule'), () => traceRule({ name: 'r' }, () => true)), 1);
    assert.equal(channels.auditDecision, diagnosticsChannel.channel(CHANNEL_NAMES.auditDecision));
  });

  describe('audit.decision', () => {
    let sink: ReturnType<typeof collect<AuditDecisionMessage>>;
    beforeEach(() => (sink = collect(CHANNEL_NAMES.auditDecision)));
    afterEach(() => sink.stop());

    it('publishes the decision with the scope actor and a timestamp', async () => {
      const decision = {
        action: 'update',
        outcome: 'denied',
        manager: 'InvoiceManager',
        entityId: 7,
        attributes: ['total'],
        permissions: ['invoice.update if owner'],
        reason: 'not the owner',
        metadata: { route: '/invoices/7' },
      } as const;
      const before = Date.now();
      await withActor({ id: '42', name: 'Ada', tenant: 'acme' }, () => audit.decision(decision));
      assert.equal(sink.messages.length, 1);
      const m = sink.messages[0]!;
      assert.equal(m.decision, decision);
      assert.deepEqual(m.actor, { id: '42', name: 'Ada', tenant: 'acme' });
      assert.ok(m.timestamp >= before && m.timestamp <= Date.now());
      assert.equal(m.delivery, undefined, "no strict delivery ledger: no ticket");
    });

    it('lets decision.actor replace the scope actor and decision.timestamp set the time', async () => {
      await withActor({ id: '42', tenant: 'acme' }, () =>
        audit.decision({ action: 'read', outcome: 'bypassed', manager: 'M', actor: { id: 'root' }, timestamp: 1_700_000_000_000 }),
      );
      assert.deepEqual(sink.messages[0]!.actor, { id: 'root' });
      assert.equal(sink.messages[0]!.timestamp, 1_700_000_000_000);
    });

    it('publishes undefined actor outside any scope', async () => {
      await actorStorage.exit(() => audit.decision({ action: 'read', outcome: 'granted', manager: 'M' }));
      assert.equal(sink.messages[0]!.actor, undefined);
    });

    it('keeps the actor as it was when published', async () => {
      await withActor({ id: '1' }, async () => {
        await audit.decision({ action: 'read', outcome: 'granted', manager: 'M' });
        setActor({ id: '2' });
      });
      assert.deepEqual(sink.messages[0]!.actor, { id: '1' });
    });

    it('warns once per distinct invalid value, naming it and the accepted values, and still publishes', async () => {
      resetWarnings();
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        const bad = { action: 'frobnicate' as AuditAction, outcome: 'granted', manager: 'M' } as const;
        await audit.decision(bad);
        await audit.decision(bad);
        await audit.decision({ action: 'read', outcome: 'maybe' as 'granted', manager: '' });
        await tick();
      } finally {
        process.off('warning', onWarning);
      }
      const ours = warnings.filter((w) => w.name === 'DomainOtelWarning');
      assert.equal(ours.length, 3, ours.map((w) => w.message).join('\n'));
      assert.match(ours[0]!.message, /audit\.decision\(\): invalid action "frobnicate"; accepted: create, read, update, delete, mutation, custom/);
      assert.match(ours[1]!.message, /invalid outcome "maybe"; accepted: granted, denied, bypassed/);
      assert.match(ours[2]!.message, /invalid manager ""; accepted: a non-empty string/);
      assert.ok(ours.every((w) => !w.message.includes('\n')), 'warnings are one line');
      assert.deepEqual(
        sink.messages.map((m) => m.decision.action),
        ['frobnicate', 'frobnicate', 'read'],
      );
    });
  });

  it('cacheInvalidated publishes the invalidation with actor and timestamp', () => {
    const sink = collect<CacheInvalidationMessage>(CHANNEL_NAMES.cacheInvalidation);
    const inv = { cache: 'invoices', reason: 'mutation', keys: ['invoice:7', 'invoice-list'], cause: '0190-uid' } as const;
    try {
      withActor({ id: '42' }, () => cacheInvalidated(inv));
    } finally {
      sink.stop();
    }
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0]!.invalidation, inv);
    assert.deepEqual(sink.messages[0]!.actor, { id: '42' });
    assert.equal(typeof sink.messages[0]!.timestamp, 'number');
  });

  it('ruleEvaluated publishes the evaluation with actor and timestamp', () => {
    const sink = collect<RuleEvaluationMessage>(CHANNEL_NAMES.ruleEvaluation);
    const ev = { name: 'credit-limit', set: 'orders', outcome: 'failed', conditions: { all: [{ fact: 'total', result: false }] }, durationMs: 0.4 } as const;
    try {
      withActor({ tenant: 'acme' }, () => ruleEvaluated(ev));
    } finally {
      sink.stop();
    }
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0]!.evaluation, ev);
    assert.deepEqual(sink.messages[0]!.actor, { tenant: 'acme' });
  });
});
