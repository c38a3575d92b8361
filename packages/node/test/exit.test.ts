import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

const EXIT_APP = path.join(FIXTURES, 'exit.cjs');

describe('process.exit() in app code with audit records queued', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: every queued record is delivered synchronously at exit; exit code, exit listeners and process.exit semantics kept`, async () => {
      const result = await runApp(['--require', '@domain-otel/node/register', EXIT_APP], childEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_LOG_LEVEL: 'warn',
        OTEL_BLRP_SCHEDULE_DELAY: '60000', FIXTURE_N: '25', FIXTURE_CODE: '3',
      }));
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, /APP-EXIT-LISTENER 3/);
      assert.doesNotMatch(result.stdout, /NOT REACHED/, 'process.exit() still ends the process at once');
      assert.doesNotMatch(result.stderr, /could not be delivered/);
      await receiver.waitFor(() => receiver.logs.filter((l) => l.eventName === 'domain.audit.decision').length >= 25, 5000, '25 decisions');
      const uids = receiver.logs.filter((l) => l.eventName === 'domain.audit.decision').map((l) => l.attributes['log.record.uid']);
      assert.equal(new Set(uids).size, 25);
    });
  }

  for (const spool of ['on', 'off'] as const) {
    it(`collector unreachable, spool ${spool}: the exit is not held beyond the bound, and the records are ${spool === 'on' ? 'spooled' : 'reported lost'}`, async () => {
      const started = Date.now();
      const result = await runApp(['--require', '@domain-otel/node/register', EXIT_APP], childEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'none', OTEL_BLRP_SCHEDULE_DELAY: '60000', DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '1500',
        DOMAIN_OTEL_AUDIT_SPOOL: spool,
      }));
      assert.equal(result.code, 0);
      assert.ok(Date.now() - started < 10_000);
      if (spool === 'on') {
        assert.match(result.stderr, /domain-otel: 3 audit record\(s\) not delivered yet are kept in the spool \S+; the next start of this service sends them/);
        assert.doesNotMatch(result.stderr, /could not be delivered/);
      } else {
        assert.match(result.stderr, /domain-otel: 3 audit record\(s\) could not be delivered before exit/);
      }
    });
  }
});
