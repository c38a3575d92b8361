// ESLint (eslint.config.mjs) over the whole repository is part of `npm test`: a problem, or a
// disable comment no rule needs, fails this test with ESLint's own report.
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..');

describe('lint', function () {
  this.timeout(300_000);

  it('ESLint reports nothing over the repository', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const results = await eslint.lintFiles(['.']);
    const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
    const report = problems > 0 ? await (await eslint.loadFormatter('stylish')).format(results) : '';
    assert.ok(results.length > 300, `ESLint read ${results.length} files; the config ignores too much`);
    assert.equal(problems, 0, report);
  });
});
