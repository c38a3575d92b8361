// Scenario 14: the audit sink's bearer token is rotated under load, following the procedure of
// docs/audit-sink.md: add the new token to the sink's token file and SIGHUP it, restart the
// collector with the new token (its disk queue survives the restart), remove the old token from
// the file and SIGHUP again. A 401 is permanent for the collector (the batch is dropped), so no
// request may be refused in between: 0 lost, 0 duplicated, and the sink answered no 401 except to
// the probe with the retired token at the end.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { note, report, sleep, stack, startEmitter, summaryLine, TOKEN, undeliveredAtExit, uniqueTag, waitFor, type Service } from './harness';

const N = Number(process.env.FAULTS_S14_EVENTS ?? 30_000);
const RATE = 3000;
const NEW_TOKEN = 'faults-rotated-token-2b8e4d06c1';

async function signalled(sink: Service, signal: NodeJS.Signals, expect: RegExp): Promise<void> {
  const seen = sink.stderr.length;
  sink.kill(signal);
  await waitFor(`the sink to log ${expect}`, async () => (expect.test(sink.stderr.slice(seen)) ? true : undefined), 10_000, 50);
}

async function status(url: string, token: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
  await res.arrayBuffer();
  return res.status;
}

describe('faults 14: token rotation under load', function () {
  this.timeout(15 * 60_000);

  it(`${N} decisions at ${RATE}/s while the sink's token is rotated (file + SIGHUP, collector restarted): nothing refused, nothing lost`, async () => {
    const s = await stack();
    const tag = uniqueTag('s14');
    const tokenFile = path.join(s.dir, 'sink-tokens');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    await s.sink.stop();
    const sink = await s.startSink({ DOMAIN_OTEL_AUDIT_SINK_TOKEN: '', DOMAIN_OTEL_AUDIT_SINK_TOKEN_FILE: tokenFile });
    const steps: string[] = [];
    const stored = async () => (await s.count(tag)).entities;

    const app = startEmitter(s, { tag, n: N, rate: RATE });
    await waitFor('the first records to be stored', async () => ((await stored()) > 1000 ? true : undefined), 60_000, 100);

    // 1. the new token next to the old one
    writeFileSync(tokenFile, `${TOKEN}\n${NEW_TOKEN}\n`);
    await signalled(sink, 'SIGHUP', /token file reloaded: accepting 2 bearer tokens/);
    steps.push(`both tokens accepted at ${await stored()} stored`);
    // 2. the senders switch: the collector restarts with the new token, its queue on disk
    await s.collector.stop();
    await s.startCollector({ DOMAIN_OTEL_AUDIT_SINK_TOKEN: NEW_TOKEN });
    steps.push(`collector restarted with the new token at ${await stored()} stored`);
    await sleep(3000);
    // 3. the old token removed
    writeFileSync(tokenFile, `${NEW_TOKEN}\n`);
    await signalled(sink, 'SIGHUP', /token file reloaded: accepting 1 bearer token\b/);
    steps.push(`old token removed at ${await stored()} stored`);

    const exit = await app.exited;
    assert.equal(exit.code, 0, app.stderr);
    const summary = summaryLine(app.stdout)!;
    const undelivered = undeliveredAtExit(app.stderr);
    const c = await s.settle(tag, N, { timeoutMs: 180_000 });
    const oldRefused = await status(s.sinkUrl, TOKEN);
    const newAccepted = await status(s.sinkUrl, NEW_TOKEN);
    await sink.stop();
    const responses = /responses ([^\n]*)/.exec(sink.stderr)?.[1] ?? '';
    const refused401 = Number(/401: (\d+)/.exec(responses)?.[1] ?? 0);

    // back to the suite's token for the scenarios after this one
    await s.startSink();
    await s.collector.stop();
    await s.startCollector({});

    const lost = N - c.entities;
    const duplicated = c.rows - c.entities;
    note('scenario14', { events: N, rate: RATE, achievedRate: summary.rate, steps, sinkResponses: responses });
    report({
      scenario: '14 token rotated under load (token file + SIGHUP, collector restarted)', sent: N, acknowledged: N - undelivered, stored: c.entities, lost, duplicated,
      result: lost === 0 && duplicated === 0 && refused401 === 1 && oldRefused === 401 && newAccepted === 200 ? 'pass' : 'FAIL',
      notes: `${steps.join('; ')}; sink responses ${responses} (the one 401: a probe with the retired token afterwards)`,
    });
    assert.equal(lost, 0, `lost ${lost}`);
    assert.equal(duplicated, 0);
    assert.equal(c.rows, c.uids);
    assert.equal(oldRefused, 401, 'the retired token is refused');
    assert.equal(newAccepted, 200, 'the new token is accepted');
    assert.equal(refused401, 1, `no request of the collector was refused during the rotation (responses ${responses})`);
  });
});
