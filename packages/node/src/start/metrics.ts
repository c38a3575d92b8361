import { ConsoleMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { DistroConfig } from '../config/load';
import { createMetricExporter } from '../exporters';

/** One periodic reader per configured metrics exporter; its timeout never exceeds the interval. */
export function buildMetricReaders(config: DistroConfig): IMetricReader[] {
  const readers: IMetricReader[] = [];
  for (const name of config.exporters.metrics) {
    const exporter = name === 'otlp' ? createMetricExporter(config) : name === 'console' ? new ConsoleMetricExporter() : undefined;
    if (exporter) {
      readers.push(new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: config.metricExportInterval,
        exportTimeoutMillis: Math.min(config.metricExportTimeout, config.metricExportInterval),
      }));
    }
  }
  return readers;
}
