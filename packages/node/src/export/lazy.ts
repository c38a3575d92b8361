import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { AggregationTemporality, AggregationType, InstrumentType } from '@opentelemetry/sdk-metrics';
import type { AggregationOption, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { OtlpSignalConfig } from '../config/load';
import type { TemporalityPreference } from '../config/variables';
import { upstreamLogExporter, upstreamMetricExporter, upstreamSpanExporter } from './upstream';

/**
 * Exporters that load their package on the first export, not at start: an app that exits
 * before exporting anything (or a signal with nothing to send) never loads it.
 */
abstract class Lazy<E extends { shutdown(): Promise<void>; forceFlush?(): Promise<void> }> {
  private loaded: E | undefined;

  constructor(private readonly create: () => E) {}

  protected get inner(): E {
    return (this.loaded ??= this.create());
  }

  forceFlush(): Promise<void> {
    return this.loaded?.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.loaded?.shutdown() ?? Promise.resolve();
  }
}

export class LazySpanExporter extends Lazy<SpanExporter> implements SpanExporter {
  constructor(c: OtlpSignalConfig) {
    super(() => upstreamSpanExporter(c));
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, done);
  }
}

export class LazyLogExporter extends Lazy<LogRecordExporter> implements LogRecordExporter {
  constructor(c: OtlpSignalConfig) {
    super(() => upstreamLogExporter(c));
  }

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(records, done);
  }
}

const PREFERENCE: Record<TemporalityPreference, 0 | 1 | 2> = { delta: 0, cumulative: 1, lowmemory: 2 };

/**
 * The metric reader asks for the temporality of each instrument when it is created, long before
 * the first export: answered here as the OTLP metric exporter would for the preference
 * (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE), which is also passed to it once loaded.
 */
export class LazyMetricExporter extends Lazy<PushMetricExporter> implements PushMetricExporter {
  constructor(c: OtlpSignalConfig, private readonly preference: TemporalityPreference) {
    super(() => upstreamMetricExporter(c, PREFERENCE[preference]));
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(metrics, done);
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return temporalityFor(this.preference, type);
  }

  selectAggregation(): AggregationOption {
    return DEFAULT_AGGREGATION;
  }
}

const DEFAULT_AGGREGATION: AggregationOption = Object.freeze({ type: AggregationType.DEFAULT });

export function temporalityFor(preference: TemporalityPreference, type: InstrumentType): AggregationTemporality {
  const { DELTA, CUMULATIVE } = AggregationTemporality;
  if (preference === 'cumulative') return CUMULATIVE;
  switch (type) {
    case InstrumentType.COUNTER:
    case InstrumentType.HISTOGRAM:
      return DELTA;
    case InstrumentType.OBSERVABLE_COUNTER:
    case InstrumentType.GAUGE:
    case InstrumentType.OBSERVABLE_GAUGE:
      return preference === 'delta' ? DELTA : CUMULATIVE;
    default:
      return CUMULATIVE;
  }
}
