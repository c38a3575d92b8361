// DOMAIN_OTEL_AUDIT_DELIVERY=strict fails closed: an awaited audit operation resolves only when
// its record was acknowledged; every record that is not queued (or not delivered) rejects the
// operation with AuditDeliveryError naming the reason. Each case runs audit.decision(),
// traceAuthz() and traceMutation() (test/fixtures/strict-drops.cjs).
import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceiverMode } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp } from './helpers';

type Kind = 'decision' | 'authz' | 'mutation';
const KINDS: Kind[] = ['decision', 'authz', 'mutation'];
type Result = Record<Kind, string[]> & Record<`${Kind}Ms`, number>;

async function run(receiver: OtlpReceiver, mode: ReceiverMode, env: Record<string, string>): Promise<{ result: Result; stderr: string }> {
  receiver.mode = mode;
  const out = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'strict-drops.cjs')], childEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', OTEL_METRIC_EXPORT_INTERVAL: '60000',
    DOMAIN_OTEL_AUDIT_DELIVERY: 'strict', DOMAIN_OTEL_AUDIT_STRICT_TIMEOUT: '1000', DOMAIN_OTEL_SHUTDOWN_TIMEOUT: '1000',
    OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
    ...env,
  }));
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line; exit ${out.code}\n${out.stdout}\n${out.stderr}`);
  return { result: JSON.parse(line.slice(7)) as Result, stderr: out.stderr };
}

function assertAllRejected(r: Result, reason: string | ((kind: Kind, i: number) => string)): void {
  for (const kind of KINDS) {
    const expected = r[kind].map((_, i) => `AuditDeliveryError:${typeof reason === 'string' ? reason : reason(kind, i)}`);
    assert.deepEqual(r[kind], expected, `${kind}: ${JSON.stringify(r)}`);
  }
}

describe('strict delivery fails closed', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  it('the issue\'s reproduction: queue of 1, a collector that never answers, 3 concurrent calls of each kind: all reject (queue_full, not resolved)', async () => {
    const { result } = await run(receiver, 'hang', { DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '1', DOMAIN_OTEL_AUDIT_SPOOL: 'off' });
    // the first decision holds the only queue slot until its timeout; every other record is refused
    assertAllRejected(result, (kind, i) => (kind === 'decision' && i === 0 ? 'timeout' : 'queue_full'));
    assert.ok(result.authzMs < 900 && result.mutationMs < 900, `queue_full rejects at once, not after the timeout: ${JSON.stringify(result)}`);
  });

  it('with the spool (default), records beyond the queue are spooled but not acknowledged until delivered: against a collector that never answers they all time out', async () => {
    const { result } = await run(receiver, 'hang', { DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '1' });
    assertAllRejected(result, 'timeout');
  });

  it('with the spool, against a working collector, 3 concurrent calls of each kind with a queue of 1 all resolve, each record delivered once', async () => {
    const { result } = await run(receiver, 'ok', { DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '1' });
    for (const kind of KINDS) assert.deepEqual(result[kind], ['ok', 'ok', 'ok'], JSON.stringify(result));
    const records = receiver.logs.filter((l) => l.attributes['domain.manager.name'] === 'drops-plain');
    assert.equal(records.length, 9);
    assert.equal(new Set(records.map((l) => l.attributes['log.record.uid'])).size, 9);
  });

  it('spool full (bound of 1 byte), queue of 1, a collector that never answers: every record beyond the queue rejects (spool_full)', async () => {
    const { result } = await run(receiver, 'hang', { DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '1', DOMAIN_OTEL_AUDIT_SPOOL_MAX_BYTES: '1' });
    assertAllRejected(result, (kind, i) => (kind === 'decision' && i === 0 ? 'timeout' : 'spool_full'));
  });

  it('a record the collector refuses for good (413): the operation rejects (rejected), for each kind', async () => {
    receiver.refuseLogs = { when: (logs) => logs.some((l) => l.attributes['domain.manager.name'] === 'drops-plain') };
    const { result } = await run(receiver, 'ok', { FIXTURE_N: '2' });
    assertAllRejected(result, 'rejected');
  });

  for (const spool of ['off', 'on'] as const) {
    it(`shutdown while records wait for a collector that never answers, spool ${spool}: they reject (${spool === 'off' ? 'export_failed' : 'shutdown, kept in the spool'})`, async () => {
      const { result } = await run(receiver, 'hang', {
        DOMAIN_OTEL_AUDIT_SPOOL: spool, FIXTURE_SHUTDOWN_DURING: '200', DOMAIN_OTEL_AUDIT_STRICT_TIMEOUT: '20000', OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      });
      assertAllRejected(result, spool === 'off' ? 'export_failed' : 'shutdown');
    });
  }

  it('after shutdown: every awaited operation rejects (shutdown)', async () => {
    const { result } = await run(receiver, 'ok', { FIXTURE_SHUTDOWN_FIRST: '1' });
    assertAllRejected(result, 'shutdown');
  });

  for (const which of ['throwing-getter', 'throwing-proxy', 'null-prototype-entity'] as const) {
    it(`the mapping's fence catches an error (${which}): the operation rejects (internal_error)`, async () => {
      const { result, stderr } = await run(receiver, 'ok', { FIXTURE_CASE: which });
      assertAllRejected(result, 'internal_error');
      assert.match(stderr, /instrumentation-domain failed in/);
      assert.equal(receiver.logs.filter((l) => l.eventName.startsWith('domain.')).length, 0, 'no record was emitted');
    });
  }

  it('a record with 130 metadata attributes is still awaited: against a collector that never answers it times out, never resolves', async () => {
    const { result } = await run(receiver, 'hang', { FIXTURE_CASE: 'many-attributes', FIXTURE_N: '2' });
    assertAllRejected(result, 'timeout');
  });

  it('OTEL_LOGS_EXPORTER=none: one warning at start, and awaited operations reject (not_recorded) instead of strict silently turning off', async () => {
    const { result, stderr } = await run(receiver, 'ok', { OTEL_LOGS_EXPORTER: 'none' });
    assertAllRejected(result, 'not_recorded');
    assert.equal(stderr.split('\n').filter((l) => /DOMAIN_OTEL_AUDIT_DELIVERY=strict.*OTEL_LOGS_EXPORTER=none/.test(l)).length, 1, stderr);
  });
});
