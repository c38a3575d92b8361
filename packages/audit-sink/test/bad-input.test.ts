import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { AuditReceiver } from '../src';
import { startSink, TOKEN, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords, uid } from './helpers/otlp-client';
import { varint } from './helpers/hostile-bodies';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;

function protoRequest(records: { uid: string; eventName?: string; attrs?: Record<string, unknown> }[], service = 'bad-input'): Uint8Array {
  const msg = logsV1.ExportLogsServiceRequest.fromObject({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{
        scope: { name: 'test' },
        logRecords: records.map((r) => ({
          timeUnixNano: '1763000000000000000',
          eventName: r.eventName ?? 'domain.audit.decision',
          body: { stringValue: 'x' },
          attributes: [
            { key: 'log.record.uid', value: { stringValue: r.uid } },
            { key: 'domain.audit.action', value: { stringValue: 'read' } },
            ...Object.entries(r.attrs ?? {}).map(([key, value]) => ({ key, value })),
          ],
        })),
      }],
    }],
  });
  return logsV1.ExportLogsServiceRequest.encode(msg).finish();
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw HTTP request (node:http, so the test controls every header and can stream chunked bodies). */
function post(url: string, body: Buffer | Uint8Array | AsyncIterable<Buffer> | null, headers: Record<string, string>, method = 'POST'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // The server may answer and close before the whole body is sent: the response is what counts.
    req.on('error', (err) => (err as { code?: string }).code === 'EPIPE' || (err as { code?: string }).code === 'ECONNRESET' ? undefined : reject(err));
    if (body === null) req.end();
    else if (Symbol.asyncIterator in body) {
      (async () => {
        for await (const chunk of body as AsyncIterable<Buffer>) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(() => {});
    } else req.end(body);
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };

// The same refusals whether requests are decoded on the request thread or on worker threads.
for (const workers of [0, 2]) {
  describe(`audit-sink receiver: bad input is refused with a one-line reason and affects nothing else (${workers ? `${workers} worker threads` : 'decoded on the request thread'})`, function () {
    this.timeout(120_000);
    let sink: SinkFixture;
    let small: AuditReceiver;

    before(async () => {
      sink = await startSink({ receiver: { prepareWorkers: workers } });
      small = new AuditReceiver({ pool: sink.writerPool, token: TOKEN, host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024, log: () => {} });
      await small.listen();
    });
    after(async () => {
      await small?.close();
      await sink?.close();
    });

    async function count(): Promise<number> {
      return (await sink.admin.query('SELECT count(*)::int AS n FROM domain_otel_audit.records')).rows[0].n;
    }

    /** Send the bad request, check status and reason, and that nothing was stored. */
    async function refused(res: Promise<Res>, status: number, reason: RegExp, before: number) {
      const r = await res;
      assert.equal(r.status, status, `status (body: ${r.body.toString('utf8')})`);
      const text = reasonOf(r);
      assert.match(text, reason);
      assert.ok(!text.trim().includes('\n'), `one line: ${JSON.stringify(text)}`);
      assert.equal(await count(), before, 'nothing stored');
      return r;
    }

    it('401 without a token, with a wrong token, with a token of another length, with another scheme', async () => {
      const body = protoRequest([{ uid: uid() }]);
      const n = await count();
      for (const authorization of [undefined, `Bearer ${TOKEN.slice(0, -1)}x`, 'Bearer short', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer']) {
        const r = await refused(post(sink.url, body, { ...PROTO, ...(authorization ? { authorization } : {}) }), 401, /bearer token/, n);
        assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      }
      // The upstream exporter sees a non-retryable failure, and the receiver counted it.
      const res = await exportWith('proto', sink.url, await sdkRecords([decision()]), { token: 'nope' });
      assert.notEqual(res.code, 0);
      assert.equal(await count(), n);
    });

    it('415 for an unsupported content type or content encoding', async () => {
      const n = await count();
      const body = protoRequest([{ uid: uid() }]);
      await refused(post(sink.url, body, { ...auth, 'content-type': 'text/plain' }), 415, /unsupported content type "text\/plain"; expected application\/x-protobuf or application\/json/, n);
      await refused(post(sink.url, body, { ...auth }), 415, /unsupported content type/, n);
      await refused(post(sink.url, body, { ...auth, ...PROTO, 'content-encoding': 'br' }), 415, /unsupported content encoding "br"/, n);
    });

    it('400 for malformed or truncated protobuf', async () => {
      const n = await count();
      const good = protoRequest([{ uid: uid() }, { uid: uid() }]);
      const truncated = Buffer.from(good.subarray(0, good.length - 7));
      await refused(post(sink.url, truncated, { ...auth, ...PROTO }), 400, /invalid protobuf ExportLogsServiceRequest/, n);
      await refused(post(sink.url, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), { ...auth, ...PROTO }), 400, /invalid protobuf/, n);
      await refused(post(sink.url, Buffer.from([0x2f, 0x00]), { ...auth, ...PROTO }), 400, /invalid protobuf.*wire type/, n);
      // The error body is a google.rpc.Status in protobuf: field 1 = code 3 (INVALID_ARGUMENT).
      const r = await post(sink.url, truncated, { ...auth, ...PROTO });
      assert.equal(r.headers['content-type'], 'application/x-protobuf');
      assert.deepEqual([...r.body.subarray(0, 3)], [0x08, 3, 0x12]);
    });

    it('400 for bad JSON, a non-object body, wrong field types, invalid ids, invalid UTF-8', async () => {
      const n = await count();
      const cases: [string | Buffer, RegExp][] = [
        ['{"resourceLogs": [', /invalid OTLP\/JSON/],
        ['[1,2]', /must be a JSON object/],
        ['{"resourceLogs": {}}', /resourceLogs: expected an array/],
        [JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'domain.audit.decision', traceId: 'xyz' }] }] }] }), /traceId: expected 32 hex digits/],
        [JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'domain.audit.decision', timeUnixNano: 'soon' }] }] }] }), /timeUnixNano: expected an integer/],
        [JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'domain.audit.decision', attributes: [{ key: 'a', value: { intValue: 1.5 } }] }] }] }] }), /intValue: expected an integer/],
        [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
      ];
      for (const [body, reason] of cases) {
        const r = await refused(post(sink.url, Buffer.from(body), { ...auth, ...JSON_CT }), 400, reason, n);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(JSON.parse(r.body.toString()).code, 3);
      }
    });

    it('400 for a body that is not gzip or a truncated gzip stream', async () => {
      const n = await count();
      const good = gzipSync(protoRequest([{ uid: uid() }]));
      await refused(post(sink.url, Buffer.from('not gzip at all'), { ...auth, ...PROTO, 'content-encoding': 'gzip' }), 400, /invalid gzip body/, n);
      await refused(post(sink.url, good.subarray(0, good.length - 10), { ...auth, ...PROTO, 'content-encoding': 'gzip' }), 400, /invalid gzip body/, n);
    });

    it('AnyValue nesting beyond the limit refuses that record (partial success, reason) and stores the others of the request (JSON and protobuf)', async () => {
      // Was a 400 for the whole request: the collector would have dropped every other record of its batch.
      let v: unknown = { stringValue: 'leaf' };
      for (let i = 0; i < 100; i++) v = { arrayValue: { values: [v] } };
      const good = uid();
      const json = { resourceLogs: [{ scopeLogs: [{ logRecords: [
        { eventName: 'domain.audit.decision', body: v },
        { eventName: 'domain.audit.decision', timeUnixNano: '1763000000000000000', attributes: [{ key: 'log.record.uid', value: { stringValue: good } }] },
      ] }] }] };
      const r = await post(sink.url, Buffer.from(JSON.stringify(json)), { ...auth, ...JSON_CT });
      assert.equal(r.status, 200, r.body.toString());
      const partial = JSON.parse(r.body.toString()).partialSuccess;
      assert.equal(partial.rejectedLogRecords, '1');
      assert.match(partial.errorMessage, /^1 log record\(s\) refused \(first: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.body: AnyValue nested deeper than 64\)$/);
      assert.equal((await sink.admin.query('SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE uid = $1', [good])).rows[0].n, 1);
      // 100 000 levels of protobuf nesting: checked on the wire, never handed to the recursive decoder.
      // Each level is only a prefix (tag + length), so build the lengths inside out, then write once.
      const n = await count();
      const leaf = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue{string_value: "x"}
      const prefixes: Buffer[] = [];
      let len = leaf.length;
      for (let i = 0; i < 100_000; i++) {
        const arrLen = 1 + varint(len).length + len; // ArrayValue{values: [AnyValue]}
        prefixes.push(Buffer.concat([Buffer.from([0x0a]), varint(len)]));
        prefixes.push(Buffer.concat([Buffer.from([0x2a]), varint(arrLen)])); // AnyValue{array_value}
        len = 1 + varint(arrLen).length + arrLen;
      }
      const inner = Buffer.concat([...prefixes.reverse(), leaf]);
      assert.equal(inner.length, len);
      const lr = Buffer.concat([Buffer.from([0x2a]), varint(inner.length), inner, Buffer.from([0x62, 21]), Buffer.from('domain.audit.decision')]);
      const sl = Buffer.concat([Buffer.from([0x12]), varint(lr.length), lr]);
      const rl = Buffer.concat([Buffer.from([0x12]), varint(sl.length), sl]);
      const req = Buffer.concat([Buffer.from([0x0a]), varint(rl.length), rl]);
      const p = await post(sink.url, req, { ...auth, ...PROTO });
      assert.equal(p.status, 200);
      const decoded = logsV1.ExportLogsServiceResponse.decode(p.body);
      assert.equal(Number(decoded.partialSuccess.rejectedLogRecords), 1);
      assert.match(decoded.partialSuccess.errorMessage, /logRecords\[0\]\.body: AnyValue nested deeper than 64/);
      assert.equal(await count(), n, 'nothing stored');
    });

    it('a malformed field in one record (bad trace id, non-integer time) refuses that record only; the others of the request are stored (JSON and protobuf)', async () => {
      // Was a 400 for the whole request: the collector drops a batch answered 400, good records with it.
      const good = [uid(), uid()];
      const json = { resourceLogs: [{ scopeLogs: [{ logRecords: [
        { eventName: 'domain.audit.decision', traceId: 'xyz', attributes: [{ key: 'log.record.uid', value: { stringValue: uid() } }] },
        { eventName: 'domain.audit.decision', timeUnixNano: '1763000000000000000', attributes: [{ key: 'log.record.uid', value: { stringValue: good[0] } }] },
        { eventName: 'domain.audit.decision', timeUnixNano: 'soon', attributes: [{ key: 'log.record.uid', value: { stringValue: uid() } }] },
      ] }] }] };
      const r = await post(sink.url, Buffer.from(JSON.stringify(json)), { ...auth, ...JSON_CT });
      assert.equal(r.status, 200, r.body.toString());
      const partial = JSON.parse(r.body.toString()).partialSuccess;
      assert.equal(partial.rejectedLogRecords, '2');
      assert.match(partial.errorMessage, /^2 log record\(s\) refused \(first: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.traceId: expected 32 hex digits\)$/);
      // protobuf: a trace id of 3 bytes in the first record, the second record intact
      const proto = logsV1.ExportLogsServiceRequest.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [
        { timeUnixNano: '1763000000000000000', eventName: 'domain.audit.decision', traceId: Buffer.from([1, 2, 3]), attributes: [{ key: 'log.record.uid', value: { stringValue: uid() } }] },
        { timeUnixNano: '1763000000000000000', eventName: 'domain.audit.decision', attributes: [{ key: 'log.record.uid', value: { stringValue: good[1] } }] },
      ] }] }] });
      const p = await post(sink.url, logsV1.ExportLogsServiceRequest.encode(proto).finish(), { ...auth, ...PROTO });
      assert.equal(p.status, 200, p.body.toString());
      const decoded = logsV1.ExportLogsServiceResponse.decode(p.body);
      assert.equal(Number(decoded.partialSuccess.rejectedLogRecords), 1);
      assert.match(decoded.partialSuccess.errorMessage, /logRecords\[0\]\.traceId: expected 16 bytes, got 3/);
      const stored = await sink.admin.query('SELECT uid FROM domain_otel_audit.records WHERE uid = ANY($1)', [good]);
      assert.deepEqual(stored.rows.map((x) => x.uid).sort(), [...good].sort());
    });

    it('413 for a body above the limit: declared length, chunked stream, and a gzip bomb', async () => {
      const n = await count();
      const big = Buffer.alloc(100 * 1024, 0x41);
      await refused(post(small.url, big, { ...auth, ...PROTO }), 413, /exceeds the limit of 65536 bytes/, n);
      async function* chunks() {
        for (let i = 0; i < 50; i++) yield Buffer.alloc(8 * 1024, 0x42);
      }
      await refused(post(small.url, chunks(), { ...auth, ...PROTO, 'transfer-encoding': 'chunked' }), 413, /exceeds the limit/, n);
      // 256 MiB of zeros gzip to ~256 KB; the default 16 MiB limit must stop it while inflating.
      const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
      assert.ok(bomb.length < 1024 * 1024);
      const t0 = Date.now();
      await refused(post(sink.url, bomb, { ...auth, ...PROTO, 'content-encoding': 'gzip' }), 413, /decompressed body exceeds the limit of 16777216 bytes/, n);
      assert.ok(Date.now() - t0 < 5000, 'stopped early, not after inflating everything');
      const heap = process.memoryUsage().rss;
      assert.ok(heap < 2 * 1024 ** 3, 'the bomb was not inflated into memory');
    });

    it('404 for other paths and 405 for other methods', async () => {
      const r1 = await post(sink.url.replace('/v1/logs', '/v1/traces'), Buffer.from(''), { ...auth, ...PROTO });
      assert.equal(r1.status, 404);
      const r2 = await post(sink.url, null, { ...auth }, 'GET');
      assert.equal(r2.status, 405);
      assert.equal(r2.headers['allow'], 'POST');
    });

    it('stores NUL characters and lone surrogates as U+FFFD instead of failing', async () => {
      const u = uid();
      const json = JSON.stringify({
        resourceLogs: [{ scopeLogs: [{ logRecords: [{
          eventName: 'domain.audit.decision',
          body: { stringValue: 'a\u0000b' },
          attributes: [
            { key: 'log.record.uid', value: { stringValue: u } },
            { key: 'user.id', value: { stringValue: 'x\ud800y' } },
          ],
        }] }] }],
      });
      const r = await post(sink.url, Buffer.from(json), { ...auth, ...JSON_CT });
      assert.equal(r.status, 200, r.body.toString());
      const row = (await sink.admin.query('SELECT user_id, record FROM domain_otel_audit.records WHERE uid = $1', [u])).rows[0];
      assert.equal(row.user_id, 'x\uFFFDy');
      assert.equal(row.record.body, 'a\uFFFDb');
    });

    it('survives 300 randomly corrupted payloads (only 200 or 400), then still stores a valid request', async () => {
      const good = Buffer.from(protoRequest([{ uid: 'fuzz-a' }, { uid: 'fuzz-b', eventName: 'domain.manager.mutation' }, { uid: 'fuzz-c', eventName: 'other' }]));
      let seed = 12345;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const statuses = new Map<number, number>();
      for (let i = 0; i < 300; i++) {
        const b = Buffer.from(good);
        const mode = rand(3);
        if (mode === 0) for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] = rand(256);
        const payload = mode === 1 ? b.subarray(0, rand(b.length)) : mode === 2 ? Buffer.concat([b, Buffer.from([rand(256), rand(256)])]) : b;
        const r = await post(sink.url, payload, { ...auth, ...PROTO });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        assert.ok(r.status === 200 || r.status === 400, `status ${r.status}: ${r.body.toString()} ${sink.logs.slice(-3).join(' | ')}`);
      }
      assert.ok((statuses.get(400) ?? 0) > 0);
      const u = uid();
      assertExported(await exportWith('proto', sink.url, await sdkRecords([decision({ 'log.record.uid': u })])));
      assert.equal((await sink.admin.query('SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE uid = $1', [u])).rows[0].n, 1);
    });

    it('a bad request does not disturb valid requests sent at the same time', async () => {
      const uids = Array.from({ length: 10 }, () => uid());
      const n = await count();
      const results = await Promise.all([
        ...uids.map(async (u) => exportWith('json', sink.url, await sdkRecords([decision({ 'log.record.uid': u })]))),
        post(sink.url, Buffer.from('garbage'), { ...auth, ...JSON_CT }),
        post(sink.url, Buffer.from([0x2f]), { ...auth, ...PROTO }),
        post(sink.url, Buffer.from('x'), { ...PROTO }),
      ]);
      for (const r of results.slice(0, 10)) assertExported(r as never);
      assert.deepEqual(results.slice(10).map((r) => (r as Res).status), [400, 400, 401]);
      assert.equal(await count(), n + 10);
    });
  });
}

/** The one-line reason: text/plain, JSON google.rpc.Status or protobuf google.rpc.Status. */
function reasonOf(r: Res): string {
  const type = String(r.headers['content-type']);
  if (type.startsWith('application/json')) return JSON.parse(r.body.toString()).message;
  if (type.startsWith('application/x-protobuf')) {
    let i = 0;
    const readVarint = () => {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = r.body[i++]!;
        v += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return v;
        shift += 7;
      }
    };
    while (i < r.body.length) {
      const tag = readVarint();
      if (tag === 0x08) readVarint();
      else if (tag === 0x12) {
        const n = readVarint();
        return r.body.subarray(i, i + n).toString('utf8');
      } else throw new Error(`unexpected tag ${tag} in Status`);
    }
    return '';
  }
  return r.body.toString('utf8');
}
