import assert from 'node:assert/strict';
import { failureReporter, isThenable } from '../src/index';
import type { FailureLog } from '../src/index';

function recordingLog(): FailureLog & { lines: unknown[][] } {
  const lines: unknown[][] = [];
  return { lines, error: (...args: unknown[]) => lines.push(args) };
}

describe('adapter kit', () => {
  it('reportOnce: the first failure of each place is logged with what it did not affect, later ones are not', () => {
    const log = recordingLog();
    const r = failureReporter(log, 'the cache');
    const first = new Error('one');
    r.reportOnce('recording a del', first);
    r.reportOnce('recording a del', new Error('two'));
    r.reportOnce('recording a clear', new Error('three'));
    assert.deepEqual(log.lines, [
      ['recording a del failed; the cache itself was not affected. Further failures here are not reported.', first],
      ['recording a clear failed; the cache itself was not affected. Further failures here are not reported.', log.lines[1]![1]],
    ]);
    assert.equal((log.lines[1]![1] as Error).message, 'three');
  });

  it('safely: returns what fn returns; a throw is reported once and gives undefined, never reaching the caller', () => {
    const log = recordingLog();
    const r = failureReporter(log, 'the Sequelize call');
    assert.equal(r.safely('counting', () => 3), 3);
    const boom = () => { throw new TypeError('bad row'); };
    assert.equal(r.safely('counting', boom), undefined);
    assert.equal(r.safely('counting', boom), undefined);
    assert.deepEqual(log.lines.map(([m]) => m), ['counting failed; the Sequelize call itself was not affected. Further failures here are not reported.']);
  });

  it('one reporter per logger: asking again (as an adapter does from its _diag) keeps the places already reported', () => {
    const log = recordingLog();
    failureReporter(log, 'the check').reportOnce('recording a check', new Error('x'));
    failureReporter(log, 'the check').reportOnce('recording a check', new Error('y'));
    failureReporter(recordingLog(), 'the check').reportOnce('recording a check', new Error('z'));
    assert.equal(log.lines.length, 1);
  });

  it('isThenable: promises and promise-likes, not plain values', () => {
    assert.deepEqual([Promise.resolve(1), { then() {} }, Object.assign(() => {}, { then() {} }), { then: 1 }, null, undefined, 5].map(isThenable),
      [true, true, true, false, false, false, false]);
  });
});
