import assert from 'node:assert/strict';
import { nameRegistry } from '../src/index';

describe('object names (adapter kit)', () => {
  it('name() keeps a non-empty string name per object and returns the object; other names are ignored', () => {
    const names = nameRegistry();
    const a = {};
    const b = {};
    assert.equal(names.name(a, 'orders'), a);
    names.name(b, '');
    names.name(b, 42 as unknown as string);
    assert.equal(names.nameOf(a), 'orders');
    assert.equal(names.nameOf(b), undefined);
    assert.equal(nameRegistry().nameOf(a), undefined, 'each registry is its own');
  });

  it('resolve(): the given name, else a non-empty configured one, else the fallback unless onlyNamed', () => {
    const names = nameRegistry();
    const named = names.name({}, 'orders');
    const other = {};
    let asked = 0;
    const configured = (value: unknown) => () => { asked++; return value; };
    assert.equal(names.resolve(named, configured('hook'), true, () => 'default'), 'orders');
    assert.equal(asked, 0, 'the hook is not asked about a named object');
    assert.equal(names.resolve(other, configured('hook'), true, () => 'default'), 'hook');
    assert.equal(names.resolve(other, configured(''), false, () => 'default'), 'default');
    assert.equal(names.resolve(other, configured(undefined), false, () => 'default'), 'default');
    assert.equal(names.resolve(other, configured(undefined), true, () => 'default'), undefined);
  });
});
