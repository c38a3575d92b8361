// Postgres for the topology: a primary and a streaming replica, each on its own host. The
// replica is made with `pg_basebackup -R` (standby.signal and primary_conninfo written for us,
// a physical replication slot so the primary keeps the WAL it still needs) and runs as a hot
// standby. The runner itself reaches both through their unix sockets, never over the network.
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { findPostgresBinDir } from '../../../packages/audit-sink/test/helpers/throwaway-postgres';
import type { Host, Network } from './network';

const asRoot = process.getuid?.() === 0;

function postgresOwner(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

export class PgNode {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  private readonly bin: string;
  port = 5432;

  constructor(private readonly net: Network, readonly host: Host, readonly dir: string, private readonly settings: Record<string, string | number> = {}) {
    const bin = findPostgresBinDir();
    if (!bin) throw new Error('Postgres server binaries not found (initdb/pg_ctl); run scripts/setup/postgres.sh or set PG_BINDIR');
    this.bin = bin;
    this.dataDir = path.join(dir, 'data');
    this.socketDir = dir;
    this.logFile = path.join(dir, 'server.log');
    mkdirSync(dir, { recursive: true });
    const owner = postgresOwner();
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }

  /** Runs a Postgres tool on this host (as the postgres OS user when we are root). */
  run(tool: string, args: string[], timeoutMs = 120_000): Promise<string> {
    const exe = path.join(this.bin, tool);
    const [cmd, argv] = this.net.command(this.host, asRoot ? 'runuser' : exe, asRoot ? ['-u', 'postgres', '--', exe, ...args] : args);
    return new Promise((resolve, reject) => {
      execFile(cmd, argv, { timeout: timeoutMs, cwd: this.dir }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} ${args.join(' ')} on ${this.host.name} failed: ${err.message}\n${stderr}\n${this.tail()}`));
        else resolve(stdout);
      });
    });
  }

  async initPrimary(): Promise<void> {
    this.port = await this.host.port('postgres', 5432);
    await this.run('initdb', ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    // Every host of the topology is in 127.0.0.0/8 (see network.ts): sinks, the replica, the runner.
    appendFileSync(path.join(this.dataDir, 'pg_hba.conf'), [
      '# domain-otel topology: the hosts of this test network (127.77.0.x, see test/faults/topology/network.ts)',
      'host all all 127.0.0.0/8 trust',
      'host replication all 127.0.0.0/8 trust',
      '',
    ].join('\n'));
  }

  /** A copy of the primary, configured to follow it (run on this host, over the network). */
  async basebackupFrom(primary: PgNode, slot: string): Promise<void> {
    this.port = await this.host.port('postgres', 5432);
    await this.run('pg_basebackup', ['-h', primary.host.ip, '-p', String(primary.port), '-U', 'postgres', '-D', this.dataDir, '-R', '-X', 'stream', '-C', '-S', slot, '-c', 'fast']);
  }

  async start(): Promise<void> {
    const opts = Object.entries({
      listen_addresses: this.host.ip, port: this.port, unix_socket_directories: this.socketDir,
      max_connections: 100, hot_standby: 'on', ...this.settings,
    }).map(([k, v]) => `-c ${k}=${v}`).join(' ');
    await this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '90', '-o', opts, 'start']);
  }

  /** immediate: like a crash (the data stays; recovery replays the WAL at the next start). */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    try {
      await this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    } catch (err) {
      if (!/not running|No such file|does not exist/i.test(String(err))) throw err;
    }
  }

  /** The postmaster's pid, or undefined when it is not running. */
  pid(): number | undefined {
    try { return Number(readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return undefined; }
  }

  /** For processes on other hosts: over the topology's network. */
  url(database: string, user: string): string {
    return `postgres://${encodeURIComponent(user)}@${this.host.ip}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** For the runner: through the unix socket. */
  socketUrl(database: string, user: string): string {
    return `postgres://${encodeURIComponent(user)}@/${encodeURIComponent(database)}?host=${encodeURIComponent(this.socketDir)}&port=${this.port}`;
  }

  pool(database: string, user = 'postgres', max = 4): Pool {
    const pool = new Pool({ host: this.socketDir, port: this.port, user, database, max });
    pool.on('error', () => {});
    return pool;
  }

  tail(lines = 15): string {
    try { return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
  }
}
