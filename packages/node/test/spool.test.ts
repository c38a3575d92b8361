// The audit spool (src/spool): faithful encoding, group commit, the size bound, in-order drain,
// torn lines after a crash, adoption of a dead process's spool.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SeverityNumber } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AuditSpool } from '../src/spool/spool';
import { currentOwner, ownerName } from '../src/spool/owner';
import { logsSerializers } from '../src/logs/otlp-serializers';

/** Real SDK records (LogRecordImpl), as the audit processor receives them. */
function sdkRecords(n: number, extra: (i: number) => Record<string, unknown> = () => ({})): ReadableLogRecord[] {
  const out: ReadableLogRecord[] = [];
  const capture: LogRecordProcessor = { onEmit: (r) => { out.push(r); }, forceFlush: async () => {}, shutdown: async () => {} };
  const resource = resourceFromAttributes({ 'service.name': 'spool-test', 'process.pid': 4242, 'process.command_args': ['node', 'app.js'] }, { schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' });
  const provider = new LoggerProvider({ resource, processors: [capture] });
  const logger = provider.getLogger('@domain-otel/instrumentation-domain', '0.1.0', { schemaUrl: 'https://example.test/schema' });
  for (let i = 0; i < n; i++) {
    logger.emit({
      eventName: 'domain.audit.decision', severityNumber: SeverityNumber.INFO, severityText: 'INFO', timestamp: 1_760_000_000_123 + i, body: `record ${i}`,
      attributes: { 'domain.entity.id': i, 'log.record.uid': `uid-${i}`, ...extra(i) } as never,
    });
  }
  return out;
}

/** What the OTLP/JSON exporter would send for these records: the yardstick for "faithful". */
const wire = (records: ReadableLogRecord[]) => new TextDecoder().decode(logsSerializers().JsonLogsSerializer.serializeRequest(records));
const uids = (records: { record: ReadableLogRecord }[]) => records.map((r) => String(r.record.attributes['log.record.uid']));

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}

async function drain(spool: AuditSpool, batch = 100): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const read = await spool.read(batch);
    if (read.length === 0) break;
    got.push(...uids(read));
    spool.acknowledge(read.at(-1)!.position);
  }
  return got;
}

describe('audit spool', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'domain-otel-spool-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const open = (o: Partial<ConstructorParameters<typeof AuditSpool>[0]> = {}) =>
    new AuditSpool({ serviceDir: path.join(dir, 'svc'), maxBytes: 64 * 1024 * 1024, maxPending: 100_000, ...o });

  it('re-exports records exactly: the OTLP request for a read-back record equals the original\'s', async () => {
    const tricky = (i: number) => ({
      'a.double': 1.5, 'a.int': -7, 'a.big': 2 ** 53 - 1, 'a.bool': false, 'a.null': null, 'a.nan': Number.NaN, 'a.inf': -Infinity,
      'a.bytes': new Uint8Array([0, 1, 254, 255]), 'a.buffer': Buffer.from('hi'), 'a.list': ['x', 1, [true, { deep: 'y' }]],
      'a.map': { old: 'new', nested: { n: i } }, 'a.tag-like': { $y: 'not bytes' }, 'a.proto': JSON.parse('{"__proto__": {"x": 1}}'),
      'a.unicode': 'ünï — 😀 \u2028 "quoted" \\ back',
    });
    const records = sdkRecords(3, tricky);
    const spool = open();
    for (const r of records) assert.equal(spool.append(r), true);
    const read = await spool.read(10);
    assert.equal(read.length, 3);
    assert.equal(wire(read.map((r) => r.record)), wire(records));
    await spool.close();
  });

  it('append() never touches the disk; one fsync covers everything appended in the same turn (group commit)', async () => {
    const spool = open();
    const records = sdkRecords(5000);
    for (const r of records) spool.append(r);
    assert.equal(spool.unwritten(), 5000, 'nothing written synchronously');
    assert.equal(spool.syncs, 0);
    const read = await spool.read(5000);
    assert.equal(read.length, 5000);
    assert.ok(spool.syncs >= 1 && spool.syncs <= 3, `${spool.syncs} fsyncs for 5000 records appended in one turn`);
    await spool.close();
  });

  it('is bounded by size: append refuses past maxBytes, and accepts again once drained', async () => {
    const spool = open({ maxBytes: 64 * 1024 });
    let accepted = 0;
    for (const r of sdkRecords(2000)) {
      if (!spool.append(r)) break;
      accepted++;
      if (accepted % 50 === 0) await spool.whenWritten(); // let the writer run between bursts
    }
    assert.ok(accepted > 10 && accepted < 2000, `accepted ${accepted}`);
    assert.equal(spool.append(sdkRecords(1)[0]!), false);
    const drained = await drain(spool);
    assert.equal(drained.length, accepted);
    assert.equal(spool.isEmpty(), true);
    await spool.whenWritten(); // the last group commit may still be fsyncing what was already read
    assert.equal(spool.append(sdkRecords(1)[0]!), true, 'room again after the drain');
    await spool.close();
  });

  it('drains in order across segment files, deletes acknowledged segments, and leaves nothing behind', async () => {
    const spool = open({ segmentBytes: 8 * 1024 });
    const records = sdkRecords(600);
    for (let i = 0; i < records.length; i++) {
      spool.append(records[i]!);
      if (i % 100 === 99) await spool.whenWritten();
    }
    await spool.whenWritten();
    assert.ok(readdirSync(spool.ownDir).filter((f) => f.endsWith('.ndjson')).length > 3, 'several segments');
    assert.deepEqual(await drain(spool, 37), records.map((r) => String(r.attributes['log.record.uid'])));
    assert.equal(spool.isEmpty(), true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(readdirSync(spool.ownDir).filter((f) => f.endsWith('.ndjson')).length, 0, 'drained segments deleted');
    await spool.close();
    assert.equal(existsSync(spool.ownDir), false);
  });

  it('after a crash: a dead process\'s spool is adopted, a torn last line is skipped, and the records before the acknowledged point are not sent again', async () => {
    const crashed = open();
    const records = sdkRecords(300);
    for (const r of records) crashed.append(r);
    const first = await crashed.read(100);
    crashed.acknowledge(first.at(-1)!.position);
    await new Promise((r) => setTimeout(r, 1300)); // the acknowledged point is persisted within 1 s
    // the process dies mid-write: a torn line at the end of its segment
    const segment = path.join(crashed.ownDir, readdirSync(crashed.ownDir).find((f) => f.endsWith('.ndjson'))!);
    appendFileSync(segment, '{"r":0,"s":0,"t":[1,2],"o":[1,2],"a":{"log.record.uid":"torn');
    const me = currentOwner();
    const deadDir = path.join(dir, 'svc', ownerName({ ...me, pid: deadPid(), start: '1' }));
    renameSync(crashed.ownDir, deadDir);
    const next = open();
    assert.deepEqual(next.adoptedDirs.length, 1);
    assert.equal(existsSync(deadDir), false, 'renamed on adoption');
    assert.deepEqual(await drain(next), records.slice(100).map((r) => String(r.attributes['log.record.uid'])));
    assert.equal(next.isEmpty(), true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(next.adoptedDirs.filter((d) => existsSync(d)).length, 0, 'adopted directory removed once drained');
    await next.close();
  });

  it('never adopts a live owner\'s spool, and adopted spools are sent before its own records', async () => {
    const me = currentOwner();
    // a spool of a live process: this test's parent (on Linux with its real start time)
    const liveDir = path.join(dir, 'svc', ownerName({ ...me, pid: process.ppid, start: startTimeOf(process.ppid) ?? 'unknown' }));
    const other = open();
    other.append(sdkRecords(1, () => ({ 'log.record.uid': 'live-1' }))[0]!);
    await other.close(); // closed with a record in it: the directory stays
    renameSync(other.ownDir, liveDir);
    // a spool left by a dead process, holding uid-0..4
    const older = open();
    assert.equal(older.adoptedDirs.length, 0);
    sdkRecords(5).forEach((r) => older.append(r));
    await older.whenWritten();
    renameSync(older.ownDir, path.join(dir, 'svc', ownerName({ ...me, pid: deadPid(), start: '1' })));
    const spool = open();
    assert.equal(spool.adoptedDirs.length, 1, 'only the dead one');
    sdkRecords(2, (i) => ({ 'log.record.uid': `new-${i}` })).forEach((r) => spool.append(r));
    assert.deepEqual(await drain(spool), ['uid-0', 'uid-1', 'uid-2', 'uid-3', 'uid-4', 'new-0', 'new-1']);
    await spool.close();
    assert.ok(statSync(liveDir).isDirectory(), 'the live owner\'s spool is untouched');
  });

  it('an unusable directory is refused at construction (the distribution then turns the spool off)', () => {
    const file = path.join(dir, 'a-file');
    appendFileSync(file, 'x');
    assert.throws(() => new AuditSpool({ serviceDir: path.join(file, 'svc'), maxBytes: 1 << 20, maxPending: 10 }), /ENOTDIR|EEXIST/);
  });
});
