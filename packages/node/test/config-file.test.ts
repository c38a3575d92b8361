// Configuration files (OTEL_CONFIG_FILE, DOMAIN_OTEL_CONFIG_FILE) under both preloads: the SDK
// part replaces the OTEL_* variables, the domain_otel section sets instrumentation options, a
// bad key costs that key only (one warning naming it), and a bad file never stops the app.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

const PRELOADS = {
  require: ['--require', '@domain-otel/node/register', path.join(FIXTURES, 'config-file-app.cjs')],
  import: ['--import', '@domain-otel/node/import', path.join(FIXTURES, 'config-file-app.mjs')],
};

/** The SDK part of a file sending everything to the receiver named by ${RECEIVER}. */
const SDK_PART = `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: config-file-app
tracer_provider:
  processors:
    - batch:
        schedule_delay: 200
        exporter:
          otlp_http:
            endpoint: \${RECEIVER}/v1/traces
meter_provider:
  readers:
    - periodic:
        interval: 500
        exporter: { otlp_http: { endpoint: "\${RECEIVER}/v1/metrics" } }
logger_provider:
  processors:
    - batch:
        schedule_delay: 200
        exporter:
          otlp_http:
            endpoint: \${RECEIVER}/v1/logs
`;

const DOMAIN_PART = `domain_otel:
  audit_level: full
  instrumentations:
    casl:
      bypass: none
      grantedReadSampleRatio: 0
      managerName: { Invoice: invoices }
    lru-cache: { onlyNamed: true }
    json-rules-engine: { engineName: pricing }
`;

describe('configuration file', function () {
  this.timeout(90000);
  let receiver: OtlpReceiver;
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'domain-otel-config-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  function file(name: string, text: string): string {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  /** Runs the fixture; returns what arrived once the marker did, and the warning lines. */
  async function run(args: string[], env: Record<string, string>) {
    const result = await runApp(args, childEnv({ RECEIVER: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', ...env }), 30000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    await receiver.waitFor(() => receiver.logs.some((l) => l.attributes['domain.manager.name'] === 'fixture-marker'), 15000, 'the marker decision');
    const decisions = receiver.logs
      .filter((l) => l.eventName === 'domain.audit.decision' && l.attributes['domain.manager.name'] !== 'fixture-marker')
      .map((l) => ({ action: l.attributes['domain.audit.action'], outcome: l.attributes['domain.audit.outcome'], manager: l.attributes['domain.manager.name'], entity: l.attributes['domain.entity.id'] }))
      .sort((a, b) => Number(a.entity) - Number(b.entity));
    const rules = receiver.logs.filter((l) => l.eventName === 'domain.rule.evaluation').map((l) => l.attributes['domain.rule.set']);
    const invalidations = receiver.logs.filter((l) => l.eventName === 'domain.cache.invalidation').length;
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('domain-otel:'));
    const service = receiver.logs[0]?.resource['service.name'];
    return { decisions, rules, invalidations, warnings, service, stderr: result.stderr };
  }

  it('without a file (the defaults): a `manage all` check is a bypass, granted reads are recorded, unnamed caches reported', async () => {
    const r = await run(PRELOADS.require, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: 'env-named' });
    const rule = receiver.logs.find((l) => l.eventName === 'domain.rule.evaluation');
    assert.equal(rule?.attributes['domain.rule.input'], undefined, 'audit level changes: no rule inputs');
    assert.deepEqual(r.decisions, [
      { action: 'delete', outcome: 'bypassed', manager: 'Invoice', entity: 10 },
      { action: 'read', outcome: 'granted', manager: 'Invoice', entity: 11 },
      { action: 'delete', outcome: 'denied', manager: 'Invoice', entity: 12 },
    ]);
    assert.equal(r.invalidations, 1);
    assert.deepEqual(r.rules, ['json-rules-engine']);
    assert.equal(r.service, 'env-named');
  });

  for (const [preload, args] of Object.entries(PRELOADS)) {
    it(`OTEL_CONFIG_FILE under --${preload}: SDK settings from the file (OTEL_* variables not read), domain_otel options applied`, async () => {
      const config = file(`full-${preload}.yaml`, SDK_PART + DOMAIN_PART);
      const r = await run(args, {
        OTEL_CONFIG_FILE: config,
        // Not read when a file is named: they would send nowhere and rename the service.
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SERVICE_NAME: 'env-named',
      });
      assert.deepEqual(r.warnings, [], r.stderr);
      assert.equal(r.service, 'config-file-app');
      assert.deepEqual(r.decisions, [
        { action: 'delete', outcome: 'granted', manager: 'invoices', entity: 10 },
        { action: 'delete', outcome: 'denied', manager: 'invoices', entity: 12 },
      ]);
      assert.equal(r.invalidations, 0, 'onlyNamed: the unnamed cache is not reported');
      assert.deepEqual(r.rules, ['pricing']);
      const rule = receiver.logs.find((l) => l.eventName === 'domain.rule.evaluation');
      assert.deepEqual(rule?.attributes['domain.rule.input'], { n: 2 }, 'audit_level full (from the file) records rule inputs');
    });

    it(`DOMAIN_OTEL_CONFIG_FILE under --${preload}: the OTEL_* variables still apply, domain_otel options from the file`, async () => {
      const config = file(`domain-${preload}.yaml`, DOMAIN_PART);
      const r = await run(args, { DOMAIN_OTEL_CONFIG_FILE: config, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: 'env-named' });
      assert.deepEqual(r.warnings, [], r.stderr);
      assert.equal(r.service, 'env-named');
      assert.deepEqual(r.decisions.map((d) => d.manager), ['invoices', 'invoices']);
      assert.equal(r.invalidations, 0);
    });
  }

  it('bad keys and values: one warning line each naming the key, the value and what was expected; the rest applies', async () => {
    const config = file('bad.yaml', `${SDK_PART.replace('schedule_delay: 200\n        exporter:\n          otlp_http:\n            endpoint: ${RECEIVER}/v1/traces',
      'schedule_delay: -5\n        bogus: 1\n        exporter:\n          otlp_http:\n            endpoint: ${RECEIVER}/v1/traces')}
propagator:
  composite: [ { tracecontext: }, { nope: } ]
domain_otel:
  audit_level: everything
  max_value_bytes: 12
  instrumentations:
    casl:
      grantedReadSampleRatio: 2
      bypas: none
      managerName: { Invoice: invoices }
    lru-cache: { onlyNamed: yes please, reasons: [evict, gone] }
    nosuch: {}
`);
    for (const [preload, args] of Object.entries(PRELOADS)) {
      receiver.logs.length = 0;
      const r = await run(args, { OTEL_CONFIG_FILE: config });
      const expected: [string, RegExp][] = [
        ['schema', /does not pass the OpenTelemetry configuration schema \(.+\); applying its settings key by key/],
        ['bogus', /ignoring unknown key tracer_provider\.processors\[0\]\.batch\.bogus: expected one of schedule_delay, /],
        ['schedule_delay', /ignoring tracer_provider\.processors\[0\]\.batch\.schedule_delay in .*bad\.yaml: "-5" \(for OTEL_BSP_SCHEDULE_DELAY\): expected a positive integer; using the default \(5000\)/],
        ['propagator', /ignoring propagator\.composite in .*: "tracecontext,nope" \(for OTEL_PROPAGATORS\): expected .*unknown: nope/],
        ['audit_level', /ignoring domain_otel\.audit_level in .*: "everything" \(for DOMAIN_OTEL_AUDIT_LEVEL\): expected one of changes, none, metadata, full/],
        ['max_value_bytes', /ignoring domain_otel\.max_value_bytes in .*: "12" .*expected a whole number from 256 to 1048576/],
        ['ratio', /ignoring domain_otel\.instrumentations\.casl\.grantedReadSampleRatio=2: expected a number from 0 to 1/],
        ['bypas', /ignoring unknown key domain_otel\.instrumentations\.casl\.bypas: expected one of enabled, grantedReadSampleRatio, bypass/],
        ['onlyNamed', /ignoring domain_otel\.instrumentations\.lru-cache\.onlyNamed="yes please": expected true or false/],
        ['reasons', /ignoring domain_otel\.instrumentations\.lru-cache\.reasons=\["evict","gone"\]: expected a list of manual, clear, evict, ttl/],
        ['nosuch', /ignoring unknown key domain_otel\.instrumentations\.nosuch: expected one of http, /],
      ];
      for (const [what, pattern] of expected) {
        assert.equal(r.warnings.filter((w) => pattern.test(w)).length, 1, `--${preload}: one warning for ${what}:\n${r.warnings.join('\n')}`);
      }
      assert.equal(r.warnings.length, expected.length, `--${preload}: no other warnings:\n${r.warnings.join('\n')}`);
      // The rest applied: the file's endpoint and service name, CASL's manager names; the bad ratio left the default (all reads).
      assert.equal(r.service, 'config-file-app');
      assert.deepEqual(r.decisions, [
        { action: 'delete', outcome: 'bypassed', manager: 'invoices', entity: 10 },
        { action: 'read', outcome: 'granted', manager: 'invoices', entity: 11 },
        { action: 'delete', outcome: 'denied', manager: 'invoices', entity: 12 },
      ]);
    }
  });

  it('a file that is missing or not YAML: one warning, the environment is used, the app runs', async () => {
    const notYaml = file('broken.yaml', 'tracer_provider: [unclosed\n  : : :\n');
    for (const [preload, args] of Object.entries(PRELOADS)) {
      for (const [variable, target, why] of [
        ['OTEL_CONFIG_FILE', path.join(dir, 'missing.yaml'), /cannot be read \(ENOENT\); it is not used/],
        ['DOMAIN_OTEL_CONFIG_FILE', notYaml, /is not valid YAML \(.+\); it is not used/],
      ] as const) {
        receiver.logs.length = 0;
        const r = await run(args, { [variable]: target, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl });
        assert.equal(r.warnings.length, 1, `--${preload} ${variable}: ${r.warnings.join('\n')}`);
        assert.match(r.warnings[0]!, why);
        assert.equal(r.decisions.length, 3, 'defaults in force');
      }
    }
  });

  it('the YAML parser and the schema validator are loaded only when a file is named', async () => {
    const probe = 'const k = Object.keys(require.cache); console.log(JSON.stringify({ yaml: k.some((f) => f.includes("/node_modules/yaml/")), schema: k.some((f) => f.includes("@opentelemetry/configuration")) })); console.log("DONE")';
    const base = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
    const without = await runApp(['--require', '@domain-otel/node/register', '-e', probe], childEnv(base));
    assert.equal(JSON.parse(without.stdout.split('\n')[0]!).yaml, false, without.stderr);
    assert.equal(JSON.parse(without.stdout.split('\n')[0]!).schema, false);
    const config = file('probe.yaml', 'file_format: "1.0"\n');
    const withFile = await runApp(['--require', '@domain-otel/node/register', '-e', probe], childEnv({ ...base, OTEL_CONFIG_FILE: config }));
    assert.deepEqual(JSON.parse(withFile.stdout.split('\n')[0]!), { yaml: true, schema: true }, withFile.stderr);
  });
});
