// Strict delivery: a subscriber sets `ack`, the awaited operation waits for it.
import assert from 'node:assert/strict';
import {
  AuditDeliveryError,
  audit,
  channels,
  traceMutation,
  type AuditDecisionMessage,
  type MutationMeta,
  type TracedContext,
} from '../src/index.js';
import { deferred, isSettled, unhandledRejectionsDuring } from './helpers.js';

const META: MutationMeta = { action: 'create', manager: 'InvoiceManager', entityId: 1 };

/** Subscribes to the mutation channel with an asyncEnd handler that sets ctx.ack (and the same for end). */
function ackOnSettle(makeAck: () => Promise<void>) {
  const setAck = (ctx: TracedContext<MutationMeta>) => {
    ctx.ack = makeAck();
  };
  const subscribers = { start() {}, end: setAck, asyncStart() {}, asyncEnd: setAck, error() {} };
  channels.mutation.subscribe(subscribers);
  return () => channels.mutation.unsubscribe(subscribers);
}

describe('strict delivery of traced operations', () => {
  let stop: () => void = () => {};
  afterEach(() => stop());

  it('resolves with the original value only after ack resolves', async () => {
    const ack = deferred();
    stop = ackOnSettle(() => ack.promise);
    const value = { id: 1 };
    const returned = traceMutation(META, async () => value);
    assert.equal(await isSettled(returned), false, 'resolved before the record was acknowledged');
    ack.resolve();
    assert.equal(await returned, value);
  });

  it('rejects with the ack rejection reason', async () => {
    const failure = new AuditDeliveryError('collector unreachable', { uid: '0190-abc', cause: new Error('ECONNREFUSED') });
    stop = ackOnSettle(() => Promise.reject(failure));
    await assert.rejects(
      traceMutation(META, async () => 'saved'),
      (e) => e === failure,
    );
  });

  it('honours an ack set at start, before the operation ran', async () => {
    const ack = deferred();
    const subscribers = {
      start(ctx: TracedContext<MutationMeta>) {
        ctx.ack = ack.promise;
      },
      end() {},
      asyncStart() {},
      asyncEnd() {},
      error() {},
    };
    channels.mutation.subscribe(subscribers);
    stop = () => channels.mutation.unsubscribe(subscribers);
    const returned = traceMutation(META, async () => 2);
    assert.equal(await isSettled(returned), false);
    ack.resolve();
    assert.equal(await returned, 2);
  });

  it('rejects a failed operation with its own error after waiting for ack', async () => {
    const ack = deferred();
    stop = ackOnSettle(() => ack.promise);
    const error = new Error('constraint violated');
    const returned = traceMutation(META, async () => {
      throw error;
    });
    assert.equal(await isSettled(returned), false);
    ack.reject(new AuditDeliveryError('lost'));
    await assert.rejects(returned, (e) => e === error);
  });

  it('ignores ack for synchronous results, without an unhandled rejection', async () => {
    stop = ackOnSettle(() => Promise.reject(new AuditDeliveryError('lost')));
    const unhandled = await unhandledRejectionsDuring(() => {
      assert.equal(
        traceMutation(META, () => 'sync'),
        'sync',
      );
    });
    assert.deepEqual(unhandled, []);
  });
});

describe('strict delivery of audit decisions', () => {
  let onMessage: ((m: AuditDecisionMessage) => void) | undefined;
  afterEach(() => {
    if (onMessage) channels.auditDecision.unsubscribe(onMessage);
    onMessage = undefined;
  });
  function subscribe(fn: (m: AuditDecisionMessage) => void) {
    onMessage = fn;
    channels.auditDecision.subscribe(fn);
  }
  const decision = { action: 'delete', outcome: 'granted', manager: 'InvoiceManager', entityId: 7 } as const;

  it('resolves at once when no subscriber sets ack', async () => {
    subscribe(() => {});
    assert.equal(await isSettled(audit.decision(decision)), true);
  });

  it('returns a promise that settles with the ack', async () => {
    const ack = deferred();
    subscribe((m) => (m.ack = ack.promise));
    const returned = audit.decision(decision);
    assert.equal(await isSettled(returned), false);
    ack.resolve();
    await returned;
  });

  it('rejects with the ack reason, and never as an unhandled rejection when not awaited', async () => {
    const failure = new AuditDeliveryError('sink down');
    subscribe((m) => (m.ack = Promise.reject(failure)));
    await assert.rejects(audit.decision(decision), (e) => e === failure);
    const unhandled = await unhandledRejectionsDuring(() => {
      void audit.decision(decision);
    });
    assert.deepEqual(unhandled, []);
  });
});

describe('AuditDeliveryError', () => {
  it('carries name, uid and cause', () => {
    const cause = new Error('503');
    const e = new AuditDeliveryError('audit record not acknowledged', { uid: 'u-1', cause });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'AuditDeliveryError');
    assert.equal(e.uid, 'u-1');
    assert.equal(e.cause, cause);
    assert.match(String(e), /^AuditDeliveryError: audit record not acknowledged/);
    assert.equal('cause' in new AuditDeliveryError('x'), false);
  });
});
