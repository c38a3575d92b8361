import { context } from '@opentelemetry/api';
import type { Logger, Tracer } from '@opentelemetry/api';
import type { LogAttributes } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor } from '@domain-otel/api';
import { ATTR_LOG_RECORD_UID } from '@domain-otel/semantic-conventions';
import type { Instruments } from '../metrics';
import type { KeyMatcher } from '../redact';
import type { AuditLevel, DomainRecord, DomainRecordSink } from '../types';
import { uuidv7 } from '../uuidv7';
import { capText } from '../value-limits';
import { deliveryTicketOf } from '../delivery-context';

/** What every mapping needs: where records go and the policy that shapes them. */
export interface Recorder {
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly instruments: Instruments;
  readonly level: AuditLevel;
  readonly isSecret: KeyMatcher;
  readonly maxCacheKeys: number;
  /** Cap of one string value, UTF-8 bytes. */
  readonly maxValueBytes: number;
  /** Byte budget of one record's values. */
  readonly recordBudgetBytes: number;
  /** A span around each authorization check (else the decision record alone). */
  readonly authzSpans: boolean;
  /** Set: records go here instead of through `logger`. */
  readonly sink: DomainRecordSink | undefined;
  readonly scope: DomainRecord['scope'];
}

const LEVEL_RANK: Record<AuditLevel, number> = { none: 0, metadata: 1, changes: 2, full: 3 };

export function levelAtLeast(r: Recorder, wanted: AuditLevel): boolean {
  return LEVEL_RANK[r.level] >= LEVEL_RANK[wanted];
}

/** A string for a metric attribute: capped like record values (metric attributes are app-chosen names). */
export function metricText<T>(r: Recorder, value: T): T | string {
  return typeof value === 'string' && value.length * 3 > r.maxValueBytes ? capText(value, r.maxValueBytes).text : value;
}

export interface EmitOptions {
  eventName: string;
  severity: SeverityNumber;
  body: string;
  timestamp: number;
  attributes: LogAttributes;
  /** Audit records get a uid and, in strict mode, a delivery promise. */
  audit: boolean;
}

/**
 * Emits one event record in the active context. Strict delivery: the record's DeliveryTicket
 * is in that context (put there by the instrumentation) and goes with the record to the
 * audit processor; its promise is returned.
 */
export function emitEvent(r: Recorder, o: EmitOptions): Promise<void> | undefined {
  // RecordBuilder puts the uid first; a uid is made here only for attributes built without it
  const uid = typeof o.attributes[ATTR_LOG_RECORD_UID] === 'string' ? o.attributes[ATTR_LOG_RECORD_UID] : uuidv7(o.timestamp);
  o.attributes[ATTR_LOG_RECORD_UID] = uid;
  const severityText = SEVERITY_TEXT[o.severity] ?? 'INFO';
  const active = context.active();
  if (r.sink) {
    r.sink.emit({ eventName: o.eventName, severityNumber: o.severity, severityText, body: o.body, attributes: o.attributes, timestamp: o.timestamp, scope: r.scope }, active);
  } else {
    r.logger.emit({ eventName: o.eventName, timestamp: o.timestamp, severityNumber: o.severity, severityText, body: o.body, attributes: o.attributes });
  }
  return o.audit ? deliveryTicketOf(active)?.settled : undefined;
}

const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.INFO]: 'INFO',
  [SeverityNumber.WARN]: 'WARN',
  [SeverityNumber.ERROR]: 'ERROR',
};

export function errorType(err: unknown): string {
  if (err instanceof Error) return err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name || 'Error';
  return typeof err === 'object' && err !== null ? 'object' : typeof err;
}

export function who(actor: Actor | undefined): string {
  if (!actor || (actor.id === undefined && actor.name === undefined)) return 'anonymous';
  return actor.name !== undefined && actor.id !== undefined ? `${actor.name} (${actor.id})` : String(actor.name ?? actor.id);
}
