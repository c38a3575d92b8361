/**
 * The two upstream OpenTelemetry names the audit sink reads. Every domain-otel name (event
 * names, which events are audit records, attribute keys) comes from
 * `@domain-otel/semantic-conventions`, which has no dependencies: the sink ships without the
 * instrumentation packages, and the wire format stays one contract.
 */

/** Resource attribute. */
export const ATTR_SERVICE_NAME = 'service.name';
/** Deprecated carrier of the event name (pre-`eventName` SDKs); read only as a fallback. */
export const ATTR_DEPRECATED_EVENT_NAME = 'event.name';
