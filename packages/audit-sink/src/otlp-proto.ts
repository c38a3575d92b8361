/**
 * The OTLP protobuf messages, from the upstream protobufjs-generated module: the few types the
 * sink decodes on their own (a log record, a resource, a scope) and the response it encodes.
 */
import { oneLine, PayloadError } from './limits';
import type { Span } from './otlp-wire';
import { int64ToString, type Obj } from './otlp-values';

// The generated module is typed as a bare protobufjs Root; describe the part we use.
export interface ProtoType {
  decode(buf: Uint8Array): unknown;
  encode(msg: object): { finish(): Uint8Array };
}
const generatedRoot = require('otlp-proto-root/build/src/generated/root') as {
  opentelemetry: {
    proto: {
      collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType; ExportLogsServiceResponse: ProtoType } } };
      logs: { v1: { LogRecord: ProtoType } };
      resource: { v1: { Resource: ProtoType } };
      common: { v1: { InstrumentationScope: ProtoType } };
    };
  };
};
export const { ExportLogsServiceResponse } = generatedRoot.opentelemetry.proto.collector.logs.v1;
export const LogRecordType = generatedRoot.opentelemetry.proto.logs.v1.LogRecord;
export const ResourceType = generatedRoot.opentelemetry.proto.resource.v1.Resource;
export const ScopeType = generatedRoot.opentelemetry.proto.common.v1.InstrumentationScope;

/** The message of `type` at `span` of the request body; a PayloadError naming `path` when it does not decode. */
export function decodeMessage(type: ProtoType, body: Uint8Array, span: Span, path: string): Obj {
  try {
    return type.decode(body.subarray(span.start, span.end)) as Obj;
  } catch (err) {
    throw new PayloadError(`invalid protobuf ExportLogsServiceRequest: ${path}: ${oneLine((err as Error).message)}`);
  }
}

/**
 * protobufjs returns 64-bit integers as numbers (losing precision above 2^53) unless
 * long.js is loadable. Refuse to run in that configuration instead of storing wrong times.
 */
export function assertExactInt64Decoding(): void {
  // LogRecord { time_unix_nano (fixed64, field 1) = 2^53 + 1 }
  const buf = Buffer.alloc(9);
  buf[0] = 0x09;
  buf.writeBigUInt64LE((1n << 53n) + 1n, 1);
  const rec = LogRecordType.decode(buf) as { timeUnixNano: unknown };
  if (int64ToString(rec.timeUnixNano, 'protobuf', 'self-test') !== '9007199254740993') {
    throw new Error('protobufjs decodes 64-bit integers lossily (long.js not found); refusing to start');
  }
}
