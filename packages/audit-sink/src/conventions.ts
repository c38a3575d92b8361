/**
 * The event names and attribute keys the audit sink reads.
 *
 * These mirror the event schema (docs/architecture.md, docs/semantic-conventions.md) and the constants of
 * `@domain-otel/semantic-conventions`. They are repeated here on purpose so the
 * sink builds and ships without depending on the instrumentation packages: the
 * sink is a server, the wire format is the contract.
 */

export const EVENT_AUDIT_DECISION = 'domain.audit.decision';
export const EVENT_MANAGER_MUTATION = 'domain.manager.mutation';
/**
 * Written by the sink's own CLI (access-log.ts), never accepted over OTLP: an application holding
 * the sink token cannot make up accesses.
 */
export const EVENT_AUDIT_ACCESS = 'domain.audit.access';

/** Event names stored by the sink from OTLP requests; every other event name is counted and ignored. */
export const AUDIT_EVENT_NAMES: ReadonlySet<string> = new Set([EVENT_AUDIT_DECISION, EVENT_MANAGER_MUTATION]);

export const ATTR_AUDIT_ACTION = 'domain.audit.action';
export const ATTR_AUDIT_OUTCOME = 'domain.audit.outcome';
export const ATTR_MUTATION_ACTION = 'domain.mutation.action';
export const ATTR_MUTATION_OUTCOME = 'domain.mutation.outcome';
export const ATTR_MANAGER_NAME = 'domain.manager.name';
export const ATTR_ENTITY_ID = 'domain.entity.id';
export const ATTR_TENANT_ID = 'domain.tenant.id';
export const ATTR_USER_ID = 'user.id';
export const ATTR_LOG_RECORD_UID = 'log.record.uid';
/** Resource attribute. */
export const ATTR_SERVICE_NAME = 'service.name';
/** Deprecated carrier of the event name (pre-`eventName` SDKs); read only as a fallback. */
export const ATTR_DEPRECATED_EVENT_NAME = 'event.name';
