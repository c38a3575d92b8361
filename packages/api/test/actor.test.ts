import assert from 'node:assert/strict';
import { getActor, setActor, withActor } from '../src/index';
import { tick } from './helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('actor scope', () => {
  it('is visible inside withActor and gone after it', () => {
    const outside = getActor();
    assert.deepEqual(
      withActor({ id: '42', name: 'Ada' }, () => getActor()),
      { id: '42', name: 'Ada' },
    );
    assert.equal(getActor(), outside);
  });

  it('survives await, setTimeout and promise chains', async () => {
    const seen = await withActor({ id: '42' }, async () => {
      const ids: (string | undefined)[] = [];
      await tick();
      ids.push(getActor()?.id);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          ids.push(getActor()?.id);
          resolve();
        }, 1),
      );
      await Promise.resolve()
        .then(() => sleep(1))
        .then(() => ids.push(getActor()?.id));
      return ids;
    });
    assert.deepEqual(seen, ['42', '42', '42']);
  });

  it('merges nested scopes without changing the outer one', () => {
    withActor({ id: '42', tenant: 'acme' }, () => {
      const outer = getActor();
      withActor({ name: 'Ada', tenant: 'beta' }, () => {
        assert.deepEqual(getActor(), { id: '42', tenant: 'beta', name: 'Ada' });
        setActor({ correlationId: 'req-1' });
      });
      assert.equal(getActor(), outer);
      assert.deepEqual(getActor(), { id: '42', tenant: 'acme' });
    });
  });

  it('setActor names the user for the rest of the scope, including work started before it', async () => {
    const result = await withActor({ tenant: 'acme', correlationId: 'req-1' }, async () => {
      const earlier = (async () => {
        await sleep(2);
        return getActor()?.id;
      })();
      await tick();
      setActor({ id: '42', name: 'Ada' }); // e.g. an auth middleware
      await tick();
      return { now: getActor(), earlier: await earlier };
    });
    assert.deepEqual(result.now, { tenant: 'acme', correlationId: 'req-1', id: '42', name: 'Ada' });
    assert.equal(result.earlier, '42');
  });

  it('keeps two concurrent scopes apart', async () => {
    const request = (tenant: string, user: string, delays: number[]) =>
      withActor({ tenant }, async () => {
        await sleep(delays[0]!);
        setActor({ id: user });
        await sleep(delays[1]!);
        return { ...getActor() };
      });
    const [a, b] = await Promise.all([request('acme', 'alice', [3, 1]), request('beta', 'bob', [1, 4])]);
    assert.deepEqual(a, { tenant: 'acme', id: 'alice' });
    assert.deepEqual(b, { tenant: 'beta', id: 'bob' });
  });

  it('setActor outside any scope enters a new one for what follows', async () => {
    // Its own async context (a timer callback): enterWith also affects the rest of
    // the caller's synchronous code, which here must not be mocha's runner.
    const seen = await new Promise((resolve) =>
      setImmediate(async () => {
        assert.equal(getActor(), undefined);
        setActor({ id: 'job-runner' });
        await tick();
        resolve(getActor());
      }),
    );
    assert.deepEqual(seen, { id: 'job-runner' });
    assert.equal(getActor(), undefined);
  });

  it('returns what fn returns and rethrows what it throws', () => {
    const value = {};
    assert.equal(
      withActor({ id: '1' }, () => value),
      value,
    );
    const error = new Error('x');
    assert.throws(
      () =>
        withActor({ id: '1' }, () => {
          throw error;
        }),
      (e) => e === error,
    );
  });
});
