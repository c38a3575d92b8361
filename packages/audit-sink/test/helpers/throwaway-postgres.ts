/**
 * A throwaway Postgres cluster for tests: `initdb` into a temp folder, started on a free
 * loopback port with its unix socket inside the folder, stopped and removed afterwards.
 *
 *   const pg = await startThrowawayPostgres();
 *   after(() => pg.destroy());
 *   const url = await pg.createDatabase('mytest');
 *
 * Needs the Postgres server binaries (initdb, pg_ctl, postgres): found via $PG_BINDIR,
 * /usr/lib/postgresql/<newest>/bin, or PATH (scripts/setup/postgres.sh installs them).
 * Postgres refuses to run as root: when the tests run as root, the cluster is owned by and
 * run as the `postgres` OS user (via runuser).
 *
 * Reusable by any suite; no dependency on the audit sink.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayPostgres {
  readonly host: string;
  readonly port: number;
  /** Superuser of the cluster (trust authentication on loopback). */
  readonly user: string;
  readonly dir: string;
  readonly socketDir: string;
  /** postgres://user@127.0.0.1:port/db */
  connectionString(database?: string, user?: string): string;
  /** CREATE DATABASE; returns its connection string (superuser). */
  createDatabase(name: string): Promise<string>;
  /** Run SQL as superuser through psql (no pg client needed). */
  psql(sql: string, database?: string): Promise<string>;
  /** Stop the server (data kept). mode: 'immediate' (default, like a crash) or 'fast'. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  readonly running: boolean;
  /** Stop and delete everything. */
  destroy(): Promise<void>;
}

export interface ThrowawayOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

export function findPostgresBinDir(): string | null {
  const candidates: string[] = [];
  if (process.env['PG_BINDIR']) candidates.push(process.env['PG_BINDIR']);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(join(debian, v, 'bin'));
  }
  for (const p of (process.env['PATH'] ?? '').split(':')) if (p) candidates.push(p);
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return null;
}

const running = new Set<() => void>();
process.on('exit', () => {
  for (const cleanup of running) cleanup();
});

export async function startThrowawayPostgres(opts: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const bin = findPostgresBinDir();
  if (!bin) throw new Error('Postgres server binaries not found (initdb/pg_ctl); run scripts/setup/postgres.sh or set PG_BINDIR');
  const asRoot = process.getuid?.() === 0;
  // As root the cluster runs as `postgres`, which must be able to reach the folder: stay out
  // of a private TMPDIR such as /root/tmp.
  const base = process.env['PG_TEST_TMPDIR'] ?? (asRoot ? '/tmp' : tmpdir());
  const dir = mkdtempSync(join(base, 'domain-otel-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = dir;
  const logFile = join(dir, 'server.log');
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    owner = {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
    chownSync(dir, owner.uid, owner.gid);
  }
  const cmd = (exe: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, exe), ...args]] : [join(bin, exe), args];
  const run = (exe: string, args: string[], timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const [file, argv] = cmd(exe, args);
      execFile(file, argv, { timeout: timeoutMs, cwd: dir }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${exe} ${args.join(' ')} failed: ${err.message}\n${stderr}\n${tail(logFile)}`));
        else resolve(stdout);
      });
    });

  try {
    await run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: socketDir,
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: 100,
    ...opts.settings,
  };
  let port = 0;
  let isRunning = false;

  const startServer = async () => {
    const o = Object.entries({ ...settings, port })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', o, 'start']);
    isRunning = true;
  };
  // At process exit (a suite that forgot destroy(), or a failing before hook): stop and remove.
  const syncStop = () => {
    try {
      const [file, argv] = cmd('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      execFileSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      /* already stopped */
    }
  };
  const atExit = () => {
    if (isRunning) syncStop();
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(atExit);

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await startServer();
      break;
    } catch (err) {
      if (attempt >= 3 || !/could not bind|Address already in use/i.test(tail(logFile))) throw err;
    }
  }

  const pg: ThrowawayPostgres = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    user: 'postgres',
    dir,
    socketDir,
    get running() {
      return isRunning;
    },
    connectionString(database = 'postgres', user = 'postgres') {
      return `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    async psql(sql, database = 'postgres') {
      return run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-At', '-c', sql]);
    },
    async createDatabase(name) {
      await pg.psql(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return pg.connectionString(name);
    },
    async stop(mode = 'immediate') {
      if (!isRunning) return;
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
      isRunning = false;
    },
    async start() {
      if (isRunning) return;
      await startServer();
    },
    async destroy() {
      try {
        await pg.stop('immediate');
      } finally {
        running.delete(atExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return pg;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
