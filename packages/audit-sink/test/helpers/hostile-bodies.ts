/**
 * Request bodies that decode to far more than their size (issue 19 item 10), built in code: each
 * is a few KiB of gzip. Shared by test/hostile-input.test.ts and the fault suite (scenario 15);
 * bad-input.test.ts builds its bodies with varint too.
 */

export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
export const field = (no: number, payload: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);
/** n copies of `unit`, without building n Buffers. */
const repeat = (unit: Buffer, n: number) => Buffer.alloc(unit.length * n, unit);
export const EVENT = field(12, Buffer.from('domain.audit.decision'));
/** ExportLogsServiceRequest { resource_logs { [resource] scope_logs { log_records... } } } */
export const request = (records: Buffer, resource?: Buffer) =>
  field(1, Buffer.concat([...(resource ? [field(1, resource)] : []), field(2, records)]));

const MiB = 1024 * 1024;

/** The bodies, with the answer each must get. */
export function hostileBodies(): { name: string; type: 'protobuf' | 'json'; body: Buffer; status: number; reason: RegExp }[] {
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

const logsV1 = require('otlp-proto-root/build/src/generated/root').opentelemetry.proto.collector.logs.v1;

/** The reason in an answer: a partial success's message (200), or the google.rpc.Status message. */
export function reasonOf(status: number, type: 'protobuf' | 'json', raw: Buffer): string {
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

