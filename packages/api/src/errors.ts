/**
 * Why an audit record was not acknowledged under strict delivery. The drop reasons are the
 * values of `domain.telemetry.drop_reason` the record is counted under; `timeout` (not
 * acknowledged in time, may still arrive later) and `not_recorded` (no audit pipeline, or the
 * distribution has no record for the event) are not drops.
 */
export type AuditDeliveryFailure =
  | 'queue_full'
  | 'spool_full'
  | 'shutdown'
  | 'internal_error'
  | 'rejected'
  | 'export_failed'
  | 'timeout'
  | 'not_recorded';

/**
 * Rejection of an awaited domain operation whose audit record could not be
 * delivered under `DOMAIN_OTEL_AUDIT_DELIVERY=strict`.
 */
export class AuditDeliveryError extends Error {
  override readonly name = 'AuditDeliveryError';
  /** `log.record.uid` of the record that was not acknowledged (when it got that far). */
  readonly uid?: string;
  /** Why (also at the end of the message). */
  readonly reason?: AuditDeliveryFailure;

  constructor(message: string, options: { cause?: unknown; uid?: string; reason?: AuditDeliveryFailure } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    if (options.uid !== undefined) this.uid = options.uid;
    if (options.reason !== undefined) this.reason = options.reason;
  }
}
