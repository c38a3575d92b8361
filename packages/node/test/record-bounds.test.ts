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

  const MARKER = /…\[truncated (\d+) bytes\]$/;
  const bytes = (v: unknown) => Buffer.byteLength(String(v), 'utf8');
  const assertCapped = (v: unknown, cap: number) => {
    assert.ok(bytes(v) <= cap, `${bytes(v)} bytes > ${cap}`);
    const m = MARKER.exec(String(v));
    assert.ok(m, 'truncation marker');
    assert.equal(bytes(String(v).slice(0, m.index)) + Number(m[1]), 200 * 1024, 'N = bytes cut');
  };

  it('a 200 KB reason and a 200 KB change value arrive capped at 8 KiB with a marker, the cut counted', async () => {
    const { result, byManager } = await run();
    assert.doesNotMatch(result.stderr, /DOMAIN_OTEL_MAX_VALUE_BYTES/);
    const d = byManager('big-reason');
    assertIdentity(d);
    assertCapped(d.attributes['domain.audit.reason'], 8192);
    assert.ok(bytes(d.body) <= 8192);
    assert.equal(d.attributes['domain.record.truncated_values'], 2);
    const m = byManager('big-change');
    assertCapped((m.attributes['domain.mutation.changes'] as Record<string, { new: string }>).note.new, 8192);
  });

  it('DOMAIN_OTEL_MAX_VALUE_BYTES sets the cap', async () => {
    const { byManager } = await run({ DOMAIN_OTEL_MAX_VALUE_BYTES: '1024' });
    assertCapped(byManager('big-reason').attributes['domain.audit.reason'], 1024);
  });

  it('a bad DOMAIN_OTEL_MAX_VALUE_BYTES: one warning naming it, the default cap applies', async () => {
    const { result, byManager } = await run({ DOMAIN_OTEL_MAX_VALUE_BYTES: '100' });
    const warnings = result.stderr.split('\n').filter((l) => l.includes('DOMAIN_OTEL_MAX_VALUE_BYTES'));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0], /ignoring DOMAIN_OTEL_MAX_VALUE_BYTES="100": expected a whole number from 256 to 1048576; using the default \(8192\)/);
    const reason = byManager('big-reason').attributes['domain.audit.reason'];
    assertCapped(reason, 8192);
    assert.ok(bytes(reason) > 8000);
  });
});
