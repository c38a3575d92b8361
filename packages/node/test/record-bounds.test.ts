import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceivedLog } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

const APP = path.join(FIXTURES, 'oversized-records.cjs');
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertIdentity(l: ReceivedLog): void {
  assert.equal(l.attributes['user.id'], '42');
  assert.equal(l.attributes['user.name'], 'Ada');
  assert.equal(l.attributes['domain.tenant.id'], 'acme');
  assert.equal(l.attributes['domain.correlation.id'], 'req-1');
  assert.match(String(l.attributes['log.record.uid']), UID);
}

describe('@domain-otel/node: oversized records arrive bounded, with their identity (--require, OTLP)', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  const run = async (extra: Record<string, string> = {}) => {
    const result = await runApp(['--require', '@domain-otel/node/register', APP], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', ...extra,
    }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const byManager = (m: string) => receiver.logs.find((l) => l.attributes['domain.manager.name'] === m);
    await receiver.waitFor(() => ['many-metadata', 'big-reason', 'big-change'].every((m) => byManager(m) !== undefined), 15000, 'the three records');
    return { result, byManager: (m: string) => byManager(m)! };
  };

  it('1,000 metadata keys: user, tenant, uid and event fields arrive; metadata is one map of 64 keys; the cut is counted', async () => {
    const { byManager } = await run();
    for (const l of [byManager('many-metadata'), byManager('big-change')]) {
      assertIdentity(l);
      assert.equal(Object.keys(l.attributes['domain.audit.metadata'] ?? l.attributes['domain.mutation.metadata'] as object).length, 64);
      assert.equal(l.attributes['domain.record.dropped_entries'], 1000 - 64);
    }
    const d = byManager('many-metadata');
    assert.equal(d.eventName, 'domain.audit.decision');
    assert.equal(d.attributes['domain.audit.action'], 'update');
    assert.equal(d.attributes['domain.audit.outcome'], 'denied');
    assert.equal(d.attributes['domain.entity.id'], 7);
  });
});
