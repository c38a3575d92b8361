// Reads on a hot standby: the CLI reads there and appends its access records on the primary
// (`--access-database-url`); a replica trails the primary, so the test waits for replay first.
import type { Pool } from 'pg';

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
