/**
 * Names of the audit sink's own metrics and spans. Prometheus (the `/metrics` endpoint of
 * `serve --metrics-port`) shows them with `.` as `_` and counters ending in `_total`:
 * `domain_otel_audit_sink_records_total{outcome="stored"}`. docs/audit-sink.md lists them.
 */
export const METRIC_SINK_RECORDS_RECEIVED = 'domain_otel.audit_sink.records.received';
export const METRIC_SINK_RECORDS = 'domain_otel.audit_sink.records';
export const METRIC_SINK_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_SINK_CHAIN_LOCK_WAIT = 'domain_otel.audit_sink.chain_lock.wait';
export const METRIC_SINK_COPY_DURATION = 'domain_otel.audit_sink.copy.duration';
export const METRIC_SINK_COMMIT_DURATION = 'domain_otel.audit_sink.commit.duration';
export const METRIC_SINK_WORKER_RESTARTS = 'domain_otel.audit_sink.worker.restarts';
export const METRIC_SINK_REQUESTS_INFLIGHT = 'domain_otel.audit_sink.requests.inflight';
export const METRIC_SINK_CHECKPOINT_AGE = 'domain_otel.audit_sink.checkpoint.age';
export const METRIC_DB_CONNECTIONS = 'db.client.connection.count';
export const METRIC_DB_CONNECTIONS_MAX = 'db.client.connection.max';
export const METRIC_DB_CONNECTIONS_PENDING = 'db.client.connection.pending_requests';

/** `stored`, `duplicate`, `conflict`, `refused`, `ignored`. */
export const ATTR_SINK_OUTCOME = 'outcome';
/** On `refused`: `malformed`, `time_window`, `record_limit`, `retired_chain`. */
export const ATTR_SINK_REASON = 'reason';

export const SPAN_DECODE = 'decode';
export const SPAN_STORE = 'store';
