import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REGISTRY, type RegistryEntry } from '../src/registry';
import { SCHEMA_URL } from '../src/schema';

interface DocScript {
  renderSemconvDoc(input: { registry: readonly RegistryEntry[]; schemaUrl: string }): string;
  DOC_PATH: string;
  REGENERATE_COMMAND: string;
}

const SCRIPT = join(__dirname, '..', '..', '..', 'scripts', 'gen-semconv-doc.mjs');

describe('docs/semantic-conventions.md', () => {
  it('matches what scripts/gen-semconv-doc.mjs generates from the registry', async () => {
    const script = (await import(pathToFileURL(SCRIPT).href)) as DocScript;
    const expected = script.renderSemconvDoc({ registry: REGISTRY, schemaUrl: SCHEMA_URL });
    let committed = '';
    try {
      committed = readFileSync(script.DOC_PATH, 'utf8');
    } catch {
      // missing file: reported as out of date below
    }
    assert.ok(
      committed === expected,
      `docs/semantic-conventions.md is out of date with src/registry.ts; run: ${script.REGENERATE_COMMAND}`,
    );
  });

  it('mentions every registered name', async () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'semantic-conventions.md'), 'utf8');
    for (const entry of REGISTRY) assert.ok(text.includes(`\`${entry.name}\``), `${entry.name} missing from the doc`);
  });
});
