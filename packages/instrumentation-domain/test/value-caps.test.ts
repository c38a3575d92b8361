import assert from 'node:assert/strict';
import { audit, cacheInvalidated, ruleEvaluated, traceMutation, withActor } from '@domain-otel/api';
import { h, isolateEachTest, only, use } from './helpers';

const bytes = (s: unknown) => Buffer.byteLength(String(s), 'utf8');
const MARKER = /…\[truncated (\d+) bytes\]$/;
const KIB200 = 200 * 1024;

/** A capped string: at most `cap` bytes, a prefix of the original, and the marker counts exactly what was cut. */
function assertCapped(value: unknown, original: string, cap = 8192): void {
  const s = String(value);
  assert.ok(bytes(s) <= cap, `${bytes(s)} bytes > cap ${cap}`);
  const m = MARKER.exec(s);
  assert.ok(m, `no truncation marker at the end of …${s.slice(-60)}`);
  const kept = s.slice(0, m.index);
  assert.ok(original.startsWith(kept), 'the kept part is a prefix of the original');
  assert.equal(bytes(kept) + Number(m[1]), bytes(original), 'N is the number of bytes cut');
  assert.ok(bytes(kept) > cap - 64, `the prefix uses the room it has (${bytes(kept)} bytes)`);
}

describe('instrumentation-domain: every string the mapping produces is capped', () => {
  isolateEachTest();

  it('a 200 KB reason: reason and body capped at 8 KiB with a marker, the cut counted on the record', async () => {
    use();
    const reason = 'r'.repeat(KIB200);
    await withActor({ id: '42', tenant: 'acme' }, () => audit.decision({ action: 'update', outcome: 'denied', manager: 'invoices', entityId: 7, reason }));
    const r = only('domain.audit.decision');
    assertCapped(r.attributes['domain.audit.reason'], reason);
    assertCapped(r.body, `42 denied update on invoices 7: ${reason}`);
    assert.equal(r.attributes['domain.record.truncated_values'], 2);
    assert.equal(r.attributes['domain.record.dropped_entries'], undefined);
    assert.equal(r.attributes['user.id'], '42');
  });

  it('change values, metadata values, field names, actor fields, rule conditions and inputs, cache keys and cause: all capped', async () => {
    use({ auditLevel: 'full' });
    const big = (c: string) => c.repeat(KIB200);
    const actor = { id: big('i'), name: big('n'), tenant: big('t'), correlationId: big('c'), clientAddress: big('a'), userAgent: big('u') };
    await withActor(actor, async () => {
      await traceMutation({
        action: 'update', manager: big('m'), entityId: big('e'),
        changes: { note: { old: 'short', new: big('v') }, nested: { new: { deep: [big('d')] } }, [big('f')]: { new: 1 } },
        metadata: { comment: big('x'), list: [big('y')] },
      }, async () => {});
      ruleEvaluated({ name: big('R'), set: big('S'), outcome: 'failed', conditions: { fact: big('C') }, input: { doc: big('I') } });
      cacheInvalidated({ cache: big('K'), reason: 'manual', keys: [big('k'), 'small'], cause: big('z') });
    });
    const mutation = only('domain.manager.mutation');
    const a = mutation.attributes;
    for (const key of ['user.id', 'user.name', 'domain.tenant.id', 'domain.correlation.id', 'client.address', 'user_agent.original', 'domain.manager.name', 'domain.entity.id']) {
      assertCapped(a[key], big(String(a[key])[0]));
    }
    const changes = a['domain.mutation.changes'] as Record<string, { old: unknown; new: unknown }>;
    assert.equal(changes.note.old, 'short');
    assertCapped(changes.note.new, big('v'));
    assertCapped((changes.nested.new as { deep: string[] }).deep[0], big('d'));
    const longField = Object.keys(changes).find((k) => k.startsWith('f'))!;
    assertCapped(longField, big('f'));
    for (const field of a['domain.mutation.changed_fields'] as string[]) assert.ok(bytes(field) <= 8192);
    const metadata = a['domain.mutation.metadata'] as Record<string, unknown>;
    assertCapped(metadata.comment, big('x'));
    assertCapped((metadata.list as string[])[0], big('y'));
    assert.ok(bytes(mutation.body) <= 8192);
    // 6 actor fields, manager, entity, 3 in changes (a value, a nested value, a field name),
    // the field name in changed_fields, 2 metadata values, the body
    assert.equal(a['domain.record.truncated_values'], 15);

    const rule = only('domain.rule.evaluation');
    assertCapped(rule.attributes['domain.rule.name'], big('R'));
    assertCapped(rule.attributes['domain.rule.set'], big('S'));
    assertCapped((rule.attributes['domain.rule.conditions'] as { fact: string }).fact, big('C'));
    assertCapped((rule.attributes['domain.rule.input'] as { doc: string }).doc, big('I'));
    assert.ok(bytes(rule.body) <= 8192);

    const cache = only('domain.cache.invalidation');
    assertCapped(cache.attributes['domain.cache.name'], big('K'));
    assertCapped((cache.attributes['domain.cache.keys'] as string[])[0], big('k'));
    assert.equal((cache.attributes['domain.cache.keys'] as string[])[1], 'small');
    assertCapped(cache.attributes['domain.cache.cause'], big('z'));
    assert.ok(bytes(cache.body) <= 8192);

    // metric attributes are app-chosen names too
    const [point] = await h.metric('domain.manager.mutations');
    assert.ok(bytes(point.attributes['domain.manager.name']) <= 8192);
  });

  it('never splits a character: multi-byte text is cut on a character boundary', async () => {
    use({ maxValueBytes: 1000 });
    const reason = '€😀é'.repeat(20_000);
    await audit.decision({ action: 'read', outcome: 'denied', manager: 'm', reason });
    const got = String(only('domain.audit.decision').attributes['domain.audit.reason']);
    assertCapped(got, reason, 1000);
    assert.ok(!got.includes('\uFFFD'));
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(got), 'no lone high surrogate');
  });

  it('maxValueBytes sets the cap; strings at or under it are untouched and nothing is counted', async () => {
    use({ maxValueBytes: 1024 });
    await audit.decision({ action: 'read', outcome: 'denied', manager: 'm', reason: 'x'.repeat(1024) });
    await audit.decision({ action: 'read', outcome: 'denied', manager: 'm2', reason: 'y'.repeat(1025) });
    const [fits, over] = h.logs.getFinishedLogRecords();
    assert.equal(fits.attributes['domain.audit.reason'], 'x'.repeat(1024));
    assert.equal(fits.attributes['domain.record.truncated_values'], 1, 'only the body, which adds the sentence around the reason');
    assertCapped(over.attributes['domain.audit.reason'], 'y'.repeat(1025), 1024);
  });

  it('a record has a byte budget: 256 changed fields of 100 KB stay under 64 × the cap, the rest is counted', async () => {
    use();
    const changes = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`f${i}`, { old: 'a'.repeat(100_000), new: 'b'.repeat(100_000) }]));
    await withActor({ id: '42', tenant: 'acme' }, () => traceMutation({ action: 'update', manager: 'docs', entityId: 1, changes }, async () => {}));
    const r = only('domain.manager.mutation');
    const size = bytes(JSON.stringify(r.attributes)) + bytes(r.body);
    assert.ok(size <= 64 * 8192 + 16 * 1024, `record of ${size} bytes`);
    const kept = Object.keys(r.attributes['domain.mutation.changes'] as object).length;
    assert.ok(kept > 0 && kept < 256, `${kept} fields kept`);
    assert.equal(r.attributes['domain.record.dropped_entries'], 256 - kept);
    assert.equal(r.attributes['user.id'], '42');
    assert.equal(r.attributes['domain.tenant.id'], 'acme');
    assert.equal((r.attributes['domain.mutation.changed_fields'] as string[]).length, 256, 'the field names came before the values');
  });
});
