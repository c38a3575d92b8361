import assert from 'node:assert/strict';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { audit, cacheInvalidated, ruleEvaluated, traceAuthz, traceMutation, traceRule, withActor } from '@domain-otel/api';
import type { AuditLevel } from '../src';
import { h, isolateEachTest, only, records, use } from './helpers';
import { METRIC_DESCRIPTIONS, METRIC_UNITS } from '@domain-otel/semantic-conventions';
import type { MetricName } from '@domain-otel/semantic-conventions';

const ACTOR = { id: '42', name: 'Ada', tenant: 'acme', correlationId: 'req-1', clientAddress: '127.0.0.9', userAgent: 'ua/1' };

describe('instrumentation-domain: the mapping', () => {
  isolateEachTest();

  describe('audit decisions', () => {
    for (const outcome of ['granted', 'denied', 'bypassed'] as const) {
      it(`${outcome}: one event with the contract's attributes, WARN only when denied, and a bounded counter`, async () => {
        use();
        await withActor(ACTOR, () => audit.decision({
          action: 'update', outcome, manager: 'invoices', entityId: 7, attributes: ['total'], permissions: ['invoices.update'],
          reason: 'because', metadata: { via: 'api', token: 'abc' },
        }));
        const r = only('domain.audit.decision');
        assert.equal(r.severityText, outcome === 'denied' ? 'WARN' : 'INFO');
        assert.deepEqual({ ...r.attributes, 'log.record.uid': 'x' }, {
          'domain.audit.action': 'update', 'domain.audit.outcome': outcome, 'domain.manager.name': 'invoices',
          'domain.entity.id': 7, 'domain.audit.attributes': ['total'], 'domain.audit.permissions': ['invoices.update'],
          'domain.audit.reason': 'because', 'domain.audit.metadata': { via: 'api', token: '[REDACTED]' },
          'user.id': '42', 'user.name': 'Ada', 'domain.tenant.id': 'acme', 'domain.correlation.id': 'req-1', 'log.record.uid': 'x',
        });
        assert.match(String(r.attributes['log.record.uid']), /^[0-9a-f-]{36}$/);
        assert.match(String(r.body), new RegExp(`Ada \\(42\\) ${outcome} update on invoices 7`));
        const points = await h.metric('domain.audit.decisions');
        assert.equal(points.length, 1);
        assert.deepEqual(points[0].attributes, { 'domain.audit.action': 'update', 'domain.audit.outcome': outcome, 'domain.manager.name': 'invoices' });
        assert.equal(points[0].value, 1);
      });
    }

    const levels: [AuditLevel, string[]][] = [
      ['none', []],
      ['metadata', ['domain.audit.action', 'domain.audit.outcome', 'domain.manager.name', 'user.id', 'user.name', 'domain.tenant.id', 'domain.correlation.id', 'log.record.uid']],
      ['changes', ['domain.audit.action', 'domain.audit.outcome', 'domain.manager.name', 'domain.audit.attributes', 'user.id', 'user.name', 'domain.tenant.id', 'domain.correlation.id', 'log.record.uid']],
      ['full', ['domain.audit.action', 'domain.audit.outcome', 'domain.manager.name', 'domain.audit.attributes', 'user.id', 'user.name', 'domain.tenant.id', 'domain.correlation.id', 'client.address', 'user_agent.original', 'log.record.uid']],
    ];
    for (const [level, keys] of levels) {
      it(`audit level ${level}: ${keys.length === 0 ? 'no record (the counter still counts)' : `exactly ${keys.length} attributes`}`, async () => {
        use({ auditLevel: level });
        await withActor(ACTOR, () => audit.decision({ action: 'read', outcome: 'granted', manager: 'm', attributes: ['a'] }));
        if (keys.length === 0) assert.equal(records().length, 0);
        else assert.deepEqual(Object.keys(only('domain.audit.decision').attributes).sort(), [...keys].sort());
        assert.equal((await h.metric('domain.audit.decisions'))[0]?.value, 1);
      });
    }

    it('are exported even when the trace sampler drops everything', async () => {
      use();
      h.setSampling(false);
      await traceMutation({ action: 'create', manager: 'orders', entityId: 1 }, async () => {
        await audit.decision({ action: 'create', outcome: 'granted', manager: 'orders' });
      });
      assert.equal(h.spans.getFinishedSpans().length, 0, 'no spans: sampled out');
      assert.equal(records('domain.audit.decision').length, 1);
      assert.equal(records('domain.manager.mutation').length, 1);
    });
  });

  describe('traced mutations', () => {
    it('a span child of the active span, parent of work inside fn; the event belongs to it', async () => {
      use();
      const tracer = trace.getTracer('test');
      await tracer.startActiveSpan('HTTP POST /orders', async (request) => {
        await withActor(ACTOR, () => traceMutation({ action: 'update', manager: 'orders', entityId: 7, changes: { status: { old: 'new', new: 'paid' } } }, async () => {
          await new Promise((r) => setTimeout(r, 5));
          tracer.startSpan('SELECT orders').end();
        }));
        request.end();
      });
      const spans = h.spans.getFinishedSpans();
      const req = spans.find((s) => s.name === 'HTTP POST /orders')!;
      const mutation = spans.find((s) => s.name === 'update orders')!;
      const sql = spans.find((s) => s.name === 'SELECT orders')!;
      assert.equal(mutation.parentSpanContext?.spanId, req.spanContext().spanId, 'mutation span is a child of the request span');
      assert.equal(sql.parentSpanContext?.spanId, mutation.spanContext().spanId, 'work inside fn is a child of the mutation span');
      assert.equal(mutation.instrumentationScope.name, '@domain-otel/instrumentation-domain');
      assert.ok(mutation.instrumentationScope.schemaUrl);
      assert.equal(mutation.attributes['domain.entity.id'], 7);
      const r = only('domain.manager.mutation');
      assert.equal(r.spanContext?.spanId, mutation.spanContext().spanId);
      assert.deepEqual(r.attributes['domain.mutation.changes'], { status: { old: 'new', new: 'paid' } });
      assert.deepEqual(r.attributes['domain.mutation.changed_fields'], ['status']);
      assert.equal(r.attributes['domain.mutation.outcome'], 'success');
      const [duration] = await h.metric('domain.manager.mutation.duration');
      assert.ok((duration.value as { count: number }).count === 1);
    });

    it('a failure: same error object, span error status, ERROR event with error.type, failure counter', async () => {
      use();
      class StaleRowError extends Error {}
      const boom = new StaleRowError('row changed');
      await assert.rejects(traceMutation({ action: 'delete', manager: 'orders', entityId: 3 }, async () => { throw boom; }), (err) => err === boom);
      const span = h.spans.getFinishedSpans().find((s) => s.name === 'delete orders')!;
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      const r = only('domain.manager.mutation');
      assert.equal(r.severityText, 'ERROR');
      assert.equal(r.attributes['error.type'], 'StaleRowError');
      assert.equal(r.attributes['domain.mutation.outcome'], 'failure');
      const [point] = await h.metric('domain.manager.mutations');
      assert.deepEqual(point.attributes, { 'domain.mutation.action': 'delete', 'domain.manager.name': 'orders', 'domain.mutation.outcome': 'failure' });
    });

    it('sync operations are traced too and return their value unchanged', () => {
      use();
      const value = { id: 1 };
      assert.equal(traceMutation({ action: 'create', manager: 'users' }, () => value), value);
      assert.equal(h.spans.getFinishedSpans().filter((s) => s.name === 'create users').length, 1);
      assert.equal(records('domain.manager.mutation').length, 1);
    });

    it('redacts secrets at any depth, in changes, metadata and with extra keys from config', async () => {
      use({ redact: ['ssn_last4', 'internalNote'] });
      await traceMutation({
        action: 'update', manager: 'users', entityId: 'u1',
        changes: {
          password: { old: 'hunter2', new: 'swordfish' },
          profile: { old: { name: 'A', apiKey: 'k1', nested: { Authorization: 'Bearer x', ok: 1 } }, new: { name: 'B', ssn_last4: '1234' } },
          internal_note: { new: 'secret stuff' },
        },
        metadata: { request: { headers: { cookie: 'c=1', accept: 'json' } } },
      }, async () => {});
      const r = only('domain.manager.mutation');
      assert.deepEqual(r.attributes['domain.mutation.changes'], {
        password: { old: '[REDACTED]', new: '[REDACTED]' },
        profile: { old: { name: 'A', apiKey: '[REDACTED]', nested: { Authorization: '[REDACTED]', ok: 1 } }, new: { name: 'B', ssn_last4: '[REDACTED]' } },
        internal_note: { old: '[REDACTED]', new: '[REDACTED]' },
      });
      assert.deepEqual(r.attributes['domain.mutation.metadata'], { request: { headers: { cookie: '[REDACTED]', accept: 'json' } } });
      assert.doesNotMatch(JSON.stringify(r.attributes), /hunter2|swordfish|k1|Bearer x|1234|secret stuff|c=1/);
    });

    it('audit level metadata drops field names and values; changes keeps them', async () => {
      use({ auditLevel: 'metadata' });
      await traceMutation({ action: 'update', manager: 'm', entityId: 1, changes: { a: { old: 1, new: 2 } } }, async () => {});
      const r = only('domain.manager.mutation');
      assert.equal(r.attributes['domain.mutation.changes'], undefined);
      assert.equal(r.attributes['domain.mutation.changed_fields'], undefined);
    });

    it('bulk mutations carry a count instead of an entity id', async () => {
      use();
      await traceMutation({ action: 'bulk_update', manager: 'orders', count: 12, metadata: { where: { status: 'new' } } }, async () => {});
      const r = only('domain.manager.mutation');
      assert.equal(r.attributes['domain.mutation.count'], 12);
      assert.equal(r.attributes['domain.entity.id'], undefined);
      assert.deepEqual(r.attributes['domain.mutation.metadata'], { where: { status: 'new' } });
    });
  });

  describe('traced authorization', () => {
    it('a denied check: decision event, no span error; a granted one: granted', async () => {
      use();
      assert.equal(traceAuthz({ action: 'delete', manager: 'orders', entityId: 1 }, (ctx) => { ctx.reason = 'not owner'; return false; }), false);
      assert.equal(await traceAuthz({ action: 'read', manager: 'orders' }, async () => true), true);
      const spans = h.spans.getFinishedSpans();
      const denied = spans.find((s) => s.name === 'authz delete orders')!;
      assert.equal(denied.status.code, SpanStatusCode.UNSET);
      assert.equal(denied.attributes['domain.audit.outcome'], 'denied');
      const outcomes = records('domain.audit.decision').map((r) => [r.attributes['domain.audit.outcome'], r.attributes['domain.audit.reason']]);
      assert.deepEqual(outcomes, [['denied', 'not owner'], ['granted', undefined]]);
    });

    it('authzSpans: false: no span, the decision record alone in the active span\'s trace; failures recorded as before', async () => {
      use({ authzSpans: false });
      const outer = trace.getTracer('test').startSpan('request');
      await context.with(trace.setSpan(context.active(), outer), async () => {
        assert.equal(traceAuthz({ action: 'delete', manager: 'orders', entityId: 1 }, (ctx) => { ctx.reason = 'not owner'; return false; }), false);
        assert.equal(await traceAuthz({ action: 'read', manager: 'orders' }, async () => true), true);
        assert.throws(() => traceAuthz({ action: 'read', manager: 'orders' }, () => { throw new RangeError('bad'); }), RangeError);
      });
      outer.end();
      assert.deepEqual(h.spans.getFinishedSpans().map((s) => s.name), ['request']);
      const decisions = records('domain.audit.decision');
      assert.deepEqual(decisions.map((r) => [r.attributes['domain.audit.outcome'], r.attributes['error.type']]), [['denied', undefined], ['granted', undefined], ['denied', 'RangeError']]);
      for (const r of decisions) assert.equal(r.spanContext?.spanId, outer.spanContext().spanId, 'the record belongs to the active span');
    });
  });

  describe('rules', () => {
    it('traceRule: span `rule <set>`, evaluation event per outcome; conditions from changes, input only at full', async () => {
      use({ auditLevel: 'full' });
      traceRule({ name: 'approval', set: 'orders', input: { total: 5, password: 'p' } }, (ctx) => { ctx.conditions = [{ fact: 'total', result: true }]; return true; });
      traceRule({ name: 'approval', set: 'orders' }, () => false);
      assert.throws(() => traceRule({ name: 'approval', set: 'orders' }, () => { throw new TypeError('bad fact'); }), TypeError);
      const evs = records('domain.rule.evaluation');
      assert.deepEqual(evs.map((e) => e.attributes['domain.rule.outcome']), ['passed', 'failed', 'error']);
      assert.deepEqual(evs[0].attributes['domain.rule.input'], { total: 5, password: '[REDACTED]' });
      assert.deepEqual(evs[0].attributes['domain.rule.conditions'], [{ fact: 'total', result: true }]);
      assert.equal(evs[2].attributes['error.type'], 'TypeError');
      assert.equal(evs[2].severityText, 'ERROR');
      const spans = h.spans.getFinishedSpans().filter((s) => s.name === 'rule orders');
      assert.equal(spans.length, 3);
      assert.equal(spans[2].status.code, SpanStatusCode.ERROR);
      const points = await h.metric('domain.rule.evaluations');
      assert.deepEqual(points.map((p) => [p.attributes['domain.rule.outcome'], p.value]).sort(), [['error', 1], ['failed', 1], ['passed', 1]]);
    });

    it('ruleEvaluated at level changes: conditions kept, input dropped', () => {
      use({ auditLevel: 'changes' });
      ruleEvaluated({ name: 'limit', outcome: 'failed', input: { x: 1 }, conditions: { all: [] }, durationMs: 2 });
      const r = only('domain.rule.evaluation');
      assert.equal(r.attributes['domain.rule.input'], undefined);
      assert.deepEqual(r.attributes['domain.rule.conditions'], { all: [] });
    });
  });

  describe('cache invalidations', () => {
    it('lists at most 20 keys but counts them all', async () => {
      use();
      const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
      cacheInvalidated({ cache: 'orders', reason: 'mutation', keys, cause: 'orders 7' });
      const r = only('domain.cache.invalidation');
      assert.equal(r.attributes['domain.cache.key_count'], 50);
      assert.equal((r.attributes['domain.cache.keys'] as string[]).length, 20);
      assert.equal(r.attributes['domain.cache.cause'], 'orders 7');
      assert.equal((await h.metric('domain.cache.invalidated_keys'))[0].value, 50);
    });
  });

  describe('containment and switches', () => {
    it('a bug while mapping never reaches the app (no throw, no uncaught exception)', async () => {
      use();
      const uncaught: unknown[] = [];
      const onUncaught = (e: unknown) => uncaught.push(e);
      process.prependListener('uncaughtException', onUncaught);
      try {
        const hostile = { get boom(): string { throw new Error('getter exploded'); } };
        await audit.decision({ action: 'read', outcome: 'granted', manager: 'm', metadata: hostile });
        assert.equal(await traceMutation({ action: 'create', manager: 'm', metadata: hostile }, async () => 5), 5);
        await new Promise((r) => setImmediate(r));
      } finally {
        process.removeListener('uncaughtException', onUncaught);
      }
      assert.deepEqual(uncaught, []);
      // both lost records are counted as audit records lost to an internal error
      const dropped = await h.metric('domain.telemetry.dropped');
      assert.deepEqual(dropped.map((p) => [p.attributes['domain.telemetry.signal'], p.attributes['domain.telemetry.drop_reason'], p.value]), [['audit', 'internal_error', 2]]);
    });

    it('every instrument has the unit and description of @domain-otel/semantic-conventions', async () => {
      use();
      await audit.decision({ action: 'read', outcome: 'granted', manager: 'm' });
      await traceMutation({ action: 'create', manager: 'm' }, async () => {});
      await traceRule({ name: 'r' }, () => true);
      cacheInvalidated({ cache: 'c', reason: 'manual', keyCount: 1 });
      await h.reader.forceFlush();
      const descriptors = h.metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor)));
      const got = Object.fromEntries(descriptors.map((d) => [d.name, [d.unit, d.description]]));
      const expected = Object.fromEntries(Object.keys(got).map((name) => [name, [METRIC_UNITS[name as MetricName], METRIC_DESCRIPTIONS[name as MetricName]]]));
      assert.ok(Object.keys(got).length >= 7, `instruments exported: ${Object.keys(got).join(', ')}`);
      assert.deepEqual(got, expected);
    });

    it('DOMAIN_OTEL_CAPTURE-style filter: only the captured kinds are recorded', async () => {
      use({ capture: ['cache'] });
      await traceMutation({ action: 'create', manager: 'm' }, async () => {});
      await audit.decision({ action: 'read', outcome: 'granted', manager: 'm' });
      cacheInvalidated({ cache: 'c', reason: 'manual', keyCount: 1 });
      assert.deepEqual(records().map((r) => r.eventName), ['domain.cache.invalidation']);
      assert.equal(h.spans.getFinishedSpans().length, 0);
    });

    it('disable() unsubscribes: nothing recorded afterwards', async () => {
      use().disable();
      await traceMutation({ action: 'create', manager: 'm' }, async () => {});
      assert.equal(records().length, 0);
    });
  });
});
