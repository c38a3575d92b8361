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
import { EVENT, field, hostileBodies, reasonOf, request } from './helpers/hostile-bodies';

const CLI = join(__dirname, '..', 'src', 'cli.ts');
const TOKEN = 'hostile-token';

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
