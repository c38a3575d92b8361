import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

describe('app logs join in (pino, winston)', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  before(async () => { receiver = await new OtlpReceiver().start(); });
  after(async () => { await receiver.stop(); });

  it('log lines carry trace id, span id, user.id and tenant; pino records are also sent as OTLP logs', async () => {
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
    // pino records are also sent as OTLP logs (winston's sender, @opentelemetry/winston-transport,
    // is still built on the pre-3.x logs API and is not bundled).
    const sent = receiver.logs.find((l) => String(l.body).includes('(pino)'));
    assert.ok(sent, 'pino record sent over OTLP');
    assert.equal(sent.spanId, span.spanId);
  });
});
