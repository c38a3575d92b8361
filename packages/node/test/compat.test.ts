import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { COMPAT_NODE_VERSIONS, nodeBinary } from '../../../test/helpers/node-versions';
import { childEnv, FIXTURES, startApp } from './helpers';

describe('compatibility with other Node majors', function () {
  this.timeout(180000);
  let receiver: OtlpReceiver;
  before(async () => { receiver = await new OtlpReceiver().start(); });
  after(async () => { await receiver.stop(); });

  for (const version of COMPAT_NODE_VERSIONS) {
    it(`Node ${version}: a preloaded app sends its mutation span and audit event`, async () => {
      const bin = nodeBinary(version);
      assert.equal(execFileSync(bin, ['--version']).toString().trim(), `v${version}`);
      receiver.spans.length = 0;
      receiver.logs.length = 0;
      const app = startApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'app.cjs')], childEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn',
      }), bin);
      const result = await app.done;
      assert.equal(result.code, 0, result.stderr);
      await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'domain.manager.mutation'), 10000);
      const mutation = receiver.spans.find((s) => s.name === 'update orders');
      assert.ok(mutation, 'mutation span');
      assert.ok(receiver.spans.some((s) => s.parentSpanId === mutation.spanId), 'nested client span');
      assert.equal(receiver.spans[0].resource['process.runtime.version'], version);
    });
  }
});
