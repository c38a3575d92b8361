import { DeliveryTicket } from '@domain-otel/api';
import type { AuditDeliveryLedger, NotQueued } from '@domain-otel/api';

/**
 * The distribution's side of strict delivery (the contract is in @domain-otel/api's
 * delivery.ts): opens the tickets, and says why a record never reached the audit queue.
 * Stays registered after shutdown, so audit operations then fail closed instead of resolving.
 */
export class StrictDeliveryLedger implements AuditDeliveryLedger {
  private shutDown = false;
  private readonly notQueued = (): NotQueued => this.explain();

  /**
   * @param noRecord set when the configuration makes no audit records at all
   *   (e.g. OTEL_LOGS_EXPORTER=none); the text says which setting.
   */
  constructor(private readonly timeoutMillis: number, private readonly noRecord: string | undefined) {}

  open(): DeliveryTicket {
    return new DeliveryTicket({ timeoutMillis: this.timeoutMillis, notQueued: this.notQueued });
  }

  /** From now on nothing is recorded: tickets that are not queued reject with `shutdown`. */
  close(): void {
    this.shutDown = true;
  }

  private explain(): NotQueued {
    if (this.shutDown) return { reason: 'shutdown', message: 'domain-otel has shut down; the audit record was not recorded' };
    if (this.noRecord !== undefined) return { reason: 'not_recorded', message: this.noRecord };
    return { reason: 'not_recorded', message: 'the audit record never reached the audit queue' };
  }
}
