import { BatchLogRecordProcessor, ConsoleLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { Resource } from '@opentelemetry/resources';
import { isAuditEventName, TELEMETRY_SIGNAL_VALUES } from '@domain-otel/semantic-conventions';
import type { DistroConfig } from '../config/load';
import { countingLogPipeline } from '../counting';
import { createLogExporter } from '../exporters';
import type { AuditLogRecordProcessor } from '../logs/audit-processor';
import { createAuditPipeline } from '../logs/audit-pipeline';
import { FilteringLogRecordProcessor } from '../logs/filtering-processor';
import type { CountDropped } from './dropped';

export interface LogPipelines {
  /** The audit pipeline first, then one per configured logs exporter; empty with OTEL_LOGS_EXPORTER=none. */
  processors: LogRecordProcessor[];
  audit?: AuditLogRecordProcessor;
  spoolDir?: string;
}

/**
 * Audit records (by event name) go to their own pipeline (queue, spool, strict acknowledgements);
 * every other log record goes to the configured exporters.
 */
export function buildLogProcessors(config: DistroConfig, resource: Resource, countDropped: CountDropped): LogPipelines {
  if (config.exporters.logs.includes('none')) return { processors: [] };
  const isAudit = (r: { eventName?: string }) => isAuditEventName(r.eventName);
  const { processor: audit, spoolDir } = createAuditPipeline(config, resource, (reason, n) => countDropped(TELEMETRY_SIGNAL_VALUES.AUDIT, reason, n));
  const processors: LogRecordProcessor[] = [new FilteringLogRecordProcessor(audit, isAudit)];
  for (const name of config.exporters.logs) {
    const inner = name === 'otlp'
      ? countingLogPipeline(createLogExporter(config), config.logBatch.maxQueueSize,
        (reason, n) => countDropped(TELEMETRY_SIGNAL_VALUES.LOGS, reason, n),
        (exporter) => new BatchLogRecordProcessor({ exporter, ...config.logBatch, exportTimeoutMillis: config.otlp.logs.timeoutMillis }))
      : new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() });
    processors.push(new FilteringLogRecordProcessor(inner, (r) => !isAudit(r)));
  }
  return { processors, audit, spoolDir };
}
