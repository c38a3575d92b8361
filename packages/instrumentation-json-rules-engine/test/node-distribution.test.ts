// @domain-otel/node enables this adapter under the name `json-rules-engine` (and leaves it out when told).
import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { FIXTURES, runNode } from './helpers';

const APP = path.join(FIXTURES, 'app.cjs');

describe('@domain-otel/node: instrumentation name `json-rules-engine`', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  async function runWith(env: Record<string, string>, args = ['--require', '@domain-otel/node/register', APP]) {
    const result = await runNode(args, {
      OTEL_SERVICE_NAME: 'rules-fixture',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOG_LEVEL: 'warn',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const evaluations = () => receiver.logs.filter((l) => l.eventName === 'domain.rule.evaluation');
    await receiver.waitFor(() => evaluations().some((l) => l.attributes['domain.rule.name'] === 'fixture-marker'), 15000, 'the marker evaluation');
    return {
      spans: receiver.spans.filter((s) => s.name.startsWith('rule ')),
      evaluations: evaluations().filter((l) => l.attributes['domain.rule.name'] !== 'fixture-marker'),
    };
  }

  function assertRun({ spans, evaluations }: Awaited<ReturnType<typeof runWith>>): void {
    assert.deepEqual(spans.map((s) => [s.name, s.attributes['domain.rule.outcome'], s.attributes['user.id']]), [['rule pricing', 'failed', '5']]);
    const got = evaluations
      .map((l) => ({
        name: l.attributes['domain.rule.name'],
        set: l.attributes['domain.rule.set'],
        outcome: l.attributes['domain.rule.outcome'],
        conditions: l.attributes['domain.rule.conditions'],
        user: l.attributes['user.id'],
        inRunSpan: l.spanId === spans[0]!.spanId && l.traceId === spans[0]!.traceId,
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    assert.deepEqual(got, [
      { name: 'big-order', set: 'pricing', outcome: 'passed', user: '5', inRunSpan: true, conditions: { all: [{ fact: 'total', operator: 'greaterThan', value: 100, factResult: 150, result: true }] } },
      { name: 'domestic', set: 'pricing', outcome: 'failed', user: '5', inRunSpan: true, conditions: { all: [{ fact: 'country', operator: 'equal', value: 'DE', factResult: 'FR', result: false }] } },
    ]);
  }

  it('enabled by name (--require): one `rule pricing` span, one evaluation event per rule inside it', async () => {
    assertRun(await runWith({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,json-rules-engine' }));
  });

  it('enabled (--import, ESM app): the same span and evaluations', async () => {
    const args = ['--import', '@domain-otel/node/import', path.join(FIXTURES, 'app.mjs')];
    assertRun(await runWith({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,json-rules-engine' }, args));
  });

  it('left out of OTEL_NODE_ENABLED_INSTRUMENTATIONS: no rule span, no evaluations', async () => {
    const { spans, evaluations } = await runWith({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain' });
    assert.deepEqual(spans, []);
    assert.deepEqual(evaluations, []);
  });

  it('named in OTEL_NODE_DISABLED_INSTRUMENTATIONS: no rule span, no evaluations', async () => {
    const { spans, evaluations } = await runWith({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'json-rules-engine' });
    assert.deepEqual(spans, []);
    assert.deepEqual(evaluations, []);
  });
});
