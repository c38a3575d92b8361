// The repository explains itself: every relative link in README.md, docs/*.md and the packages'
// READMEs points at a file that exists, and nothing points at a design file outside the repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
const markdown = tracked.filter((f) => /^(README\.md|docs\/[^/]+\.md|packages\/[^/]+\/README\.md|examples\/[^/]+\/README\.md)$/.test(f));

describe('documentation links', () => {
  it('every relative link resolves to a file of the repository', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        if (!existsSync(path.resolve(ROOT, path.dirname(file), target))) broken.push(`${file}: ${m[1]}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('README links the operations, scaling, architecture and API pages and the quickstart', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const page of ['docs/operations.md', 'docs/scaling.md', 'docs/architecture.md', 'docs/api.md', 'examples/quickstart/README.md']) {
      assert.ok(readme.includes(`](${page})`), `README links ${page}`);
    }
    assert.match(readme, /^## Prerequisites$/m);
  });

  it('nothing refers to a design file outside the repository', () => {
    const offenders = tracked
      .filter((f) => /\.(md|ts|mjs|cjs|js|sh|ya?ml)$/.test(f))
      .filter((f) => /DESIGN\.md|\.\.\/shared\//.test(readFileSync(path.join(ROOT, f), 'utf8')) && f !== 'test/docs/links.test.ts');
    assert.deepEqual(offenders, []);
  });
});
