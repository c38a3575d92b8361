import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { allVariables } from '../src/config/variables';
import { childEnv, FIXTURES, runApp } from './helpers';

/** A garbage value for every variable whose parser can reject something. */
const GARBAGE = 'not valid?';

describe('bad environment values', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  before(async () => { receiver = await new OtlpReceiver().start(); });
  after(async () => { await receiver.stop(); });

  const rejecting = allVariables().filter((v) => !v.parse(GARBAGE).ok);

  it('every variable we read rejects garbage (except free-form ones)', () => {
    const accepting = allVariables().filter((v) => v.parse(GARBAGE).ok).map((v) => v.name);
    assert.deepEqual(accepting.sort(), ['DOMAIN_OTEL_CONFIG_FILE', 'DOMAIN_OTEL_REDACT', 'OTEL_CONFIG_FILE', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_SERVICE_NAME'].sort());
  });

  it('all of them at once: one warning line each naming variable, value and what is accepted; the app runs and telemetry uses defaults', async () => {
    const env: Record<string, string> = {};
    for (const v of rejecting) env[v.name] = GARBAGE;
    env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = 'http,nosuchthing,domain';
    // keep the app pointed at our receiver through the one variable we do not garble
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_PROTOCOL;
    delete env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL;
    delete env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL;
    delete env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL;
    delete env.OTEL_SDK_DISABLED;
    const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'app.cjs')], childEnv({
      ...env, OTEL_SDK_DISABLED: 'nope', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
    }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('domain-otel: ignoring'));
    for (const name of [...Object.keys(env).filter((n) => n !== 'OTEL_NODE_ENABLED_INSTRUMENTATIONS'), 'OTEL_SDK_DISABLED']) {
      const mine = warnings.filter((w) => w.includes(`${name}=`));
      assert.equal(mine.length, 1, `expected exactly one warning for ${name}, got:\n${mine.join('\n') || result.stderr}`);
      assert.match(mine[0], /expected .+; using the default/);
    }
    assert.ok(warnings.some((w) => w.includes('"nosuchthing"') && w.includes('OTEL_NODE_ENABLED_INSTRUMENTATIONS')), result.stderr);
    await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'domain.manager.mutation'), 10000);
    assert.ok(receiver.spans.some((s) => s.name === 'update orders'), 'defaults in force: spans exported');
  });
});
