// A record the receiver refuses for good (HTTP 400/413, gRPC INVALID_ARGUMENT) never blocks the
// audit queue: the batch is split until the refused record is alone, that record goes to the
// dead-letter file (counted as dropped{rejected}, one log line, its strict waiter rejected),
// and every other record is delivered. `domain-otel-resend` sends the dead letters again.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceivedLog } from '../../../test/helpers/otlp-receiver';
import { childEnv, FIXTURES, ROOT, runApp } from './helpers';

const POISON = path.join(FIXTURES, 'poison.cjs');
const RESEND = path.join(ROOT, 'packages/node/dist/cli/resend.js');
// The receiver refuses the poison record (its 200 KB reason, or whatever is left of it once the
// mapping caps strings): a stand-in for any record a receiver refuses for good.
const tooBig = (logs: ReceivedLog[]) => logs.some((l) => l.attributes['domain.entity.id'] === 'poison');
const decisions = (r: OtlpReceiver) => r.logs.filter((l) => l.eventName === 'domain.audit.decision');

function deadLetters(dir: string): { uid: string; reason: string; request: { resourceLogs: unknown[] } }[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}

describe('a refused audit record never blocks the queue', function () {
  this.timeout(60000);
  let receiver: OtlpReceiver;
  let dir: string;
  beforeEach(async () => {
    receiver = await new OtlpReceiver().start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-deadletter-'));
  });
  afterEach(async () => {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { protocol: 'http/protobuf', refusal: { when: tooBig, http: 413 }, endpoint: () => receiver.httpUrl },
    { protocol: 'http/json', refusal: { when: tooBig, http: 400 }, endpoint: () => receiver.httpUrl },
    { protocol: 'grpc', refusal: { when: tooBig, grpc: grpc.status.INVALID_ARGUMENT }, endpoint: () => receiver.grpcUrl },
  ] as const;

  for (const c of cases) {
    it(`${c.protocol}, refused with ${'http' in c.refusal ? c.refusal.http : 'INVALID_ARGUMENT'}: the 5 decisions after it are delivered, it is dead-lettered, counted and logged`, async () => {
      receiver.refuseLogs = c.refusal;
      const out = await runApp(['--require', '@domain-otel/node/register', POISON], childEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: c.endpoint(), OTEL_EXPORTER_OTLP_PROTOCOL: c.protocol, OTEL_LOG_LEVEL: 'warn',
        DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: dir,
      }));
      assert.equal(out.code, 0, out.stderr);
      await receiver.waitFor(() => decisions(receiver).length >= 5, 10000, 'the 5 ordinary decisions');
      assert.deepEqual(decisions(receiver).map((l) => l.attributes['domain.entity.id']).sort(), ['0', '1', '2', '3', '4'].map(Number).sort());
      assert.ok(receiver.refused.length >= 1);
      const letters = deadLetters(dir);
      assert.equal(letters.length, 1, JSON.stringify(letters).slice(0, 500));
      assert.match(letters[0]!.uid, /^[0-9a-f-]{36}$/);
      assert.match(letters[0]!.reason, /413|400|INVALID_ARGUMENT|3 /);
      await receiver.waitFor(() => receiver.metricPoints('domain.telemetry.dropped').some((p) => p.attributes['domain.telemetry.drop_reason'] === 'rejected'), 10000, 'dropped{rejected}');
      const dropped = receiver.metricPoints('domain.telemetry.dropped').filter((p) => p.attributes['domain.telemetry.drop_reason'] === 'rejected').at(-1)!;
      assert.equal(dropped.attributes['domain.telemetry.signal'], 'audit');
      assert.equal(dropped.value, 1);
      const lines = out.stderr.split('\n').filter((l) => /refused/.test(l) && l.includes(dir));
      assert.equal(lines.length, 1, out.stderr);
      assert.match(lines[0]!, new RegExp(letters[0]!.uid));
    });
  }

  it('strict: the refused decision rejects (rejected), the others resolve', async () => {
    receiver.refuseLogs = { when: tooBig };
    const out = await runApp(['--require', '@domain-otel/node/register', POISON], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', DOMAIN_OTEL_AUDIT_DELIVERY: 'strict',
      DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: dir, FIXTURE_STAY_MS: '0',
    }));
    const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, out.stdout + out.stderr);
    assert.deepEqual(JSON.parse(line.slice(7)), ['AuditDeliveryError:rejected', 'ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(deadLetters(dir).length, 1);
  });

  it('domain-otel-resend sends a dead-letter file again: the record arrives with its uid, attributes and timestamps', async () => {
    receiver.refuseLogs = { when: tooBig };
    await runApp(['--require', '@domain-otel/node/register', POISON], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: dir, FIXTURE_N: '1',
    }));
    const [letter] = deadLetters(dir);
    assert.ok(letter);
    const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.ndjson'))!);
    // still refused: the command says so, exits 1, and keeps nothing back
    const refusedAgain = await runApp([RESEND, file], childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl }));
    assert.equal(refusedAgain.code, 1, refusedAgain.stdout + refusedAgain.stderr);
    assert.match(refusedAgain.stderr, new RegExp(`${letter.uid}.*413`));
    // the operator raised the receiver's limit
    receiver.refuseLogs = undefined;
    const before = decisions(receiver).length;
    const resent = await runApp([RESEND, file], childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl }));
    assert.equal(resent.code, 0, resent.stdout + resent.stderr);
    assert.match(resent.stdout, /1 record\(s\) sent, 0 refused/);
    const arrived = decisions(receiver).slice(before);
    assert.equal(arrived.length, 1);
    const rec = arrived[0]!;
    assert.equal(rec.attributes['log.record.uid'], letter.uid);
    assert.equal(rec.attributes['domain.entity.id'], 'poison');
    const original = (letter.request.resourceLogs[0] as { scopeLogs: { logRecords: { timeUnixNano: string; attributes: { key: string; value: { stringValue?: string } }[] }[]; scope: { name: string } }[]; resource: unknown });
    const originalRecord = original.scopeLogs[0]!.logRecords[0]!;
    assert.deepEqual(Object.keys(rec.attributes), originalRecord.attributes.map((a) => a.key), 'same attributes, same order');
    assert.equal(rec.attributes['domain.audit.reason'], originalRecord.attributes.find((a) => a.key === 'domain.audit.reason')?.value.stringValue);
    assert.equal(rec.timeUnixNano, String(originalRecord.timeUnixNano));
    assert.equal(rec.scope.name, original.scopeLogs[0]!.scope.name);
    assert.equal(rec.resource['service.name'], decisions(receiver)[0]?.resource['service.name']);
  });
});
