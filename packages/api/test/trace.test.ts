import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { channels, getActor, traceAuthz, traceMutation, traceRule, withActor, type MutationMeta, type TracedContext } from '../src/index';
import { recordTraced, tick } from './helpers';

const META: MutationMeta = { action: 'update', manager: 'InvoiceManager', entityId: 7, changedFields: ['total'] };

describe('traced operations', () => {
  let recorder: ReturnType<typeof recordTraced<MutationMeta>>;
  beforeEach(() => (recorder = recordTraced(channels.mutation)));
  afterEach(() => recorder.stop());

  describe('sync', () => {
    it('publishes start, end with ctx.result, and returns the same value', () => {
      const value = { id: 7 };
      const returned = traceMutation(META, () => value);
      assert.equal(returned, value);
      assert.deepEqual(recorder.names(), ['start', 'end']);
      const [start, end] = recorder.events;
      assert.equal(start!.result, undefined);
      assert.equal(end!.result, value);
      assert.equal(end!.async, false);
      assert.equal(end!.outcome, 'success');
      assert.equal(start!.ctx, end!.ctx, 'one context object per operation');
      assert.equal(end!.ctx.kind, 'mutation');
      assert.equal(end!.ctx.meta, META);
      assert.ok(Math.abs(end!.ctx.startTime - Date.now()) < 1000, 'startTime is ms since the epoch');
    });

    it('publishes start, error, end and rethrows the same error with its stack', () => {
      const error = new TypeError('boom');
      const stack = error.stack;
      assert.throws(
        () =>
          traceMutation(META, () => {
            throw error;
          }),
        (caught) => caught === error && (caught as Error).stack === stack,
      );
      assert.deepEqual(recorder.names(), ['start', 'error', 'end']);
      assert.equal(recorder.events[1]!.error, error);
      assert.equal(recorder.events[2]!.outcome, 'failure');
      assert.equal(recorder.events[2]!.async, false);
    });

    it('calls fn exactly once with the context', () => {
      const seen: TracedContext<MutationMeta>[] = [];
      traceMutation(META, (ctx) => seen.push(ctx));
      assert.equal(seen.length, 1);
      assert.equal(seen[0], recorder.events[0]!.ctx);
    });

    it('lets fn set extra context fields and the outcome', () => {
      traceMutation(META, (ctx) => {
        ctx.outcome = 'failure';
        ctx.rowCount = 3;
      });
      const end = recorder.events[1]!;
      assert.equal(end.outcome, 'failure');
      assert.equal(end.ctx.rowCount, 3);
    });
  });

  describe('async', () => {
    it('publishes start, end, asyncStart, asyncEnd and resolves with the same value', async () => {
      const value = { id: 7 };
      const returned = traceMutation(META, async () => {
        await tick();
        return value;
      });
      assert.ok(returned instanceof Promise);
      assert.deepEqual(recorder.names(), ['start', 'end'], 'end is published when fn returns');
      assert.equal(recorder.events[1]!.async, true);
      assert.equal(recorder.events[1]!.result, undefined, 'no result before the promise settles');
      assert.equal(await returned, value);
      assert.deepEqual(recorder.names(), ['start', 'end', 'asyncStart', 'asyncEnd']);
      assert.equal(recorder.events[2]!.result, value);
      assert.equal(recorder.events[2]!.outcome, 'success');
    });

    it('publishes error before asyncStart/asyncEnd and rejects with the same error', async () => {
      const error = new Error('db down');
      const stack = error.stack;
      const returned = traceMutation(META, async () => {
        await tick();
        throw error;
      });
      await assert.rejects(returned, (caught) => caught === error && (caught as Error).stack === stack);
      assert.deepEqual(recorder.names(), ['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
      assert.equal(recorder.events[2]!.error, error);
      assert.equal(recorder.events[3]!.outcome, 'failure');
      assert.equal(recorder.events[4]!.error, error);
    });

    it('turns a non-native thenable into a native promise of the same value', async () => {
      const value = { lazy: true };
      const thenable = { then: (resolve: (v: unknown) => void) => resolve(value) };
      const returned = traceMutation(META, () => thenable) as unknown;
      assert.ok(returned instanceof Promise);
      assert.equal(await returned, value);
      assert.deepEqual(recorder.names(), ['start', 'end', 'asyncStart', 'asyncEnd']);
    });
  });

  describe('stores bound on start', () => {
    const als = new AsyncLocalStorage<string>();
    beforeEach(() => channels.mutation.start.bindStore(als, (ctx) => `span:${String(ctx.meta.entityId)}`));
    afterEach(() => channels.mutation.start.unbindStore(als));

    it('are active inside a sync fn and not after', () => {
      assert.equal(
        traceMutation(META, () => als.getStore()),
        'span:7',
      );
      assert.equal(als.getStore(), undefined);
    });

    it('are active across awaits inside an async fn', async () => {
      const inside = await traceMutation(META, async () => {
        await tick();
        await new Promise((resolve) => setTimeout(resolve, 1));
        return als.getStore();
      });
      assert.equal(inside, 'span:7');
      assert.equal(als.getStore(), undefined);
    });

    it('are active with bindStore alone (no subscriber)', () => {
      recorder.stop();
      assert.equal(
        traceMutation(META, () => als.getStore()),
        'span:7',
      );
    });
  });

  it('publishes on the named tracing channels', () => {
    const seen: string[] = [];
    const onStart = (message: unknown) => seen.push(`start:${(message as TracedContext<MutationMeta>).meta.manager}`);
    diagnosticsChannel.subscribe('tracing:domain-otel:mutation:start', onStart);
    try {
      traceMutation(META, () => 1);
    } finally {
      diagnosticsChannel.unsubscribe('tracing:domain-otel:mutation:start', onStart);
    }
    assert.deepEqual(seen, ['start:InvoiceManager']);
  });

  it('captures a copy of the scope actor at start', () => {
    const live = withActor({ id: 'u1', tenant: 't1' }, () => traceMutation(META, () => getActor()));
    const ctx = recorder.events[0]!.ctx;
    assert.deepEqual(ctx.actor, { id: 'u1', tenant: 't1' });
    assert.notEqual(ctx.actor, live, 'a later setActor must not rewrite the record');
  });
});

describe('traceAuthz outcome', () => {
  let recorder: ReturnType<typeof recordTraced<unknown>>;
  beforeEach(() => (recorder = recordTraced(channels.authz as never)));
  afterEach(() => recorder.stop());
  const meta = { action: 'read', manager: 'InvoiceManager', entityId: 'inv-1' } as const;

  it('is granted for a truthy result and denied for a falsy one', async () => {
    assert.equal(traceAuthz(meta, () => true), true);
    assert.equal(await traceAuthz(meta, async () => 0), 0);
    const ends = recorder.events.filter((e) => e.event === 'end' || e.event === 'asyncEnd');
    assert.deepEqual(
      ends.map((e) => [e.event, e.outcome]),
      [
        ['end', 'granted'],
        ['end', undefined],
        ['asyncEnd', 'denied'],
      ],
    );
  });

  it('keeps an outcome set by fn', () => {
    traceAuthz(meta, (ctx) => {
      ctx.outcome = 'bypassed';
      return true;
    });
    assert.equal(recorder.events[1]!.outcome, 'bypassed');
  });

  it('leaves the outcome unset when the check throws', () => {
    assert.throws(() =>
      traceAuthz(meta, () => {
        throw new Error('policy error');
      }),
    );
    assert.equal(recorder.events.at(-1)!.outcome, undefined);
  });
});

describe('traceRule outcome', () => {
  let recorder: ReturnType<typeof recordTraced<unknown>>;
  beforeEach(() => (recorder = recordTraced(channels.rule as never)));
  afterEach(() => recorder.stop());

  it('maps boolean results to passed/failed, throws to error, and leaves others unset', async () => {
    traceRule({ name: 'r1' }, () => true);
    traceRule({ name: 'r2' }, () => false);
    await assert.rejects(traceRule({ name: 'r3' }, () => Promise.reject(new Error('bad input'))));
    traceRule({ name: 'r4', set: 'pricing' }, () => ({ events: [] }));
    const outcomes = recorder.events
      .filter((e) => e.event === 'end' ? e.async === false : e.event === 'asyncEnd')
      .map((e) => [(e.ctx.meta as { name: string }).name, e.outcome]);
    assert.deepEqual(outcomes, [
      ['r1', 'passed'],
      ['r2', 'failed'],
      ['r3', 'error'],
      ['r4', undefined],
    ]);
  });
});
