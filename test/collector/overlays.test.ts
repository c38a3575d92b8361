// The scaled-out topology's configuration files (docs/scaling.md): agent.yaml and gateway.yaml
// merged over otelcol.yaml, checked by the collector we build; haproxy.cfg checked by HAProxy;
// and their variables documented in docs/collector.md. test/faults/16-topology.faults.ts runs them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_MAX_BODY_BYTES } from '../../packages/audit-sink/src';
import { BUILD_TIMEOUT_MS, CONFIG_DIR, OTELCOL_CONFIG, ROOT, buildBinary, cleanEnv, run } from './helpers';

const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

const AGENT = path.join(CONFIG_DIR, 'agent.yaml');
const GATEWAY = path.join(CONFIG_DIR, 'gateway.yaml');
const HAPROXY_CFG = path.join(CONFIG_DIR, 'haproxy.cfg');
const GATEWAYS = {
  DOMAIN_OTEL_GATEWAY_TRACES_ENDPOINTS: '[gw1.internal:4317, gw2.internal:4317]',
  DOMAIN_OTEL_GATEWAY_AUDIT_ENDPOINTS: '[gw1.internal:4319, gw2.internal:4319]',
};

function variables(file: string): Set<string> {
  const code = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  return new Set([...code.matchAll(/\$\{(?:env:)?([A-Z0-9_]+)/g)].map((m) => m[1]!));
}

describe('collector overlays for the scaled-out topology', function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let otelcol: string;

  before(async function () {
    otelcol = await buildBinary('build-collector.sh');
  });

  const validate = (overlay: string, env: Record<string, string>) =>
    run(otelcol, ['validate', '--config', OTELCOL_CONFIG, '--config', overlay], { env: cleanEnv(env), timeoutMs: 30_000 });
  const printConfig = async (overlay: string, env: Record<string, string>) => {
    const res = await run(otelcol, ['print-config', '--format', 'json', '--mode', 'unredacted', '--config', OTELCOL_CONFIG, '--config', overlay], { env: cleanEnv(env), timeoutMs: 30_000 });
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as {
      service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }>; extensions: string[] };
      exporters: Record<string, Record<string, unknown>>;
    };
  };

  it('agent.yaml validates with the gateway lists set, and refuses to start without them', async function () {
    const ok = await validate(AGENT, GATEWAYS);
    assert.equal(ok.code, 0, ok.stderr);
    const missing = await validate(AGENT, {});
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no endpoints specified for the static resolver/);
  });

  it('agent.yaml: spans by trace id, audit records from the fsync\'ed disk queue, retried for ever, no second queue per gateway', async function () {
    const cfg = await printConfig(AGENT, GATEWAYS);
    assert.deepEqual(cfg.service.pipelines.traces!.exporters, ['load_balancing/traces']);
    assert.deepEqual(cfg.service.pipelines['logs/audit']!.exporters, ['load_balancing/audit']);
    const audit = cfg.exporters['load_balancing/audit']!;
    assert.equal(audit.routing_key, 'traceID');
    const queue = audit.sending_queue as Record<string, unknown>;
    assert.equal(queue.storage, 'file_storage');
    assert.match(String((audit.retry_on_failure as Record<string, unknown>).max_elapsed_time), /^0s?$/, 'retries never stop');
    const perGateway = (audit.protocol as { otlp: Record<string, Record<string, unknown> | null> }).otlp;
    assert.equal(perGateway.retry_on_failure!.enabled, false);
    assert.ok(perGateway.sending_queue === null || perGateway.sending_queue!.enabled === false, JSON.stringify(perGateway.sending_queue));
    assert.deepEqual((audit.resolver as { static: { hostnames: string[] } }).static.hostnames, ['gw1.internal:4319', 'gw2.internal:4319']);
    assert.equal(cfg.exporters['load_balancing/traces']!.routing_key, 'traceID');
  });

  it('agent.yaml: audit batches are bounded in bytes, below the gateway\'s gRPC message limit and the sink\'s body limit (a gateway passes them on whole)', async function () {
    // The gateway has no queue of its own: the agent's batch reaches the sink as one request. In
    // records (4,096 of 4-8 KB) it was up to 32 MB: above the gateway receiver's 4 MiB message
    // limit and the sink's 16 MiB body limit, and those refusals are permanent.
    const batch = ((yaml.load(readFileSync(AGENT, 'utf8')) as { exporters: Record<string, { sending_queue: { batch: Record<string, unknown> } }> })
      .exporters['load_balancing/audit']!.sending_queue.batch);
    assert.equal(batch.sizer, 'bytes');
    const printed = (await printConfig(AGENT, GATEWAYS)).exporters['load_balancing/audit']!.sending_queue as { batch: { max_size: number; min_size: number } };
    assert.ok(printed.batch.max_size > 0 && printed.batch.max_size <= 2 * 1024 * 1024, `max_size ${printed.batch.max_size} bytes`);
    assert.ok(printed.batch.max_size < DEFAULT_MAX_BODY_BYTES / 4);
    assert.ok(printed.batch.min_size > 0 && printed.batch.min_size <= printed.batch.max_size);
  });

  it('gateway.yaml validates; audit records come only from otlp/audit and go to the sinks without a queue or retries', async function () {
    const ok = await validate(GATEWAY, {});
    assert.equal(ok.code, 0, ok.stderr);
    const cfg = await printConfig(GATEWAY, {});
    assert.deepEqual(cfg.service.pipelines['logs/audit']!.receivers, ['otlp/audit']);
    assert.deepEqual(cfg.service.pipelines['logs/audit']!.exporters, ['otlp_http/audit']);
    assert.ok(!cfg.service.pipelines.logs!.receivers.includes('otlp/audit'));
    const audit = cfg.exporters['otlp_http/audit']!;
    assert.equal((audit.retry_on_failure as Record<string, unknown>).enabled, false);
    assert.ok(audit.sending_queue === null || (audit.sending_queue as Record<string, unknown>).enabled === false, JSON.stringify(audit.sending_queue));
    assert.deepEqual(cfg.service.extensions, ['health_check']);
  });

  it('haproxy.cfg passes `haproxy -c` with its addresses set, and fails without them', function () {
    execFileSync('bash', [path.join(ROOT, 'scripts/setup/haproxy.sh')], { stdio: 'ignore' });
    const env = {
      PATH: process.env.PATH, DOMAIN_OTEL_AUDIT_LB_BIND: '127.0.0.1:14320', DOMAIN_OTEL_AUDIT_LB_STATS_BIND: '127.0.0.1:18404',
      DOMAIN_OTEL_AUDIT_SINK_1: '127.0.0.1:24320', DOMAIN_OTEL_AUDIT_SINK_2: '127.0.0.1:24321', DOMAIN_OTEL_AUDIT_SINK_3: '127.0.0.1:24322',
    };
    assert.match(execFileSync('haproxy', ['-c', '-f', HAPROXY_CFG], { env, encoding: 'utf8' }), /Configuration file is valid/);
    assert.throws(() => execFileSync('haproxy', ['-c', '-f', HAPROXY_CFG], { env: { PATH: process.env.PATH }, stdio: 'pipe' }));
  });

  it('every variable of the overlays and of haproxy.cfg is in docs/collector.md, and every one listed there exists', function () {
    const doc = readFileSync(path.join(ROOT, 'docs', 'collector.md'), 'utf8');
    const section = /<!-- overlay-variables:start -->([\s\S]*?)<!-- overlay-variables:end -->/.exec(doc);
    assert.ok(section, 'docs/collector.md has the overlay variables table');
    const documented = new Set([...section[1]!.matchAll(/^\| `[^`]+` \| `(DOMAIN_OTEL_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
    const base = variables(OTELCOL_CONFIG);
    const used = new Set([...variables(AGENT), ...variables(GATEWAY), ...variables(HAPROXY_CFG)].filter((v) => !base.has(v)));
    for (const v of used) assert.ok(documented.has(v), `${v} is used by an overlay but not documented`);
    for (const v of documented) assert.ok(used.has(v), `${v} is documented but no overlay uses it`);
  });
});
