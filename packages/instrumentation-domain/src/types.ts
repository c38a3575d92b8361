import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, SeverityNumber } from '@opentelemetry/api';
import type { LogAttributes } from './log-attributes';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export type AuditLevel = 'none' | 'metadata' | 'changes' | 'full';
export type CaptureKind = 'audit' | 'mutation' | 'rule' | 'cache';

export interface DomainInstrumentationConfig extends InstrumentationConfig {
  /** Default `changes`. See DOMAIN_OTEL_AUDIT_LEVEL. */
  auditLevel?: AuditLevel;
  /** Key names redacted on top of the built-in list. */
  redact?: readonly string[];
  /** Kinds recorded; default all four. */
  capture?: readonly CaptureKind[];
  /**
   * The AsyncLocalStorage behind the global OTel context manager (@domain-otel/node passes
   * it). Bound to the api's TracingChannels so work inside a traced operation is its child.
   * Without it a fallback store is used that nests on Node < 26 only.
   */
  contextStorage?: AsyncLocalStorage<Context>;
  /** Most cache keys listed on one invalidation record (the count is always exact). Default 20. */
  maxCacheKeys?: number;
  /**
   * Cap of one string value in a record, in UTF-8 bytes (256 … 1 MiB; default 8192). Longer
   * strings end with `…[truncated N bytes]`; a record's values together get 64 times this
   * (at most 2 MiB). See DOMAIN_OTEL_MAX_VALUE_BYTES.
   */
  maxValueBytes?: number;
  /**
   * A span around each `traceAuthz` check (`authz <action> <manager>`), parent of the work done
   * inside it. Default true. false: the check is recorded by its decision record alone, in the
   * trace of the active span (the span would wrap nothing but that record when the check does
   * no traced work). See DOMAIN_OTEL_AUTHZ_SPANS.
   */
  authzSpans?: boolean;
  /**
   * Where the mapping's log records go. Default: the global LoggerProvider (`logs.getLogger`).
   * A distribution that owns the log pipeline can take them directly (no SDK LogRecord per
   * record); it then applies what the provider would: resource, trace context, processors.
   */
  recordSink?: DomainRecordSink;
}

/** One record of the mapping, as handed to a {@link DomainRecordSink}. */
export interface DomainRecord {
  eventName: string;
  severityNumber: SeverityNumber;
  severityText: string;
  body: string;
  /** Complete and already shaped (redacted, capped): valid AnyValues only. */
  attributes: LogAttributes;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** The instrumentation scope the records belong to (this package, its version and schema URL). */
  scope: { readonly name: string; readonly version: string; readonly schemaUrl: string };
}

export interface DomainRecordSink {
  /** `context` is the active one: its span is the record's, and it carries a strict-delivery ticket if any. */
  emit(record: DomainRecord, context: Context): void;
}
