import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_LOG_RECORD_UID } from '@domain-otel/semantic-conventions';
import { logsSerializers } from './otlp-serializers';

export interface RefusedRecord {
  record: ReadableLogRecord;
  /** The receiver's answer, e.g. "HTTP 413 Payload Too Large". */
  why: string;
}

/**
 * Audit records the collector refused for good, kept so they can be sent again once the
 * cause is fixed (`domain-otel-resend <file>`). One NDJSON line per record:
 * `{"uid", "refusedAt", "reason", "request"}` where `request` is a complete OTLP/JSON
 * ExportLogsServiceRequest holding just that record (resource, scope, record: as exported).
 * One file per service and UTC day; each write is fsynced before the records leave the queue.
 */
export class DeadLetterFile {
  constructor(private readonly dir: string, private readonly service: string) {}

  /** Appends the records durably; returns the file written. Throws on I/O errors. */
  write(refused: readonly RefusedRecord[], now = new Date()): string {
    const serializer = logsSerializers().JsonLogsSerializer;
    const decoder = new TextDecoder();
    const lines = refused.map(({ record, why }) => {
      const request = serializer.serializeRequest([record]);
      const uid = record.attributes[ATTR_LOG_RECORD_UID];
      return `{"uid":${JSON.stringify(typeof uid === 'string' ? uid : null)},"refusedAt":${JSON.stringify(now.toISOString())},"reason":${JSON.stringify(why)},"request":${request ? decoder.decode(request) : 'null'}}\n`;
    });
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${safeFileName(this.service)}-${now.toISOString().slice(0, 10)}.ndjson`);
    const fd = openSync(file, 'a', 0o600);
    try {
      writeSync(fd, lines.join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return file;
  }
}

/** A service name as a file name: anything but letters, digits, dot, dash and underscore becomes "_". */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s === '' ? '_' : s.slice(0, 100);
}
