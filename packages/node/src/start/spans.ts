import { BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { TELEMETRY_SIGNAL_VALUES } from '@domain-otel/semantic-conventions';
import type { DistroConfig } from '../config/load';
import { countingSpanPipeline } from '../counting';
import { createSpanExporter } from '../exporters';
import type { CountDropped } from './dropped';

/** One batch processor per configured traces exporter; the OTLP one counts what it drops. */
export function buildSpanProcessors(config: DistroConfig, countDropped: CountDropped): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const name of config.exporters.traces) {
    if (name === 'otlp') {
      processors.push(countingSpanPipeline(createSpanExporter(config), config.spanBatch.maxQueueSize,
        (reason, n) => countDropped(TELEMETRY_SIGNAL_VALUES.TRACES, reason, n),
        (exporter) => new BatchSpanProcessor({ exporter, ...config.spanBatch, exportTimeoutMillis: config.otlp.traces.timeoutMillis })));
    }
    if (name === 'console') processors.push(new BatchSpanProcessor({ exporter: new ConsoleSpanExporter() }));
  }
  return processors;
}
