import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { DistroConfig, OtlpSignalConfig } from './config/load';
import { ExportThread, ThreadLogExporter, ThreadSpanExporter } from './export/export-thread';
import { LazyLogExporter, LazyMetricExporter, LazySpanExporter } from './export/lazy';
import { exportThreadWanted } from './export/usable-cores';

/**
 * The OTLP exporters of the configuration. Spans and log records (audit ones included) are
 * exported by the export thread (DOMAIN_OTEL_EXPORT_THREAD=on, or auto with 3 or more usable
 * cores; one per process, started on the first export); otherwise, and for metrics, by the
 * upstream exporter on this thread, loaded on the first export. Either way nothing of an
 * exporter's package is loaded at start.
 */
let thread: ExportThread | undefined;

export function usesExportThread(config: DistroConfig): boolean {
  return exportThreadWanted(config.exportThread);
}

function exportThread(config: DistroConfig): ExportThread {
  return (thread ??= new ExportThread({
    domainOtelExportThread: true,
    signals: { traces: config.otlp.traces, logs: config.otlp.logs },
    logLevel: config.logLevel,
  }));
}

export function createSpanExporter(config: DistroConfig): SpanExporter {
  return usesExportThread(config) ? new ThreadSpanExporter(exportThread(config)) : new LazySpanExporter(config.otlp.traces);
}

export function createLogExporter(config: DistroConfig): LogRecordExporter {
  return usesExportThread(config) ? new ThreadLogExporter(exportThread(config)) : new LazyLogExporter(config.otlp.logs);
}

export function createMetricExporter(config: DistroConfig): PushMetricExporter {
  return new LazyMetricExporter(config.otlp.metrics, config.metricsTemporality);
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
