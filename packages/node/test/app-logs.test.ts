import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

describe('app logs join in (pino, winston)', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  before(async () => { receiver = await new OtlpReceiver().start(); });
  after(async () => { await receiver.stop(); });

  it('log lines carry trace id, span id, user.id and tenant; pino and winston records are also sent as OTLP logs', async () => {
    const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'logs.cjs')], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn',
    }));
    assert.equal(result.code, 0, result.stderr);
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'update orders'), 10000);
    const span = receiver.spans.find((s) => s.name === 'update orders')!;
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const lib of ['pino', 'winston']) {
      const line = lines.find((l) => String(l.msg ?? l.message).includes(`(${lib})`));
      assert.ok(line, `${lib} line in ${result.stdout}`);
      assert.equal(line.trace_id, span.traceId, `${lib}: trace id`);
      assert.equal(line.span_id, span.spanId, `${lib}: span id of the mutation`);
      assert.equal(line['user.id'], '42', `${lib}: user.id`);
      assert.equal(line['domain.tenant.id'], 'acme', `${lib}: tenant`);
    }
    // both are also sent as OTLP logs, inside the mutation's span (winston's sender,
    // @opentelemetry/winston-transport, is on the pre-3.x logs API: bridged to ours)
    for (const lib of ['pino', 'winston']) {
      await receiver.waitFor(() => receiver.logs.some((l) => String(l.body).includes(`(${lib})`)), 10000).catch(() => {});
      const sent = receiver.logs.filter((l) => String(l.body).includes(`(${lib})`));
      assert.equal(sent.length, 1, `${lib} record sent over OTLP exactly once`);
      assert.equal(sent[0]!.spanId, span.spanId, `${lib}: OTLP record in the mutation span`);
      assert.equal(sent[0]!.traceId, span.traceId, `${lib}: OTLP record in the trace`);
    }
  });
});
