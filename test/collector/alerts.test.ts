// collector-config/alerts.yaml: promtool accepts the rules, the rule tests in
// collector-config/alerts.test.yaml pass, every alert has a case that fires and one that stays
// quiet, the rules use our real metric names, and the tests can fail (broken copies in a temp dir).
//
// promtool comes from Debian's prometheus package (scripts/setup/prometheus.sh, run by
// scripts/bootstrap.mjs); PROMTOOL points at another binary.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  AUDIT_OUTCOME_VALUES,
  METRIC_DOMAIN_AUDIT_DECISIONS,
  METRIC_DOMAIN_CACHE_INVALIDATED_KEYS,
  METRIC_DOMAIN_CACHE_INVALIDATIONS,
  METRIC_DOMAIN_TELEMETRY_DROPPED,
  TELEMETRY_SIGNAL_VALUES,
} from '../../packages/semantic-conventions/src/index';
import {
  METRIC_SINK_CHECKPOINT_AGE, METRIC_SINK_RECORDS, METRIC_SINK_REQUEST_DURATION, METRIC_SINK_WORKER_RESTARTS,
} from '../../packages/audit-sink/src/telemetry/names';
import { CONFIG_DIR, ROOT, run, tempDir } from './helpers';

const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

const RULES = path.join(CONFIG_DIR, 'alerts.yaml');
const TESTS = path.join(CONFIG_DIR, 'alerts.test.yaml');

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleFile { groups: { name: string; rules: Rule[] }[] }
interface AlertCase { eval_time: string; alertname: string; exp_alerts?: { exp_labels?: Record<string, string> }[] | null }
interface TestFile { rule_files: string[]; tests: { name: string; alert_rule_test?: AlertCase[] }[] }

/** The promtool binary: $PROMTOOL, else promtool on PATH, else Debian's /usr/bin/promtool. */
async function findPromtool(): Promise<string> {
  const candidates = [process.env.PROMTOOL, 'promtool', '/usr/bin/promtool'].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (c.includes('/') && !existsSync(c)) continue;
    try {
      const res = await run(c, ['--version']);
      if (res.code === 0) return c;
    } catch { /* not on PATH */ }
  }
  throw new Error('promtool not found: run scripts/setup/prometheus.sh (installs Debian\'s prometheus package) or set PROMTOOL');
}

/** A counter as the collector's prometheus exporter names it (UnderscoreEscapingWithSuffixes, unit annotations dropped). */
const promCounter = (otelName: string): string => `${otelName.replace(/\./g, '_')}_total`;

describe('collector-config/alerts.yaml (promtool)', function () {
  let promtool: string;
  const rules = yaml.load(readFileSync(RULES, 'utf8')) as RuleFile;
  const tests = yaml.load(readFileSync(TESTS, 'utf8')) as TestFile;
  const allRules = rules.groups.flatMap((g) => g.rules);
  const alerts = allRules.filter((r) => r.alert !== undefined);

  before(async function () {
    promtool = await findPromtool();
    const version = await run(promtool, ['--version']);
    console.log(`      ${(version.stdout || version.stderr).split('\n')[0]}`);
  });

  it('passes promtool check rules', async function () {
    const res = await run(promtool, ['check', 'rules', RULES]);
    assert.equal(res.code, 0, `promtool check rules failed:\n${res.stdout}${res.stderr}`);
    assert.match(res.stdout, new RegExp(`SUCCESS: ${allRules.length} rules found`));
  });

  it('passes its rule tests (promtool test rules collector-config/alerts.test.yaml)', async function () {
    const res = await run(promtool, ['test', 'rules', TESTS]);
    assert.equal(res.code, 0, `promtool test rules failed:\n${res.stdout}${res.stderr}`);
    assert.match(res.stdout, /SUCCESS/);
    assert.doesNotMatch(res.stdout, /FAILED/);
  });

  it('has the domain alerts and the records-lost alerts, each labelled and annotated', function () {
    const names = alerts.map((a) => a.alert);
    for (const wanted of ['DomainAuditDeniedSpike', 'DomainCacheInvalidationStorm', 'DomainCacheKeyInvalidationStorm', 'DomainAuditRecordsDropped', 'DomainTelemetryDropped',
      'AuditSinkRecordsRefused', 'AuditSinkUidConflicts', 'AuditSinkUnavailable', 'AuditSinkCheckpointStale', 'AuditSinkWorkerRestarts']) {
      assert.ok(names.includes(wanted), `alert ${wanted} is defined`);
    }
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
    for (const a of alerts) {
      assert.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert} has severity critical or warning`);
      assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert} has a summary and a description`);
    }
  });

  it('tests every alert both firing and quiet', function () {
    assert.deepEqual(tests.rule_files, ['alerts.yaml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `a test makes ${a.alert} fire`);
      assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `a test keeps ${a.alert} quiet`);
      for (const c of mine) {
        for (const e of c.exp_alerts ?? []) assert.equal(e.exp_labels?.severity, a.labels?.severity, `${a.alert} at ${c.eval_time}: expected severity`);
      }
    }
    const unknown = cases.map((c) => c.alertname).filter((n) => !alerts.some((a) => a.alert === n));
    assert.deepEqual(unknown, [], 'tests only name alerts that exist');
  });

  it('uses the metric names and values our packages emit', function () {
    const exprs = allRules.map((r) => r.expr).join('\n');
    const known = [METRIC_DOMAIN_AUDIT_DECISIONS, METRIC_DOMAIN_CACHE_INVALIDATIONS, METRIC_DOMAIN_CACHE_INVALIDATED_KEYS, METRIC_DOMAIN_TELEMETRY_DROPPED].map(promCounter);
    const used = new Set((exprs.match(/\bdomain_[a-z_]+_total\b/g) ?? []).filter((m) => !m.startsWith('domain_otel_audit_sink_')));
    assert.deepEqual([...used].filter((m) => !known.includes(m)), [], 'every domain_* metric in the rules is one of ours');
    for (const m of known) assert.ok(used.has(m), `${m} is used`);
    assert.ok(exprs.includes(`domain_audit_outcome="${AUDIT_OUTCOME_VALUES.DENIED}"`), 'denials are selected by the real outcome value');
    assert.ok(exprs.includes(`domain_telemetry_signal="${TELEMETRY_SIGNAL_VALUES.AUDIT}"`), 'audit drops are selected by the real signal value');
    // The audit sink's own metrics, as its Prometheus endpoint names them (its test scrapes them).
    const sinkNames = [promCounter(METRIC_SINK_RECORDS), promCounter(METRIC_SINK_WORKER_RESTARTS), METRIC_SINK_CHECKPOINT_AGE.replace(/\./g, '_'), `${METRIC_SINK_REQUEST_DURATION.replace(/\./g, '_')}_count`];
    for (const m of sinkNames) assert.ok(exprs.includes(m), `${m} is used`);
    const sinkUsed = new Set(exprs.match(/\bdomain_otel_audit_sink_[a-z_]+\b/g) ?? []);
    assert.deepEqual([...sinkUsed].filter((m) => !sinkNames.includes(m)), [], 'every sink metric in the rules is one the sink exposes');
    // The names of the collector's own metrics were read from a v0.159.0 collector's :8888 endpoint.
    assert.match(exprs, /otelcol_exporter_send_failed_log_records\{exporter=~"otlp_http\/audit\|load_balancing\/audit"\}/);
    assert.ok(readFileSync(path.join(CONFIG_DIR, 'otelcol.yaml'), 'utf8').includes('otlp_http/audit:'), 'the audit exporter is named otlp_http/audit');
    assert.ok(readFileSync(path.join(CONFIG_DIR, 'agent.yaml'), 'utf8').includes('load_balancing/audit:'), "an agent's audit exporter is named load_balancing/audit");
  });

  describe('the tests can fail', function () {
    let dir: string;
    beforeEach(function () { dir = tempDir('alerts'); });
    afterEach(function () { rmSync(dir, { recursive: true, force: true }); });

    it('a test file with a wrong expectation fails', async function () {
      copyFileSync(RULES, path.join(dir, 'alerts.yaml'));
      const text = readFileSync(TESTS, 'utf8');
      // The first firing expectation of the denied spike now wants another severity.
      const broken = text.replace(/(alertname: DomainAuditDeniedSpike\n\s+exp_alerts:\n\s+- exp_labels:\n\s+severity: )critical/, '$1info');
      assert.notEqual(broken, text, 'the mutation applied');
      writeFileSync(path.join(dir, 'alerts.test.yaml'), broken);
      const res = await run(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yaml')]);
      assert.notEqual(res.code, 0, `promtool accepted a broken test file:\n${res.stdout}`);
      assert.match(res.stdout + res.stderr, /FAILED[\s\S]*alertname: DomainAuditDeniedSpike/);
    });

    it('a rule without its absolute floor fails the quiet-service test', async function () {
      const text = readFileSync(RULES, 'utf8');
      const broken = text.replace('job:domain_audit_decisions_denied:rate5m > 0.2', 'job:domain_audit_decisions_denied:rate5m > 0');
      assert.notEqual(broken, text, 'the mutation applied');
      writeFileSync(path.join(dir, 'alerts.yaml'), broken);
      copyFileSync(TESTS, path.join(dir, 'alerts.test.yaml'));
      const res = await run(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yaml')]);
      assert.notEqual(res.code, 0, `promtool passed rules without the floor:\n${res.stdout}${res.stderr}`);
      assert.match(res.stdout + res.stderr, /name: quiet service with a small absolute rise of denials stays quiet/);
    });

    it('a rule that misses new counter series fails the first-drop test', async function () {
      const text = readFileSync(RULES, 'utf8');
      const broken = text.replace(/(unless domain_telemetry_dropped_total\{domain_telemetry_signal="audit"\}) offset 10m/, '$1');
      assert.notEqual(broken, text, 'the mutation applied');
      writeFileSync(path.join(dir, 'alerts.yaml'), broken);
      copyFileSync(TESTS, path.join(dir, 'alerts.test.yaml'));
      const res = await run(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yaml')]);
      assert.notEqual(res.code, 0);
      assert.match(res.stdout + res.stderr, /name: first audit drop \(a new counter series\)/);
    });
  });

  it('is installed by scripts/setup/prometheus.sh, which bootstrap runs', function () {
    const script = readFileSync(path.join(ROOT, 'scripts', 'setup', 'prometheus.sh'), 'utf8');
    assert.match(script, /apt-get install -y --no-install-recommends prometheus/);
    assert.match(script, /command -v promtool/);
  });
});
