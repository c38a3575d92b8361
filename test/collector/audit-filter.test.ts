// The collector's audit route selects the same events as the distribution and the audit sink:
// `filter/audit` of collector-config/otelcol.yaml, alone and with each overlay merged over it
// (as the collector we build prints the effective configuration), drops every record whose
// event name is not one of AUDIT_EVENT_NAMES of @domain-otel/semantic-conventions.
import assert from 'node:assert/strict';
import path from 'node:path';
import { AUDIT_EVENT_NAMES } from '@domain-otel/semantic-conventions';
import { BUILD_TIMEOUT_MS, CONFIG_DIR, OTELCOL_CONFIG, buildBinary, cleanEnv, run } from './helpers';

interface PrintedConfig {
  /** print-config writes each condition as `{ conditions: [...] }`; the YAML has plain strings. */
  processors: Record<string, { log_conditions?: (string | { conditions: string[] })[] } | null>;
  service: { pipelines: Record<string, { processors?: string[] }> };
}

/** The only filter that keeps exactly the audit events: drop what is none of them. */
const EXPECTED_CONDITION = `not (${AUDIT_EVENT_NAMES.map((n) => `log.event_name == "${n}"`).join(' or ')})`;

const CONFIGS: { name: string; overlay?: string; env: Record<string, string> }[] = [
  { name: 'otelcol.yaml', env: {} },
  {
    name: 'otelcol.yaml + agent.yaml',
    overlay: path.join(CONFIG_DIR, 'agent.yaml'),
    env: { DOMAIN_OTEL_GATEWAY_TRACES_ENDPOINTS: '[gw1.internal:4317]', DOMAIN_OTEL_GATEWAY_AUDIT_ENDPOINTS: '[gw1.internal:4319]' },
  },
  { name: 'otelcol.yaml + gateway.yaml', overlay: path.join(CONFIG_DIR, 'gateway.yaml'), env: {} },
];

describe('collector audit route: filter/audit names the audit events of @domain-otel/semantic-conventions', function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let otelcol: string;

  before(async function () {
    otelcol = await buildBinary('build-collector.sh');
  });

  for (const c of CONFIGS) {
    it(`${c.name}: the logs/audit pipeline filters by exactly ${AUDIT_EVENT_NAMES.join(' and ')}`, async () => {
      const configArgs = ['--config', OTELCOL_CONFIG, ...(c.overlay ? ['--config', c.overlay] : [])];
      const res = await run(otelcol, ['print-config', '--format', 'json', '--mode', 'unredacted', ...configArgs], { env: cleanEnv(c.env), timeoutMs: 30_000 });
      assert.equal(res.code, 0, res.stderr);
      const cfg = JSON.parse(res.stdout) as PrintedConfig;
      const filters = (cfg.service.pipelines['logs/audit']?.processors ?? []).filter((p) => p.split('/')[0] === 'filter');
      assert.deepEqual(filters, ['filter/audit'], 'the audit pipeline has one filter');
      const conditions = (cfg.processors['filter/audit']?.log_conditions ?? []).flatMap((c) => (typeof c === 'string' ? [c] : c.conditions));
      assert.deepEqual(conditions, [EXPECTED_CONDITION]);
    });
  }
});
