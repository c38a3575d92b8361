-- domain-otel audit sink, schema version 4: access records and the DDL guard.
--
-- The part before the `-- @superuser` line is an ordinary migration, applied once by the schema
-- owner. The part after it needs a superuser (CREATE EVENT TRIGGER): `migrate` runs it whenever
-- it runs as a superuser (dropping the guard's event triggers first and re-creating them after the
-- last migration, so migrations themselves are never refused), and otherwise warns that the guard
-- is missing. It is written to be run again and again.

-- The uid registry may lose rows only through retain (DELETE of a retired segment's uids).
CREATE TRIGGER record_uids_no_truncate
  BEFORE TRUNCATE ON domain_otel_audit.record_uids
  FOR EACH STATEMENT EXECUTE FUNCTION domain_otel_audit.reject_modification();

-- Appends one `domain.audit.access` record — who ran which domain-otel-audit command, with which
-- arguments, and how it ended — to the current month's shared segment, chained exactly as the
-- sink chains rows (chain.ts): the reader role, which may not INSERT anything, records its own
-- queries through it. user_id is the database login (session_user), not something the caller says.
-- The record has a fixed shape, so its canonical JSON is written here key by key, in canonical
-- order; to_json(text) escapes strings as JSON.stringify does.
CREATE FUNCTION domain_otel_audit.record_access(
  p_command text, p_arguments text[], p_outcome text, p_result text, p_os_user text, p_host text
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_now      timestamptz := date_trunc('milliseconds', clock_timestamp());
  v_ns       bigint      := (extract(epoch FROM v_now) * 1000000)::bigint * 1000;
  v_received text        := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  v_user     text        := session_user;
  v_uid      text        := 'access-' || gen_random_uuid()::text;
  v_segment  text;
  v_leaf     text;
  v_numbered boolean;
  v_chain    text;
  v_seq      bigint;
  v_prev     bytea;
  v_args     text;
  v_record   text;
  v_content  bytea;
  v_row      bytea;
  q          text := '';
BEGIN
  IF p_command !~ '^[a-z][a-z-]{0,31}$' THEN
    RAISE EXCEPTION 'record_access: command % is not a domain-otel-audit command name', p_command USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_outcome NOT IN ('success', 'failure') THEN
    RAISE EXCEPTION 'record_access: outcome % is neither success nor failure', p_outcome USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(array_length(p_arguments, 1), 0) > 200 OR length(array_to_string(p_arguments, ' ')) > 8000
     OR length(p_result) > 2000 OR length(p_os_user) > 256 OR length(p_host) > 256 THEN
    RAISE EXCEPTION 'record_access: arguments or result too long' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF array_position(p_arguments, NULL) IS NOT NULL OR p_result IS NULL OR p_os_user IS NULL OR p_host IS NULL THEN
    RAISE EXCEPTION 'record_access: null values are not accepted' USING ERRCODE = 'invalid_parameter_value';
  END IF;

  v_segment := domain_otel_audit.ensure_partition((v_now AT TIME ZONE 'UTC')::date);
  SELECT c.partition_name, c.numbered INTO v_leaf, v_numbered FROM domain_otel_audit.chains c WHERE c.chain = v_segment;
  v_chain := CASE WHEN v_numbered THEN v_segment || '#0' ELSE v_segment END;
  -- The lock the sink takes for this chain (chain.ts chainLockKey).
  PERFORM pg_advisory_xact_lock(1096107093, ('x' || encode(substring(sha256(convert_to(v_chain, 'UTF8')) FROM 1 FOR 4), 'hex'))::bit(32)::int4);
  EXECUTE format('SELECT seq, row_hash FROM domain_otel_audit.%I WHERE stream = 0 ORDER BY seq DESC LIMIT 1', v_leaf) INTO v_seq, v_prev;
  v_seq  := coalesce(v_seq, 0) + 1;
  v_prev := coalesce(v_prev, sha256(convert_to('domain-otel-audit/genesis/v1' || E'\n' || v_chain, 'UTF8')));

  SELECT '[' || coalesce(string_agg(to_json(a)::text, ',' ORDER BY i), '') || ']' INTO v_args
    FROM unnest(p_arguments) WITH ORDINALITY AS t(a, i);
  v_record := '{"attributes":{'
    || '"domain.audit.access.arguments":' || v_args
    || ',"domain.audit.access.command":' || to_json(p_command)::text
    || ',"domain.audit.access.outcome":' || to_json(p_outcome)::text
    || ',"domain.audit.access.result":' || to_json(p_result)::text
    || ',"host.name":' || to_json(p_host)::text
    || ',"process.owner":' || to_json(p_os_user)::text
    || ',"user.id":' || to_json(v_user)::text
    || '},"body":' || to_json(format('%s (%s on %s) ran domain-otel-audit %s: %s, %s', v_user, p_os_user, p_host, p_command, p_outcome, p_result))::text
    || ',"droppedAttributesCount":0,"eventName":"domain.audit.access","flags":0'
    || ',"observedTimeUnixNano":"' || v_ns || '"'
    || ',"resource":{"attributes":{"service.name":"domain-otel-audit"},"droppedAttributesCount":0,"schemaUrl":""}'
    || ',"scope":{"attributes":{},"droppedAttributesCount":0,"name":"@domain-otel/audit-sink","schemaUrl":"","version":"0.1.0"}'
    || ',"severityNumber":9,"severityText":"INFO","timeUnixNano":"' || v_ns || '"}';
  v_content := sha256(convert_to('domain-otel-audit/content/v1' || E'\n'
    || '{"action":' || to_json(p_command)::text || ',"entity_id":null,"event_name":"domain.audit.access","manager":null'
    || ',"outcome":' || to_json(p_outcome)::text || ',"received_at":"' || v_received || '","record":' || v_record
    || ',"service":"domain-otel-audit","span_id":null,"tenant_id":null,"time_unix_nano":"' || v_ns || '","trace_id":null'
    || ',"uid":' || to_json(v_uid)::text || ',"uid_generated":false,"user_id":' || to_json(v_user)::text || ',"v":1}', 'UTF8'));
  v_row := sha256(convert_to('domain-otel-audit/row/v1' || E'\n' || v_chain || E'\n' || v_seq || E'\n', 'UTF8') || v_prev || v_content);

  INSERT INTO domain_otel_audit.record_uids (uid, chain) VALUES (v_uid, v_segment);
  EXECUTE format('INSERT INTO domain_otel_audit.%I (time, time_unix_nano, seq, uid, uid_generated, event_name, action, outcome, '
                 'user_id, service, received_at, record, content_hash, prev_hash, row_hash, stream) '
                 'VALUES (domain_otel_audit.ns_to_timestamptz($1), $1, $2, $3, false, ''domain.audit.access'', $4, $5, $6, '
                 '''domain-otel-audit'', $7, $8::jsonb, $9, $10, $11, 0)', v_leaf)
    USING v_ns, v_seq, v_uid, p_command, p_outcome, v_user, v_now, v_record, v_content, v_prev, v_row;
  RETURN v_uid;
END
$$;
REVOKE ALL ON FUNCTION domain_otel_audit.record_access(text, text[], text, text, text, text) FROM PUBLIC;

-- @superuser: the DDL guard (event triggers), re-created by every migrate run as a superuser.
--
-- Refuses, for every role (superusers included, until a superuser switches the event triggers
-- off — which checkpoints then detect), any DDL that could rewrite or remove audit history:
--   * DROP of anything in the audit schema — except, with `SET domain_otel_audit.retain = on`
--     (retain's own session setting), a segment already recorded in retired_chains and a month
--     table whose segments all are;
--   * DETACH of a segment that is not retired (the partition tree loses a live segment);
--   * ALTER TABLE … DISABLE TRIGGER / ENABLE REPLICA TRIGGER, DROP TRIGGER, CREATE OR REPLACE
--     TRIGGER of the append-only triggers: every audit table keeps an enabled BEFORE UPDATE OR
--     DELETE OR TRUNCATE statement trigger calling reject_modification();
--   * ALTER / CREATE OR REPLACE FUNCTION of reject_modification, ensure_partition, create_segment,
--     protect_partition, record_access (their bodies must stay what this guard recorded);
--   * anything that rewrites an audit table (ALTER COLUMN … TYPE with a rewrite, SET ACCESS
--     METHOD, …);
--   * any change to the guard's own objects.
-- TRUNCATE is not DDL: the BEFORE TRUNCATE statement triggers refuse it, and the guard keeps them on.

CREATE SCHEMA IF NOT EXISTS domain_otel_audit_guard;
REVOKE ALL ON SCHEMA domain_otel_audit_guard FROM PUBLIC;
DROP EVENT TRIGGER IF EXISTS domain_otel_audit_guard_ddl;
DROP EVENT TRIGGER IF EXISTS domain_otel_audit_guard_drop;
DROP EVENT TRIGGER IF EXISTS domain_otel_audit_guard_rewrite;

CREATE TABLE IF NOT EXISTS domain_otel_audit_guard.protected_functions (
  signature text PRIMARY KEY,
  fn        oid  NOT NULL,
  body_md5  text NOT NULL
);
DELETE FROM domain_otel_audit_guard.protected_functions;
INSERT INTO domain_otel_audit_guard.protected_functions (signature, fn, body_md5)
SELECT s, p.oid, md5(p.prosrc)
  FROM unnest(ARRAY[
         'domain_otel_audit.reject_modification()',
         'domain_otel_audit.ensure_partition(date)',
         'domain_otel_audit.create_segment(date,text,integer)',
         'domain_otel_audit.protect_partition(text)',
         'domain_otel_audit.record_access(text,text[],text,text,text,text)']) AS s
  JOIN pg_proc p ON p.oid = to_regprocedure(s);

-- The first invariant of the audit schema that does not hold, or NULL.
CREATE OR REPLACE FUNCTION domain_otel_audit_guard.violation() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_reject oid := (SELECT fn FROM domain_otel_audit_guard.protected_functions WHERE signature = 'domain_otel_audit.reject_modification()');
  v_text   text;
BEGIN
  SELECT format('function %s was replaced or altered', f.signature) INTO v_text
    FROM domain_otel_audit_guard.protected_functions f LEFT JOIN pg_proc p ON p.oid = f.fn
   WHERE p.oid IS NULL OR md5(p.prosrc) <> f.body_md5 OR to_regprocedure(f.signature) IS DISTINCT FROM f.fn
   LIMIT 1;
  IF v_text IS NOT NULL THEN RETURN v_text; END IF;
  -- tgtype bits: 1 row, 2 before, 8 delete, 16 update, 32 truncate.
  SELECT format('table %s would lose its enabled append-only trigger', r.oid::regclass) INTO v_text
    FROM (SELECT relid AS oid FROM pg_partition_tree('domain_otel_audit.records')
          UNION ALL SELECT 'domain_otel_audit.chains'::regclass
          UNION ALL SELECT 'domain_otel_audit.retired_chains'::regclass
          UNION ALL SELECT 'domain_otel_audit.tenant_partitions'::regclass) r
   WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                      WHERE t.tgrelid = r.oid AND t.tgfoid = v_reject AND t.tgenabled IN ('O', 'A')
                        AND (t.tgtype::int & 59) = 58)
   LIMIT 1;
  IF v_text IS NOT NULL THEN RETURN v_text; END IF;
  SELECT format('trigger %s on %s would be disabled', t.tgname, t.tgrelid::regclass) INTO v_text
    FROM pg_trigger t WHERE t.tgfoid = v_reject AND t.tgenabled NOT IN ('O', 'A') LIMIT 1;
  IF v_text IS NOT NULL THEN RETURN v_text; END IF;
  SELECT format('segment %s (table %s) would leave the partition tree without being retired', c.chain, c.partition_name) INTO v_text
    FROM domain_otel_audit.chains c
   WHERE NOT EXISTS (SELECT 1 FROM domain_otel_audit.retired_chains r WHERE r.chain = c.chain)
     AND NOT EXISTS (SELECT 1 FROM pg_partition_tree('domain_otel_audit.records') t
                      WHERE t.relid = to_regclass(format('domain_otel_audit.%I', c.partition_name)))
   LIMIT 1;
  RETURN v_text;
END
$$;

CREATE OR REPLACE FUNCTION domain_otel_audit_guard.refuse(p_what text, p_why text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'domain-otel-audit DDL guard: % refused: %', p_what, p_why
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit history is append-only; retention goes through domain-otel-audit retain';
END
$$;

CREATE OR REPLACE FUNCTION domain_otel_audit_guard.on_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_why text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c WHERE c.schema_name = 'domain_otel_audit_guard') THEN
    PERFORM domain_otel_audit_guard.refuse(tg_tag, 'the guard''s own objects cannot be changed');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c WHERE c.schema_name = 'domain_otel_audit') THEN
    RETURN;
  END IF;
  v_why := domain_otel_audit_guard.violation();
  IF v_why IS NOT NULL THEN
    PERFORM domain_otel_audit_guard.refuse(tg_tag, v_why);
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION domain_otel_audit_guard.on_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_retain boolean := coalesce(current_setting('domain_otel_audit.retain', true), '') = 'on';
  o record;
  v_originals int := 0;
BEGIN
  FOR o IN SELECT * FROM pg_event_trigger_dropped_objects()
            WHERE schema_name IN ('domain_otel_audit', 'domain_otel_audit_guard')
               OR (object_type = 'schema' AND object_name IN ('domain_otel_audit', 'domain_otel_audit_guard')) LOOP
    IF o.schema_name = 'domain_otel_audit_guard' OR o.object_type = 'schema' THEN
      PERFORM domain_otel_audit_guard.refuse('DROP ' || o.object_identity, 'the audit schema and the guard cannot be dropped');
    END IF;
    IF NOT o.original THEN CONTINUE; END IF;
    v_originals := v_originals + 1;
    IF o.object_type <> 'table' OR o.object_name !~ '^records_\d{4}_\d{2}' THEN
      PERFORM domain_otel_audit_guard.refuse('DROP ' || o.object_identity, 'audit objects are never dropped (only retired segments, by retain)');
    END IF;
    IF NOT v_retain THEN
      PERFORM domain_otel_audit_guard.refuse('DROP ' || o.object_identity, 'segments are dropped by domain-otel-audit retain only');
    END IF;
    IF EXISTS (SELECT 1 FROM domain_otel_audit.chains c
                WHERE (c.partition_name = o.object_name
                       OR (o.object_name ~ '^records_\d{4}_\d{2}$' AND c.partition_name LIKE o.object_name || '\_%'))
                  AND NOT EXISTS (SELECT 1 FROM domain_otel_audit.retired_chains r WHERE r.chain = c.chain))
       OR (o.object_name !~ '^records_\d{4}_\d{2}$'
           AND NOT EXISTS (SELECT 1 FROM domain_otel_audit.chains c WHERE c.partition_name = o.object_name)) THEN
      PERFORM domain_otel_audit_guard.refuse('DROP ' || o.object_identity, 'it holds a segment that was not retired');
    END IF;
  END LOOP;
  -- Objects of the audit schema dropped only as dependents of something outside it (DROP … CASCADE, DROP OWNED).
  IF v_originals = 0 AND EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() WHERE schema_name = 'domain_otel_audit') THEN
    PERFORM domain_otel_audit_guard.refuse(tg_tag, 'it would drop audit objects through a dependency');
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION domain_otel_audit_guard.on_rewrite() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF (SELECT relnamespace FROM pg_class WHERE oid = pg_event_trigger_table_rewrite_oid()) = 'domain_otel_audit'::regnamespace THEN
    PERFORM domain_otel_audit_guard.refuse(tg_tag || ' of ' || pg_event_trigger_table_rewrite_oid()::regclass, 'audit tables are never rewritten');
  END IF;
END
$$;

CREATE EVENT TRIGGER domain_otel_audit_guard_ddl ON ddl_command_end
  -- Not CREATE TABLE / CREATE INDEX: a segment is created in several statements (table, index,
  -- trigger), and is complete only after its CREATE TRIGGER, which is checked.
  WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE TRIGGER', 'ALTER FUNCTION', 'CREATE FUNCTION', 'ALTER INDEX',
               'ALTER SCHEMA', 'ALTER PROCEDURE', 'ALTER ROUTINE')
  EXECUTE FUNCTION domain_otel_audit_guard.on_ddl();
CREATE EVENT TRIGGER domain_otel_audit_guard_drop ON sql_drop
  EXECUTE FUNCTION domain_otel_audit_guard.on_drop();
CREATE EVENT TRIGGER domain_otel_audit_guard_rewrite ON table_rewrite
  EXECUTE FUNCTION domain_otel_audit_guard.on_rewrite();
