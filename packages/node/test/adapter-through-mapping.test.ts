// A library adapter and the mapping together, in process (what the distribution composes):
// a cache invalidation the app makes inside a traced mutation, itself inside a rule, becomes a
// log event of the mutation span, which is the rule span's child.
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { traceMutation, traceRule, withActor } from '@domain-otel/api';
import { CacheManagerInstrumentation, nameCache } from '@domain-otel/instrumentation-cache-manager';
import { DomainInstrumentation } from '@domain-otel/instrumentation-domain';
import { otelHarness } from '../../../test/helpers/otel-harness';

type CacheManager = typeof import('cache-manager');

describe('cache-manager adapter through the mapping (in process)', () => {
  let adapter: CacheManagerInstrumentation;
  let domain: DomainInstrumentation;
  const h = otelHarness();

  before(() => {
    adapter = new CacheManagerInstrumentation();
    h.reset();
    domain = new DomainInstrumentation({ contextStorage: h.contextStorage });
    domain.setMeterProvider(h.freshMeterProvider());
  });
  after(() => {
    domain.disable();
    adapter.disable();
  });

  it('the log event belongs to the mutation span, which is the rule span\'s child', async () => {
    const { createCache } = require('cache-manager') as CacheManager;
    const cache = nameCache(createCache(), 'orders');
    await cache.set('order:7', 'v');
    await withActor({ id: '7' }, () => traceRule({ name: 'close-orders' }, () =>
      traceMutation({ action: 'update', manager: 'Order', entityId: 7 }, async () => cache.del('order:7'))));
    const spans = h.spans.getFinishedSpans();
    const mutationSpan = spans.find((s) => s.name === 'update Order');
    const ruleSpan = spans.find((s) => s.name === 'rule close-orders');
    assert.ok(mutationSpan && ruleSpan, `spans: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(mutationSpan.parentSpanContext?.spanId, ruleSpan.spanContext().spanId);
    const events = h.logs.getFinishedLogRecords().filter((r) => r.eventName === 'domain.cache.invalidation');
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event!.spanContext?.spanId, mutationSpan.spanContext().spanId);
    assert.equal(event!.spanContext?.traceId, mutationSpan.spanContext().traceId);
    assert.deepEqual(
      [event!.attributes['domain.cache.name'], event!.attributes['domain.cache.reason'], event!.attributes['domain.cache.key_count'], event!.attributes['domain.cache.keys'], event!.attributes['user.id']],
      ['orders', 'manual', 1, ['order:7'], '7'],
    );
    assert.equal(trace.getActiveSpan(), undefined);
  });
});
