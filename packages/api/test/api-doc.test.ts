// docs/api.md is generated from the source (scripts/gen-api-doc.mjs): it must be current, and it
// must list every export of the package — the runtime ones and the types.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as api from '../src/index';

const ROOT = path.resolve(__dirname, '../../..');

describe('docs/api.md', () => {
  it('is what scripts/gen-api-doc.mjs generates from packages/api/src', async () => {
    const { render } = (await import(path.join(ROOT, 'scripts/gen-api-doc.mjs'))) as { render: () => string };
    assert.equal(readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8'), render(), 'stale: run `npm run docs`');
  });

  it('has a section for every runtime export and every exported type', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
    const headings = new Set([...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]!));
    for (const name of Object.keys(api)) assert.ok(headings.has(name), `${name} (runtime export) is documented`);
    // Type-only exports, read from the entry's export statements.
    const index = readFileSync(path.join(ROOT, 'packages/api/src/index.ts'), 'utf8');
    const typeNames = [...index.matchAll(/\btype (\w+)\b/g), ...[...index.matchAll(/export type \{([^}]+)\}/g)].flatMap((m) => m[1]!.split(',').map((n) => [n, n.trim()]))]
      .map((m) => m[1]!.trim()).filter((n) => /^\w+$/.test(n));
    assert.ok(typeNames.length >= 15, typeNames.join(', '));
    for (const name of typeNames) assert.ok(headings.has(name), `${name} (type export) is documented`);
    assert.equal(headings.size, new Set([...Object.keys(api), ...typeNames]).size, 'no section for a name the package does not export');
  });
});
