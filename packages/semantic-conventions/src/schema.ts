/** Version of the domain-otel telemetry schema described by this package. */
export const SCHEMA_VERSION = '0.1.0';

/**
 * Schema URL carried by the instrumentation scope of every domain-otel signal,
 * so consumers can tell which version of these conventions a record follows.
 */
export const SCHEMA_URL = `https://domain-otel.dev/schemas/${SCHEMA_VERSION}`;
