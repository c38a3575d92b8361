import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceiverMode } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

interface StrictResult { resolvedAt: number; ms: number; fulfilled: number; values: number[]; rejected: string[]; decision: string }

async function runStrict(receiver: OtlpReceiver, mode: ReceiverMode, n: number): Promise<StrictResult> {
  receiver.mode = mode;
  const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'strict.cjs')], childEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'none',
    DOMAIN_OTEL_AUDIT_DELIVERY: 'strict', DOMAIN_OTEL_AUDIT_STRICT_TIMEOUT: '1000', DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '1000',
    OTEL_EXPORTER_OTLP_TIMEOUT: '3000', OTEL_BLRP_SCHEDULE_DELAY: '5000', OTEL_METRIC_EXPORT_INTERVAL: '60000', FIXTURE_N: String(n),
  }));
  assert.equal(result.code, 0, result.stderr);
  const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, result.stdout + result.stderr);
  return JSON.parse(line.slice(7)) as StrictResult;
}

describe('DOMAIN_OTEL_AUDIT_DELIVERY=strict', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  it('64 concurrent awaited mutations resolve only after the collector stored their records, sharing few exports', async () => {
    const r = await runStrict(receiver, 'ok', 64);
    assert.equal(r.fulfilled, 64);
    assert.deepEqual(r.values, [0, 1, 2], 'results unchanged');
    assert.equal(r.decision, 'ok');
    const mutations = receiver.logs.filter((l) => l.eventName === 'domain.manager.mutation');
    assert.equal(mutations.length, 64);
    assert.ok(mutations.every((l) => l.receivedAt <= r.resolvedAt), 'every record arrived before the operations resolved');
    const auditExports = receiver.requests.filter((q) => q.signal === 'logs').length;
    assert.ok(auditExports <= 4, `group commit: ${auditExports} log exports for 65 records`);
    assert.ok(r.ms < 900, `well before the 5 s batch delay (${r.ms} ms)`);
  });

  for (const mode of ['unavailable', 'hang'] as const) {
    it(`a collector that ${mode === 'hang' ? 'never answers' : 'answers 503'}: awaited operations reject with AuditDeliveryError after the timeout`, async () => {
      const r = await runStrict(receiver, mode, 3);
      assert.equal(r.fulfilled, 0);
      assert.deepEqual(r.rejected, ['AuditDeliveryError', 'AuditDeliveryError', 'AuditDeliveryError']);
      assert.equal(r.decision, 'AuditDeliveryError');
      assert.ok(r.ms >= 900 && r.ms < 5000, `rejected after the 1 s strict timeout (${r.ms} ms)`);
    });
  }
});

describe('records that cannot be delivered are counted, never silent', function () {
  this.timeout(60000);
  it('audit queue overflow with the spool off: domain.telemetry.dropped{signal=audit, reason=queue_full} and one diag line', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'strict.cjs')], childEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', FIXTURE_N: '10',
        DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '4', DOMAIN_OTEL_AUDIT_SPOOL: 'off', OTEL_BLRP_SCHEDULE_DELAY: '60000', OTEL_BLRP_MAX_QUEUE_SIZE: '4', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '4',
      }));
      assert.equal(result.code, 0, result.stderr);
      await receiver.waitFor(() => receiver.metricPoints('domain.telemetry.dropped').length > 0, 10000, 'dropped metric');
      const audit = receiver.logs.filter((l) => l.eventName === 'domain.manager.mutation' || l.eventName === 'domain.audit.decision');
      assert.equal(audit.length, 4, 'the queue held 4 records, all delivered at exit');
      const dropped = receiver.metricPoints('domain.telemetry.dropped');
      const last = dropped.filter((p) => p.attributes['domain.telemetry.drop_reason'] === 'queue_full').at(-1);
      assert.ok(last, JSON.stringify(dropped));
      assert.equal(last.attributes['domain.telemetry.signal'], 'audit');
      assert.equal(last.value, 7, '11 records, 4 kept, 7 counted');
      assert.equal(result.stderr.split('\n').filter((l) => l.includes('dropped (queue_full)')).length, 1, result.stderr);
    } finally {
      await receiver.stop();
    }
  });
});

