import assert from 'node:assert/strict';
import { createKeyMatcher } from '@domain-otel/instrumentation-domain';
import { redactText, redactUrl } from '../src/redaction/text-rules';
import { replaceSqlLiterals } from '../src/redaction/sql-literals';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { addRedaction, Redactor } from '../src/redaction/processors';

const isSecret = createKeyMatcher([]);

describe('redaction rules for what upstream instrumentations record', () => {
  describe('URLs: secret query parameters and userinfo', () => {
    const cases: [string, string][] = [
      ['http://127.0.0.1:8080/search?token=s3cret&page=2', 'http://127.0.0.1:8080/search?token=REDACTED&page=2'],
      ['/login?user=ada&password=hunter2&next=%2Fhome', '/login?user=ada&password=REDACTED&next=%2Fhome'],
      ['/cb#access_token=abc&state=xyz', '/cb#access_token=REDACTED&state=xyz'],
      ['/a?api%5Fkey=k1&Shipping=fast&pin=1234&author=me', '/a?api%5Fkey=REDACTED&Shipping=fast&pin=REDACTED&author=me'],
      ['https://ada:hunter2@example.com/x?q=1', 'https://REDACTED:REDACTED@example.com/x?q=1'],
      ['/plain/path', '/plain/path'],
      ['/x?flag&token', '/x?flag&token'],
    ];
    for (const [input, expected] of cases) it(`${input} → ${expected}`, () => assert.equal(redactUrl(input, isSecret), expected));
    it('a bare query string (url.query)', () => assert.equal(redactUrl('token=s3cret&page=2', isSecret, true), 'token=REDACTED&page=2'));
  });

  describe('free text: exception messages, stack traces, log lines', () => {
    const cases: [string, string][] = [
      ['login failed: password=hunter2 for ada', 'login failed: password=[REDACTED] for ada'],
      ['Error: bad request {"password":"hun ter2","user":"ada"}', 'Error: bad request {"password":"[REDACTED]","user":"ada"}'],
      ["config: api_key = 'k-123', region = 'eu'", "config: api_key = '[REDACTED]', region = 'eu'"],
      ['GET /reset?token=s3cret&page=2 failed', 'GET /reset?token=[REDACTED]&page=2 failed'],
      ['Authorization: Bearer abc.def-123 rejected', 'Authorization: [REDACTED] rejected'],
      ['sent Bearer eyJabc123.x to upstream', 'sent Bearer [REDACTED] to upstream'],
      [`header Basic ${Buffer.from('ada:hunter2').toString('base64')} refused`, 'header Basic [REDACTED] refused'],
      ['connect postgres://app:hunter2@db.local:5432/x failed', 'connect postgres://app:[REDACTED]@db.local:5432/x failed'],
      ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl seen', 'jwt [REDACTED] seen'],
      ['Error: DB_PASSWORD: hunter2\n    at connect (/app/db.js:10:5)', 'Error: DB_PASSWORD: [REDACTED]\n    at connect (/app/db.js:10:5)'],
      ['otp=123456 pin: 9876 cvc=321', 'otp=[REDACTED] pin: [REDACTED] cvc=[REDACTED]'],
    ];
    for (const [input, expected] of cases) it(JSON.stringify(input), () => assert.equal(redactText(input, isSecret), expected));

    const untouched = [
      'shipping=express author: Ada page=2',
      'Basic authentication failed',
      'Bearer token expired',
      'connect ECONNREFUSED 127.0.0.1:5432',
      'TypeError: Cannot read properties of undefined (reading \'x\')\n    at Object.<anonymous> (/app/index.js:3:9)',
      'input_tokens=120 output_tokens: 80',
    ];
    for (const input of untouched) it(`keeps ${JSON.stringify(input)}`, () => assert.equal(redactText(input, isSecret), input));
  });

  describe('SQL: every literal becomes ?', () => {
    const pg = { mysql: false };
    const cases: [string, string][] = [
      ["SELECT id FROM users WHERE password = 'hunter2' AND pin = 1234 LIMIT 10", 'SELECT id FROM users WHERE password = ? AND pin = ? LIMIT ?'],
      ["INSERT INTO t(a, b) VALUES ('it''s', E'a\\'b'), (-1.5e3, .5)", 'INSERT INTO t(a, b) VALUES (?, ?), (-?, ?)'],
      ['SELECT $body$ secret $x$ $body$, $$x$$ FROM t WHERE id = $1', 'SELECT ?, ? FROM t WHERE id = $1'],
      ['SELECT "Password", t1.col2 FROM "t 1" t1 -- note \'x\'\nWHERE x = 0x1F', 'SELECT "Password", t1.col2 FROM "t 1" t1 -- note \'x\'\nWHERE x = ?'],
      ["SELECT N'abc', X'1F', B'01', NULL, TRUE", 'SELECT ?, ?, ?, NULL, TRUE'],
      ['UPDATE t SET a = ? WHERE b = :name', 'UPDATE t SET a = ? WHERE b = :name'],
    ];
    for (const [input, expected] of cases) it(JSON.stringify(input), () => assert.equal(replaceSqlLiterals(input, pg), expected));
    it('MySQL: "…" is a string, backslash escapes, `names` kept', () => {
      assert.equal(replaceSqlLiterals('SELECT `password` FROM u WHERE a = "x\\"y" AND b = \'z\'', { mysql: true }), 'SELECT `password` FROM u WHERE a = ? AND b = ?');
    });
  });

  describe('values by attribute key', () => {
    const r = new Redactor(['internal_note']);
    it('a secret key: the whole value, whatever its type', () => {
      assert.equal(r.value('http.request.header.authorization', ['Bearer x']), '[REDACTED]');
      assert.equal(r.value('pin', 1234), '[REDACTED]');
      assert.equal(r.value('internalNote', 'x'), '[REDACTED]');
      assert.equal(r.value('shipping', 'fast'), 'fast');
    });
    it('nested maps (log attributes of pino/winston), at any depth', () => {
      const v = { req: { url: '/x?token=t1&page=2', headers: { cookie: 'sid=1', accept: 'json' } }, msg: 'password=p1' };
      assert.deepEqual(r.value('attrs', v), { req: { url: '/x?token=[REDACTED]&page=2', headers: { cookie: '[REDACTED]', accept: 'json' } }, msg: 'password=[REDACTED]' });
    });
    it('url.*, http.target, db.query.text, db.statement get their own rule; unchanged values keep their identity', () => {
      const attrs = { 'url.full': 'http://h/x?token=1', 'url.query': 'token=1&a=2', 'http.target': '/x?password=2', 'db.query.text': "SELECT 'a'", 'db.system.name': 'postgresql', ok: 'yes' };
      assert.deepEqual(r.attributes(attrs), { ...attrs, 'url.full': 'http://h/x?token=REDACTED', 'url.query': 'token=REDACTED&a=2', 'http.target': '/x?password=REDACTED', 'db.query.text': 'SELECT ?' });
      assert.equal(r.attributes({ ok: 'yes', n: 1 }), undefined);
      assert.equal(r.attributes({ 'db.statement': '{"find":"x","filter":{"a":1}}', 'db.system': 'mongodb' }), undefined);
    });
  });

  describe('the processors, through the real SDK (not registered globally)', () => {
    it('spans: attributes, name, status message and exception events are rewritten before any exporter sees them', async () => {
      const exporter = new InMemorySpanExporter();
      const spanProcessors = [new SimpleSpanProcessor({ exporter })];
      addRedaction(['internal_note'], spanProcessors, []);
      const provider = new TracerProvider({ spanProcessors });
      const span = provider.getTracer('test').startSpan('GET /x?token=t1', { attributes: { 'url.full': 'http://h/x?token=t1&page=2', internal_note: 'n1' } });
      span.recordException(new Error('boom: password=p1'));
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom: password=p1' });
      span.end();
      await provider.forceFlush();
      const [s] = exporter.getFinishedSpans();
      assert.equal(s.name, 'GET /x?token=[REDACTED]');
      assert.deepEqual(s.attributes, { 'url.full': 'http://h/x?token=REDACTED&page=2', internal_note: '[REDACTED]' });
      assert.equal(s.status.message, 'boom: password=[REDACTED]');
      assert.equal(s.events[0].attributes?.['exception.message'], 'boom: password=[REDACTED]');
      assert.doesNotMatch(JSON.stringify(s.events), /p1|t1|n1/);
    });

    it('logs: upstream records rewritten; records of the domain mapping (redacted where built) pass untouched', async () => {
      const exporter = new InMemoryLogRecordExporter();
      const logProcessors = [new SimpleLogRecordProcessor({ exporter })];
      addRedaction([], [], logProcessors);
      assert.equal(logProcessors.length, 2, 'an empty span pipeline stays empty; the log one gets the processor first');
      const provider = new LoggerProvider({ processors: logProcessors });
      provider.getLogger('@opentelemetry/instrumentation-pino').emit({ body: 'token=t1', attributes: { password: 'p1', req: { url: '/a?pin=1&page=2' } } });
      provider.getLogger('@domain-otel/instrumentation-domain').emit({ body: 'decided: token=t2', attributes: { 'domain.audit.reason': 'pin: 2' } });
      await provider.forceFlush();
      const [upstream, domain] = exporter.getFinishedLogRecords();
      assert.equal(upstream.body, 'token=[REDACTED]');
      assert.deepEqual(upstream.attributes, { password: '[REDACTED]', req: { url: '/a?pin=[REDACTED]&page=2' } });
      assert.equal(domain.body, 'decided: token=t2');
      assert.deepEqual(domain.attributes, { 'domain.audit.reason': 'pin: 2' });
    });
  });
});
