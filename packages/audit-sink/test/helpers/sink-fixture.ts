/**
 * A migrated database in a throwaway cluster, a writer-role pool and a running receiver.
 */
import { Pool } from 'pg';
import { AuditReceiver, createPool, migrate, type ReceiverOptions } from '../../src';
import { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres';

export const TOKEN = 'test-token-0123456789';
export const WRITER_LOGIN = 'audit_sink_writer';
export const READER_LOGIN = 'audit_sink_reader';

export interface SinkFixture {
  pg: ThrowawayPostgres;
  /** Connection string of the test database as superuser. */
  adminUrl: string;
  /** As the writer login (member of domain_otel_audit_writer only). */
  writerUrl: string;
  readerUrl: string;
  admin: Pool;
  writerPool: Pool;
  receiver: AuditReceiver;
  url: string;
  logs: string[];
  close(): Promise<void>;
}

let dbCounter = 0;

/**
 * The suites store records of fixed past dates (2019–2025): a receiver that accepts any time and
 * any number of new months per request, unless a test asks for the defaults (time-window.test.ts).
 */
export const ANY_TIME = {
  acceptPastMs: 200 * 365 * 86_400_000,
  acceptFutureMs: 200 * 365 * 86_400_000,
  maxNewMonthsPerRequest: 1000,
} as const;

export async function startSink(
  opts: { pg?: ThrowawayPostgres; receiver?: Partial<ReceiverOptions>; poolTimeoutMs?: number; poolSize?: number } = {},
): Promise<SinkFixture> {
  const pg = opts.pg ?? (await startThrowawayPostgres());
  try {
    return await setUp(pg, opts);
  } catch (err) {
    if (!opts.pg) await pg.destroy();
    throw err;
  }
}

/** A sink for the tests of the current mocha suite: started before them (handed to `use`), closed after. */
export function sinkForSuite(use: (sink: SinkFixture) => void, opts?: Parameters<typeof startSink>[0]): void {
  let sink: SinkFixture | undefined;
  before(async () => {
    sink = await startSink(opts);
    use(sink);
  });
  after(async () => {
    await sink?.close();
  });
}

async function setUp(
  pg: ThrowawayPostgres,
  opts: { pg?: ThrowawayPostgres; receiver?: Partial<ReceiverOptions>; poolTimeoutMs?: number; poolSize?: number },
): Promise<SinkFixture> {
  const db = `audit_${process.pid}_${++dbCounter}`;
  const adminUrl = await pg.createDatabase(db);
  const admin = new Pool({ connectionString: adminUrl, max: 3 });
  admin.on('error', () => {});
  await migrate(admin, { writerLogin: WRITER_LOGIN, readerLogin: READER_LOGIN });
  const writerUrl = pg.connectionString(db, WRITER_LOGIN);
  const readerUrl = pg.connectionString(db, READER_LOGIN);
  const logs: string[] = [];
  const writerPool = createPool(
    { connectionString: writerUrl, max: opts.poolSize ?? 5, timeoutMs: opts.poolTimeoutMs ?? 3000 },
    (l) => logs.push(l),
  );
  const receiver = new AuditReceiver({
    pool: writerPool,
    token: TOKEN,
    host: '127.0.0.1',
    port: 0,
    retryAfterSeconds: 1,
    log: (l) => logs.push(l),
    ...ANY_TIME,
    ...opts.receiver,
  });
  await receiver.listen();
  return {
    pg,
    adminUrl,
    writerUrl,
    readerUrl,
    admin,
    writerPool,
    receiver,
    url: receiver.url,
    logs,
    async close() {
      await receiver.close().catch(() => {});
      await writerPool.end().catch(() => {});
      await admin.end().catch(() => {});
      if (!opts.pg) await pg.destroy();
    },
  };
}
