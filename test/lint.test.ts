// ESLint (eslint.config.mjs) over the whole repository is part of `npm test`: a problem, or a
// disable comment no rule needs, fails this test with ESLint's own report. ESLint runs in a
// child process, so what earlier tests left running in this one cannot slow it down.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const ESLINT = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface FileResult { filePath: string; errorCount: number; warningCount: number; messages: { line: number; ruleId: string | null; message: string }[] }

describe('lint', function () {
  this.timeout(600_000);

  it('ESLint reports nothing over the repository', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [ESLINT, '--format', 'json', '.'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 }, (err, out, stderr) => {
        // exit status 1 means problems were found (reported in the JSON); anything else is ESLint failing
        if (err && err.code !== 1) reject(new Error(`eslint failed (${String(err.code)}): ${stderr}`));
        else resolve(out);
      });
    });
    const results = JSON.parse(stdout) as FileResult[];
    const problems = results.flatMap((r) => r.messages.map((m) => `${path.relative(ROOT, r.filePath)}:${m.line} ${m.ruleId ?? ''} ${m.message}`));
    assert.ok(results.length > 300, `ESLint read ${results.length} files; the config ignores too much`);
    assert.deepEqual(problems, []);
  });
});
