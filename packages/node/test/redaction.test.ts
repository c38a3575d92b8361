import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import type { ReceivedLog, ReceivedSpan } from '../../../test/helpers/otlp-receiver';
import { startThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../audit-sink/test/helpers/throwaway-postgres';
import { childEnv, FIXTURES, startApp, waitForOutput } from './helpers';

const APP = path.join(FIXTURES, 'redaction-app.cjs');

/** Every string a backend would show for a span or a log record. */
function texts(spans: ReceivedSpan[], logs: ReceivedLog[]): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  for (const s of spans) {
    out.push({ where: `span name "${s.name}"`, text: s.name });
    out.push({ where: `span "${s.name}" attributes`, text: JSON.stringify(s.attributes) });
    out.push({ where: `span "${s.name}" status`, text: JSON.stringify(s.status) });
    for (const e of s.events) out.push({ where: `span "${s.name}" event ${e.name}`, text: JSON.stringify(e.attributes) });
  }
  for (const l of logs) {
    out.push({ where: `log "${String(l.body).slice(0, 40)}" body`, text: JSON.stringify(l.body) });
    out.push({ where: `log "${String(l.body).slice(0, 40)}" attributes`, text: JSON.stringify(l.attributes) });
  }
  return out;
}

describe('@domain-otel/node: DOMAIN_OTEL_REDACT covers upstream instrumentations (--require, Express, http, fetch, pino, winston, pg)', function () {
  this.timeout(120000);
  let receiver: OtlpReceiver;
  let pg: ThrowawayPostgres;
  let pgUrl: string;
  before(async () => {
    pg = await startThrowawayPostgres();
    pgUrl = await pg.createDatabase('redaction');
  });
  after(async () => { await pg?.destroy(); });
  beforeEach(async () => { receiver = await new OtlpReceiver().start(); });
  afterEach(async () => { await receiver.stop(); });

  it('a secret in query strings, an exception, log records and a literal SQL query is in no exported span or log; the rest is kept', async () => {
    const secret = `s3cret${randomBytes(6).toString('hex')}`;
    const app = startApp(['--require', '@domain-otel/node/register', APP], childEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'warn', FIXTURE_SECRET: secret, PG_URL: pgUrl,
    }));
    try {
      await waitForOutput(app, 'LISTENING');
      const port = Number(/LISTENING (\d+)/.exec(app.output().stdout)![1]);
      for (const p of [`/search?token=${secret}&page=2`, '/fail', '/sql']) await fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.text());
      await receiver.waitFor(() => receiver.spans.some((s) => s.attributes['db.query.text'] !== undefined)
        && receiver.spans.filter((s) => s.kind === 3 && String(s.attributes['url.full']).includes('/ping')).length === 2
        && receiver.logs.filter((l) => l.scope.name.includes('pino')).length === 2
        && receiver.logs.some((l) => l.scope.name.includes('winston'))
        && receiver.spans.some((s) => s.events.some((e) => e.name === 'exception')), 20000, 'spans and logs of the three requests');
    } finally {
      app.child.kill('SIGTERM');
      await app.done;
    }

    const leaks = texts(receiver.spans, receiver.logs).filter((t) => t.text.includes(secret)).map((t) => `${t.where}: ${t.text.slice(0, 300)}`);
    assert.deepEqual(leaks, [], 'the secret reached the exporter');

    // and what is not secret is kept, with the secret's place visible
    const server = receiver.spans.find((s) => s.kind === 2 && s.attributes['url.path'] === '/search')!;
    assert.equal(server.attributes['url.query'], 'token=REDACTED&page=2');
    const clients = receiver.spans.filter((s) => s.kind === 3 && String(s.attributes['url.full']).includes('/ping'));
    assert.deepEqual(clients.map((s) => String(s.attributes['url.full']).replace(/:\d+\//, ':PORT/')).sort(), [
      'http://127.0.0.1:PORT/ping?password=REDACTED&page=2', 'http://127.0.0.1:PORT/ping?token=REDACTED&page=2',
    ]);
    const exception = receiver.spans.flatMap((s) => s.events).find((e) => e.name === 'exception' && String(e.attributes['exception.message']).includes('login failed'))!;
    assert.equal(exception.attributes['exception.message'], 'login failed: password=[REDACTED]');
    assert.match(String(exception.attributes['exception.stacktrace']), /^Error: login failed: password=\[REDACTED\]\n\s+at /);
    const query = receiver.spans.map((s) => s.attributes['db.query.text']).find((t) => String(t).startsWith('SELECT id'));
    assert.equal(query, 'SELECT id FROM users WHERE password = ? AND pin = ?');

    const pinoLogs = receiver.logs.filter((l) => l.scope.name.includes('pino'));
    const search = pinoLogs.find((l) => String(l.body).startsWith('search'))!;
    assert.equal(search.body, `search /search?token=[REDACTED]&page=2`);
    assert.deepEqual(search.attributes.req, { url: '/search?token=[REDACTED]&page=2', headers: { authorization: '[REDACTED]' } });
    const failed = pinoLogs.find((l) => l.body === 'lookup failed')!;
    assert.equal(failed.attributes['exception.message'], 'upstream refused: password=[REDACTED]');
    const w = receiver.logs.find((l) => l.scope.name.includes('winston'))!;
    assert.equal(w.body, 'token=[REDACTED] seen');
    assert.equal(w.attributes.apiKey, '[REDACTED]');
    assert.equal(w.attributes.page, 2);
  });
});
