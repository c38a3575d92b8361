// `@domain-otel/node/internal`: not a public API and no compatibility promise. The parts of the
// distribution that the repository's own benchmarks drive directly, without the rest of the
// SDK (bench/scenarios/strict-delivery.mjs), and what they report about the machine (the HTTP benches).
export { AuditLogRecordProcessor } from './logs/audit-processor';
export { StrictDeliveryLedger } from './logs/delivery-ledger';
export { exportThreadWanted, usableCores } from './export/usable-cores';
