// @domain-otel/node enables this adapter under the name `cache-manager` (and leaves it out when told).
import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { FIXTURES, runNode } from './helpers';

const EXPECTED = [
  { cache: 'orders', reason: 'manual', keyCount: 1, keys: ['o1'], user: '9' },
  { cache: 'orders', reason: 'manual', keyCount: 1, keys: ['o2'], user: '9' },
  { cache: 'orders', reason: 'clear', keyCount: 1, keys: ['o3'], user: '9' },
];

describe('@domain-otel/node: instrumentation name `cache-manager`', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  async function invalidationsWith(args: string[], env: Record<string, string>) {
    const result = await runNode(args, {
      OTEL_SERVICE_NAME: 'cache-fixture',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOG_LEVEL: 'warn',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const events = () => receiver.logs.filter((l) => l.eventName === 'domain.cache.invalidation');
    await receiver.waitFor(() => events().some((l) => l.attributes['domain.cache.name'] === 'fixture-marker'), 15000, 'the marker invalidation');
    return events()
      .filter((l) => l.attributes['domain.cache.name'] !== 'fixture-marker')
      .map((l) => ({
        cache: l.attributes['domain.cache.name'],
        reason: l.attributes['domain.cache.reason'],
        keyCount: l.attributes['domain.cache.key_count'],
        keys: l.attributes['domain.cache.keys'],
        user: l.attributes['user.id'],
      }));
  }

  const REQUIRE = ['--require', '@domain-otel/node/register', path.join(FIXTURES, 'app.cjs')];

  it('enabled by name (--require): del, mdel and clear arrive as domain.cache.invalidation events', async () => {
    assert.deepEqual(await invalidationsWith(REQUIRE, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,cache-manager' }), EXPECTED);
  });

  it('enabled (--import, ESM app): the imported createCache binding is instrumented', async () => {
    const args = ['--import', '@domain-otel/node/import', path.join(FIXTURES, 'app.mjs')];
    assert.deepEqual(await invalidationsWith(args, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain,cache-manager' }), EXPECTED);
  });

  it('left out of OTEL_NODE_ENABLED_INSTRUMENTATIONS: no invalidations from cache-manager', async () => {
    assert.deepEqual(await invalidationsWith(REQUIRE, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'domain' }), []);
  });

  it('named in OTEL_NODE_DISABLED_INSTRUMENTATIONS: no invalidations from cache-manager', async () => {
    assert.deepEqual(await invalidationsWith(REQUIRE, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'cache-manager' }), []);
  });
});
