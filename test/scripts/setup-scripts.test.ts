// scripts/setup/*.sh on a machine that has the tool (they only report it) and on one that lacks
// it (scripts/setup/lib.sh: apt_ready, apt_install, no_service_starts). The missing case runs
// systemd-analyze.sh, the one script that looks for its tool on PATH alone, with a PATH that
// lacks the tool; apt-get there is a recording stand-in, since a test must not install packages
// on the machine it runs on. It "installs" by putting the tool on that PATH, as the package does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SETUP = path.join(ROOT, 'scripts', 'setup');
/** What the scripts run besides their tool and apt-get. */
const BASICS = ['bash', 'sh', 'dirname', 'id', 'date', 'mkdir', 'tail', 'sleep', 'cat', 'head', 'tee', 'chmod', 'rm'];

function which(tool: string): string {
  const dir = (process.env.PATH ?? '').split(':').find((d) => existsSync(path.join(d, tool)));
  if (!dir) throw new Error(`${tool} not on PATH`);
  return path.join(dir, tool);
}

/** A PATH of its own: the basics, and apt-get when given (a shell script body). */
function sandbox(dir: string, aptGet?: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of BASICS) symlinkSync(which(tool), path.join(bin, tool));
  if (aptGet !== undefined) {
    writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\n${aptGet}\n`);
    chmodSync(path.join(bin, 'apt-get'), 0o755);
  }
  return bin;
}

function run(script: string, bin: string, cache: string, asUser?: string) {
  const env = [`PATH=${bin}`, `HOME=${cache}`, `DOMAIN_OTEL_CACHE=${cache}`];
  const [cmd, args] = asUser
    ? ['runuser', ['-u', asUser, '--', '/usr/bin/env', '-i', ...env, 'bash', script]]
    : ['/usr/bin/env', ['-i', ...env, 'bash', script]];
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('setup scripts', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'domain-otel-setup-')); chmodSync(dir, 0o755); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('with the tool present, each prints one line saying where it is and installs nothing', () => {
    for (const f of readdirSync(SETUP).filter((f) => f.endsWith('.sh') && f !== 'lib.sh')) {
      const r = spawnSync('bash', [path.join(SETUP, f)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1, `${f}: ${r.stdout}`);
      assert.match(lines[0]!, /^[\w.-]+: .*(present|go1\.[\d.]+ at )/, f);
    }
  });

  it('with the tool missing and no apt-get: one line naming what to install, exit 1', () => {
    const r = run(path.join(SETUP, 'systemd-analyze.sh'), sandbox(dir), dir);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'systemd-analyze.sh: systemd-analyze not found and apt-get is not available; install systemd\n');
  });

  it('with the tool missing, not root and no sudo: one line saying root is needed, nothing run', () => {
    const calls = path.join(dir, 'apt-calls');
    const r = run(path.join(SETUP, 'systemd-analyze.sh'), sandbox(dir, `echo "$*" >> ${calls}`), dir, 'postgres');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, 'systemd-analyze.sh: need root (or sudo) to install the systemd package\n');
    assert.equal(existsSync(calls), false);
  });

  it('with the tool missing: apt-get update, then a non-interactive install without recommends; apt\'s pages in the log; the tool found after', function () {
    if (process.getuid?.() !== 0) this.skip(); // the install path needs root (or sudo)
    const calls = path.join(dir, 'apt-calls');
    const bin = sandbox(dir, [
      'echo "frontend=${DEBIAN_FRONTEND:-unset}: $*" >> ' + calls,
      'echo "Reading package lists... (a page of apt output)"',
      `if [ "$1" = install ]; then printf '#!/bin/sh\\necho "systemd 252 (252.38)"\\n' > ${dir}/bin/systemd-analyze; chmod +x ${dir}/bin/systemd-analyze; fi`,
    ].join('\n'));
    const r = run(path.join(SETUP, 'systemd-analyze.sh'), bin, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['frontend=unset: update', 'frontend=noninteractive: install -y --no-install-recommends systemd']);
    assert.equal(r.stdout, 'systemd-analyze: installing Debian\'s systemd package\nsystemd-analyze: installed (systemd 252 (252.38))\n');
    assert.match(r.stderr, new RegExp(`^setup-systemd: installing Debian's systemd done in \\d+s \\(log: ${dir}/logs/setup-systemd\\.log\\)\\n$`));
    assert.match(readFileSync(path.join(dir, 'logs', 'setup-systemd.log'), 'utf8'), /a page of apt output/);
  });

  it('when apt-get fails: its exit status and the end of its log', function () {
    if (process.getuid?.() !== 0) this.skip(); // the install path needs root (or sudo)
    const bin = sandbox(dir, 'if [ "$1" = install ]; then echo "E: Unable to locate package systemd"; exit 100; fi');
    const r = run(path.join(SETUP, 'systemd-analyze.sh'), bin, dir);
    assert.equal(r.code, 100);
    assert.match(r.stderr, /setup-systemd: installing Debian's systemd FAILED after \d+s \(exit 100\)/);
    assert.match(r.stderr, /E: Unable to locate package systemd/);
  });

  describe('no_service_starts (haproxy.sh, prometheus.sh)', () => {
    const inLib = (policy: string, then: string) => spawnSync('bash', ['-c', `set -eu; . ${path.join(SETUP, 'lib.sh')}; sudo=""; POLICY_RC_D=${policy}; no_service_starts demo.sh; ${then}`], { encoding: 'utf8' });

    it('refuses every service start while the script runs, and is gone after', () => {
      const policy = path.join(dir, 'policy-rc.d');
      const r = inLib(policy, `"$POLICY_RC_D" haproxy start || echo "refused with $?"`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'refused with 101\n');
      assert.equal(existsSync(policy), false);
    });

    it('leaves a policy-rc.d that was there untouched', () => {
      const policy = path.join(dir, 'policy-rc.d');
      writeFileSync(policy, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const r = inLib(policy, '"$POLICY_RC_D" haproxy start && echo allowed');
      assert.equal(r.stdout, 'allowed\n');
      assert.equal(readFileSync(policy, 'utf8'), '#!/bin/sh\nexit 0\n');
    });
  });
});
