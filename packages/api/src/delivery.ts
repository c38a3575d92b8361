// Strict delivery, the whole contract in one place.
//
//  1. A distribution that offers strict delivery registers a ledger (setAuditDeliveryLedger).
//  2. The api opens one DeliveryTicket per audit record *before* publishing the event
//     (audit.decision, traceAuthz, traceMutation) and puts it on the message (`delivery`).
//  3. The mapping emits the record with the ticket in its OpenTelemetry context; when it fails
//     before the record is emitted, it abandons the ticket (internal_error).
//  4. The distribution's audit processor moves the ticket on: queued(uid) when the record
//     entered its queue (or spool), then acknowledge() once the collector acknowledged it, or
//     reject(reason) when it is dropped, refused or not acknowledged in time.
//  5. After publishing, the api seals the ticket: a ticket nobody queued is rejected (the
//     ledger says why: shut down, no audit pipeline, …). The awaited operation settles with it.
//
// With no ledger registered (async delivery) none of this runs.
import { AuditDeliveryError } from './errors';
import type { AuditDeliveryFailure } from './errors';
import { noop } from './util';

export type { AuditDeliveryFailure };

export type DeliveryState = 'open' | 'queued' | 'acknowledged' | 'rejected';

/** Why a record that never reached the audit queue was not queued (the ledger knows). */
export interface NotQueued {
  reason: AuditDeliveryFailure;
  message: string;
}

/** Registered by the distribution in strict mode; opens one ticket per audit record. */
export interface AuditDeliveryLedger {
  open(): DeliveryTicket;
}

export interface DeliveryTicketOptions {
  /** Rejects with `timeout` unless settled within this many ms of opening. */
  timeoutMillis: number;
  /** Asked at seal time for a ticket that nobody queued. */
  notQueued: () => NotQueued;
}

/** One audit record's way from the api call to the collector's acknowledgement. */
export class DeliveryTicket {
  /** Settles when the record was acknowledged; rejects with AuditDeliveryError otherwise. */
  readonly settled: Promise<void>;
  private current: DeliveryState = 'open';
  private recordUid: string | undefined;
  private abandoned: { reason: AuditDeliveryFailure; message: string; cause?: unknown } | undefined;
  private resolveFn: () => void = noop;
  private rejectFn: (err: AuditDeliveryError) => void = noop;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(private readonly options: DeliveryTicketOptions) {
    this.settled = new Promise<void>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // never an unhandled rejection, whether or not the caller awaits the operation
    this.settled.then(undefined, noop);
    this.timer = setTimeout(() => {
      this.reject('timeout', `audit record ${this.recordUid ?? '(not emitted)'} not acknowledged within ${options.timeoutMillis} ms`);
    }, options.timeoutMillis);
    this.timer.unref?.();
  }

  get state(): DeliveryState {
    return this.current;
  }

  /** `log.record.uid` of the record, once it was queued. */
  get uid(): string | undefined {
    return this.recordUid;
  }

  /** The audit processor took the record (into its queue or its spool). */
  queued(uid: string | undefined): void {
    if (this.current !== 'open') return;
    this.current = 'queued';
    this.recordUid = uid;
  }

  /** The collector acknowledged the record. */
  acknowledge(): void {
    if (this.current !== 'queued') return;
    this.current = 'acknowledged';
    clearTimeout(this.timer);
    this.resolveFn();
  }

  /** The record will not be acknowledged: dropped, refused, or not acknowledged in time. */
  reject(reason: AuditDeliveryFailure, message: string, cause?: unknown): void {
    if (this.current === 'acknowledged' || this.current === 'rejected') return;
    this.current = 'rejected';
    clearTimeout(this.timer);
    const uid = this.recordUid;
    this.rejectFn(new AuditDeliveryError(`${message} (${reason})`, { reason, ...(uid !== undefined ? { uid } : {}), ...(cause !== undefined ? { cause } : {}) }));
  }

  /** The mapping failed before the record reached the audit processor; settled at seal time. */
  abandon(reason: AuditDeliveryFailure, message: string, cause?: unknown): void {
    if (this.current === 'open') this.abandoned ??= { reason, message, cause };
  }

  /**
   * Called by the api once the event was published (the record, if any, is emitted
   * synchronously by then): a ticket still open was never queued and never will be.
   */
  seal(): Promise<void> {
    if (this.current === 'open') {
      const why = this.abandoned ?? this.options.notQueued();
      this.reject(why.reason, why.message, this.abandoned?.cause);
    }
    return this.settled;
  }
}

// Global, like the channels: every copy of this package in the process sees the same ledger.
const KEY = Symbol.for('@domain-otel/api.audit-delivery-ledger');
type Holder = { ledger: AuditDeliveryLedger | undefined };
const holder: Holder = ((globalThis as { [KEY]?: Holder })[KEY] ??= { ledger: undefined });

/** Registers (or, with undefined, removes) the strict-delivery ledger. For distributions. */
export function setAuditDeliveryLedger(ledger: AuditDeliveryLedger | undefined): void {
  holder.ledger = ledger;
}

/** A ticket for the next audit record when strict delivery is on, else undefined. */
export function openDeliveryTicket(): DeliveryTicket | undefined {
  return holder.ledger?.open();
}
