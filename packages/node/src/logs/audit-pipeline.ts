import { diag } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { AuditDeliveryFailure } from '@domain-otel/api';
import type { DistroConfig } from '../config/load';
import { createLogExporter } from '../exporters';
import { AuditLogRecordProcessor } from './audit-processor';
import type { Refusal } from './audit-processor';
import { DeadLetterFile } from './dead-letter';
import { refusalClassifier } from './refusal';

/**
 * The audit records' pipeline: their own queue and exporter, the dead-letter file for records
 * the collector refuses for good, and the log line an operator needs for each refusal.
 */
export function createAuditPipeline(
  config: DistroConfig, resource: Resource, onDropped: (reason: AuditDeliveryFailure, count: number) => void,
): AuditLogRecordProcessor {
  const service = String(resource.attributes['service.name'] ?? 'unknown_service');
  return new AuditLogRecordProcessor({
    exporter: createLogExporter(config.otlp.logs),
    maxQueueSize: config.auditQueueSize,
    maxExportBatchSize: config.logBatch.maxExportBatchSize,
    scheduledDelayMillis: config.logBatch.scheduledDelayMillis,
    strict: config.auditDelivery === 'strict',
    onDropped,
    refusal: refusalClassifier(config.otlp.logs.protocol),
    deadLetter: new DeadLetterFile(config.auditDeadLetterDir, service),
    onRefused: reportRefusal,
  });
}

function reportRefusal(r: Refusal): void {
  const uids = r.uids.map((u) => u ?? '(no uid)');
  const shown = uids.length > 5 ? `${uids.slice(0, 5).join(', ')}, … (${uids.length} in all)` : uids.join(', ');
  const where = r.file !== undefined
    ? `written to ${r.file}; send them again with: npx domain-otel-resend ${r.file}`
    : `NOT kept: the dead-letter file could not be written (${r.writeError instanceof Error ? r.writeError.message : String(r.writeError)})`;
  diag.warn(`domain-otel: the collector refused ${uids.length} audit record(s) for good (${r.why}); counted in domain.telemetry.dropped{drop_reason=rejected}, ${where}; uid(s): ${shown}`);
}
