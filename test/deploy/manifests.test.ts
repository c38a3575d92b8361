// deploy/: the systemd units pass `systemd-analyze verify` (Debian's systemd,
// scripts/setup/systemd-analyze.sh) with no warning, the Kubernetes manifests pass
// `kubernetes-validate --strict` (PyPI, offline schemas, scripts/setup/kubernetes-validate.sh),
// broken copies fail both, the TLS override is a valid collector configuration, and every
// variable the files set is one the sink or the collector reads.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { buildBinary, OTELCOL_CONFIG, ROOT } from '../collector/helpers';

const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown; loadAll(text: string): unknown[] };
const SYSTEMD = path.join(ROOT, 'deploy', 'systemd');
const KUBERNETES = path.join(ROOT, 'deploy', 'kubernetes');
const PREFIX = '/opt/domain-otel/bin/';

function kubernetesValidate(): string {
  const cache = process.env.DOMAIN_OTEL_CACHE ?? path.join(homedir(), '.cache', 'domain-otel');
  const version = /^VERSION=(\S+)$/m.exec(readFileSync(path.join(ROOT, 'scripts', 'setup', 'kubernetes-validate.sh'), 'utf8'))![1];
  return path.join(cache, `kubernetes-validate-${version}`, 'bin', 'kubernetes-validate');
}

/** The units, their executables pointed at stubs in `dir` (verify checks that ExecStart exists). */
function unitsIn(dir: string, edit: (name: string, text: string) => string = (_, t) => t): string[] {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const units: string[] = [];
  for (const name of readdirSync(SYSTEMD).filter((f) => /\.(service|timer)$/.test(f))) {
    const text = readFileSync(path.join(SYSTEMD, name), 'utf8');
    for (const m of text.matchAll(new RegExp(`${PREFIX}([\\w.-]+)`, 'g'))) {
      writeFileSync(path.join(dir, 'bin', m[1]!), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'bin', m[1]!), 0o755);
    }
    writeFileSync(path.join(dir, name), edit(name, text.replaceAll(PREFIX, `${dir}/bin/`)));
    units.push(path.join(dir, name));
  }
  return units;
}

function verify(units: string[]): { code: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('deploy/ (production units and manifests)', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'domain-otel-deploy-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('systemd units: systemd-analyze verify, no error and no warning', () => {
    const units = unitsIn(dir);
    assert.deepEqual(units.map((u) => path.basename(u)).sort(),
      ['domain-otel-audit-sink.service', 'domain-otel-audit-verify.service', 'domain-otel-audit-verify.timer', 'domain-otel-collector.service']);
    const r = verify(units);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output, '', 'systemd-analyze printed warnings');
  });

  it('systemd units: a misspelt key or a missing executable is caught', () => {
    const typo = verify(unitsIn(path.join(dir, 'typo'), (name, t) => (name === 'domain-otel-audit-sink.service' ? t.replace('Restart=always', 'Restrat=always') : t)));
    assert.match(typo.output, /Unknown key 'Restrat'/);
    const units = unitsIn(path.join(dir, 'missing'));
    rmSync(path.join(dir, 'missing', 'bin', 'domain-otel-audit'));
    const missing = verify(units);
    assert.notEqual(missing.code, 0);
    assert.match(missing.output, /domain-otel-audit is not executable/);
  });

  it('Kubernetes manifests: kubernetes-validate --strict against the API schemas', () => {
    const files = readdirSync(KUBERNETES).filter((f) => f.endsWith('.yaml')).map((f) => path.join(KUBERNETES, f));
    assert.ok(files.length >= 6);
    const r = spawnSync(kubernetesValidate(), ['--strict', '--quiet', ...files], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const kinds = files.flatMap((f) => yaml.loadAll(readFileSync(f, 'utf8')) as { kind: string }[]).map((d) => d.kind).sort();
    for (const k of ['CronJob', 'Deployment', 'Job', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'StatefulSet']) assert.ok(kinds.includes(k), `a ${k}`);
  });

  it('Kubernetes manifests: a misspelt field or a wrong type is refused', () => {
    const source = readFileSync(path.join(KUBERNETES, 'audit-sink.yaml'), 'utf8');
    for (const [what, broken, expected] of [
      ['unknown field', source.replace('terminationGracePeriodSeconds: 45', 'terminationGracePeriodSecond: 45'), /terminationGracePeriodSecond/],
      ['wrong type', source.replace('replicas: 2', 'replicas: two'), /replicas/],
    ] as const) {
      assert.notEqual(broken, source, what);
      const file = path.join(dir, `${what.replace(' ', '-')}.yaml`);
      writeFileSync(file, broken);
      const r = spawnSync(kubernetesValidate(), ['--strict', '--quiet', file], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${what} passed`);
      assert.match(`${r.stdout}${r.stderr}`, expected);
    }
  });

  it('the collector TLS override is one file, valid with otelcol.yaml for the real collector', async function () {
    this.timeout(45 * 60_000);
    const override = readFileSync(path.join(ROOT, 'deploy', 'otelcol-tls.yaml'), 'utf8');
    const configMap = (yaml.loadAll(readFileSync(path.join(KUBERNETES, 'collector.yaml'), 'utf8')) as { kind: string; data?: Record<string, string> }[])
      .find((d) => d.kind === 'ConfigMap')!;
    assert.deepEqual(yaml.load(configMap.data!['otelcol-tls.yaml']!), yaml.load(override), 'deploy/otelcol-tls.yaml and the ConfigMap agree');
    const binary = await buildBinary('build-collector.sh');
    // Real PEM files where the override names them, under a temp root.
    const tls = path.join(dir, 'tls');
    mkdirSync(tls);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=collector',
      '-keyout', path.join(tls, 'collector.key'), '-out', path.join(tls, 'collector.crt')], { stdio: 'ignore' });
    copyFileSync(path.join(tls, 'collector.crt'), path.join(tls, 'ca.crt'));
    const local = path.join(dir, 'otelcol-tls.yaml');
    writeFileSync(local, override.replaceAll('/etc/domain-otel/tls/', `${tls}/`));
    const r = spawnSync(binary, ['validate', `--config=${OTELCOL_CONFIG}`, `--config=${local}`], {
      encoding: 'utf8', env: { PATH: process.env.PATH, DOMAIN_OTEL_AUDIT_SINK_ENDPOINT: 'https://audit.internal:4320', DOMAIN_OTEL_AUDIT_SINK_TOKEN: 't' },
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const typo = spawnSync(binary, ['validate', `--config=${OTELCOL_CONFIG}`, `--config=${local.replace('otelcol-tls', 'typo')}`], { encoding: 'utf8' });
    assert.notEqual(typo.status, 0, 'a missing override file fails');
  });

  it('every variable the units and manifests set is one the sink or the collector reads', () => {
    const help = [[], ['serve'], ['verify'], ['migrate']].map((c) => execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'packages/audit-sink/src/cli.ts'), ...c, '--help'], { encoding: 'utf8' })).join('\n');
    // The sink's variables are in its help or its documentation; the collector's in its table.
    const collectorDoc = readFileSync(path.join(ROOT, 'docs', 'collector.md'), 'utf8') + readFileSync(path.join(ROOT, 'docs', 'audit-sink.md'), 'utf8');
    const files = [...readdirSync(SYSTEMD).map((f) => path.join(SYSTEMD, f)), ...readdirSync(KUBERNETES).filter((f) => f.endsWith('.yaml')).map((f) => path.join(KUBERNETES, f))];
    const used = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\b(DOMAIN_OTEL_[A-Z_]+)\b/g)].map((m) => m[1]!)));
    assert.ok(used.size >= 10);
    const unknown = [...used].filter((v) => !help.includes(v) && !collectorDoc.includes(`\`${v}\``));
    assert.deepEqual(unknown, []);
  });
});
