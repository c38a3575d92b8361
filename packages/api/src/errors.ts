/**
 * Rejection of an awaited domain operation whose audit record could not be
 * delivered under `DOMAIN_OTEL_AUDIT_DELIVERY=strict`.
 */
export class AuditDeliveryError extends Error {
  override readonly name = 'AuditDeliveryError';
  /** `log.record.uid` of the record that was not acknowledged. */
  readonly uid?: string;

  constructor(message: string, options: { cause?: unknown; uid?: string } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    if (options.uid !== undefined) this.uid = options.uid;
  }
}
