// @domain-otel/node enables this adapter under the name `casl` (and leaves it out when told).
import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { FIXTURES, runNode } from './helpers';

const APP = path.join(FIXTURES, 'app.cjs');

describe('@domain-otel/node: instrumentation name `casl`', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  async function decisionsWith(env: Record<string, string>, args = ['--require', '@domain-otel/node/register', APP]) {
    const result = await runNode(args, {
      OTEL_SERVICE_NAME: 'casl-fixture',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOG_LEVEL: 'warn',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const decisions = () => receiver.logs.filter((l) => l.eventName === 'domain.audit.decision');
    await receiver.waitFor(() => decisions().some((l) => l.attributes['domain.manager.name'] === 'fixture-marker'), 15000, 'the marker decision');
    return decisions()
      .filter((l) => l.attributes['domain.manager.name'] !== 'fixture-marker')
      .map((l) => ({
        action: l.attributes['domain.audit.action'],
        outcome: l.attributes['domain.audit.outcome'],
        manager: l.attributes['domain.manager.name'],
        entity: l.attributes['domain.entity.id'],
        permissions: l.attributes['domain.audit.permissions'],
        check: (l.attributes['domain.audit.metadata'] as Record<string, unknown> | undefined)?.['casl.check'],
        user: l.attributes['user.id'],
        severity: l.severityText,
      }));
  }

  const EXPECTED = [
    { action: 'read', outcome: 'granted', manager: 'Invoice', entity: 10, permissions: ['can read Invoice {"ownerId":1}'], check: 'can', user: '1', severity: 'INFO' },
    { action: 'delete', outcome: 'denied', manager: 'Invoice', entity: 10, permissions: undefined, check: 'can', user: '1', severity: 'WARN' },
  ];

  it('enabled by name (--require): each check arrives as a domain.audit.decision event', async () => {
    assert.deepEqual(await decisionsWith({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,casl' }), EXPECTED);
  });

  it('enabled (--import, ESM app on CASL\'s ESM build): the same decisions', async () => {
    const args = ['--import', '@domain-otel/node/import', path.join(FIXTURES, 'app.mjs')];
    assert.deepEqual(await decisionsWith({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,casl' }, args), EXPECTED);
  });

  it('left out of OTEL_NODE_ENABLED_INSTRUMENTATIONS: no decisions from CASL', async () => {
    assert.deepEqual(await decisionsWith({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain' }), []);
  });

  it('named in OTEL_NODE_DISABLED_INSTRUMENTATIONS: no decisions from CASL', async () => {
    assert.deepEqual(await decisionsWith({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'casl' }), []);
  });
});
