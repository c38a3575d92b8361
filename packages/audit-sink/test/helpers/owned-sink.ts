/**
 * A sink whose schema belongs to a role that is NOT a superuser (what most deployments have:
 * a dedicated owner role, or a managed database's admin role), in a throwaway cluster.
 *
 *   const s = await startOwnedSink(pg, { guard: false });   // migrate run by the owner only
 *   const s = await startOwnedSink(pg, { guard: true });    // + the DDL guard installed by a superuser
 *
 * `owner` is a pg Client logged in as that owner: what the tests use to play the owner
 * rewriting history.
 */
import { Client, Pool } from 'pg';
import { AuditReceiver, createPool, migrate } from '../../src';
import { ANY_TIME, TOKEN } from './sink-fixture';
import type { ThrowawayPostgres } from './throwaway-postgres';

export interface OwnedSink {
  db: string;
  ownerRole: string;
  /** Connection string as the (non-superuser) schema owner. */
  ownerUrl: string;
  /** As the cluster's superuser. */
  adminUrl: string;
  writerUrl: string;
  readerUrl: string;
  owner: Client;
  admin: Pool;
  receiver: AuditReceiver;
  url: string;
  /** What migrate printed (the owner's run, then the superuser's guard run if any). */
  migrateLog: string[];
  close(): Promise<void>;
}

let counter = 0;

export async function startOwnedSink(pg: ThrowawayPostgres, opts: { guard: boolean }): Promise<OwnedSink> {
  const n = `${process.pid}_${++counter}`;
  const db = `owned_${n}`;
  const ownerRole = `audit_owner_${n}`;
  await pg.psql(`CREATE ROLE ${ownerRole} LOGIN CREATEROLE`);
  await pg.psql(`CREATE DATABASE ${db} OWNER ${ownerRole}`);
  const ownerUrl = pg.connectionString(db, ownerRole);
  const adminUrl = pg.connectionString(db);
  const writerLogin = `writer_${n}`;
  const readerLogin = `reader_${n}`;
  const migrateLog: string[] = [];
  const ownerPool = new Pool({ connectionString: ownerUrl, max: 2 });
  try {
    await migrate(ownerPool, { writerLogin, readerLogin, progress: (l) => migrateLog.push(l) });
  } finally {
    await ownerPool.end();
  }
  const admin = new Pool({ connectionString: adminUrl, max: 3 });
  admin.on('error', () => {});
  if (opts.guard) await migrate(admin, { guardOnly: true, progress: (l) => migrateLog.push(l) });
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  const writerPool = createPool({ connectionString: pg.connectionString(db, writerLogin), max: 4, timeoutMs: 5000 });
  const receiver = new AuditReceiver({ pool: writerPool, token: TOKEN, host: '127.0.0.1', port: 0, prepareWorkers: 0, log: () => {}, ...ANY_TIME });
  await receiver.listen();
  return {
    db,
    ownerRole,
    ownerUrl,
    adminUrl,
    writerUrl: pg.connectionString(db, writerLogin),
    readerUrl: pg.connectionString(db, readerLogin),
    owner,
    admin,
    receiver,
    url: receiver.url,
    migrateLog,
    async close() {
      await receiver.close().catch(() => {});
      await writerPool.end().catch(() => {});
      await owner.end().catch(() => {});
      await admin.end().catch(() => {});
    },
  };
}
