import { diag } from '@opentelemetry/api';
import { setAuditDeliveryLedger } from '@domain-otel/api';
import type { DistroConfig } from '../config/load';
import { StrictDeliveryLedger } from './delivery-ledger';

/**
 * DOMAIN_OTEL_AUDIT_DELIVERY=strict: registers the delivery ledger with @domain-otel/api.
 * A configuration that makes no audit records (or none of some kind) does not turn strict
 * off: it is warned about once, and the awaited operations reject (fail closed).
 */
export function startStrictDelivery(config: DistroConfig, instrumentations: readonly string[]): StrictDeliveryLedger | undefined {
  if (config.auditDelivery !== 'strict') return undefined;
  const none = noAuditRecords(config, instrumentations);
  if (none !== undefined) {
    diag.warn(`domain-otel: DOMAIN_OTEL_AUDIT_DELIVERY=strict with ${none}: no audit record can be acknowledged, so every awaited audit operation rejects with AuditDeliveryError (strict delivery fails closed)`);
  } else if (!config.capture.includes('audit') || !config.capture.includes('mutation')) {
    const missing = ['audit', 'mutation'].filter((k) => !config.capture.includes(k as 'audit'));
    diag.warn(`domain-otel: DOMAIN_OTEL_AUDIT_DELIVERY=strict with DOMAIN_OTEL_CAPTURE without ${missing.join(' and ')}: awaited operations of ${missing.length > 1 ? 'those kinds' : 'that kind'} are not recorded and reject with AuditDeliveryError`);
  }
  const ledger = new StrictDeliveryLedger(config.strictTimeoutMillis, none && `no audit records are made (${none})`);
  setAuditDeliveryLedger(ledger);
  return ledger;
}

function noAuditRecords(config: DistroConfig, instrumentations: readonly string[]): string | undefined {
  if (config.exporters.logs.includes('none')) return 'OTEL_LOGS_EXPORTER=none';
  if (config.auditLevel === 'none') return 'DOMAIN_OTEL_AUDIT_LEVEL=none';
  if (!instrumentations.includes('domain')) return 'the domain instrumentation disabled';
  return undefined;
}
