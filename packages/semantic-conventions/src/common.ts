// Attributes shared by several (or all) domain-otel events.

/** Stable identifier of the actor (the authenticated user or service account). */
export const ATTR_USER_ID = 'user.id';

/** Display representation of the actor. */
export const ATTR_USER_NAME = 'user.name';

/** Tenant / organization the operation belongs to. */
export const ATTR_DOMAIN_TENANT_ID = 'domain.tenant.id';

/** Request / correlation id; defaults to the trace id when the app sets none. */
export const ATTR_DOMAIN_CORRELATION_ID = 'domain.correlation.id';

/** Address of the client that made the request. */
export const ATTR_CLIENT_ADDRESS = 'client.address';

/** The client's User-Agent header, unmodified. */
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';

/** Unique id of one log record (UUIDv7); the audit sink deduplicates on it. */
export const ATTR_LOG_RECORD_UID = 'log.record.uid';

/** Class of error that made an operation fail (e.g. the exception's class name). */
export const ATTR_ERROR_TYPE = 'error.type';

/** Name of the manager (domain service / repository) the operation went through. */
export const ATTR_DOMAIN_MANAGER_NAME = 'domain.manager.name';

/** Identifier of the entity the operation concerned (numbers are stringified). */
export const ATTR_DOMAIN_ENTITY_ID = 'domain.entity.id';

/** Name of the telemetry distribution (resource attribute). */
export const ATTR_TELEMETRY_DISTRO_NAME = 'telemetry.distro.name';

/** Version of the telemetry distribution (resource attribute). */
export const ATTR_TELEMETRY_DISTRO_VERSION = 'telemetry.distro.version';

/**
 * Number of values on this record that were shortened to the value size cap (each ends with
 * `…[truncated N bytes]`) or cut at the nesting limit (`[…]`). Absent when nothing was cut.
 */
export const ATTR_DOMAIN_RECORD_TRUNCATED_VALUES = 'domain.record.truncated_values';

/**
 * Number of entries left out of this record: metadata keys beyond 64, map entries and list
 * items beyond 256, and values beyond the record's byte budget. Absent when nothing was left out.
 */
export const ATTR_DOMAIN_RECORD_DROPPED_ENTRIES = 'domain.record.dropped_entries';

/** User name of the process owner (OpenTelemetry `process.owner`): the OS user who ran a command. */
export const ATTR_PROCESS_OWNER = 'process.owner';

/** Name of the host (OpenTelemetry `host.name`). */
export const ATTR_HOST_NAME = 'host.name';
