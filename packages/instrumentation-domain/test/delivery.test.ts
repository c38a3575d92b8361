// Strict delivery through the mapping: a failure before the record is emitted abandons the
// record's ticket (internal_error), so the awaited operation rejects instead of resolving.
import assert from 'node:assert/strict';
import { AuditDeliveryError, DeliveryTicket, audit, setAuditDeliveryLedger, traceAuthz, traceMutation } from '@domain-otel/api';
import { DomainInstrumentation } from '../src';
import { otelHarness } from '../../../test/helpers/otel-harness';

const h = otelHarness();

describe('instrumentation-domain: strict delivery tickets', () => {
  let instr: DomainInstrumentation | undefined;
  let tickets: DeliveryTicket[] = [];
  beforeEach(() => {
    h.reset();
    tickets = [];
    setAuditDeliveryLedger({
      open: () => {
        const t = new DeliveryTicket({ timeoutMillis: 10_000, notQueued: () => ({ reason: 'not_recorded', message: 'no audit processor in this test' }) });
        tickets.push(t);
        return t;
      },
    });
    instr = new DomainInstrumentation({ contextStorage: h.contextStorage });
    instr.setMeterProvider(h.freshMeterProvider());
  });
  afterEach(() => { instr?.disable(); setAuditDeliveryLedger(undefined); });

  const internalError = (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'internal_error' && /instrumentation-domain failed in/.test(e.message);
  const hostile = { get boom(): never { throw new Error('getter says no'); } };

  it('audit.decision with a throwing metadata getter: rejects with internal_error, nothing emitted', async () => {
    await assert.rejects(audit.decision({ action: 'read', outcome: 'granted', manager: 'm', metadata: hostile }), internalError);
    assert.equal(h.logs.getFinishedLogRecords().length, 0);
  });

  it('traceAuthz with a null-prototype entity id (fails at start): rejects with internal_error', async () => {
    await assert.rejects(traceAuthz({ action: 'read', manager: 'm', entityId: Object.create(null) as never }, async () => true), internalError);
  });

  it('traceMutation with a throwing Proxy as metadata: rejects with internal_error', async () => {
    const metadata = new Proxy({}, { ownKeys() { throw new Error('proxy says no'); } });
    await assert.rejects(traceMutation({ action: 'update', manager: 'm', metadata }, async () => 1), internalError);
  });

  it('a record that was emitted is not abandoned: the ticket waits for the audit processor (here none, so not_recorded)', async () => {
    await assert.rejects(audit.decision({ action: 'read', outcome: 'granted', manager: 'm' }), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'not_recorded');
    assert.equal(h.logs.getFinishedLogRecords().length, 1);
    assert.equal(tickets.length, 1);
  });
});
