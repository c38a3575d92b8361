// The audit spool in a running app (child processes preloaded with the distribution): overflow
// and an unreachable collector lose nothing, a SIGKILLed app's records are sent by the next
// start exactly once, gRPC records queued at process.exit() survive, and two processes that
// start together never both send a dead process's spool.
import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, runApp, scratchDir, startApp, waitForOutput } from './helpers';

const APP = path.join(FIXTURES, 'spool-app.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function decisions(r: OtlpReceiver, tag: string) {
  const mine = r.logs.filter((l) => l.eventName === 'domain.audit.decision' && l.attributes['domain.manager.name'] === tag);
  return { total: mine.length, uids: new Set(mine.map((l) => l.attributes['log.record.uid'])).size, entities: new Set(mine.map((l) => l.attributes['domain.entity.id'])) };
}

describe('the audit spool in a running app', function () {
  this.timeout(120000);
  let receiver: OtlpReceiver;
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  it('queue overflow (queue of 4, 2000 records at once): nothing dropped, all delivered once', async () => {
    const out = await runApp(['--require', '@domain-otel/node/register', APP], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', FIXTURE_N: '2000', FIXTURE_TAG: 'overflow',
      DOMAIN_OTEL_AUDIT_QUEUE_SIZE: '4', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '4', OTEL_BLRP_MAX_QUEUE_SIZE: '4',
    }));
    assert.equal(out.code, 0, out.stderr);
    await receiver.waitFor(() => decisions(receiver, 'overflow').entities.size >= 2000, 30000, '2000 decisions');
    const d = decisions(receiver, 'overflow');
    assert.deepEqual({ total: d.total, uids: d.uids }, { total: 2000, uids: 2000 });
    assert.doesNotMatch(out.stderr, /dropped/);
  });

  it('collector unreachable, app SIGKILLed, restarted once the collector is back: every record delivered exactly once', async () => {
    const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', FIXTURE_TAG: 'sigkill' });
    receiver.mode = 'unavailable';
    const first = startApp(['--require', '@domain-otel/node/register', APP], { ...env, FIXTURE_N: '3000', FIXTURE_STAY_MS: '600000' });
    await waitForOutput(first, 'EMITTED 3000');
    await sleep(2500); // the stalled export is noticed after 1 s; the spool's group commit follows within ms
    first.child.kill('SIGKILL');
    await first.done;
    assert.equal(decisions(receiver, 'sigkill').total, 0);
    receiver.mode = 'ok';
    const second = await runApp(['--require', '@domain-otel/node/register', APP], { ...env, FIXTURE_N: '0', FIXTURE_STAY_MS: '3000' });
    assert.equal(second.code, 0, second.stderr);
    await receiver.waitFor(() => decisions(receiver, 'sigkill').entities.size >= 3000, 20000, '3000 decisions after the restart');
    const d = decisions(receiver, 'sigkill');
    assert.deepEqual({ total: d.total, uids: d.uids }, { total: 3000, uids: 3000 });
  });

  it('gRPC: records still queued at process.exit() go to the spool and the next start sends them', async () => {
    const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_LOG_LEVEL: 'warn', OTEL_BLRP_SCHEDULE_DELAY: '60000', FIXTURE_TAG: 'grpc-exit' });
    const first = await runApp(['--require', '@domain-otel/node/register', APP], { ...env, FIXTURE_N: '25', FIXTURE_EXIT: '1' });
    assert.equal(first.code, 0);
    assert.match(first.stderr, /domain-otel: 25 audit record\(s\) not delivered yet are kept in the spool/);
    assert.doesNotMatch(first.stderr, /could not be delivered/);
    const second = await runApp(['--require', '@domain-otel/node/register', APP], { ...env, FIXTURE_N: '0', FIXTURE_STAY_MS: '1500' });
    assert.equal(second.code, 0, second.stderr);
    await receiver.waitFor(() => decisions(receiver, 'grpc-exit').entities.size >= 25, 10000, '25 decisions');
    assert.deepEqual(decisions(receiver, 'grpc-exit').total, 25);
  });

  it('two processes starting together: a dead process\'s spool is sent by exactly one of them', async () => {
    const spoolDir = path.join(scratchDir('shared'), 'spool');
    const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', FIXTURE_TAG: 'twice', DOMAIN_OTEL_AUDIT_SPOOL_DIR: spoolDir, OTEL_SERVICE_NAME: 'spool-twice' });
    receiver.mode = 'unavailable';
    const dead = startApp(['--require', '@domain-otel/node/register', APP], { ...env, FIXTURE_N: '2000', FIXTURE_STAY_MS: '600000' });
    await waitForOutput(dead, 'EMITTED 2000');
    await sleep(2500);
    dead.child.kill('SIGKILL');
    await dead.done;
    receiver.mode = 'ok';
    const [a, b] = await Promise.all([0, 1].map(() => runApp(['--require', '@domain-otel/node/register', APP], { ...env, FIXTURE_N: '0', FIXTURE_STAY_MS: '3000' })));
    assert.equal(a!.code, 0, a!.stderr);
    assert.equal(b!.code, 0, b!.stderr);
    await receiver.waitFor(() => decisions(receiver, 'twice').entities.size >= 2000, 20000, '2000 decisions');
    await sleep(500);
    const d = decisions(receiver, 'twice');
    assert.deepEqual({ total: d.total, uids: d.uids }, { total: 2000, uids: 2000 });
  });
});
