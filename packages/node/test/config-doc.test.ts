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

describe('DOMAIN_OTEL_REDACT in docs/configuration.md', () => {
  it('its examples are what the matcher does', async () => {
    const { VARIABLES } = await import('../src/config/variables');
    const { createKeyMatcher } = await import('@domain-otel/instrumentation-domain');
    const meaning = VARIABLES.redact.meaning;
    const [, matching, notMatching] = /: (`[^;]+?) match, (.+?) do not;/.exec(meaning) ?? [];
    const keys = (text: string | undefined) => [...(text ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const isSecret = createKeyMatcher([]);
    assert.ok(keys(matching).length >= 3 && keys(notMatching).length >= 3, meaning);
    for (const k of keys(matching)) assert.equal(isSecret(k), true, `${k} is said to match`);
    for (const k of keys(notMatching)) assert.equal(isSecret(k), false, `${k} is said not to match`);
    assert.equal(isSecret('possession'), meaning.includes('`possession`'), 'the over-match named in the text');
  });
});
