import assert from 'node:assert/strict';
import { logs } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { DeliveryTicket, audit, setAuditDeliveryLedger, traceMutation, withActor } from '@domain-otel/api';
import { deliveryTicketOf } from '../src';
import { h, isolateEachTest, only, use } from './helpers';

// The harness's LoggerProvider has the SDK's default limits: 128 attributes per record.
const manyKeys = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${String(i).padStart(4, '0')}`, `v${i}`]));
const ACTOR = { id: '42', name: 'Ada', tenant: 'acme', correlationId: 'req-1' };
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertIdentity(r: ReadableLogRecord): void {
  assert.equal(r.droppedAttributesCount, 0, 'the SDK dropped no attribute');
  assert.equal(r.attributes['user.id'], '42');
  assert.equal(r.attributes['user.name'], 'Ada');
  assert.equal(r.attributes['domain.tenant.id'], 'acme');
  assert.equal(r.attributes['domain.correlation.id'], 'req-1');
  assert.match(String(r.attributes['log.record.uid']), UID);
}

describe('instrumentation-domain: identity is never pushed out of a record', () => {
  isolateEachTest();

  it('a decision with 130 metadata keys keeps user, tenant and uid', async () => {
    use();
    await withActor(ACTOR, () => audit.decision({ action: 'update', outcome: 'denied', manager: 'invoices', entityId: 7, metadata: manyKeys(130) }));
    const r = only('domain.audit.decision');
    assertIdentity(r);
    assert.equal(r.attributes['domain.audit.outcome'], 'denied');
  });

  it('a decision with 1,000 metadata keys: identity, event fields and uid arrive; metadata is one bounded map and the cut is counted', async () => {
    use();
    await withActor(ACTOR, () => audit.decision({
      action: 'update', outcome: 'granted', manager: 'invoices', entityId: 7, reason: 'owner', permissions: ['invoices.update'],
      metadata: { ...manyKeys(1000), password: 'hunter2' },
    }));
    const r = only('domain.audit.decision');
    assertIdentity(r);
    assert.equal(r.attributes['domain.audit.action'], 'update');
    assert.equal(r.attributes['domain.audit.outcome'], 'granted');
    assert.equal(r.attributes['domain.manager.name'], 'invoices');
    assert.equal(r.attributes['domain.entity.id'], 7);
    assert.equal(r.attributes['domain.audit.reason'], 'owner');
    assert.deepEqual(r.attributes['domain.audit.permissions'], ['invoices.update']);
    const metadata = r.attributes['domain.audit.metadata'] as Record<string, unknown>;
    assert.equal(Object.keys(metadata).length, 64, 'the first 64 metadata keys');
    assert.equal(metadata.k0000, 'v0');
    assert.equal(metadata.k0063, 'v63');
    assert.equal(r.attributes['domain.record.dropped_entries'], 1001 - 64, 'every key left out is counted on the record');
    assert.ok(Object.keys(r.attributes).every((k) => !k.startsWith('domain.audit.metadata.')), 'no flat metadata attributes');
    assert.ok(Object.keys(r.attributes).length < 20, `a bounded number of attributes (${Object.keys(r.attributes).length})`);
  });

  it('identity comes first: uid, actor, then the event fields, variable-size values last', async () => {
    use();
    await withActor(ACTOR, () => audit.decision({ action: 'read', outcome: 'granted', manager: 'm', reason: 'r', metadata: { a: 1 } }));
    const keys = Object.keys(only('domain.audit.decision').attributes);
    assert.deepEqual(keys.slice(0, 5), ['log.record.uid', 'user.id', 'user.name', 'domain.tenant.id', 'domain.correlation.id']);
    assert.deepEqual(keys.slice(5, 8), ['domain.audit.action', 'domain.audit.outcome', 'domain.manager.name']);
    assert.equal(keys.at(-1), 'domain.audit.metadata');
  });

  it('a mutation with 1,000 metadata keys and 1,000 changed fields: identity, event fields and uid arrive, the cuts are counted', async () => {
    use();
    const changes = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, { old: i, new: i + 1 }]));
    await withActor(ACTOR, () => traceMutation({ action: 'update', manager: 'orders', entityId: 'o-1', changes, metadata: manyKeys(1000) }, async () => {}));
    const r = only('domain.manager.mutation');
    assertIdentity(r);
    assert.equal(r.attributes['domain.mutation.action'], 'update');
    assert.equal(r.attributes['domain.mutation.outcome'], 'success');
    assert.equal(r.attributes['domain.entity.id'], 'o-1');
    assert.equal(Object.keys(r.attributes['domain.mutation.metadata'] as object).length, 64);
    const kept = Object.keys(r.attributes['domain.mutation.changes'] as object).length;
    const fields = (r.attributes['domain.mutation.changed_fields'] as string[]).length;
    assert.equal(r.attributes['domain.record.dropped_entries'], (1000 - 64) + (1000 - kept) + (1000 - fields));
  });

  it('strict delivery: the record the audit processor receives carries its uid and its ticket; acknowledging it settles the call', async () => {
    setAuditDeliveryLedger({ open: () => new DeliveryTicket({ timeoutMillis: 10_000, notQueued: () => ({ reason: 'not_recorded', message: 'not queued' }) }) });
    const seen: { uid: unknown; ticket: DeliveryTicket | undefined }[] = [];
    // what the distribution's audit processor does in onEmit: take the record's ticket, queue it under the record's uid
    const auditProcessor = {
      onEmit(record: { attributes: Record<string, unknown> }, ctx?: Context) {
        const ticket = deliveryTicketOf(ctx);
        seen.push({ uid: record.attributes['log.record.uid'], ticket });
        ticket?.queued(record.attributes['log.record.uid'] as string);
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    // the global logger provider, as the distribution builds it: the audit processor beside the harness's exporter
    const provider = (processors: unknown[]) => new LoggerProvider({ processors: [...processors, new SimpleLogRecordProcessor({ exporter: h.logs })] as never });
    logs.disable();
    logs.setGlobalLoggerProvider(provider([auditProcessor]));
    try {
      use();
      const call = withActor(ACTOR, () => audit.decision({ action: 'read', outcome: 'granted', manager: 'm', metadata: manyKeys(300) }));
      assert.equal(seen.length, 1);
      assert.match(String(seen[0]!.uid), UID);
      assert.equal(seen[0]!.ticket?.uid, seen[0]!.uid);
      seen[0]!.ticket!.acknowledge();
      await call;
    } finally {
      setAuditDeliveryLedger(undefined);
      logs.disable();
      logs.setGlobalLoggerProvider(provider([]));
    }
  });
});
