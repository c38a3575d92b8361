-- domain-otel audit sink, schema version 2: several hash chains per partition, and
-- partitions of their own for tenants with their own retention.
--
-- A *segment* is a leaf partition of `records`. From this version on, every new month is
-- LIST-partitioned by tenant_id: a DEFAULT segment shared by all tenants, plus one segment per
-- tenant registered in `tenant_partitions` (those can be retired on their own schedule).
-- Each segment holds `streams` chains, `<segment>#0` … `<segment>#<streams-1>`; a row's
-- chain is given by its `stream` column. Writers append to different chains of the same
-- segment at the same time, so one month is no longer written by one transaction at a time.
--
-- Months created by version 1 keep working unchanged: one plain partition, one chain named
-- after the month (`numbered = false`), stream 0.

ALTER TABLE domain_otel_audit.records ADD COLUMN stream smallint NOT NULL DEFAULT 0;

-- `chains` now has one row per segment; `chain` is the segment id ('YYYY-MM' for the shared
-- segment, 'YYYY-MM/<tenant, URI-encoded>' for a tenant's).
ALTER TABLE domain_otel_audit.chains
  ADD COLUMN tenant_id text,
  ADD COLUMN streams   integer NOT NULL DEFAULT 1,
  ADD COLUMN numbered  boolean NOT NULL DEFAULT false;   -- chain ids are '<segment>#<stream>'

-- Retired segments: the head of every chain of the segment ({"<chain>": [seq, "hex"]}).
ALTER TABLE domain_otel_audit.retired_chains
  ADD COLUMN heads jsonb,
  ALTER COLUMN head_seq DROP NOT NULL;

CREATE TABLE domain_otel_audit.settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO domain_otel_audit.settings (name, value) VALUES ('streams_per_segment', '8');

-- Tenants whose records go to segments of their own (registered by `migrate --tenant`).
CREATE TABLE domain_otel_audit.tenant_partitions (
  tenant_id     text        PRIMARY KEY,
  slot          integer     NOT NULL UNIQUE,     -- used in partition names: records_YYYY_MM_t<slot>
  registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER tenant_partitions_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.tenant_partitions
  FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification();

-- encodeURIComponent: keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and percent-encodes every other
-- UTF-8 byte, so '/', '#' and ':' never appear inside a tenant part of a segment id.
CREATE FUNCTION domain_otel_audit.uri_component(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(
           CASE WHEN c ~ '^[A-Za-z0-9_.!~*''()-]$' THEN c
                ELSE upper(regexp_replace(encode(convert_to(c, 'UTF8'), 'hex'), '(..)', '%\1', 'g')) END,
           '' ORDER BY i), '')
    FROM regexp_split_to_table(t, '') WITH ORDINALITY AS x(c, i)
$$;

-- Statement-level append-only trigger for a partition (statement triggers are not inherited).
CREATE FUNCTION domain_otel_audit.protect_partition(p_table text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON domain_otel_audit.%I '
                 'FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification()',
                 p_table || '_append_only_stmt', p_table);
END
$$;
REVOKE ALL ON FUNCTION domain_otel_audit.protect_partition(text) FROM PUBLIC;

-- Creates one segment (leaf partition) of a LIST-partitioned month: the DEFAULT one when
-- p_tenant is NULL. Grants the writer and reader roles direct access (the sink writes into
-- the leaf, which also makes Postgres check the row belongs there).
CREATE FUNCTION domain_otel_audit.create_segment(p_month date, p_tenant text, p_slot integer) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_parent  text        := 'records_' || to_char(p_month, 'YYYY_MM');
  v_leaf    text        := v_parent || CASE WHEN p_tenant IS NULL THEN '_default' ELSE '_t' || p_slot END;
  v_segment text        := to_char(p_month, 'YYYY-MM')
                           || CASE WHEN p_tenant IS NULL THEN '' ELSE '/' || domain_otel_audit.uri_component(p_tenant) END;
  v_lo      timestamptz := p_month::timestamp AT TIME ZONE 'UTC';
  v_hi      timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
  v_streams integer;
BEGIN
  SELECT value::integer INTO v_streams FROM domain_otel_audit.settings WHERE name = 'streams_per_segment';
  IF p_tenant IS NULL THEN
    EXECUTE format('CREATE TABLE domain_otel_audit.%I PARTITION OF domain_otel_audit.%I DEFAULT', v_leaf, v_parent);
  ELSE
    EXECUTE format('CREATE TABLE domain_otel_audit.%I PARTITION OF domain_otel_audit.%I FOR VALUES IN (%L)',
                   v_leaf, v_parent, p_tenant);
  END IF;
  -- Each chain is linear: one row per (stream, seq).
  EXECUTE format('CREATE UNIQUE INDEX %I ON domain_otel_audit.%I (stream, seq)', v_leaf || '_chain_key', v_leaf);
  PERFORM domain_otel_audit.protect_partition(v_leaf);
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'domain_otel_audit_writer') THEN
    EXECUTE format('GRANT SELECT, INSERT ON domain_otel_audit.%I TO domain_otel_audit_writer', v_leaf);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'domain_otel_audit_reader') THEN
    EXECUTE format('GRANT SELECT ON domain_otel_audit.%I TO domain_otel_audit_reader', v_leaf);
  END IF;
  INSERT INTO domain_otel_audit.chains (chain, partition_name, range_start, range_end, genesis_hash, tenant_id, streams, numbered)
  VALUES (v_segment, v_leaf, v_lo, v_hi,
          sha256(convert_to('domain-otel-audit/genesis/v1' || E'\n' || v_segment || '#0', 'UTF8')),
          p_tenant, v_streams, true);
  RETURN v_segment;
END
$$;
REVOKE ALL ON FUNCTION domain_otel_audit.create_segment(date, text, integer) FROM PUBLIC;

-- Creates the month holding p_month (if missing): a LIST-partitioned month with its shared
-- segment and one segment per registered tenant. Returns the shared segment's id ('YYYY-MM').
CREATE OR REPLACE FUNCTION domain_otel_audit.ensure_partition(p_month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_month date        := date_trunc('month', p_month)::date;
  v_key   text        := to_char(v_month, 'YYYY-MM');
  v_part  text        := 'records_' || to_char(v_month, 'YYYY_MM');
  v_lo    timestamptz := v_month::timestamp AT TIME ZONE 'UTC';
  v_hi    timestamptz := (v_month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
  t       record;
BEGIN
  IF to_regclass(format('domain_otel_audit.%I', v_part)) IS NOT NULL THEN
    RETURN v_key;
  END IF;
  IF EXISTS (SELECT 1 FROM domain_otel_audit.retired_chains r WHERE r.chain = v_key) THEN
    RAISE EXCEPTION 'audit chain % was retired; records of that month can no longer be stored', v_key
      USING ERRCODE = 'DA001';
  END IF;
  PERFORM pg_advisory_xact_lock(1096107092, -1);   -- serialise partition creators
  IF to_regclass(format('domain_otel_audit.%I', v_part)) IS NOT NULL THEN
    RETURN v_key;
  END IF;
  EXECUTE format('CREATE TABLE domain_otel_audit.%I PARTITION OF domain_otel_audit.records '
                 'FOR VALUES FROM (%L) TO (%L) PARTITION BY LIST (tenant_id)', v_part, v_lo, v_hi);
  PERFORM domain_otel_audit.protect_partition(v_part);
  PERFORM domain_otel_audit.create_segment(v_month, NULL::text, NULL::integer);
  FOR t IN SELECT tenant_id, slot FROM domain_otel_audit.tenant_partitions ORDER BY slot LOOP
    PERFORM domain_otel_audit.create_segment(v_month, t.tenant_id, t.slot);
  END LOOP;
  RETURN v_key;
END
$$;
REVOKE ALL ON FUNCTION domain_otel_audit.ensure_partition(date) FROM PUBLIC;
