-- domain-otel audit sink, schema version 1.
-- Applied by `domain-otel-audit migrate` inside one transaction; never edit once released:
-- add a new numbered file instead.

CREATE SCHEMA IF NOT EXISTS domain_otel_audit;

-- Rejects UPDATE, DELETE and TRUNCATE for every role, superusers included.
CREATE FUNCTION domain_otel_audit.reject_modification() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'domain_otel_audit.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit rows are never changed; retention drops whole partitions (domain-otel-audit retain)';
END
$$;

-- Exact conversion of a ns timestamp to timestamptz (µs precision, truncated), without
-- going through a lossy float for the whole value.
CREATE FUNCTION domain_otel_audit.ns_to_timestamptz(ns bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT timestamptz '1970-01-01 00:00:00+00'
         + (ns / 1000000000) * interval '1 second'
         + ((ns % 1000000000) / 1000) * interval '1 microsecond'
$$;

-- One row per audit record. Partitioned by month of `time`; each monthly partition is
-- one hash chain (seq 1, 2, 3, ... with prev_hash = row_hash of seq - 1).
CREATE TABLE domain_otel_audit.records (
  time            timestamptz NOT NULL,          -- effective record time (µs), derived from time_unix_nano
  time_unix_nano  bigint      NOT NULL,          -- exact effective time in ns
  seq             bigint      NOT NULL,          -- position in the partition's chain, from 1
  uid             text        NOT NULL,          -- log.record.uid, or sha256:<hex> derived from the content
  uid_generated   boolean     NOT NULL,
  event_name      text        NOT NULL,
  action          text,
  outcome         text,
  manager         text,
  entity_id       text,
  user_id         text,
  tenant_id       text,
  trace_id        text,
  span_id         text,
  service         text,
  received_at     timestamptz NOT NULL,
  record          jsonb       NOT NULL,          -- resource + scope + log record; int64 as decimal strings
  content_hash    bytea       NOT NULL,          -- sha256 of the canonical row content
  prev_hash       bytea       NOT NULL,          -- row_hash of the previous row of the chain (genesis hash for seq 1)
  row_hash        bytea       NOT NULL           -- sha256(chain, seq, prev_hash, content_hash)
) PARTITION BY RANGE (time);

CREATE INDEX records_time_idx ON domain_otel_audit.records (time);
CREATE INDEX records_user_idx ON domain_otel_audit.records (user_id, time);
CREATE INDEX records_tenant_idx ON domain_otel_audit.records (tenant_id, time);
CREATE INDEX records_manager_entity_idx ON domain_otel_audit.records (manager, entity_id, time);
CREATE INDEX records_trace_idx ON domain_otel_audit.records (trace_id);
CREATE INDEX records_uid_idx ON domain_otel_audit.records (uid);

CREATE TRIGGER records_append_only_stmt
  BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.records
  FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification();
-- Row-level triggers on a partitioned table are cloned onto every partition, so they also
-- catch statements aimed at a partition directly.
CREATE TRIGGER records_append_only_row
  BEFORE UPDATE OR DELETE ON domain_otel_audit.records
  FOR EACH ROW EXECUTE FUNCTION domain_otel_audit.reject_modification();

-- Global uniqueness of uids. Postgres cannot enforce a unique index across partitions
-- unless it contains the partition key, so idempotency is kept in this registry
-- (INSERT ... ON CONFLICT DO NOTHING RETURNING decides which records are new).
CREATE TABLE domain_otel_audit.record_uids (
  uid    text NOT NULL PRIMARY KEY,
  chain  text NOT NULL                -- 'YYYY-MM' of the row; retention removes a retired chain's uids
);
CREATE INDEX record_uids_chain_idx ON domain_otel_audit.record_uids (chain);

-- Every chain (monthly partition) ever created, and the ones retired by retention.
CREATE TABLE domain_otel_audit.chains (
  chain          text        NOT NULL PRIMARY KEY,   -- 'YYYY-MM'
  partition_name text        NOT NULL,
  range_start  timestamptz NOT NULL,
  range_end    timestamptz NOT NULL,
  genesis_hash bytea       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE domain_otel_audit.retired_chains (
  chain          text        NOT NULL PRIMARY KEY,
  rows           bigint      NOT NULL,
  head_seq       bigint      NOT NULL,
  head_hash      bytea,
  archive_file   text        NOT NULL,
  archive_sha256 text        NOT NULL,
  retired_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER chains_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.chains
  FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification();
CREATE TRIGGER retired_chains_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.retired_chains
  FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification();

-- Creates the monthly partition holding p_month (if missing) and returns its chain id.
-- SECURITY DEFINER so the writer role, which owns nothing, can still get a partition for a
-- record that falls outside the ones created ahead by `migrate`.
CREATE FUNCTION domain_otel_audit.ensure_partition(p_month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_month date        := date_trunc('month', p_month)::date;
  v_chain text        := to_char(v_month, 'YYYY-MM');
  v_part  text        := 'records_' || to_char(v_month, 'YYYY_MM');
  v_lo    timestamptz := v_month::timestamp AT TIME ZONE 'UTC';
  v_hi    timestamptz := (v_month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(format('domain_otel_audit.%I', v_part)) IS NOT NULL THEN
    RETURN v_chain;
  END IF;
  IF EXISTS (SELECT 1 FROM domain_otel_audit.retired_chains r WHERE r.chain = v_chain) THEN
    RAISE EXCEPTION 'audit chain % was retired; records of that month can no longer be stored', v_chain
      USING ERRCODE = 'DA001';
  END IF;
  PERFORM pg_advisory_xact_lock(1096107092, -1);   -- serialise partition creators
  IF to_regclass(format('domain_otel_audit.%I', v_part)) IS NOT NULL THEN
    RETURN v_chain;
  END IF;
  EXECUTE format('CREATE TABLE domain_otel_audit.%I PARTITION OF domain_otel_audit.records FOR VALUES FROM (%L) TO (%L)',
                 v_part, v_lo, v_hi);
  -- The chain is linear: one row per position.
  EXECUTE format('CREATE UNIQUE INDEX %I ON domain_otel_audit.%I (seq)', v_part || '_seq_key', v_part);
  -- Statement triggers are not inherited: TRUNCATE/UPDATE/DELETE aimed at the partition itself.
  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.%I '
                 'FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification()',
                 v_part || '_append_only_stmt', v_part);
  INSERT INTO domain_otel_audit.chains (chain, partition_name, range_start, range_end, genesis_hash)
  VALUES (v_chain, v_part, v_lo, v_hi, sha256(convert_to('domain-otel-audit/genesis/v1' || E'\n' || v_chain, 'UTF8')));
  RETURN v_chain;
END
$$;
REVOKE ALL ON FUNCTION domain_otel_audit.ensure_partition(date) FROM PUBLIC;
