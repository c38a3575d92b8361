import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { OtlpSignalConfig } from '../config/load';

/**
 * The upstream OTLP exporters, built from the parsed configuration. Every option is passed
 * explicitly so the exporters never fall back to re-reading (possibly invalid) environment
 * values. Each package is required only when its exporter is built: on the export thread for
 * spans and log records (export-thread.ts), on the first export otherwise (lazy.ts).
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

export function upstreamSpanExporter(c: OtlpSignalConfig): SpanExporter {
  switch (c.protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter(grpcOptions(c));
    case 'http/json':
      return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(httpOptions(c));
    default:
      return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(httpOptions(c));
  }
}

export function upstreamLogExporter(c: OtlpSignalConfig): LogRecordExporter {
  switch (c.protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-logs-otlp-grpc') as typeof import('@opentelemetry/exporter-logs-otlp-grpc')).OTLPLogExporter(grpcOptions(c));
    case 'http/json':
      return new (require('@opentelemetry/exporter-logs-otlp-http') as typeof import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter(httpOptions(c));
    default:
      return new (require('@opentelemetry/exporter-logs-otlp-proto') as typeof import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter(httpOptions(c));
  }
}

/** temporalityPreference as the exporters' AggregationTemporalityPreference: DELTA 0, CUMULATIVE 1, LOWMEMORY 2. */
export function upstreamMetricExporter(c: OtlpSignalConfig, temporalityPreference: 0 | 1 | 2): PushMetricExporter {
  switch (c.protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter({ ...grpcOptions(c), temporalityPreference });
    case 'http/json':
      return new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter({ ...httpOptions(c), temporalityPreference });
    default:
      return new (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter({ ...httpOptions(c), temporalityPreference });
  }
}
