// A quieter first run: builds and apt installs write their output (`go: downloading …`, apt's
// pages) to a log file, and the terminal gets one progress line per step with the elapsed time
// and where the log is (scripts/go/lib.sh run_logged, used by scripts/go/build-*.sh and
// scripts/setup/*.sh); npm ci runs with --loglevel=error (no EBADENGINE wall under an older Node).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const LIB = path.join(ROOT, 'scripts', 'go', 'lib.sh');

/** A noisy step: what `go build` prints on a cold machine, then its result. */
const NOISY = 'for m in a b c d e f g h; do echo "go: downloading example.com/$m v1.0.0"; done; echo "# compiling"; sleep 1; exit ${FAIL:-0}';

function runLogged(cache: string, env: Record<string, string> = {}, tty = false) {
  const inner = `. ${LIB}; cache=${cache}; run_logged build-demo "building demo" sh -c '${NOISY}'`;
  // `script` gives the step a terminal, as a person running `npm run demo` has.
  const [cmd, args] = tty ? ['script', ['-qec', `bash -c "${inner.replace(/"/g, '\\"')}"`, '/dev/null']] : ['bash', ['-c', inner]];
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('first-run output', function () {
  this.timeout(30_000);
  let cache: string;
  beforeEach(() => { cache = mkdtempSync(path.join(tmpdir(), 'domain-otel-quiet-')); });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('a step without a terminal: one line with the elapsed time and the log path; the noise is in the log', () => {
    const r = runLogged(cache);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^build-demo: building demo done in \\d+s \\(log: ${cache}/logs/build-demo\\.log\\)$`));
    const log = readFileSync(path.join(cache, 'logs', 'build-demo.log'), 'utf8');
    assert.equal(log.split('\n').filter((l) => l.startsWith('go: downloading')).length, 8);
  });

  it('on a terminal: one line rewritten in place while it runs, then the final line', () => {
    const r = runLogged(cache, {}, true);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const screen = r.stdout + r.stderr;
    assert.doesNotMatch(screen, /go: downloading/);
    // Every update starts with a carriage return: the terminal shows one line, not a list.
    const visible = screen.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.split('\r').pop()!.replaceAll(`${String.fromCharCode(27)}[K`, ''));
    assert.equal(visible.length, 1, JSON.stringify(screen));
    assert.match(visible[0]!, /^build-demo: building demo done in \d+s \(log: .*build-demo\.log\)$/);
    assert.match(screen, /\rbuild-demo: building demo … \d+s \(log: /, 'a progress update with the elapsed time');
  });

  it('a failing step: its exit status, a FAILED line and the end of the log', () => {
    const r = runLogged(cache, { FAIL: '3' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^build-demo: building demo FAILED after \d+s \(exit 3\); last lines of .*build-demo\.log:$/m);
    assert.match(r.stderr, /# compiling/);
  });

  it('the build and setup scripts run their noisy commands through it; bootstrap quiets npm', () => {
    const noisy = /apt-get install -y|"\$go_bin" (build|install)/;
    const outsideRunLogged = (text: string) => text.replace(/run_logged[^\n]*\\\n[^\n]*/g, '').replace(/^\s*#.*$/gm, '');
    const read = (...p: string[]) => readFileSync(path.join(ROOT, 'scripts', ...p), 'utf8');
    // the libraries hold the noisy commands, inside run_logged
    for (const lib of [['go', 'lib.sh'], ['setup', 'lib.sh']]) {
      assert.match(read(...lib), noisy, `${lib.join('/')} builds or installs`);
      assert.doesNotMatch(outsideRunLogged(read(...lib)), noisy, `${lib.join('/')}: no noisy command outside run_logged`);
    }
    // every script builds or installs through them
    const users = [
      ...['build-collector.sh', 'build-jaeger.sh', 'build-loki.sh'].map((f) => ['go', f]),
      ...['postgres.sh', 'prometheus.sh', 'chromium.sh', 'haproxy.sh', 'systemd-analyze.sh'].map((f) => ['setup', f]),
    ];
    for (const f of users) {
      const text = read(...f);
      assert.match(text, /run_logged |build_pinned_tool |apt_install /, `${f.join('/')} uses run_logged or a library step that does`);
      assert.doesNotMatch(outsideRunLogged(text), noisy, `${f.join('/')}: no noisy command outside run_logged`);
    }
    const setups = readdirSync(path.join(ROOT, 'scripts', 'setup'));
    assert.ok(setups.includes('go.sh') && setups.includes('kubernetes-validate.sh') && setups.includes('systemd-analyze.sh'));
    assert.match(readFileSync(path.join(ROOT, 'scripts', 'bootstrap.mjs'), 'utf8'), /'npm', \['ci', [^\]]*'--loglevel=error'/);
  });

  it('bootstrap on a ready machine prints one line: the tools found present', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bootstrap.mjs')], { cwd: ROOT, encoding: 'utf8' });
    const setups = readdirSync(path.join(ROOT, 'scripts', 'setup')).filter((f) => f.endsWith('.sh') && f !== 'lib.sh');
    assert.equal(out.trim().split('\n').length, 1, out);
    const m = /^bootstrap: present: (.+) \(scripts\/setup\/\*\.sh\)$/.exec(out.trim());
    assert.ok(m, out);
    assert.equal(m[1]!.split(', ').length, setups.length, 'one name per setup script');
  });
});
