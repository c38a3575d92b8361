export { DomainInstrumentation } from './instrumentation';
export type { AuditLevel, CaptureKind, DomainInstrumentationConfig, DomainRecord, DomainRecordSink } from './types';
export { BUILT_IN_REDACT_KEYS, REDACTED, createKeyMatcher } from './redact';
export { toAnyValue } from './any-value';
export { uuidv7 } from './uuidv7';
export { deliveryTicketOf, withDeliveryTicket } from './delivery-context';
