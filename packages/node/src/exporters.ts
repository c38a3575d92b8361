import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { OtlpSignalConfig } from './config/load';

/**
 * OTLP exporters built from the parsed configuration. Every option is passed explicitly so
 * the exporters never fall back to re-reading (possibly invalid) environment values.
 */
function httpOptions(c: OtlpSignalConfig) {
  return { url: c.url, headers: c.headers, timeoutMillis: c.timeoutMillis, compression: c.compression as never };
}

function grpcOptions(c: OtlpSignalConfig) {
  const { Metadata, credentials } = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(c.headers)) metadata.set(k, v);
  const secure = c.url.startsWith('https:');
  return {
    url: c.url,
    metadata,
    timeoutMillis: c.timeoutMillis,
    compression: c.compression as never,
    credentials: secure ? credentials.createSsl() : credentials.createInsecure(),
  };
}

export function createSpanExporter(c: OtlpSignalConfig): SpanExporter {
  switch (c.protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter(grpcOptions(c));
    case 'http/json':
      return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(httpOptions(c));
    default:
      return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(httpOptions(c));
  }
}

export function createLogExporter(c: OtlpSignalConfig): LogRecordExporter {
  switch (c.protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-logs-otlp-grpc') as typeof import('@opentelemetry/exporter-logs-otlp-grpc')).OTLPLogExporter(grpcOptions(c));
    case 'http/json':
      return new (require('@opentelemetry/exporter-logs-otlp-http') as typeof import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter(httpOptions(c));
    default:
      return new (require('@opentelemetry/exporter-logs-otlp-proto') as typeof import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter(httpOptions(c));
  }
}

export function createMetricExporter(c: OtlpSignalConfig): PushMetricExporter {
  switch (c.protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter(grpcOptions(c));
    case 'http/json':
      return new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(httpOptions(c));
    default:
      return new (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(httpOptions(c));
  }
}

/** "https://user:secret@host/path" → "https://host/path"; header values are never printed. */
export function describeEndpoint(c: OtlpSignalConfig): string {
  let shown = c.url;
  try {
    const u = new URL(c.url);
    u.username = '';
    u.password = '';
    u.search = u.search ? '?[REDACTED]' : '';
    shown = u.toString();
  } catch {
    // keep as is
  }
  const headers = Object.keys(c.headers);
  return `${c.protocol} ${shown}${headers.length ? ` (headers: ${headers.map((h) => `${h}=[REDACTED]`).join(', ')})` : ''}`;
}
