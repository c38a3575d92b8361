import { context } from '@opentelemetry/api';
import type { AnyValue, Logger, Tracer } from '@opentelemetry/api';
import type { LogAttributes } from '../log-attributes';
import { SeverityNumber } from '@opentelemetry/api';
import type { Actor } from '@domain-otel/api';
import {
  ATTR_CLIENT_ADDRESS, ATTR_DOMAIN_CORRELATION_ID, ATTR_DOMAIN_TENANT_ID, ATTR_LOG_RECORD_UID, ATTR_USER_AGENT_ORIGINAL,
  ATTR_USER_ID, ATTR_USER_NAME,
} from '@domain-otel/semantic-conventions';
import type { Instruments } from '../metrics';
import type { KeyMatcher } from '../redact';
import type { AuditLevel } from '../types';
import { uuidv7 } from '../uuidv7';
import { toAnyValue } from '../any-value';
import { deliveryTicketOf } from '../delivery-context';

/** What every mapping needs: where records go and the policy that shapes them. */
export interface Recorder {
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly instruments: Instruments;
  readonly level: AuditLevel;
  readonly isSecret: KeyMatcher;
  readonly maxCacheKeys: number;
}

const LEVEL_RANK: Record<AuditLevel, number> = { none: 0, metadata: 1, changes: 2, full: 3 };

export function levelAtLeast(r: Recorder, wanted: AuditLevel): boolean {
  return LEVEL_RANK[r.level] >= LEVEL_RANK[wanted];
}

/** Actor, tenant and correlation on every record; request attributes only at `full`. */
export function actorAttributes(r: Recorder, actor: Actor | undefined, attrs: LogAttributes): void {
  if (!actor) return;
  if (actor.id !== undefined) attrs[ATTR_USER_ID] = String(actor.id);
  if (actor.name !== undefined) attrs[ATTR_USER_NAME] = actor.name;
  if (actor.tenant !== undefined) attrs[ATTR_DOMAIN_TENANT_ID] = String(actor.tenant);
  if (actor.correlationId !== undefined) attrs[ATTR_DOMAIN_CORRELATION_ID] = actor.correlationId;
  if (levelAtLeast(r, 'full')) {
    if (actor.clientAddress !== undefined) attrs[ATTR_CLIENT_ADDRESS] = actor.clientAddress;
    if (actor.userAgent !== undefined) attrs[ATTR_USER_AGENT_ORIGINAL] = actor.userAgent;
  }
}

export function redacted(r: Recorder, value: unknown): AnyValue {
  return toAnyValue(value, r.isSecret);
}

/** Adds `prefix.<key>` attributes for each metadata entry, redacting secrets. */
export function metadataAttributes(r: Recorder, prefix: string, metadata: Record<string, unknown> | undefined, attrs: LogAttributes): void {
  if (!metadata) return;
  for (const [k, v] of Object.entries(metadata)) {
    attrs[`${prefix}.${k}`] = r.isSecret(k) ? '[REDACTED]' : redacted(r, v);
  }
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
  const uid = uuidv7(o.timestamp);
  o.attributes[ATTR_LOG_RECORD_UID] = uid;
  r.logger.emit({
    eventName: o.eventName,
    timestamp: o.timestamp,
    severityNumber: o.severity,
    severityText: SEVERITY_TEXT[o.severity] ?? 'INFO',
    body: o.body,
    attributes: o.attributes,
  });
  return o.audit ? deliveryTicketOf(context.active())?.settled : undefined;
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
