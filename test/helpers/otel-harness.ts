import { AsyncLocalStorage } from 'node:async_hooks';
import { context, logs, metrics, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';

/**
 * In-process OpenTelemetry SDK with in-memory exporters, registered once per test process
 * (the API globals can be set only once). The sampler can be switched per test.
 */
class SwitchableSampler implements Sampler {
  inner: Sampler = new AlwaysOnSampler();
  shouldSample(...args: Parameters<Sampler['shouldSample']>) { return this.inner.shouldSample(...args); }
  toString() { return `Switchable(${this.inner.toString()})`; }
}

export interface Harness {
  spans: InMemorySpanExporter;
  logs: InMemoryLogRecordExporter;
  metricExporter: InMemoryMetricExporter;
  reader: PeriodicExportingMetricReader;
  meterProvider: MeterProvider;
  contextStorage: AsyncLocalStorage<Context>;
  setSampling(on: boolean): void;
  /** A fresh meter provider (metrics start from zero); give it to the instrumentation under test. */
  freshMeterProvider(): MeterProvider;
  reset(): void;
  /** Collects and returns the points of one metric (cumulative). */
  metric(name: string): Promise<DataPoint<number | Histogram>[]>;
}

let harness: Harness | undefined;

export function otelHarness(): Harness {
  if (harness) return harness;
  const manager = new AsyncLocalStorageContextManager();
  context.setGlobalContextManager(manager.enable());
  const sampler = new SwitchableSampler();
  const spans = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new TracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
  const logExporter = new InMemoryLogRecordExporter();
  logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] }));
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  const storage = (manager as unknown as { _asyncLocalStorage: AsyncLocalStorage<Context> })._asyncLocalStorage;
  const h: Harness = {
    spans, logs: logExporter, metricExporter, reader, meterProvider, contextStorage: storage,
    freshMeterProvider() {
      h.metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      h.reader = new PeriodicExportingMetricReader({ exporter: h.metricExporter, exportIntervalMillis: 3_600_000 });
      h.meterProvider = new MeterProvider({ readers: [h.reader] });
      return h.meterProvider;
    },
    setSampling(on) { sampler.inner = on ? new AlwaysOnSampler() : new AlwaysOffSampler(); },
    reset() { spans.reset(); logExporter.reset(); h.metricExporter.reset(); sampler.inner = new AlwaysOnSampler(); },
    async metric(name) {
      h.metricExporter.reset();
      await h.reader.forceFlush();
      const all = h.metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
      return all.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<number | Histogram>[]);
    },
  };
  harness = h;
  return harness;
}
