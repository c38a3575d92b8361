import assert from 'node:assert/strict';
import { canonicalJson, decodeExportLogsRequest, encodeExportLogsResponse, PayloadError } from '../src';
import { parseBytes, parseDuration, parseTime } from '../src/args';
import { AUDIT_EVENT_NAMES, REGISTRY } from '@domain-otel/semantic-conventions';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;

const opts = { receivedUnixNano: 1_700_000_000_000_000_000n };

function req(logRecords: object[], resourceAttrs: object[] = []) {
  return { resourceLogs: [{ resource: { attributes: resourceAttrs }, scopeLogs: [{ scope: { name: 's', version: '1' }, logRecords }] }] };
}

describe('audit-sink decoding (no database)', () => {
  it('decodes protobuf and OTLP/JSON of the same request to identical rows', () => {
    const obj = req(
      [{
        timeUnixNano: '1763000000000000007',
        eventName: 'domain.manager.mutation',
        severityNumber: 13,
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        body: { kvlistValue: { values: [{ key: 'n', value: { intValue: '-5' } }, { key: 'b', value: { bytesValue: 'AAEC' } }] } },
        attributes: [
          { key: 'domain.mutation.action', value: { stringValue: 'bulk_update' } },
          { key: 'domain.entity.id', value: { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }] } } },
          { key: 'ratio', value: { doubleValue: 0.1 } },
          { key: 'nan', value: { doubleValue: 'NaN' } },
          { key: 'flag', value: { boolValue: false } },
        ],
      }],
      [{ key: 'service.name', value: { stringValue: 'svc' } }],
    );
    const fromJson = decodeExportLogsRequest(Buffer.from(JSON.stringify(obj)), 'json', opts);
    const protoObj = JSON.parse(JSON.stringify(obj));
    const lr = protoObj.resourceLogs[0].scopeLogs[0].logRecords[0];
    lr.traceId = Buffer.from(lr.traceId, 'hex');
    lr.spanId = Buffer.from(lr.spanId, 'hex');
    lr.attributes[3].value.doubleValue = NaN;
    const bytes = logsV1.ExportLogsServiceRequest.encode(logsV1.ExportLogsServiceRequest.fromObject(protoObj)).finish();
    const fromProto = decodeExportLogsRequest(bytes, 'protobuf', opts);
    assert.equal(fromJson.audit.length, 1);
    assert.deepEqual(JSON.parse(JSON.stringify(fromProto.audit)), JSON.parse(JSON.stringify(fromJson.audit)));
    const a = fromJson.audit[0]!;
    assert.equal(a.entityId, '["1","2"]', 'a structured entity id is kept as canonical JSON in the column');
    assert.equal(a.action, 'bulk_update');
    assert.equal(a.service, 'svc');
    assert.equal(a.uidGenerated, true);
    assert.deepEqual(JSON.parse(JSON.stringify(a.record.body)), { n: '-5', b: 'AAEC' });
    assert.deepEqual(JSON.parse(JSON.stringify(a.record.attributes)), {
      'domain.mutation.action': 'bulk_update',
      'domain.entity.id': ['1', '2'],
      ratio: 0.1,
      nan: 'NaN',
      flag: false,
    });
  });

  it('falls back to observed time, then to receive time, for the row time', () => {
    const r = decodeExportLogsRequest(
      Buffer.from(JSON.stringify(req([
        { eventName: 'domain.audit.decision', observedTimeUnixNano: '1763000000000000001' },
        { eventName: 'domain.audit.decision' },
      ]))),
      'json',
      opts,
    );
    assert.deepEqual(r.audit.map((x) => x.timeUnixNano), ['1763000000000000001', '1700000000000000000']);
  });

  it('caps extracted columns but keeps the full value in the record', () => {
    const long = 'x'.repeat(1000);
    const r = decodeExportLogsRequest(
      Buffer.from(JSON.stringify(req([{ eventName: 'domain.audit.decision', attributes: [{ key: 'user.id', value: { stringValue: long } }] }]))),
      'json',
      opts,
    );
    assert.equal(r.audit[0]!.userId!.length, 256);
    assert.ok(r.audit[0]!.userId!.endsWith('…'));
    assert.equal(r.audit[0]!.record.attributes['user.id'], long);
  });

  it('counts other events as ignored', () => {
    const r = decodeExportLogsRequest(
      Buffer.from(JSON.stringify(req([{ eventName: 'domain.rule.evaluation' }, {}, { eventName: 'domain.audit.decision' }]))),
      'json',
      opts,
    );
    assert.deepEqual([r.total, r.ignored, r.audit.length], [3, 2, 1]);
  });

  it('stores the audit events of @domain-otel/semantic-conventions and no other registered event, in JSON and protobuf', () => {
    const events = REGISTRY.filter((e) => e.kind === 'event').map((e) => e.name);
    const body = req(events.map((eventName) => ({ eventName })));
    const json = decodeExportLogsRequest(Buffer.from(JSON.stringify(body)), 'json', opts);
    const proto = decodeExportLogsRequest(logsV1.ExportLogsServiceRequest.encode(logsV1.ExportLogsServiceRequest.fromObject(body)).finish(), 'protobuf', opts);
    for (const r of [json, proto]) {
      assert.deepEqual(r.audit.map((a) => a.eventName), [...AUDIT_EVENT_NAMES]);
      assert.equal(r.ignored, events.length - AUDIT_EVENT_NAMES.length);
    }
  });

  it('rejects a JSON request with wrong types with the path of the field', () => {
    assert.throws(
      () => decodeExportLogsRequest(Buffer.from(JSON.stringify(req([{ eventName: 'domain.audit.decision', attributes: [{ key: 'a', value: { boolValue: 'yes' } }] }]))), 'json', opts),
      (e: Error) => e instanceof PayloadError && /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.attributes\[0\]\.value\.boolValue: expected a boolean/.test(e.message),
    );
  });

  it('encodes empty and partial-success responses', () => {
    assert.equal(encodeExportLogsResponse('protobuf').length, 0);
    assert.equal(encodeExportLogsResponse('json').toString(), '{}');
    const p = logsV1.ExportLogsServiceResponse.decode(encodeExportLogsResponse('protobuf', { rejectedLogRecords: 2, errorMessage: 'm' }));
    assert.equal(Number(p.partialSuccess.rejectedLogRecords), 2);
  });

  it('canonical JSON sorts keys at every level and is stable across key order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.equal(canonicalJson({ x: 1e21, y: 0.1 }), '{"x":1e+21,"y":0.1}');
  });

  it('parses CLI durations, sizes and times', () => {
    assert.equal(parseDuration('--since', '24h'), 86_400_000);
    assert.equal(parseDuration('--since', '1.5m'), 90_000);
    assert.equal(parseBytes('--max-body', '16MiB'), 16 * 1024 * 1024);
    assert.equal(parseTime('--from', '2025-11-01T09:30').toISOString(), '2025-11-01T09:30:00.000Z');
    assert.equal(parseTime('--from', '2025-11-01T09:30:00+0200').toISOString(), '2025-11-01T07:30:00.000Z');
    assert.throws(() => parseTime('--from', '2025-13-45'), /expected an ISO-8601 date/);
    assert.throws(() => parseTime('--from', '2025-02-30'), /expected an ISO-8601 date/);
  });
});
