/**
 * `domain-otel-audit migrate`: schema versions from `sql/NNN_*.sql`, roles and grants,
 * and the monthly partitions of the current month and the next `monthsAhead` months.
 * Idempotent; safe to run at every deploy. Runs as the schema owner (a role with
 * CREATEROLE, or a superuser, when roles have to be created).
 *
 * The DDL guard (the part of sql/004 after its `-- @superuser` line: event triggers) needs a
 * superuser. Run as a superuser, migrate drops the guard's event triggers before applying
 * migrations and creates them again at the end (so migrations are never refused by it); run as
 * anyone else, it leaves an installed guard alone, or warns that it is missing. `guardOnly`
 * installs just the guard: what a superuser runs once when the schema belongs to another role.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { SCHEMA, withClient } from './store';
import { quoteIdent, quoteLiteral } from './sql-text';

export const WRITER_ROLE = 'domain_otel_audit_writer';
export const READER_ROLE = 'domain_otel_audit_reader';

export interface MigrateOptions {
  /** Months created ahead of the current one (default 3). */
  monthsAhead?: number;
  /** Also create these LOGIN roles (if missing) and make them members of the writer/reader role. */
  writerLogin?: string;
  readerLogin?: string;
  /** Password for newly created login roles (none: rely on pg_hba, e.g. peer or cert). */
  writerPassword?: string;
  readerPassword?: string;
  /** Chains per segment for segments created from now on (default: unchanged; 8 initially). */
  streams?: number;
  /** Give these tenants segments of their own (for per-tenant retention), from now on. */
  tenants?: string[];
  /** Apply schema versions up to this one only (tests of upgrades). */
  upToVersion?: number;
  /** Only (re)install the DDL guard (needs a superuser and schema version 4). */
  guardOnly?: boolean;
  /** Reference "now" (tests). */
  now?: Date;
  progress?: (line: string) => void;
}

export interface MigrateResult {
  applied: string[];
  partitions: string[];
  /** Per tenant given: months that got its own segment, and months that keep its records in the shared one. */
  tenants: { tenant: string; own: string[]; shared: string[] }[];
  /** The DDL guard after this run. */
  guard: 'installed' | 'missing' | 'not in this schema version';
  warnings: string[];
}

/** Folder of the versioned SQL files: `<package>/sql`, from both `src/` and `dist/`. */
export const SQL_DIR = join(__dirname, '..', 'sql');

export function migrationFiles(): { version: number; name: string; file: string }[] {
  return readdirSync(SQL_DIR)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, file: join(SQL_DIR, f) }));
}

const SUPERUSER_MARKER = /^-- @superuser\b.*$/m;

/** A migration file's ordinary part, and the part only a superuser may run (if any). */
export function migrationParts(file: string): { owner: string; superuser?: string } {
  const sql = readFileSync(file, 'utf8');
  const m = SUPERUSER_MARKER.exec(sql);
  return m ? { owner: sql.slice(0, m.index), superuser: sql.slice(m.index) } : { owner: sql };
}

export const GUARD_EVENT_TRIGGERS = ['domain_otel_audit_guard_ddl', 'domain_otel_audit_guard_drop', 'domain_otel_audit_guard_rewrite'];

type Progress = (line: string) => void;
type Client = PoolClient;
interface Role { role: string; superuser: boolean }

const upTo = (opts: MigrateOptions, version: number) => opts.upToVersion === undefined || opts.upToVersion >= version;

export async function migrate(pool: Pool, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const progress = opts.progress ?? (() => {});
  const result: MigrateResult = { applied: [], partitions: [], tenants: [], guard: 'not in this schema version', warnings: [] };
  await withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(1096107092, -2)'); // one migrator at a time
      const who = (await client.query<Role>(
        `SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`)).rows[0]!;
      if (opts.guardOnly) await installGuard(client, who, progress, result);
      else await migrateSchema(client, who, opts, result, progress);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
  progress(`schema up to date; partitions ${result.partitions.join(', ')}`);
  return result;
}

/** Everything but --guard-only, in one transaction: versions, roles and grants, logins, partitions, tenants, the guard. */
async function migrateSchema(client: Client, who: Role, opts: MigrateOptions, result: MigrateResult, progress: Progress): Promise<void> {
  if (who.superuser) {
    for (const t of GUARD_EVENT_TRIGGERS) await client.query(`DROP EVENT TRIGGER IF EXISTS ${t}`); // re-created below
  }
  await applyVersions(client, opts, result, progress);
  await grantRoles(client);
  if (upTo(opts, 2)) await grantSegments(client, opts, progress);
  await createLogins(client, opts, progress);
  await ensureMonths(client, opts.now ?? new Date(), opts.monthsAhead ?? 3, result);
  for (const tenant of upTo(opts, 2) ? opts.tenants ?? [] : []) {
    result.tenants.push(await giveTenantSegments(client, tenant, progress));
  }
  if (upTo(opts, 4)) await accessAndGuard(client, who, result, progress);
}

/** The sql/NNN_*.sql files not applied yet (up to opts.upToVersion), each recorded in schema_migrations. */
async function applyVersions(client: Client, opts: MigrateOptions, result: MigrateResult, progress: Progress): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_migrations (
       version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const done = await appliedVersions(client);
  for (const m of migrationFiles()) {
    if (done.has(m.version) || (opts.upToVersion !== undefined && m.version > opts.upToVersion)) continue;
    progress(`applying ${m.name}`);
    await client.query(migrationParts(m.file).owner);
    await client.query(`INSERT INTO ${SCHEMA}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    result.applied.push(m.name);
  }
}

async function appliedVersions(client: Client): Promise<Set<number>> {
  return new Set((await client.query<{ version: number }>(`SELECT version FROM ${SCHEMA}.schema_migrations`)).rows.map((r) => r.version));
}

/** The writer and reader roles (NOLOGIN) and what each may do with the tables. */
async function grantRoles(client: Client): Promise<void> {
  for (const role of [WRITER_ROLE, READER_ROLE]) {
    await client.query(
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOLOGIN; END IF;
       END $$`,
    );
  }
  await client.query(`
    GRANT USAGE ON SCHEMA ${SCHEMA} TO ${WRITER_ROLE}, ${READER_ROLE};
    REVOKE ALL ON ALL TABLES IN SCHEMA ${SCHEMA} FROM ${WRITER_ROLE}, ${READER_ROLE};
    GRANT SELECT, INSERT ON ${SCHEMA}.records, ${SCHEMA}.record_uids TO ${WRITER_ROLE};
    GRANT SELECT ON ${SCHEMA}.chains, ${SCHEMA}.retired_chains TO ${WRITER_ROLE};
    GRANT SELECT ON ${SCHEMA}.records, ${SCHEMA}.chains, ${SCHEMA}.retired_chains TO ${READER_ROLE};
    REVOKE ALL ON FUNCTION ${SCHEMA}.ensure_partition(date) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION ${SCHEMA}.ensure_partition(date) TO ${WRITER_ROLE};
  `);
}

/** Schema version 2 on: grants on the segments (leaf partitions) and uid_conflicts, chains per segment, tenants given segments of their own. */
async function grantSegments(client: Client, opts: MigrateOptions, progress: Progress): Promise<void> {
  // The sink reads and writes leaf partitions directly (the grants above were just revoked from them).
  await client.query(`GRANT SELECT ON ${SCHEMA}.settings, ${SCHEMA}.tenant_partitions TO ${WRITER_ROLE}, ${READER_ROLE}`);
  const leaves = await client.query<{ leaf: string }>(
    `SELECT partition_name AS leaf FROM ${SCHEMA}.chains
      WHERE to_regclass(format('${SCHEMA}.%I', partition_name)) IS NOT NULL`,
  );
  for (const { leaf } of leaves.rows) {
    await client.query(`GRANT SELECT, INSERT ON ${SCHEMA}.${quoteIdent(leaf)} TO ${WRITER_ROLE};
                        GRANT SELECT ON ${SCHEMA}.${quoteIdent(leaf)} TO ${READER_ROLE}`);
  }
  if (upTo(opts, 3)) {
    // Replays that reuse a uid for other content (sql/003): the sink adds them, readers list them.
    await client.query(`GRANT SELECT, INSERT ON ${SCHEMA}.uid_conflicts TO ${WRITER_ROLE};
                        GRANT SELECT ON ${SCHEMA}.uid_conflicts TO ${READER_ROLE}`);
  }
  if (opts.streams !== undefined) {
    await client.query(`UPDATE ${SCHEMA}.settings SET value = $1 WHERE name = 'streams_per_segment'`, [String(opts.streams)]);
    progress(`segments created from now on hold ${opts.streams} chains`);
  }
  for (const tenant of opts.tenants ?? []) {
    await client.query(
      `INSERT INTO ${SCHEMA}.tenant_partitions (tenant_id, slot)
       SELECT $1, coalesce(max(slot), 0) + 1 FROM ${SCHEMA}.tenant_partitions
       ON CONFLICT (tenant_id) DO NOTHING`,
      [tenant],
    );
  }
}

/** --writer-login / --reader-login: created if missing, made members of their role. */
async function createLogins(client: Client, opts: MigrateOptions, progress: Progress): Promise<void> {
  for (const [login, group, password] of [
    [opts.writerLogin, WRITER_ROLE, opts.writerPassword],
    [opts.readerLogin, READER_ROLE, opts.readerPassword],
  ] as const) {
    if (!login) continue;
    const ident = quoteIdent(login);
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login]);
    if (exists.rowCount === 0) {
      progress(`creating login role ${login}`);
      await client.query(`CREATE ROLE ${ident} LOGIN${password ? ` PASSWORD ${quoteLiteral(password)}` : ''}`);
    }
    await client.query(`GRANT ${group} TO ${ident}`);
  }
}

/** The partitions of the current month and `ahead` months after it; a retired month is left alone. */
async function ensureMonths(client: Client, now: Date, ahead: number, result: MigrateResult): Promise<void> {
  for (let i = 0; i <= ahead; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
    const month = d.toISOString().slice(0, 10);
    await client.query('SAVEPOINT ensure_partition');
    let r: { rows: { chain: string }[] };
    try {
      r = await client.query<{ chain: string }>(`SELECT ${SCHEMA}.ensure_partition($1::date) AS chain`, [month]);
      await client.query('RELEASE SAVEPOINT ensure_partition');
    } catch (err) {
      if ((err as { code?: string }).code !== 'DA001') throw err;
      await client.query('ROLLBACK TO SAVEPOINT ensure_partition'); // retired month: leave it alone
      r = { rows: [] };
    }
    if (r.rows[0]) result.partitions.push(r.rows[0].chain);
  }
}

/** Schema version 4 on: both roles may append access records; the DDL guard installed (superuser), found, or warned about. */
async function accessAndGuard(client: Client, who: Role, result: MigrateResult, progress: Progress): Promise<void> {
  await client.query(`GRANT EXECUTE ON FUNCTION ${SCHEMA}.record_access(text, text[], text, text, text, text) TO ${WRITER_ROLE}, ${READER_ROLE}`);
  if (who.superuser) {
    await installGuard(client, who, progress, result);
  } else if (await guardInstalled(client)) {
    result.guard = 'installed';
  } else {
    result.guard = 'missing';
    const line = `migrate runs as ${JSON.stringify(who.role)}, which is not a superuser: the DDL guard (event triggers ` +
      `${GUARD_EVENT_TRIGGERS.join(', ')}) is not installed, so DROP, DETACH, ALTER TABLE … DISABLE TRIGGER and rewrites ` +
      `of audit tables are not refused; a superuser installs it with: domain-otel-audit migrate --guard-only. ` +
      `verify and checkpoints still detect what it would have refused`;
    result.warnings.push(line);
    progress(`warning: ${line}`);
  }
}

/** Runs the superuser part of every applied migration that has one (the DDL guard). */
async function installGuard(client: Client, who: Role, progress: Progress, result: MigrateResult): Promise<void> {
  if (!who.superuser) throw new Error(`the DDL guard needs a superuser; ${JSON.stringify(who.role)} is not one`);
  const done = await appliedVersions(client);
  const parts = migrationFiles().filter((m) => done.has(m.version)).map((m) => migrationParts(m.file).superuser).filter((p) => p !== undefined);
  if (parts.length === 0) throw new Error('the DDL guard comes with schema version 4; run domain-otel-audit migrate first');
  for (const sql of parts) await client.query(sql);
  result.guard = 'installed';
  progress(`DDL guard installed (event triggers ${GUARD_EVENT_TRIGGERS.join(', ')})`);
}

export async function guardInstalled(client: Pick<PoolClient, 'query'>): Promise<boolean> {
  const r = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_event_trigger WHERE evtname = ANY($1) AND evtenabled <> 'D'`, [GUARD_EVENT_TRIGGERS]);
  return r.rows[0]!.n === GUARD_EVENT_TRIGGERS.length;
}

/**
 * Creates the tenant's own segment in every live month that has none yet, unless the
 * month's shared segment already holds records of that tenant: those months keep the
 * tenant's records in the shared segment (moving rows would mean deleting them).
 */
async function giveTenantSegments(client: Client, tenant: string, progress: Progress): Promise<{ tenant: string; own: string[]; shared: string[] }> {
  const out = { tenant, own: [] as string[], shared: [] as string[] };
  const months = await client.query<{ month: string; shared_leaf: string; own: string | null; slot: number }>(
    `SELECT c.chain AS month, c.partition_name AS shared_leaf, t.slot,
            (SELECT o.chain FROM ${SCHEMA}.chains o WHERE o.chain = c.chain || '/' || ${SCHEMA}.uri_component($1)) AS own
       FROM ${SCHEMA}.chains c, ${SCHEMA}.tenant_partitions t
      WHERE c.tenant_id IS NULL AND c.numbered AND t.tenant_id = $1
        AND NOT EXISTS (SELECT 1 FROM ${SCHEMA}.retired_chains r WHERE r.chain = c.chain)
        AND to_regclass(format('${SCHEMA}.%I', c.partition_name)) IS NOT NULL
      ORDER BY c.chain`,
    [tenant],
  );
  for (const m of months.rows) {
    if (m.own !== null) {
      out.own.push(m.month);
      continue;
    }
    const held = await client.query(`SELECT 1 FROM ${SCHEMA}.${quoteIdent(m.shared_leaf)} WHERE tenant_id = $1 LIMIT 1`, [tenant]);
    if (held.rowCount) {
      out.shared.push(m.month);
      continue;
    }
    await client.query('SAVEPOINT tenant_segment');
    try {
      await client.query(`SELECT ${SCHEMA}.create_segment($1::date, $2, $3)`, [`${m.month}-01`, tenant, m.slot]);
      await client.query('RELEASE SAVEPOINT tenant_segment');
      out.own.push(m.month);
    } catch (err) {
      // 23514: a record of the tenant reached the shared segment between the check and now.
      if ((err as { code?: string }).code !== '23514') throw err;
      await client.query('ROLLBACK TO SAVEPOINT tenant_segment');
      out.shared.push(m.month);
    }
  }
  progress(`tenant ${JSON.stringify(tenant)}: own segments in ${out.own.join(', ') || '(none)'}` +
    (out.shared.length ? `; ${out.shared.join(', ')} already hold its records in the shared segment and keep them there` : ''));
  return out;
}
