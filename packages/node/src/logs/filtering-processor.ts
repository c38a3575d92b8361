import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';

/** Passes to `inner` only the records `accept` says yes to. */
export class FilteringLogRecordProcessor implements LogRecordProcessor {
  constructor(
    private readonly inner: LogRecordProcessor,
    private readonly accept: (record: ReadWriteLogRecord) => boolean,
  ) {}

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    if (this.accept(record)) this.inner.onEmit(record, context);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
