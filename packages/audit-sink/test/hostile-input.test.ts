/**
 * Decode amplification (issue 19 item 10): small gzip bodies that decode to huge protobuf or
 * JSON structures. The sink runs as its own process (`serve`, one worker thread); its peak
 * resident memory is read from /proc (VmHWM, reset before each body through clear_refs) and must
 * stay under the bound stated in docs/audit-sink.md — a resource limit, not a timing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Pool } from 'pg';
import { migrate } from '../src';
import { MEMORY_BOUND_MB } from '../src/limits';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';
import { startSink, TOKEN as SINK_TOKEN, type SinkFixture } from './helpers/sink-fixture';

const CLI = join(__dirname, '..', 'src', 'cli.ts');
const TOKEN = 'hostile-token';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const field = (no: number, payload: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);
/** n copies of `unit`, without building n Buffers. */
const repeat = (unit: Buffer, n: number) => Buffer.alloc(unit.length * n, unit);
const EVENT = field(12, Buffer.from('domain.audit.decision'));
/** ExportLogsServiceRequest { resource_logs { [resource] scope_logs { log_records... } } } */
const request = (records: Buffer, resource?: Buffer) =>
  field(1, Buffer.concat([...(resource ? [field(1, resource)] : []), field(2, records)]));

const MiB = 1024 * 1024;

/** The bodies: each a few KiB to a few hundred KiB of gzip. */
function hostileBodies(): { name: string; type: 'protobuf' | 'json'; body: Buffer; status: number; reason: RegExp }[] {
  const emptyAnyValue = Buffer.from([0x0a, 0x00]); // ArrayValue.values: an empty AnyValue
  const emptyKeyValue = Buffer.from([0x32, 0x00]); // LogRecord.attributes: an empty KeyValue
  return [
    {
      name: 'protobuf: one audit record whose body is an array of 8 million empty values (16 MiB)',
      type: 'protobuf',
      body: request(field(2, Buffer.concat([field(5, field(5, repeat(emptyAnyValue, 8 * MiB - 64))), EVENT]))),
      status: 200,
      reason: /1 log record\(s\) refused \(first: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: more than 100000 values/,
    },
    {
      name: 'protobuf: 8 million empty log records (16 MiB)',
      type: 'protobuf',
      body: request(repeat(Buffer.from([0x12, 0x00]), 8 * MiB - 16)),
      status: 413,
      reason: /more than 100000 log records in one request/,
    },
    {
      name: 'protobuf: an audit record with 5 million empty attributes (10 MiB)',
      type: 'protobuf',
      body: request(field(2, Buffer.concat([EVENT, repeat(emptyKeyValue, 5 * MiB)]))),
      status: 200,
      reason: /logRecords\[0\]\.attributes: 5242880 attributes, more than the limit of 1024/,
    },
    {
      name: 'protobuf: a 1 MiB resource shared by 100 small audit records (rows expand to 100 MiB)',
      type: 'protobuf',
      body: request(
        Buffer.concat(Array.from({ length: 100 }, () => field(2, EVENT))),
        field(1, Buffer.concat([field(1, Buffer.from('service.name')), field(2, field(1, Buffer.alloc(MiB, 0x61)))])),
      ),
      status: 413,
      reason: /expand to more than 33554432 characters of rows/,
    },
    {
      name: 'protobuf: 16 MiB of zeros',
      type: 'protobuf',
      body: Buffer.alloc(16 * MiB),
      status: 400,
      reason: /invalid protobuf ExportLogsServiceRequest: field number 0 at offset 0/,
    },
    {
      name: 'JSON: 16 MiB of empty objects',
      type: 'json',
      body: Buffer.from(`{"resourceLogs":[${'{},'.repeat((16 * MiB) / 3 - 10)}{}]}`),
      status: 413,
      reason: /decompressed body exceeds the OTLP\/JSON limit of 4194304 bytes/,
    },
    {
      name: 'JSON: 4 MiB of empty arrays (1.4 million)',
      type: 'json',
      body: Buffer.from(`{"resourceLogs":[${'[],'.repeat((4 * MiB) / 3 - 10)}[]]}`),
      status: 413,
      reason: /OTLP\/JSON body holds more than 500000 objects and arrays/,
    },
    {
      name: 'JSON: one audit record whose body is an array of 450,000 empty values',
      type: 'json',
      body: Buffer.from(
        `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"domain.audit.decision","body":{"arrayValue":{"values":[${'{},'.repeat(450_000)}{}]}}}]}]}]}`,
      ),
      status: 200,
      reason: /1 log record\(s\) refused \(first: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: more than 100000 values/,
    },
    {
      name: 'JSON: a million integers beyond 2^53 (each quoted to keep it exact)',
      type: 'json',
      body: Buffer.from(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[],"x":[${'12345678901234567890,'.repeat(190_000)}1]}]}]}`),
      status: 200,
      reason: /^$/, // nothing refused: no partial success
    },
  ];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const logsV1 = require('otlp-proto-root/build/src/generated/root').opentelemetry.proto.collector.logs.v1;

/** The reason in an answer: a partial success's message (200), or the google.rpc.Status message. */
function reasonOf(status: number, type: 'protobuf' | 'json', raw: Buffer): string {
  if (type === 'json') {
    const body = JSON.parse(raw.toString('utf8'));
    return status === 200 ? body.partialSuccess?.errorMessage ?? '' : body.message;
  }
  if (status === 200) return logsV1.ExportLogsServiceResponse.decode(raw).partialSuccess?.errorMessage ?? '';
  // google.rpc.Status { int32 code = 1; string message = 2 }: 0x08 <code> 0x12 <len> <message>
  let i = 2;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    const b = raw[++i]!;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  return raw.subarray(i + 1, i + 1 + len).toString('utf8');
}

function vm(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

describe('audit-sink: decode amplification is bounded (a small gzip body cannot make the sink allocate gigabytes)', function () {
  this.timeout(300_000);
  let pg: ThrowawayPostgres;
  let admin: Pool;
  let child: ChildProcess;
  let url: string;
  let stderr = '';

  before(async () => {
    pg = await startThrowawayPostgres();
    admin = new Pool({ connectionString: await pg.createDatabase('hostile'), max: 2 });
    await migrate(admin, { writerLogin: 'hostile_writer' });
    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--workers', '1'], {
      env: { ...process.env, DOMAIN_OTEL_AUDIT_SINK_TOKEN: TOKEN, DOMAIN_OTEL_AUDIT_DATABASE_URL: pg.connectionString('hostile', 'hostile_writer') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        stderr += d;
        const m = /listening on (\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
  });
  after(async () => {
    child?.kill('SIGTERM');
    await admin?.end();
    await pg?.destroy();
  });

  async function post(body: Buffer, type: 'protobuf' | 'json'): Promise<{ status: number; text: string }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': type === 'json' ? 'application/json' : 'application/x-protobuf', 'content-encoding': 'gzip', authorization: `Bearer ${TOKEN}` },
      body: gzipSync(body),
    });
    return { status: res.status, text: reasonOf(res.status, type, Buffer.from(await res.arrayBuffer())) };
  }

  async function valid(uid: string): Promise<void> {
    const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{
      eventName: 'domain.audit.decision', timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
      attributes: [{ key: 'log.record.uid', value: { stringValue: uid } }],
    }] }] }] }));
    const r = await post(body, 'json');
    assert.equal(r.status, 200, r.text);
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE uid = $1', [uid])).rows[0].n, 1);
  }

  it(`every hostile body is refused with a one-line reason, the sink's peak RSS stays within ${MEMORY_BOUND_MB} MB of its idle size, and a valid request right after is stored`, async () => {
    await valid('warm-up'); // the worker thread and the pool are up
    const pid = child.pid!;
    const peaks: string[] = [];
    for (const h of hostileBodies()) {
      const idle = vm(pid, 'VmRSS');
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // reset VmHWM to the current RSS
      const gz = gzipSync(h.body).length;
      const r = await post(h.body, h.type);
      const peak = vm(pid, 'VmHWM') - idle;
      peaks.push(`${h.name}: ${(gz / 1024).toFixed(0)} KiB gzip -> ${r.status}, +${peak.toFixed(0)} MB`);
      assert.ok(peak < MEMORY_BOUND_MB, `${h.name}: peak RSS +${peak.toFixed(0)} MB, bound ${MEMORY_BOUND_MB} MB`);
      assert.equal(r.status, h.status, `${h.name}: ${r.text.slice(0, 300)}`);
      assert.match(r.text, h.reason, h.name);
      assert.ok(!/[\r\n]/.test(r.text.trim()), `${h.name}: one line`);
      await valid(`after-${peaks.length}`);
    }
    console.log(`      ${peaks.join('\n      ')}`);
    assert.ok(child.exitCode === null, 'the sink is still running');
  });
});

describe('audit-sink: the requests in flight share a memory budget (--max-inflight)', function () {
  this.timeout(60_000);
  let sink: SinkFixture;

  before(async () => {
    sink = await startSink({ receiver: { maxInflightBytes: 1024 * 1024 } });
  });
  after(async () => {
    await sink?.close();
  });

  it('a request that would go beyond the budget while another holds it gets 503 + Retry-After; alone, it is served', async () => {
    const rec = (uid: string) => field(2, Buffer.concat([EVENT, field(6, Buffer.concat([field(1, Buffer.from('log.record.uid')), field(2, field(1, Buffer.from(uid)))])),
      field(6, Buffer.concat([field(1, Buffer.from('pad')), field(2, field(1, Buffer.alloc(700 * 1024, 0x70)))]))]));
    const first = request(rec('budget-1'));
    const second = request(rec('budget-2'));
    // The first request sends all but its last bytes and waits: its body holds ~700 KiB of the 1 MiB.
    const { request: httpRequest } = await import('node:http');
    const firstDone = new Promise<number>((resolve, reject) => {
      const req = httpRequest(sink.url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${SINK_TOKEN}`, 'content-length': first.length } },
        (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
      req.on('error', reject);
      req.write(first.subarray(0, first.length - 10));
      setTimeout(() => req.end(first.subarray(first.length - 10)), 1500);
    });
    await new Promise((r) => setTimeout(r, 500));
    const refused = await fetch(sink.url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${SINK_TOKEN}` }, body: second });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(reasonOf(503, 'protobuf', Buffer.from(await refused.arrayBuffer())), /memory budget/);
    assert.equal(await firstDone, 200);
    const again = await fetch(sink.url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${SINK_TOKEN}` }, body: second });
    assert.equal(again.status, 200);
    const n = await sink.admin.query(`SELECT uid FROM domain_otel_audit.records WHERE uid LIKE 'budget-%' ORDER BY uid`);
    assert.deepEqual(n.rows.map((r) => r.uid), ['budget-1', 'budget-2']);
  });
});
