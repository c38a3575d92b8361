// Scenario 7: a fuzz run against the real sink process: ≥ 10,000 malformed, truncated,
// oversized, wrongly typed and deeply nested OTLP payloads (protobuf and JSON), interleaved with
// valid requests. The sink must stay up, answer every bad payload with a 4xx and a reason — or,
// for a record beyond the per-record limits (nesting deeper than 64), refuse that record through
// partial success with a reason (200, the request's other records stored), or 200 when the
// mutation happens to still be a valid request — never 5xx, and store every record of every
// valid request exactly once.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { decision, sdkRecords } from '../../packages/audit-sink/test/helpers/otlp-client';
import { note, report, stack, TOKEN, uniqueTag } from './harness';

const BAD = Number(process.env.FAULTS_S7_BAD ?? 10_000);
const VALID_EVERY = 10; // one valid request after every 10 bad ones
const PER_VALID = 5;

interface Res { status: number; body: string; error?: string; partial?: string }

const logsResponse = require('otlp-proto-root/build/src/generated/root').opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;

/** The partial-success reason of a 200 answer (records refused one by one), if any. */
function partialReason(raw: Buffer, type: string | undefined): string | undefined {
  try {
    const p = String(type).startsWith('application/json') ? JSON.parse(raw.toString('utf8')).partialSuccess : logsResponse.decode(raw).partialSuccess;
    return p && Number(p.rejectedLogRecords) > 0 ? String(p.errorMessage ?? '') : undefined;
  } catch {
    return undefined;
  }
}

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<Res> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, ...headers }, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const partial = res.statusCode === 200 ? partialReason(raw, res.headers['content-type']) : undefined;
        resolve({ status: res.statusCode!, body: raw.toString('utf8'), ...(partial !== undefined ? { partial } : {}) });
      });
      res.on('error', (e) => resolve({ status: 0, body: '', error: String(e) }));
    });
    // the sink may answer (413) and close before the whole body is sent: the answer counts
    req.on('error', (e) => resolve({ status: 0, body: '', error: (e as NodeJS.ErrnoException).code ?? String(e) }));
    req.end(body);
  });
}
import { Agent } from 'node:http';
const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });

// --- generators ------------------------------------------------------------------------------
let seed = 12345;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) { out.push((n & 127) | 128); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}
const field = (no: number, payload: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);

/** A protobuf request whose one audit record has a body AnyValue nested `depth` arrays deep. */
function deepProto(depth: number): Buffer {
  let any = field(1, Buffer.from('leaf')); // AnyValue.string_value
  for (let i = 0; i < depth; i++) any = field(5, field(1, any)); // AnyValue.array_value { values: [any] }
  const rec = Buffer.concat([field(5, any), field(12, Buffer.from('domain.audit.decision'))]);
  return field(1, field(2, field(2, rec))); // request.resource_logs.scope_logs.log_records
}

function deepJson(depth: number): Buffer {
  const open = '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth);
  const close = '}]}}'.repeat(depth);
  return Buffer.from(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"domain.audit.decision","body":${open}{"stringValue":"x"}${close}}]}]}]}`);
}

function flip(buf: Buffer): Buffer {
  const b = Buffer.from(buf);
  for (let k = 0, n = 1 + rnd(3); k < n; k++) b[rnd(b.length)] ^= 1 << rnd(8);
  return b;
}

const WRONG_TYPES = [
  '{"resourceLogs":"x"}', '{"resourceLogs":[{"scopeLogs":5}]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":{"a":1}}]}]}',
  '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":{}}]}]}]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"99999999999999999999999"}]}]}]}',
  '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"log.record.uid","value":{"intValue":"abc"}}]}]}]}]}',
  '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":42}]}]}]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]}',
  '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":"nope"}]}]}]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":[1,2,3]}]}]}]}',
  '[]', 'null', '"string"', '12', '{"resourceLogs":[null]}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"loud"}]}]}]}',
];

describe('faults 7: fuzzing the audit sink', function () {
  this.timeout(15 * 60_000);

  it(`${BAD} bad payloads interleaved with valid requests: the sink stays up, 4xx with a reason, every valid record stored once`, async () => {
    const s = await stack();
    const tag = uniqueTag('s7');
    const fuzzTag = `${tag}-fuzz`;
    const url = s.sinkUrl;
    const template = await sdkRecords(Array.from({ length: 8 }, (_, i) => decision({ 'domain.manager.name': fuzzTag, 'domain.entity.id': `f${i}` })));
    const protoTpl = Buffer.from(ProtobufLogsSerializer.serializeRequest(template) as Uint8Array);
    const jsonTpl = Buffer.from(JsonLogsSerializer.serializeRequest(template) as Uint8Array);
    const validCount = Math.ceil(BAD / VALID_EVERY);
    const validRecs = await sdkRecords(Array.from({ length: validCount * PER_VALID }, (_, i) => decision({ 'domain.manager.name': tag, 'domain.entity.id': String(i) })));
    const P = { 'content-type': 'application/x-protobuf' };
    const J = { 'content-type': 'application/json' };
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024));
    const kinds: [string, () => [Buffer, Record<string, string>]][] = [
      ['random bytes (protobuf)', () => [randomBytes(1 + rnd(2000)), P]],
      ['truncated protobuf', () => [protoTpl.subarray(0, rnd(protoTpl.length)), P]],
      ['bit-flipped protobuf', () => [flip(protoTpl), P]],
      ['truncated JSON', () => [jsonTpl.subarray(0, rnd(jsonTpl.length)), J]],
      ['bit-flipped JSON', () => [flip(jsonTpl), J]],
      ['wrong types (JSON)', () => [Buffer.from(WRONG_TYPES[rnd(WRONG_TYPES.length)]!), J]],
      ['random bytes as JSON', () => [randomBytes(1 + rnd(500)), J]],
      ['deeply nested JSON', () => [deepJson(200 + rnd(3000)), J]],
      ['deeply nested protobuf', () => [deepProto(200 + rnd(3000)), P]],
      ['not gzip with gzip encoding', () => [randomBytes(100), { ...P, 'content-encoding': 'gzip' }]],
      ['truncated gzip', () => [gzipSync(protoTpl).subarray(0, 20), { ...P, 'content-encoding': 'gzip' }]],
      ['wrong content type', () => [protoTpl, { 'content-type': 'text/plain' }]],
      ['unsupported encoding', () => [protoTpl, { ...P, 'content-encoding': 'br' }]],
    ];
    const rare: [string, () => [Buffer, Record<string, string>]][] = [
      ['oversized body (17 MiB)', () => [Buffer.alloc(17 * 1024 * 1024, 0x41), J]],
      ['gzip bomb (40 MiB inflated)', () => [bomb, { ...P, 'content-encoding': 'gzip' }]],
    ];
    const byKind = new Map<string, Map<number | string, number>>();
    const noReason: string[] = [];
    const fiveHundreds: string[] = [];
    let validOk = 0;
    let validFail = 0;
    let sentBad = 0;
    let v = 0;
    const jobs: (() => Promise<void>)[] = [];
    for (let k = 0; k < BAD; k++) {
      const [name, make] = k % 1000 === 999 ? rare[(k / 1000 | 0) % rare.length]! : kinds[k % kinds.length]!;
      jobs.push(async () => {
        const [body, headers] = make();
        const r = await post(url, body, headers);
        sentBad++;
        const m = byKind.get(name) ?? new Map();
        byKind.set(name, m);
        const key = r.partial !== undefined ? '200 (records refused)' : r.status || r.error || 'error';
        if (r.partial !== undefined && r.partial.trim().length < 3) noReason.push(`${name}: partial success without a reason`);
        m.set(key, (m.get(key) ?? 0) + 1);
        if (r.status >= 500) fiveHundreds.push(`${name}: ${r.status} ${r.body.slice(0, 200)}`);
        if (r.status >= 400 && r.status < 500 && r.body.trim().length < 3) noReason.push(`${name}: ${r.status}`);
      });
      if (k % VALID_EVERY === VALID_EVERY - 1 && v < validCount) {
        const slice = validRecs.slice(v * PER_VALID, (v + 1) * PER_VALID);
        const json = v % 2 === 1;
        v++;
        jobs.push(async () => {
          const body = json ? Buffer.from(JsonLogsSerializer.serializeRequest(slice) as Uint8Array) : Buffer.from(ProtobufLogsSerializer.serializeRequest(slice) as Uint8Array);
          const r = await post(url, body, json ? J : P);
          if (r.status === 200) validOk++;
          else validFail++;
        });
      }
    }
    const t0 = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => { while (next < jobs.length) await jobs[next++]!(); }));
    const ms = Date.now() - t0;
    const health = await fetch(`http://127.0.0.1:${s.sinkPort}/healthz`).then((r) => r.status, () => 0);
    const c = await s.count(tag);
    const sent = validCount * PER_VALID;
    const statusSummary = Object.fromEntries([...byKind].map(([k, m]) => [k, Object.fromEntries(m)]));
    note('scenario7', { badPayloads: sentBad, validRequests: validCount, ms, byKind: statusSummary });
    const pass = s.sink.running && health === 200 && fiveHundreds.length === 0 && noReason.length === 0 && validFail === 0 && c.entities === sent && c.rows === sent;
    report({
      scenario: `7 fuzz: ${sentBad} bad payloads + ${validCount} valid requests`, sent, acknowledged: validOk * PER_VALID, stored: c.entities, lost: sent - c.entities, duplicated: c.rows - c.entities,
      result: pass ? 'pass' : 'FAIL',
      notes: `${Math.round(((sentBad + validCount) / ms) * 1000)} requests/s; ${fiveHundreds.length} answers 5xx, ${noReason.length} 4xx without a reason; sink alive: ${s.sink.running}`,
    });
    assert.ok(s.sink.running, 'the sink process is alive');
    assert.equal(health, 200);
    assert.deepEqual(fiveHundreds.slice(0, 10), [], 'no 5xx');
    assert.deepEqual(noReason.slice(0, 10), [], 'every 4xx carries a reason');
    assert.ok(sentBad >= BAD);
    assert.equal(validFail, 0, 'every valid request acknowledged');
    assert.equal(c.entities, sent, 'every valid record stored');
    assert.equal(c.rows, sent, 'each once');
    // the bad payloads really were refused: most answers are 4xx, or 200 refusing the records one by one
    const all = [...byKind.values()].flatMap((m) => [...m]);
    const refused = all.filter(([k]) => (typeof k === 'number' && k >= 400 && k < 500) || k === '200 (records refused)').reduce((a, [, n]) => a + n, 0);
    assert.ok(refused > sentBad * 0.8, `only ${refused} of ${sentBad} refused: ${JSON.stringify(statusSummary)}`);
  });
});
