import path from 'node:path';
import { diag } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AuditDeliveryFailure } from '@domain-otel/api';
import type { DistroConfig } from '../config/load';
import { createLogExporter } from '../exporters';
import { reportOnce } from '../diag';
import { AuditSpool } from '../spool/spool';
import { AuditLogRecordProcessor } from './audit-processor';
import type { Refusal } from './audit-processor';
import { DeadLetterFile, safeFileName } from './dead-letter';
import { refusalClassifier } from './refusal';

export interface AuditPipeline {
  processor: AuditLogRecordProcessor;
  /** This process's spool directory, when the spool is on. */
  spoolDir: string | undefined;
}

/**
 * The audit records' pipeline: their own queue and exporter, the spool on local disk for what
 * the queue cannot hold or the collector cannot take, the dead-letter file for records the
 * collector refuses for good, and the log lines an operator needs.
 */
export function createAuditPipeline(
  config: DistroConfig, resource: Resource, onDropped: (reason: AuditDeliveryFailure, count: number) => void,
): AuditPipeline {
  const service = serviceName(resource);
  // `let`: the spool's failure callback may run before the processor exists (a `const` would throw there).
  // eslint-disable-next-line prefer-const -- see above
  let processor: AuditLogRecordProcessor | undefined;
  const spool = config.auditSpool ? openSpool(config, service, onDropped, (records, err) => processor?.spoolWriteFailed(records, err)) : undefined;
  processor = new AuditLogRecordProcessor({
    exporter: createLogExporter(config),
    maxQueueSize: config.auditQueueSize,
    maxExportBatchSize: config.logBatch.maxExportBatchSize,
    scheduledDelayMillis: config.logBatch.scheduledDelayMillis,
    strict: config.auditDelivery === 'strict',
    onDropped,
    refusal: refusalClassifier(config.otlp.logs.protocol),
    deadLetter: new DeadLetterFile(config.auditDeadLetterDir, service),
    onRefused: reportRefusal,
    spool,
  });
  return { processor, spoolDir: spool?.ownDir };
}

/** service.name without waiting for (or warning about) attributes still being detected. */
function serviceName(resource: Resource): string {
  const settled = resource.getRawAttributes().filter(([k, v]) => k === 'service.name' && typeof v === 'string');
  return String(settled.at(-1)?.[1] ?? 'unknown_service');
}

function openSpool(
  config: DistroConfig, service: string, onDropped: (reason: AuditDeliveryFailure, count: number) => void,
  onWriteFailed: (records: ReadableLogRecord[], err: unknown) => void,
): AuditSpool | undefined {
  const serviceDir = path.join(config.auditSpoolDir, safeFileName(service));
  try {
    const spool = new AuditSpool({
      serviceDir,
      maxBytes: config.auditSpoolMaxBytes,
      // a burst buffer in front of the disk, so it does not shrink with a small queue
      maxPending: Math.max(2 * config.auditQueueSize, 65536),
      onBadLine: (file, err) => {
        onDropped('internal_error', 1);
        reportOnce(`spool-bad-line:${file}`, `domain-otel: a line of the audit spool file ${file} could not be read and is skipped (${err instanceof Error ? err.message : String(err)}); counted in domain.telemetry.dropped{drop_reason=internal_error}`);
      },
      onWriteFailed: (records, err) => {
        diag.error(`domain-otel: the audit spool in ${serviceDir} could not be written (${err instanceof Error ? err.message : String(err)}); ${records.length} audit record(s) dropped and counted as spool_full; records beyond the queue are dropped from now on`);
        onWriteFailed(records, err);
      },
    });
    for (const dir of spool.adoptedDirs) diag.info(`domain-otel: adopted the audit spool ${dir} left by a process that died; sending its records`);
    return spool;
  } catch (err) {
    diag.warn(`domain-otel: the audit spool directory ${serviceDir} is not usable (${err instanceof Error ? err.message : String(err)}); the spool is off: audit records beyond the queue are dropped and counted (set DOMAIN_OTEL_AUDIT_SPOOL_DIR to a writable directory)`);
    return undefined;
  }
}

function reportRefusal(r: Refusal): void {
  const uids = r.uids.map((u) => u ?? '(no uid)');
  const shown = uids.length > 5 ? `${uids.slice(0, 5).join(', ')}, … (${uids.length} in all)` : uids.join(', ');
  const where = r.file !== undefined
    ? `written to ${r.file}; send them again with: npx domain-otel-resend ${r.file}`
    : `NOT kept: the dead-letter file could not be written (${r.writeError instanceof Error ? r.writeError.message : String(r.writeError)})`;
  diag.warn(`domain-otel: the collector refused ${uids.length} audit record(s) for good (${r.why}); counted in domain.telemetry.dropped{drop_reason=rejected}, ${where}; uid(s): ${shown}`);
}
