import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { AnyValue, Attributes, Context, HrTime, SeverityNumber, SpanContext } from '@opentelemetry/api';
import { timeInputToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { DomainRecord, DomainRecordSink } from '@domain-otel/instrumentation-domain';

/**
 * The domain mapping's records, built as the LoggerProvider would build them (same resource,
 * scope, timestamps, trace context) but as one plain object: no LogRecordImpl, whose per-record
 * attribute validation and copying the mapping's already-shaped attributes do not need.
 */
class DomainLogRecord implements ReadWriteLogRecord {
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  spanContext?: SpanContext;
  severityNumber?: SeverityNumber;
  severityText?: string;
  body?: AnyValue;
  eventName?: string;
  droppedAttributesCount = 0;
  readonly attributes: Attributes;

  constructor(readonly resource: Resource, readonly instrumentationScope: DomainRecord['scope'], r: DomainRecord, context: Context) {
    this.hrTime = timeInputToHrTime(r.timestamp);
    this.hrTimeObserved = timeInputToHrTime(Date.now());
    const span = trace.getSpanContext(context);
    if (span && isSpanContextValid(span)) this.spanContext = span;
    this.severityNumber = r.severityNumber;
    this.severityText = r.severityText;
    this.body = r.body;
    this.eventName = r.eventName;
    this.attributes = r.attributes as Attributes;
  }

  setAttribute(key: string, value?: AnyValue): this {
    (this.attributes as Record<string, AnyValue | undefined>)[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }

  setBody(body: AnyValue): this {
    this.body = body;
    return this;
  }

  setEventName(eventName: string): this {
    this.eventName = eventName;
    return this;
  }

  setSeverityNumber(severityNumber: SeverityNumber): this {
    this.severityNumber = severityNumber;
    return this;
  }

  setSeverityText(severityText: string): this {
    this.severityText = severityText;
    return this;
  }
}

/**
 * DOMAIN_OTEL_RECORD_PATH=direct: the mapping hands its records to the same log processors the
 * LoggerProvider was given (audit queue, ordinary logs, redaction), in order, with the active
 * context, as the provider's MultiLogRecordProcessor would.
 */
export function directRecordSink(resource: Resource, processors: readonly LogRecordProcessor[]): DomainRecordSink {
  return {
    emit(record, context) {
      const r = new DomainLogRecord(resource, record.scope, record, context);
      for (const p of processors) p.onEmit(r, context);
    },
  };
}
