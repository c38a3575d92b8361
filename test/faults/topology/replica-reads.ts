// `verify` and `query` on a hot standby, with the run's access record appended on the primary.
//
// The CLI appends a command's access record (record_access(), sql/004) through the connection it
// read from. A hot standby refuses every write ("cannot execute … in a read-only transaction"),
// so against a replica `domain-otel-audit verify` prints its verdict and exits 3, and `query`
// prints nothing and exits 3 (nothing is shown without a record of who asked). Until the CLI can
// write that record elsewhere, reads on a replica go through the package API like this: read on
// the replica, then append the access record on the primary, as the same reader login. The
// record is chained on the primary and reaches the replica like every row.
import type { Pool } from 'pg';
import { queryAudit, recordAccess, verify } from '../../../packages/audit-sink/src';
import type { AuditRow, QueryFilters, VerifyReport } from '../../../packages/audit-sink/src';

export async function verifyOnReplica(replica: Pool, primary: Pool, argv: string[] = ['--replica']): Promise<{ report: VerifyReport; accessUid: string }> {
  const report = await verify(replica, {});
  const first = report.problems[0];
  const access = await recordAccess(primary, {
    command: 'verify', argv, outcome: report.ok ? 'success' : 'failure',
    result: report.ok ? `OK, ${report.rows} rows (on a replica)` : `FAILED: ${first!.chain}: ${first!.message}`,
  });
  if (!('uid' in access)) throw new Error(`the access record was not appended: ${access.skipped}`);
  return { report, accessUid: access.uid };
}

/** Rows are returned only once the access record is committed on the primary, as the CLI does. */
export async function queryOnReplica(replica: Pool, primary: Pool, filters: QueryFilters, argv: string[] = ['--replica']): Promise<{ rows: AuditRow[]; accessUid: string }> {
  const rows = await queryAudit(replica, filters);
  const access = await recordAccess(primary, { command: 'query', argv, outcome: 'success', result: `${rows.length} rows (on a replica)` });
  if (!('uid' in access)) throw new Error(`the access record was not appended: ${access.skipped}`);
  return { rows, accessUid: access.uid };
}

/** Waits until the replica has replayed everything the primary had written when called. */
export async function waitForReplay(primary: Pool, replica: Pool, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  const target = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  for (;;) {
    const r = await replica.query<{ caught: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught', [target]).catch(() => undefined);
    if (r?.rows[0]?.caught) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`the replica did not replay up to ${target} within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
