import assert from 'node:assert/strict';
import { canonicalJson, decodeExportLogsRequest } from '../src';
import { RawJson, shareCanonical } from '../src/canonical';
import { sha256 } from '../src/canonical';
import { contentHash, type RowContent } from '../src/chain';

const root = require('otlp-proto-root/build/src/generated/root');
const logsV1 = root.opentelemetry.proto.collector.logs.v1;

function content(over: Partial<RowContent> = {}): RowContent {
  return {
    uid: 'u-1', uid_generated: false, event_name: 'domain.audit.decision', time_unix_nano: '1763000000000000007',
    action: 'update', outcome: 'granted', manager: 'InvoiceManager', entity_id: '7', user_id: '42', tenant_id: 'acme',
    trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174', service: 'billing',
    received_at: '2025-11-13T02:13:20.123Z', record: { attributes: { b: 1, a: 'x' }, body: 'hello' },
    ...over,
  };
}

/** The content hash by its definition (docs/audit-sink.md): the canonical JSON of the content object. */
function contentHashGeneric(c: RowContent): Buffer {
  const content = {
    v: 1,
    uid: c.uid,
    uid_generated: c.uid_generated,
    event_name: c.event_name,
    time_unix_nano: c.time_unix_nano,
    action: c.action,
    outcome: c.outcome,
    manager: c.manager,
    entity_id: c.entity_id,
    user_id: c.user_id,
    tenant_id: c.tenant_id,
    trace_id: c.trace_id,
    span_id: c.span_id,
    service: c.service,
    received_at: c.received_at,
    record: c.record,
  };
  return sha256('domain-otel-audit/content/v1\n', canonicalJson(content));
}

describe('audit-sink hashing (no database)', () => {
  it('the key-ordered content hash equals the canonical-JSON definition, for every kind of column value', () => {
    const cases: Partial<RowContent>[] = [
      {},
      { action: null, outcome: null, manager: null, entity_id: null, user_id: null, tenant_id: null, trace_id: null, span_id: null, service: null },
      { uid_generated: true, uid: 'sha256:' + 'ab'.repeat(32) },
      { user_id: 'quote " backslash \\ newline \n tab \t', manager: 'ünïcødé ✓ 𝄞', tenant_id: '\u2028\u2029' },
      { entity_id: '["1","2"]', record: { z: [1, 2.5, -0, '3'], a: { nested: { deeper: null } }, '10': 'x', '9': 'y' } },
      { record: 'a string record' },
    ];
    for (const c of cases) {
      const row = content(c);
      assert.equal(contentHash(row).toString('hex'), contentHashGeneric(row).toString('hex'), JSON.stringify(c));
      // The sink passes the record as already-serialised canonical text; verify passes the parsed value.
      const raw = { ...row, record: new RawJson(canonicalJson(row.record)) };
      assert.equal(contentHash(raw).toString('hex'), contentHashGeneric(row).toString('hex'));
    }
    assert.notEqual(contentHash(content()).toString('hex'), contentHash(content({ user_id: '43' })).toString('hex'));
  });

  it('an object shared by many records is serialised once and gives the same canonical text', () => {
    const resource = { attributes: { 'service.name': 'svc', 'host.name': 'h' }, droppedAttributesCount: 0, schemaUrl: '' };
    const before = canonicalJson({ resource, n: 1 });
    shareCanonical(resource);
    assert.equal(canonicalJson({ resource, n: 1 }), before);
  });

  it('decodes protobuf 64-bit integers exactly from their two halves: negative, extreme and unsigned values', () => {
    const ints = ['-1', '-5', '0', '7', '4294967295', '4294967296', '-4294967296', '9007199254740993', '-9223372036854775808', '9223372036854775807'];
    const msg = logsV1.ExportLogsServiceRequest.fromObject({
      resourceLogs: [{ resource: {}, scopeLogs: [{ scope: { name: 's' }, logRecords: [{
        timeUnixNano: '18446744073709551615',
        observedTimeUnixNano: '1763000000000000007',
        eventName: 'domain.audit.decision',
        attributes: [
          { key: 'log.record.uid', value: { stringValue: 'u' } },
          { key: 'ints', value: { arrayValue: { values: ints.map((i) => ({ intValue: i })) } } },
          { key: '__proto__', value: { stringValue: 'kept as data' } },
        ],
      }] }] }],
    });
    const [rec] = decodeExportLogsRequest(logsV1.ExportLogsServiceRequest.encode(msg).finish(), 'protobuf', { receivedUnixNano: 1n }).audit;
    const attrs = rec!.record.attributes as Record<string, unknown>;
    assert.deepEqual(attrs['ints'], ints);
    assert.equal(rec!.record.timeUnixNano, '18446744073709551615');
    assert.equal(rec!.timeUnixNano, '1763000000000000007', 'a time beyond int64 falls back to the observed time');
    assert.ok(Object.prototype.hasOwnProperty.call(attrs, '__proto__'), '__proto__ is an own key, not the prototype');
    assert.equal(Object.getPrototypeOf(attrs), Object.prototype);
    assert.match(canonicalJson(attrs), /"__proto__":"kept as data"/);
  });
});
