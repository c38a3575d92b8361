// What one request produces by default, and the variables that bring the rest back
// (DOMAIN_OTEL_EXPRESS_LAYERS, DOMAIN_OTEL_PG_CONNECT_SPANS, DOMAIN_OTEL_AUTHZ_SPANS).
import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { childEnv, FIXTURES, runApp } from './helpers';

describe('@domain-otel/node: telemetry items of one request', function () {
  this.timeout(120_000);
  let pg: ThrowawayPostgres;
  let receiver: OtlpReceiver;

  before(async () => { pg = await startThrowawayPostgres(); });
  after(async () => { await pg?.destroy(); });
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  async function spansOf(extra: Record<string, string>): Promise<string[]> {
    const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', PG_URL: pg.connectionString(), ...extra });
    const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'items-app.cjs')], env);
    assert.equal(result.code, 0, result.stderr);
    await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'domain.audit.decision'), 10_000, 'the decision record');
    await receiver.waitFor(() => receiver.spans.some((s) => s.kind === 2), 10_000, 'the server span');
    return receiver.spans.filter((s) => !(s.kind === 3 && s.scope.name.endsWith('instrumentation-http'))).map((s) => s.name).sort(); // not the app's own HTTP call
  }

  it('default: the server span, the request handler, the authorization check, the query; no middleware or pool-connect spans', async () => {
    assert.deepEqual(await spansOf({}), ['GET /orders/:id', 'authz read orders', 'pg.query:SELECT postgres', 'request handler'].sort());
  });

  it('DOMAIN_OTEL_EXPRESS_LAYERS=all, DOMAIN_OTEL_PG_CONNECT_SPANS=on, DOMAIN_OTEL_AUTHZ_SPANS=off: every layer and the pool connect, no authz span', async () => {
    const spans = await spansOf({ DOMAIN_OTEL_EXPRESS_LAYERS: 'all', DOMAIN_OTEL_PG_CONNECT_SPANS: 'on', DOMAIN_OTEL_AUTHZ_SPANS: 'off' });
    for (const name of ['middleware - jsonParser', 'middleware - <anonymous>', 'request handler', 'pg-pool.connect', 'pg.query:SELECT postgres']) {
      assert.ok(spans.includes(name), `${name} in ${spans.join(', ')}`);
    }
    assert.ok(!spans.some((s) => s.startsWith('authz')), spans.join(', '));
    const decision = receiver.logs.find((l) => l.eventName === 'domain.audit.decision')!;
    assert.equal(receiver.spans.find((s) => s.spanId === decision.spanId)?.name, 'request handler', 'the decision record belongs to the span active during the check');
  });

  it('DOMAIN_OTEL_EXPRESS_LAYERS=none: no Express span, the route still on the server span', async () => {
    const spans = await spansOf({ DOMAIN_OTEL_EXPRESS_LAYERS: 'none' });
    assert.ok(!spans.some((s) => /middleware|request handler|router/.test(s)), spans.join(', '));
    assert.equal(receiver.spans.find((s) => s.kind === 2)?.attributes['http.route'], '/orders/:id');
  });
});

describe('@domain-otel/node: DOMAIN_OTEL_RECORD_PATH', function () {
  this.timeout(60_000);

  it('direct and sdk deliver the same records (scope, resource, severity, body, attributes, trace context)', async () => {
    const run = async (path_: 'direct' | 'sdk') => {
      const receiver = await new OtlpReceiver().start();
      try {
        const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', OTEL_SERVICE_NAME: 'record-path', DOMAIN_OTEL_RECORD_PATH: path_ });
        const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'app.cjs')], env);
        assert.equal(result.code, 0, result.stderr);
        await receiver.waitFor(() => receiver.logs.filter((l) => l.eventName.startsWith('domain.')).length >= 2, 10_000, 'the domain records');
        const spanIds = new Set(receiver.spans.map((s) => s.spanId));
        return receiver.logs.filter((l) => l.eventName.startsWith('domain.')).map((l) => {
          assert.ok(spanIds.has(l.spanId), `${l.eventName} belongs to an exported span`);
          assert.ok(BigInt(l.observedTimeUnixNano) >= BigInt(l.timeUnixNano), 'observed after the event');
          const { receivedAt: _r, timeUnixNano: _t, observedTimeUnixNano: _o, traceId: _ti, spanId: _si, ...rest } = l;
          const attributes = { ...rest.attributes, 'log.record.uid': typeof rest.attributes['log.record.uid'], 'domain.correlation.id': typeof rest.attributes['domain.correlation.id'] };
          const resource = { ...rest.resource, 'process.pid': 0, 'service.instance.id': '', 'process.command_args': [] };
          return { ...rest, attributes, resource };
        });
      } finally {
        await receiver.stop();
      }
    };
    const direct = await run('direct');
    const sdk = await run('sdk');
    assert.equal(direct.length, 2);
    assert.deepEqual(direct, sdk);
  });
});
