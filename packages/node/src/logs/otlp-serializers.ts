import path from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

export interface LogsSerializers {
  ProtobufLogsSerializer: { serializeRequest(r: ReadableLogRecord[]): Uint8Array | undefined };
  JsonLogsSerializer: { serializeRequest(r: ReadableLogRecord[]): Uint8Array | undefined };
}

let loaded: LogsSerializers | undefined;

/**
 * The OTLP serializers the log exporters themselves use, resolved next to the exporter (no
 * extra dependency, and byte for byte what the exporter would send).
 */
export function logsSerializers(): LogsSerializers {
  if (loaded) return loaded;
  const exporterDir = path.dirname(require.resolve('@opentelemetry/exporter-logs-otlp-proto'));
  loaded = require(require.resolve('@opentelemetry/otlp-transformer', { paths: [exporterDir] })) as LogsSerializers;
  return loaded;
}
