// Strict delivery (src/delivery.ts): with a ledger registered, the api opens a ticket per
// audit record before publishing, and the awaited operation settles with that ticket.
import assert from 'node:assert/strict';
import {
  AuditDeliveryError,
  DeliveryTicket,
  audit,
  channels,
  setAuditDeliveryLedger,
  traceAuthz,
  traceMutation,
  traceRule,
  type AuditDecisionMessage,
  type MutationMeta,
  type NotQueued,
  type TracedContext,
} from '../src/index';
import { isSettled, unhandledRejectionsDuring } from './helpers';

const META: MutationMeta = { action: 'create', manager: 'InvoiceManager', entityId: 1 };
const decision = { action: 'delete', outcome: 'granted', manager: 'InvoiceManager', entityId: 7 } as const;

/** A ledger like a distribution's: records every ticket it opened. */
function testLedger(notQueued: NotQueued = { reason: 'not_recorded', message: 'nothing recorded it' }, timeoutMillis = 10_000) {
  const tickets: DeliveryTicket[] = [];
  const ledger = {
    open() {
      const t = new DeliveryTicket({ timeoutMillis, notQueued: () => notQueued });
      tickets.push(t);
      return t;
    },
  };
  setAuditDeliveryLedger(ledger);
  return tickets;
}

/** A recording subscriber on the mutation channel: `onFinish` gets the ticket at asyncEnd/end. */
function onFinish(fn: (ticket: DeliveryTicket | undefined, ctx: TracedContext<MutationMeta>) => void) {
  const subscribers = {
    start() {},
    end: (ctx: TracedContext<MutationMeta>) => { if (ctx.async === false) fn(ctx.delivery, ctx); },
    asyncStart() {},
    asyncEnd: (ctx: TracedContext<MutationMeta>) => fn(ctx.delivery, ctx),
    error() {},
  };
  channels.mutation.subscribe(subscribers);
  return () => channels.mutation.unsubscribe(subscribers);
}

describe('strict delivery of traced operations', () => {
  let stop: () => void = () => {};
  afterEach(() => { stop(); setAuditDeliveryLedger(undefined); });

  it('resolves with the original value only after the record\'s ticket is acknowledged', async () => {
    const tickets = testLedger();
    stop = onFinish((t) => t?.queued('uid-1'));
    const value = { id: 1 };
    const returned = traceMutation(META, async () => value);
    assert.equal(await isSettled(returned), false, 'resolved before the record was acknowledged');
    assert.equal(tickets.length, 1);
    assert.equal(tickets[0]!.state, 'queued');
    tickets[0]!.acknowledge();
    assert.equal(await returned, value);
  });

  it('rejects with AuditDeliveryError naming the reason and uid when the record is dropped', async () => {
    const tickets = testLedger();
    stop = onFinish((t) => t?.queued('uid-2'));
    const returned = traceMutation(META, async () => 'saved');
    await isSettled(returned);
    tickets[0]!.reject('queue_full', 'the audit queue is full');
    await assert.rejects(returned, (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'queue_full' && e.uid === 'uid-2' && /queue is full \(queue_full\)/.test(e.message));
  });

  it('a ticket nobody queued rejects with the ledger\'s reason once the operation settled', async () => {
    testLedger({ reason: 'shutdown', message: 'shut down' });
    stop = onFinish(() => {});
    await assert.rejects(traceMutation(META, async () => 1), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'shutdown');
  });

  it('a subscriber that abandons the ticket (its mapping failed) makes the operation reject with internal_error', async () => {
    testLedger();
    const cause = new Error('getter says no');
    stop = onFinish((t) => t?.abandon('internal_error', 'the mapping failed', cause));
    await assert.rejects(traceMutation(META, async () => 1), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'internal_error' && e.cause === cause);
  });

  it('nothing subscribed (e.g. after shutdown): an async operation still runs, then rejects; traceRule is not audited', async () => {
    testLedger({ reason: 'shutdown', message: 'shut down' });
    let ran = 0;
    await assert.rejects(traceAuthz({ action: 'read', manager: 'M' }, async () => { ran++; return true; }), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'shutdown');
    await assert.rejects(traceMutation(META, async () => { ran++; }), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'shutdown');
    assert.equal(await traceRule({ name: 'r' }, async () => { ran++; return 'kept'; }), 'kept');
    assert.equal(ran, 3);
  });

  it('a failed operation rejects with its own error, after its record settled', async () => {
    const tickets = testLedger();
    stop = onFinish((t) => t?.queued('uid-3'));
    const error = new Error('constraint violated');
    const returned = traceMutation(META, async () => { throw error; });
    assert.equal(await isSettled(returned), false);
    tickets[0]!.reject('timeout', 'late');
    await assert.rejects(returned, (e) => e === error);
  });

  it('synchronous results are returned as is, without an unhandled rejection', async () => {
    testLedger();
    stop = onFinish(() => {});
    const unhandled = await unhandledRejectionsDuring(() => {
      assert.equal(traceMutation(META, () => 'sync'), 'sync');
      assert.throws(() => traceMutation(META, () => { throw new Error('sync failure'); }), /sync failure/);
    });
    assert.deepEqual(unhandled, []);
  });

  it('no ledger (async delivery): no ticket, the operation settles at once', async () => {
    let seen: DeliveryTicket | undefined | null = null;
    stop = onFinish((t) => { seen = t; });
    assert.equal(await traceMutation(META, async () => 5), 5);
    assert.equal(seen, undefined);
  });
});

describe('strict delivery of audit decisions', () => {
  let onMessage: ((m: AuditDecisionMessage) => void) | undefined;
  afterEach(() => {
    if (onMessage) channels.auditDecision.unsubscribe(onMessage);
    onMessage = undefined;
    setAuditDeliveryLedger(undefined);
  });
  function subscribe(fn: (m: AuditDecisionMessage) => void) {
    onMessage = fn;
    channels.auditDecision.subscribe(fn);
  }

  it('no ledger: resolves at once and the message carries no ticket', async () => {
    let msg: AuditDecisionMessage | undefined;
    subscribe((m) => (msg = m));
    assert.equal(await isSettled(audit.decision(decision)), true);
    assert.equal(msg?.delivery, undefined);
  });

  it('the ticket is on the message before it is published and settles the returned promise', async () => {
    const tickets = testLedger();
    subscribe((m) => m.delivery?.queued('uid-d'));
    const returned = audit.decision(decision);
    assert.equal(await isSettled(returned), false);
    tickets[0]!.acknowledge();
    await returned;
  });

  it('rejects when the subscriber never queued the record, and never as an unhandled rejection when not awaited', async () => {
    testLedger({ reason: 'not_recorded', message: 'no pipeline' });
    subscribe(() => {});
    await assert.rejects(audit.decision(decision), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'not_recorded');
    const unhandled = await unhandledRejectionsDuring(() => { void audit.decision(decision); });
    assert.deepEqual(unhandled, []);
  });

  it('nothing subscribed but a ledger registered: rejects (fails closed) instead of resolving', async () => {
    testLedger({ reason: 'shutdown', message: 'shut down' });
    await assert.rejects(audit.decision(decision), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'shutdown');
  });

  it('a queued ticket not acknowledged in time rejects with timeout', async () => {
    testLedger(undefined, 30);
    subscribe((m) => m.delivery?.queued('uid-t'));
    await assert.rejects(audit.decision(decision), (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'timeout' && e.uid === 'uid-t');
  });
});

describe('DeliveryTicket', () => {
  const ticket = () => new DeliveryTicket({ timeoutMillis: 10_000, notQueued: () => ({ reason: 'not_recorded', message: 'x' }) });

  it('settles once: acknowledge after reject (or the reverse) changes nothing', async () => {
    const a = ticket();
    a.queued('u');
    a.reject('rejected', 'refused');
    a.acknowledge();
    assert.equal(a.state, 'rejected');
    await assert.rejects(a.settled, (e: unknown) => e instanceof AuditDeliveryError && e.reason === 'rejected');
    const b = ticket();
    b.queued('u');
    b.acknowledge();
    b.reject('timeout', 'late');
    assert.equal(b.state, 'acknowledged');
    await b.settled;
  });

  it('cannot be acknowledged before it was queued; abandon only counts while still open', async () => {
    const t = ticket();
    t.acknowledge();
    assert.equal(t.state, 'open');
    t.queued('u');
    t.abandon('internal_error', 'too late');
    t.acknowledge();
    await t.seal();
    assert.equal(t.state, 'acknowledged');
  });
});

describe('AuditDeliveryError', () => {
  it('carries name, uid, reason and cause', () => {
    const cause = new Error('503');
    const e = new AuditDeliveryError('audit record not acknowledged', { uid: 'u-1', cause, reason: 'timeout' });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'AuditDeliveryError');
    assert.equal(e.uid, 'u-1');
    assert.equal(e.reason, 'timeout');
    assert.equal(e.cause, cause);
    assert.match(String(e), /^AuditDeliveryError: audit record not acknowledged/);
    assert.equal('cause' in new AuditDeliveryError('x'), false);
  });
});
