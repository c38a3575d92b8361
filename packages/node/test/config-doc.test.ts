import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers';

describe('docs/configuration.md', () => {
  it('is exactly what scripts/gen-config-doc.mjs generates from the variable table', async () => {
    const { render } = (await import(path.join(ROOT, 'scripts/gen-config-doc.mjs'))) as { render: () => string };
    const committed = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
    assert.equal(committed, render(), 'stale: run `node scripts/gen-config-doc.mjs`');
  });
});
