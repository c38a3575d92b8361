/**
 * Build real SDK log records and send them with the upstream OTLP/HTTP exporters.
 */
import { context, trace, TraceFlags, type LogRecord } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { randomUUID } from 'node:crypto';
import { TOKEN } from './sink-fixture';

export interface EmitSpec extends LogRecord {
  traceId?: string;
  spanId?: string;
}

/** Emit through a real LoggerProvider and return the SDK's ReadableLogRecords. */
export async function sdkRecords(
  specs: EmitSpec[],
  resource: Record<string, string> = { 'service.name': 'billing' },
  scope: { name: string; version?: string } = { name: '@domain-otel/instrumentation-domain', version: '0.1.0' },
): Promise<ReadableLogRecord[]> {
  const mem = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new SimpleLogRecordProcessor({ exporter: mem })],
  });
  const logger = provider.getLogger(scope.name, scope.version);
  for (const { traceId, spanId, ...spec } of specs) {
    const ctx = traceId && spanId
      ? trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: TraceFlags.SAMPLED })
      : undefined;
    logger.emit(ctx ? { ...spec, context: ctx } : spec);
  }
  await provider.forceFlush();
  const out = mem.getFinishedLogRecords().slice();
  await provider.shutdown();
  return out;
}

export type ExporterKind = 'proto' | 'json';

export async function exportWith(
  kind: ExporterKind,
  url: string,
  records: ReadableLogRecord[],
  opts: { compression?: 'gzip' | 'none'; token?: string | null } = {},
): Promise<ExportResult> {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const config = {
    url,
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
    compression: opts.compression ?? 'none',
    timeoutMillis: 10_000,
  } as ConstructorParameters<typeof ProtoExporter>[0];
  const exporter = kind === 'proto' ? new ProtoExporter(config) : new JsonExporter(config);
  try {
    return await new Promise<ExportResult>((resolve) => exporter.export(records, resolve));
  } finally {
    await exporter.shutdown();
  }
}

export function assertExported(result: ExportResult): void {
  if (result.code !== ExportResultCode.SUCCESS) {
    throw new Error(`export failed: ${result.error?.message ?? 'unknown error'}`);
  }
}

/** A UUIDv7-shaped uid (the sink only needs it unique). */
export function uid(): string {
  const u = randomUUID();
  return u.slice(0, 14) + '7' + u.slice(15);
}

/** The attributes of every decision() record besides its uid: user 42 granted update on invoice 7 of tenant acme. */
export const DECISION_ATTRIBUTES = {
  'domain.audit.action': 'update',
  'domain.audit.outcome': 'granted',
  'domain.manager.name': 'InvoiceManager',
  'domain.entity.id': '7',
  'user.id': '42',
  'domain.tenant.id': 'acme',
} as const;

export function decision(over: Partial<Record<string, unknown>> = {}, spec: Partial<EmitSpec> = {}): EmitSpec {
  return {
    eventName: 'domain.audit.decision',
    body: 'user 42 was granted update on invoice 7',
    severityNumber: 9,
    severityText: 'INFO',
    attributes: {
      ...DECISION_ATTRIBUTES,
      'log.record.uid': uid(),
      ...over,
    } as LogRecord['attributes'],
    ...spec,
  };
}

/**
 * POSTs the records as a hand-built protobuf request (string attributes only), for tests that
 * read the sink's answer itself (e.g. its partial success), which the exporters do not return.
 */
export async function postRecords(url: string, records: ReadableLogRecord[]): Promise<{ status: number; body: Uint8Array }> {
  const logsV1 = require('otlp-proto-root/build/src/generated/root').opentelemetry.proto.collector.logs.v1;
  const msg = logsV1.ExportLogsServiceRequest.fromObject({
    resourceLogs: [{ resource: {}, scopeLogs: [{ scope: { name: 't' }, logRecords: records.map((r) => ({
      timeUnixNano: String(BigInt(r.hrTime[0]) * 1_000_000_000n + BigInt(r.hrTime[1])),
      eventName: r.eventName,
      attributes: Object.entries(r.attributes).map(([key, v]) => ({ key, value: { stringValue: String(v) } })),
    })) }] }],
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` },
    body: logsV1.ExportLogsServiceRequest.encode(msg).finish(),
  });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
}
