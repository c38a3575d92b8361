-- domain-otel audit sink, schema version 3: what each uid stands for, and the replays that
-- reuse a uid for other content.
--
-- A replay with a known log.record.uid used to be counted as a duplicate whatever it carried,
-- so a sender could send "uid X: user 43, denied" after "uid X: user 42, granted" and get a 200.
-- Now the uid registry keeps the hash of the record stored under each uid; a replay whose record
-- hashes differently is refused (OTLP partial success) and kept whole in `uid_conflicts`, as
-- evidence of a misbehaving sender. The stored record is never touched.

-- sha256 of the canonical JSON of the stored `record` (resource, scope, log record: exactly what
-- the sender sent, without anything the sink adds, so a genuine replay hashes the same). NULL for
-- uids registered before this version: the sink then hashes the stored row itself.
ALTER TABLE domain_otel_audit.record_uids ADD COLUMN record_hash bytea;

CREATE TABLE domain_otel_audit.uid_conflicts (
  uid          text        NOT NULL,
  record_hash  bytea       NOT NULL,   -- sha256 of the canonical JSON of the conflicting record
  stored_hash  bytea       NOT NULL,   -- sha256 of the record stored (or first seen) under the uid
  chain        text,                   -- segment of the stored record (NULL: its row was not found)
  received_at  timestamptz NOT NULL,
  record       jsonb       NOT NULL,   -- the conflicting record, whole, in the stored format
  PRIMARY KEY (uid, record_hash)       -- the same conflicting replay is kept once
);
CREATE INDEX uid_conflicts_received_idx ON domain_otel_audit.uid_conflicts (received_at);

-- Append-only like `records`: UPDATE, DELETE and TRUNCATE are rejected for every role.
CREATE TRIGGER uid_conflicts_append_only_stmt
  BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.uid_conflicts
  FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification();
CREATE TRIGGER uid_conflicts_append_only_row
  BEFORE UPDATE OR DELETE ON domain_otel_audit.uid_conflicts
  FOR EACH ROW EXECUTE FUNCTION domain_otel_audit.reject_modification();
