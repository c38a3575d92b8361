import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { sinkForSuite, TOKEN, type SinkFixture } from './helpers/sink-fixture';
import { assertExported, DECISION_ATTRIBUTES, decision, exportWith, sdkRecords, uid } from './helpers/otlp-client';
import type { ExtractedColumns } from '../src/columns';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;

interface Row extends ExtractedColumns {
  time: Date;
  seq: string;
  uid_generated: boolean;
  record: Record<string, unknown>;
}

describe('audit-sink receiver: OTLP round trip into Postgres', function () {
  this.timeout(120_000);
  let sink: SinkFixture;
  sinkForSuite((s) => (sink = s));

  async function rows(where = 'true', params: unknown[] = []): Promise<Row[]> {
    const r = await sink.admin.query<Row>(`SELECT * FROM domain_otel_audit.records WHERE ${where} ORDER BY time, seq`, params);
    return r.rows;
  }

  for (const [kind, compression] of [['proto', 'gzip'], ['proto', 'none'], ['json', 'none'], ['json', 'gzip']] as const) {
    it(`stores what the upstream ${kind} exporter sent (${compression}): columns and jsonb, int64 exact`, async () => {
      const recUid = uid();
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const spanId = 'b7ad6b7169203331';
      const records = await sdkRecords(
        [
          decision(
            {
              'log.record.uid': recUid,
              'domain.audit.permissions': ['invoice.update', 'invoice.*'],
              'domain.audit.attributes': ['amount', 'due_date'],
              'domain.audit.reason': 'role accountant',
            },
            { timestamp: [1763000000, 123456789], traceId, spanId },
          ),
          {
            eventName: 'domain.manager.mutation',
            body: { summary: 'updated', fields: 2 } as never,
            timestamp: [1763000001, 1],
            severityNumber: 9,
            attributes: {
              'domain.manager.name': 'InvoiceManager',
              'domain.mutation.action': 'update',
              'domain.mutation.outcome': 'success',
              'domain.entity.id': 7,
              'domain.mutation.changed_fields': ['amount'],
              // a map → structured AnyValue (kvlist), with an int64 that a JS number cannot hold
              'domain.mutation.changes': { amount: { old: 10, new: 12.5 } } as never,
              'big.counter': 2 ** 52 + 1,
              'user.id': 'u-1',
              'domain.tenant.id': 'acme',
              'log.record.uid': recUid + '-m',
            },
          },
          { eventName: 'domain.rule.evaluation', body: 'rule ran', attributes: { 'domain.rule.name': 'r1' } },
          { body: 'a plain log line without event name' },
        ],
        { 'service.name': `billing-${kind}-${compression}` },
      );
      const before = sink.receiver.stats.ignored;
      assertExported(await exportWith(kind, sink.url, records, { compression }));
      assert.equal(sink.receiver.stats.ignored - before, 2, 'the two non-audit records are counted as ignored');

      const got = await rows('service = $1', [`billing-${kind}-${compression}`]);
      assert.equal(got.length, 2, 'only the decision and the mutation are stored');
      const [d, m] = got as [Row, Row];

      assert.equal(d.event_name, 'domain.audit.decision');
      assert.equal(d.uid, recUid);
      assert.equal(d.uid_generated, false);
      assert.equal(d.time_unix_nano, '1763000000123456789');
      assert.equal(d.time.toISOString(), '2025-11-13T02:13:20.123Z');
      assert.deepEqual(
        [d.action, d.outcome, d.manager, d.entity_id, d.user_id, d.tenant_id, d.trace_id, d.span_id, d.service],
        ['update', 'granted', 'InvoiceManager', '7', '42', 'acme', traceId, spanId, `billing-${kind}-${compression}`],
      );
      const observed = d.record['observedTimeUnixNano'] as string;
      assert.match(observed, /^\d{19}$/);
      assert.deepEqual(d.record, {
        resource: {
          attributes: { 'service.name': `billing-${kind}-${compression}` },
          droppedAttributesCount: 0,
          schemaUrl: '',
        },
        scope: {
          name: '@domain-otel/instrumentation-domain',
          version: '0.1.0',
          attributes: {},
          droppedAttributesCount: 0,
          schemaUrl: '',
        },
        timeUnixNano: '1763000000123456789',
        observedTimeUnixNano: observed,
        severityNumber: 9,
        severityText: 'INFO',
        eventName: 'domain.audit.decision',
        body: 'user 42 was granted update on invoice 7',
        attributes: {
          ...DECISION_ATTRIBUTES,
          'log.record.uid': recUid,
          'domain.audit.permissions': ['invoice.update', 'invoice.*'],
          'domain.audit.attributes': ['amount', 'due_date'],
          'domain.audit.reason': 'role accountant',
        },
        droppedAttributesCount: 0,
        flags: 1,
        traceId,
        spanId,
      });

      assert.equal(m.event_name, 'domain.manager.mutation');
      assert.equal(m.time_unix_nano, '1763000001000000001');
      assert.deepEqual([m.action, m.outcome, m.entity_id, m.user_id], ['update', 'success', '7', 'u-1']);
      assert.equal(m.trace_id, null);
      assert.deepEqual(m.record['body'], { summary: 'updated', fields: '2' }, 'ints are exact decimal strings, maps stay maps');
      const attrs = m.record['attributes'] as Record<string, unknown>;
      assert.deepEqual(attrs['domain.mutation.changes'], { amount: { old: '10', new: 12.5 } });
      assert.deepEqual(attrs['domain.mutation.changed_fields'], ['amount']);
      assert.equal(attrs['domain.entity.id'], '7');
      assert.equal(attrs['big.counter'], '4503599627370497');
    });
  }

  it('keeps int64 values exact end to end when the wire carries them exactly', async () => {
    const u = uid();
    const body = {
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'int64-json' } }] },
        scopeLogs: [{
          scope: { name: 's' },
          logRecords: [{
            timeUnixNano: '1763000000000000001',
            eventName: 'domain.audit.decision',
            attributes: [
              { key: 'log.record.uid', value: { stringValue: u } },
              { key: 'as.string', value: { intValue: '9223372036854775807' } },
              { key: 'as.number', value: { intValue: 0 } },
            ],
          }],
        }],
      }],
    };
    // A JSON number above 2^53 must keep its digits too (JSON.parse alone would round it).
    const text = JSON.stringify(body).replace('{"intValue":0}', '{"intValue":-9223372036854775808}');
    const res = await fetch(sink.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: text,
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), {});

    const protoReq = logsV1.ExportLogsServiceRequest.fromObject({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'int64-proto' } }] },
        scopeLogs: [{
          scope: { name: 's' },
          logRecords: [{
            timeUnixNano: '18446744073709551615', // above int64: the sink falls back to observed time
            observedTimeUnixNano: '1763000000000000002',
            eventName: 'domain.audit.decision',
            attributes: [
              { key: 'log.record.uid', value: { stringValue: u + '-p' } },
              { key: 'big', value: { intValue: '-9223372036854775807' } },
            ],
          }],
        }],
      }],
    });
    const bytes = logsV1.ExportLogsServiceRequest.encode(protoReq).finish();
    const res2 = await fetch(sink.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}`, 'content-encoding': 'gzip' },
      body: gzipSync(bytes),
    });
    assert.equal(res2.status, 200);
    assert.equal(res2.headers.get('content-type'), 'application/x-protobuf');
    const decoded = logsV1.ExportLogsServiceResponse.decode(new Uint8Array(await res2.arrayBuffer()));
    assert.equal(decoded.partialSuccess, null, 'an empty ExportLogsServiceResponse');

    const [j] = await rows('uid = $1', [u]);
    assert.equal((j!.record['attributes'] as Record<string, unknown>)['as.string'], '9223372036854775807');
    assert.equal((j!.record['attributes'] as Record<string, unknown>)['as.number'], '-9223372036854775808');
    const [p] = await rows('uid = $1', [u + '-p']);
    assert.equal((p!.record['attributes'] as Record<string, unknown>)['big'], '-9223372036854775807');
    assert.equal(p!.record['timeUnixNano'], '18446744073709551615', 'the record keeps what was sent');
    assert.equal(p!.time_unix_nano, '1763000000000000002', 'the row time is the observed time');
  });

  it('stores a replay once: same request twice, and the same record in two different batches', async () => {
    const records = await sdkRecords([decision(), decision(), decision()], { 'service.name': 'replay' });
    assertExported(await exportWith('proto', sink.url, records));
    assertExported(await exportWith('proto', sink.url, records));
    assertExported(await exportWith('json', sink.url, records));
    assertExported(await exportWith('json', sink.url, [records[1]!, ...(await sdkRecords([decision()], { 'service.name': 'replay' }))]));
    const got = await rows(`service = 'replay'`);
    assert.equal(got.length, 4);
    assert.equal(new Set(got.map((r) => r.uid)).size, 4);
  });

  it('gives a record without log.record.uid a deterministic content uid, so its replay is still stored once', async () => {
    const spec = decision({}, { timestamp: [1763000100, 5] });
    delete (spec.attributes as Record<string, unknown>)['log.record.uid'];
    const records = await sdkRecords([spec], { 'service.name': 'no-uid' });
    assertExported(await exportWith('proto', sink.url, records));
    assertExported(await exportWith('json', sink.url, records));
    const got = await rows(`service = 'no-uid'`);
    assert.equal(got.length, 1, 'protobuf and JSON encodings of the same record map to the same uid');
    assert.equal(got[0]!.uid_generated, true);
    assert.match(got[0]!.uid, /^sha256:[0-9a-f]{64}$/);
  });

  it('accepts a request with only non-audit events without touching the database', async () => {
    const before = await sink.admin.query('SELECT count(*)::int AS n FROM domain_otel_audit.records');
    const records = await sdkRecords([{ eventName: 'domain.cache.invalidation', body: 'x' }, { body: 'plain' }]);
    assertExported(await exportWith('proto', sink.url, records));
    const after = await sink.admin.query('SELECT count(*)::int AS n FROM domain_otel_audit.records');
    assert.equal(after.rows[0].n, before.rows[0].n);
  });

  it('reads the deprecated event.name attribute when eventName is empty', async () => {
    const u = uid();
    const records = await sdkRecords([
      { body: 'old sdk', attributes: { 'event.name': 'domain.audit.decision', 'log.record.uid': u, 'domain.audit.action': 'read' } },
    ]);
    assertExported(await exportWith('json', sink.url, records));
    const got = await rows('uid = $1', [u]);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.event_name, 'domain.audit.decision');
    assert.equal(got[0]!.action, 'read');
  });

  it('creates the partition on demand for a record outside the months created ahead', async () => {
    const u = uid();
    const records = await sdkRecords([decision({ 'log.record.uid': u }, { timestamp: new Date('2019-03-15T12:00:00Z') })]);
    assertExported(await exportWith('proto', sink.url, records));
    const part = await sink.admin.query(`SELECT to_regclass('domain_otel_audit.records_2019_03') IS NOT NULL AS ok`);
    assert.equal(part.rows[0].ok, true);
    const got = await sink.admin.query('SELECT tableoid::regclass::text AS p, seq FROM domain_otel_audit.records WHERE uid = $1', [u]);
    assert.deepEqual(got.rows, [{ p: 'domain_otel_audit.records_2019_03_default', seq: '1' }]);
  });
});
