import assert from 'node:assert/strict';
import { cli } from './helpers/cli-run';
import { startSink, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, decision, exportWith, sdkRecords, type EmitSpec } from './helpers/otlp-client';


const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('audit-sink query: filters, time ranges, table and NDJSON', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  const now = Date.now();

  before(async () => {
    sink = await startSink();
    const specs: EmitSpec[] = [
      decision({ 'user.id': '42', 'domain.tenant.id': 'acme', 'domain.manager.name': 'InvoiceManager', 'domain.entity.id': '7', 'domain.audit.action': 'update', 'domain.audit.outcome': 'granted' },
        { timestamp: new Date('2024-05-10T08:00:00Z'), traceId: TRACE, spanId: '00f067aa0ba902b7' }),
      decision({ 'user.id': '42', 'domain.tenant.id': 'acme', 'domain.manager.name': 'InvoiceManager', 'domain.entity.id': '8', 'domain.audit.action': 'delete', 'domain.audit.outcome': 'denied' },
        { timestamp: new Date('2024-05-10T09:00:00.123456Z') }),
      decision({ 'user.id': '43', 'domain.tenant.id': 'globex', 'domain.manager.name': 'InvoiceManager', 'domain.entity.id': '7', 'domain.audit.action': 'read', 'domain.audit.outcome': 'granted' },
        { timestamp: new Date('2024-05-11T10:00:00Z') }),
      {
        eventName: 'domain.manager.mutation',
        timestamp: new Date('2024-05-12T10:00:00Z'),
        body: 'invoice 7 updated',
        attributes: { 'user.id': '42', 'domain.tenant.id': 'acme', 'domain.manager.name': 'InvoiceManager', 'domain.entity.id': '7', 'domain.mutation.action': 'update', 'domain.mutation.outcome': 'success', 'log.record.uid': 'mut-1' },
      },
      decision({ 'user.id': '99', 'domain.tenant.id': 'acme', 'domain.manager.name': 'UserManager', 'domain.entity.id': 'u1', 'domain.audit.action': 'create', 'domain.audit.outcome': 'bypassed' },
        { timestamp: new Date(now - 3600_000) }),
      decision({ 'user.id': '99', 'domain.tenant.id': 'acme', 'domain.manager.name': 'UserManager', 'domain.entity.id': 'u2', 'domain.audit.action': 'create', 'domain.audit.outcome': 'granted' },
        { timestamp: new Date(now - 48 * 3600_000) }),
    ];
    assertExported(await exportWith('json', sink.url, await sdkRecords(specs, { 'service.name': 'billing' })));
  });
  after(async () => {
    await sink?.close();
  });

  async function ndjson(...filters: string[]) {
    const r = await cli(['query', '--database-url', sink.readerUrl, '--ndjson', ...filters]);
    assert.equal(r.code, 0, r.err);
    return r.out.trim() === '' ? [] : r.out.trim().split('\n').map((l) => JSON.parse(l));
  }
  const ent = (rows: { entity_id: string; action: string }[]) => rows.map((r) => `${r.entity_id}:${r.action}`);

  it('filters by user, tenant, manager + entity, action, outcome, event, trace, service', async () => {
    assert.deepEqual(ent(await ndjson('--user', '42')), ['7:update', '8:delete', '7:update']);
    assert.deepEqual(ent(await ndjson('--tenant', 'globex')), ['7:read']);
    assert.deepEqual(ent(await ndjson('--manager', 'InvoiceManager', '--entity', '7')), ['7:update', '7:read', '7:update']);
    assert.deepEqual(ent(await ndjson('--action', 'create', '--outcome', 'bypassed')), ['u1:create']);
    assert.deepEqual(ent(await ndjson('--outcome', 'denied')), ['8:delete']);
    assert.deepEqual(ent(await ndjson('--event', 'domain.manager.mutation')), ['7:update']);
    assert.deepEqual(ent(await ndjson('--trace', TRACE.toUpperCase())), ['7:update']);
    assert.equal((await ndjson('--service', 'billing')).length, 6);
    assert.deepEqual(await ndjson('--user', 'nobody'), []);
  });

  it('filters by time: --from/--to (UTC when no zone) and --since', async () => {
    assert.deepEqual(ent(await ndjson('--from', '2024-05-10', '--to', '2024-05-11')), ['7:update', '8:delete']);
    assert.deepEqual(ent(await ndjson('--from', '2024-05-10T09:00', '--to', '2024-05-12T10:00:00Z')), ['8:delete', '7:read']);
    assert.deepEqual(ent(await ndjson('--from', '2024-05-10T11:00:00+02:00', '--to', '2024-05-10T11:00:00.200+02:00')), ['8:delete']);
    assert.deepEqual(ent(await ndjson('--since', '24h')), ['u1:create']);
    assert.deepEqual(ent(await ndjson('--since', '3d')), ['u2:create', 'u1:create']);
  });

  it('--limit and --desc', async () => {
    assert.deepEqual(ent(await ndjson('--user', '42', '--desc', '--limit', '2')), ['7:update', '8:delete']);
    const r = await cli(['query', '--database-url', sink.readerUrl, '--user', '42', '--limit', '1']);
    assert.match(r.err, /stopped at --limit 1/);
  });

  it('NDJSON rows carry the columns, exact ns time and the full record', async () => {
    const [row] = await ndjson('--from', '2024-05-10T09:00:00Z', '--to', '2024-05-10T10:00:00Z');
    assert.equal(row.time, '2024-05-10T09:00:00.123000000Z');
    assert.equal(row.time_unix_nano, '1715331600123000000');
    assert.equal(row.chain, '2024-05#0');
    assert.equal(row.seq, '2');
    assert.equal(row.service, 'billing');
    assert.equal(row.record.attributes['domain.audit.outcome'], 'denied');
    assert.equal(row.record.body, 'user 42 was granted update on invoice 7');
  });

  it('prints a table by default', async () => {
    const r = await cli(['query', '--database-url', sink.readerUrl, '--tenant', 'globex']);
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, /^TIME \(UTC\)\s+EVENT\s+ACTION\s+OUTCOME\s+MANAGER\s+ENTITY\s+USER\s+TENANT\s+SERVICE\s+TRACE\s+UID$/);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /^2024-05-11 10:00:00.000 domain.audit.decision\s+read\s+granted\s+InvoiceManager\s+7\s+43\s+globex\s+billing\s+-\s+\S+$/);
  });

  it('rejects bad values with one line naming the value and what is expected (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--since', '2x'], 'domain-otel-audit: --since "2x": expected a positive duration such as 90s, 30m, 24h, 7d or 2w\n'],
      [['--from', 'yesterday'], 'domain-otel-audit: --from "yesterday": expected an ISO-8601 date or date-time such as 2025-11-01 or 2025-11-01T09:30:00Z\n'],
      [['--limit', '0'], 'domain-otel-audit: --limit "0": expected an integer from 1 to 10000000\n'],
      [['--trace', 'xyz'], 'domain-otel-audit: --trace "xyz": expected a trace id of 32 hex digits\n'],
      [['--colour'], 'domain-otel-audit: query: unknown option --colour; see domain-otel-audit query --help\n'],
      [['--user'], 'domain-otel-audit: query: option --user expects a value\n'],
      [['--since', '1h', '--from', '2024-01-01'], 'domain-otel-audit: query: --since and --from both set the start; use one\n'],
      [['--from', '2024-02-01', '--to', '2024-01-01'], 'domain-otel-audit: --to "2024-01-01": expected a time after the start (2024-02-01T00:00:00.000Z)\n'],
      [['--database-url', 'mysql://x'], 'domain-otel-audit: --database-url "mysql://x": expected a postgres:// or postgresql:// connection string\n'],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(['query', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.err, expected);
    }
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.err, 'domain-otel-audit: unknown command "frobnicate"; expected serve, migrate, query, verify, retain, checkpoint, prove, verify-proof, keygen or ui\n');
  });
});
