import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceivedLog, ReceivedSpan } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp, startApp, waitForOutput } from './helpers';

const CJS_APP = path.join(FIXTURES, 'app.cjs');
const ESM_APP = path.join(FIXTURES, 'app.mjs');
const REGISTER = ['--require', '@domain-otel/node/register'];
const IMPORT = ['--import', '@domain-otel/node/import'];

function otlpEnv(receiver: OtlpReceiver, protocol: 'http/protobuf' | 'http/json' | 'grpc', extra: Record<string, string> = {}) {
  return childEnv({
    OTEL_SERVICE_NAME: 'fixture-app',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl,
    OTEL_LOG_LEVEL: 'warn',
    ...extra,
  });
}

const byName = (spans: ReceivedSpan[], name: string) => spans.find((s) => s.name === name);
const events = (logs: ReceivedLog[], name: string) => logs.filter((l) => l.eventName === name);

/** The request trace of the fixture: server span → mutation span → client span → inner server span. */
function assertNesting(spans: ReceivedSpan[], mutationName: string): void {
  const mutation = byName(spans, mutationName);
  assert.ok(mutation, `no "${mutationName}" span among ${spans.map((s) => s.name).join(', ')}`);
  const server = spans.find((s) => s.spanId === mutation.parentSpanId);
  assert.ok(server, 'the mutation span has no parent among the received spans');
  assert.equal(server.kind, 2, 'the mutation span\'s parent is the HTTP server span');
  assert.equal(server.traceId, mutation.traceId);
  const client = spans.find((s) => s.parentSpanId === mutation.spanId);
  assert.ok(client, 'the HTTP call made inside traceMutation is not a child of the mutation span');
  assert.equal(client.kind, 3, 'child of the mutation span is the HTTP client span');
  assert.equal(mutation.scope.name, '@domain-otel/instrumentation-domain');
  assert.ok(mutation.scope.schemaUrl, 'scope carries a schema URL');
}

describe('@domain-otel/node preload', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  for (const protocol of ['http/protobuf', 'http/json', 'grpc'] as const) {
    it(`--require: spans, audit events and metrics arrive over ${protocol}`, async () => {
      const result = await runApp([...REGISTER, CJS_APP], otlpEnv(receiver, protocol));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /DONE/);
      await receiver.waitFor(() => receiver.metricPoints('domain.manager.mutations').length > 0, 10000, 'mutation metric');

      assertNesting(receiver.spans, 'update orders');
      assert.ok(receiver.requests.every((r) => r.transport === (protocol === 'grpc' ? 'grpc' : 'http')));
      if (protocol !== 'grpc') assert.ok(receiver.requests.some((r) => (r.contentType ?? '').includes(protocol === 'http/json' ? 'json' : 'protobuf')));

      const [mutation] = events(receiver.logs, 'domain.manager.mutation');
      assert.ok(mutation, 'mutation event received');
      assert.equal(mutation.attributes['domain.mutation.action'], 'update');
      assert.equal(mutation.attributes['domain.manager.name'], 'orders');
      assert.equal(mutation.attributes['domain.entity.id'], 7);
      assert.equal(mutation.attributes['user.id'], '42');
      assert.equal(mutation.attributes['domain.tenant.id'], 'acme');
      assert.equal(mutation.attributes['domain.correlation.id'], 'req-123');
      assert.deepEqual(mutation.attributes['domain.mutation.changes'], {
        status: { old: 'new', new: 'approved' },
        password: { old: '[REDACTED]', new: '[REDACTED]' },
      });
      assert.match(String(mutation.attributes['log.record.uid']), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const mutationSpan = byName(receiver.spans, 'update orders')!;
      assert.equal(mutation.spanId, mutationSpan.spanId, 'the mutation record belongs to the mutation span');

      const [denied] = events(receiver.logs, 'domain.audit.decision');
      assert.ok(denied, 'decision event received');
      assert.equal(denied.attributes['domain.audit.outcome'], 'denied');
      assert.equal(denied.severityText, 'WARN');
      assert.equal(denied.traceId, mutationSpan.traceId, 'the decision carries the request trace');

      const resource = receiver.spans[0].resource;
      assert.equal(resource['service.name'], 'fixture-app');
      assert.equal(resource['deployment.environment.name'], 'test');
      assert.equal(resource['telemetry.distro.name'], 'domain-otel');
      assert.match(String(resource['telemetry.distro.version']), /^\d+\.\d+\.\d+/);
      assert.ok(resource['process.pid'], 'process detector ran');
      const decisions = receiver.metricPoints('domain.audit.decisions');
      assert.ok(decisions.some((p) => p.attributes['domain.audit.outcome'] === 'denied' && p.value === 1));
    });
  }

  it('--import: an ES module app is instrumented with one flag', async () => {
    const result = await runApp([...IMPORT, ESM_APP], otlpEnv(receiver, 'http/protobuf'));
    assert.equal(result.code, 0, result.stderr);
    await receiver.waitFor(() => events(receiver.logs, 'domain.audit.decision').length > 0, 10000, 'decision event');
    assertNesting(receiver.spans, 'create orders');
    const [mutation] = events(receiver.logs, 'domain.manager.mutation');
    assert.equal(mutation.attributes['domain.correlation.id'], 'corr-9');
  });

  it('the exports themselves are not traced: no client span for a request to the OTLP endpoint, also when the export starts inside a request', async () => {
    const result = await runApp([...REGISTER, path.join(FIXTURES, 'linger-app.cjs')], otlpEnv(receiver, 'http/protobuf', { OTEL_BLRP_SCHEDULE_DELAY: '100' }));
    assert.equal(result.code, 0, result.stderr);
    await receiver.waitFor(() => events(receiver.logs, 'domain.audit.decision').length > 0, 10000, 'decision record');
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'GET /orders' || s.name === 'GET'), 10000, 'the request spans');
    const exportSpans = receiver.spans.filter((s) => /\/v1\/(logs|traces|metrics)/.test(String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? '')));
    assert.deepEqual(exportSpans.map((s) => `${s.name} ${String(s.attributes['url.full'])}`), []);
  });

  it('OTEL_SDK_DISABLED=true: nothing loaded, nothing patched, nothing sent', async () => {
    const result = await runApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', { OTEL_SDK_DISABLED: 'true', OTEL_LOG_LEVEL: 'debug' }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE {"wrapped":false}/);
    assert.equal(result.stderr, '');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(receiver.requests.length, 0);
  });

  it('OTEL_SDK_DISABLED=true: not one OpenTelemetry or domain-otel SDK module is loaded (--require and --import)', async () => {
    const probe = "const m = Object.keys(require.cache).filter((f) => /@opentelemetry|instrumentation-|start-sdk/.test(f)); console.log('LOADED ' + JSON.stringify(m))";
    for (const flag of [REGISTER, IMPORT]) {
      const result = await runApp([...flag, '-e', probe], otlpEnv(receiver, 'http/protobuf', { OTEL_SDK_DISABLED: 'true' }));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^LOADED \[\]$/m, `${flag.join(' ')}: ${result.stdout}`);
    }
    const enabled = await runApp([...REGISTER, '-e', probe], otlpEnv(receiver, 'http/protobuf'));
    assert.match(enabled.stdout, /^LOADED \[".*@opentelemetry/m, 'the probe sees SDK modules when enabled');
  });

  it('prints a one-line preamble at info, with header secrets redacted', async () => {
    const result = await runApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', {
      OTEL_LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cr3t-token',
    }));
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('domain-otel 0.'));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /Node v\d+/);
    assert.match(lines[0], /traces → http\/protobuf http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    assert.match(lines[0], /authorization=\[REDACTED\]/);
    assert.doesNotMatch(result.stderr, /s3cr3t/);
    assert.ok(receiver.requests.some((r) => r.headers.authorization === 'Bearer s3cr3t-token'), 'header sent');
  });

  it('loading twice (--require and --import) warns and does not instrument twice', async () => {
    const result = await runApp([...REGISTER, ...IMPORT, CJS_APP], otlpEnv(receiver, 'http/protobuf'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /already started by require; ignoring the second start from import/);
    await receiver.waitFor(() => events(receiver.logs, 'domain.audit.decision').length > 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.spans.filter((s) => s.name === 'update orders').length, 1, 'one mutation span, not two');
    assert.equal(events(receiver.logs, 'domain.manager.mutation').length, 1, 'one mutation event, not two');
    const serverSpans = receiver.spans.filter((s) => s.kind === 2);
    assert.equal(serverSpans.length, 2, 'two server spans (/orders and /inner), not four');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) it(`${signal}: queued telemetry is flushed, then the process ends by the signal`, async () => {
    const app = startApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', {
      FIXTURE_MODE: 'sigterm', OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000', OTEL_METRIC_EXPORT_INTERVAL: '60000',
    }));
    await waitForOutput(app, 'DONE');
    assert.equal(receiver.spans.length, 0, 'nothing exported before the signal (long batch delays)');
    app.child.kill(signal);
    const result = await app.done;
    assert.equal(result.signal, signal, `exit: ${result.code} ${result.stderr}`);
    assert.equal(receiver.spans.filter((s) => s.name === 'update orders').length, 1);
    assert.equal(events(receiver.logs, 'domain.manager.mutation').length, 1);
    assert.equal(events(receiver.logs, 'domain.audit.decision').length, 1);
    assert.ok(receiver.metricPoints('domain.manager.mutations').length > 0, 'metrics flushed');
  });

  it('SIGTERM with the app\'s own handler: the handler still runs and its exit waits for the flush', async () => {
    const app = startApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', {
      FIXTURE_MODE: 'own-sigterm', OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000',
    }));
    await waitForOutput(app, 'DONE');
    app.child.kill('SIGTERM');
    const result = await app.done;
    assert.match(result.stdout, /APP-SIGTERM-HANDLER/);
    assert.equal(result.code, 0, 'the app\'s own exit code is kept');
    assert.equal(events(receiver.logs, 'domain.manager.mutation').length, 1, `audit tail delivered before the app exited, once; the app's stderr: ${result.stderr}`);
  });

  for (const mode of ['throw', 'reject'] as const) {
    it(`${mode === 'throw' ? 'uncaught exception' : 'unhandled rejection'}: telemetry is flushed, the error is printed, exit code 1`, async () => {
      const result = await runApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', {
        FIXTURE_MODE: mode, OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000',
      }));
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, mode === 'throw' ? /boom from the app/ : /rejected in the app/);
      assert.equal(events(receiver.logs, 'domain.manager.mutation').length, 1, `one mutation record; the app's stderr: ${result.stderr}`);
      assert.equal(receiver.spans.filter((s) => s.name === 'update orders').length, 1);
    });
  }

  it('OTEL_TRACES_SAMPLER=always_off: no spans, but every audit record still arrives', async () => {
    const result = await runApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', { OTEL_TRACES_SAMPLER: 'always_off' }));
    assert.equal(result.code, 0, result.stderr);
    await receiver.waitFor(() => events(receiver.logs, 'domain.audit.decision').length > 0, 10000, 'decision event');
    assert.equal(events(receiver.logs, 'domain.manager.mutation').length, 1);
    assert.equal(receiver.spans.length, 0);
  });

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=http: no HTTP spans, the domain spans remain', async () => {
    const result = await runApp([...REGISTER, CJS_APP], otlpEnv(receiver, 'http/protobuf', { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"wrapped":false/, 'http.Server not patched');
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'update orders'), 10000, 'mutation span');
    assert.deepEqual(receiver.spans.map((s) => s.name), ['update orders']);
  });

  it('a dead collector never breaks the app', async () => {
    await receiver.stop();
    const result = await runApp([...REGISTER, CJS_APP], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'none', DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '1500',
    }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DONE/);
    assert.match(result.stderr, /domain-otel: 2 audit record\(s\) not delivered yet are kept in the spool \S+; the next start of this service sends them/, 'kept, and said so');
    receiver = await new OtlpReceiver().start();
  });
});
