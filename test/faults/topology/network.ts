// The "hosts" of the scaled-out topology on one machine. Where we may (root, iproute2), every host
// is a network namespace of its own, wired to the others through a bridge that lives in one more
// namespace (the "switch"); otherwise every host is a distinct loopback address in this namespace.
//
// Addresses are 127.77.0.x in both modes: inside the namespaces each host's veth carries its
// address (route_localnet lets 127/8 cross it), and its own 127.0.0.1 stays private to it. The
// namespaces have no other interface and no route out, and the namespace we run in never gets a
// route to them: seen from here, 127.77.0.x is our own loopback. Nothing can leave the machine.
//
// Processes for a host are started through `ip netns exec` (which execs, so the pid is the
// process itself); HTTP checks on a host run curl (or node) there the same way. Namespaces are removed by
// teardown(), at process exit if teardown was not reached, and stale ones of dead test runs
// are swept at the next setup.
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export type NetworkMode = 'netns' | 'loopback';

export interface Host {
  readonly name: string;
  readonly ip: string;
  /** The namespace, in netns mode. */
  readonly ns?: string;
  /** The port of a service on this host: the well-known one in netns mode, a free one otherwise. */
  port(service: string, wellKnown: number): Promise<number>;
}

const SUBNET = '127.77.0';
const PREFIX = 'dotel';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Whether this process may create network namespaces and veth pairs (tried, then undone). */
export function netnsAvailable(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = `${PREFIX}-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    try {
      ip(['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
      return true;
    } finally {
      spawnSync('ip', ['netns', 'del', probe]);
    }
  } catch {
    return false;
  }
}

/** Namespaces of test runs (dotel-<pid>-…) whose process is gone: removed. */
export function sweepStaleNamespaces(): string[] {
  let list: string;
  try { list = ip(['netns', 'list']); } catch { return []; }
  const removed: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}-(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    killNamespaceProcesses(name);
    if (spawnSync('ip', ['netns', 'del', name]).status === 0) removed.push(name);
  }
  return removed;
}

function killNamespaceProcesses(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}

let curl: boolean | undefined;
function hasCurl(): boolean {
  return (curl ??= spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0);
}

function freePortOn(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, address, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export class Network {
  readonly hosts = new Map<string, Host>();
  private readonly namespaces: string[] = [];
  private readonly created: string[] = [];
  private switchNs?: string;
  private readonly onExit = () => this.teardownSync();

  /**
   * @param id makes names unique: the test runner's pid (swept when that process is gone), or
   *   "stack" for `npm run stack` (removed by `stack down`).
   */
  constructor(readonly mode: NetworkMode, readonly id: string | number = process.pid) {}

  static choose(prefer: NetworkMode | 'auto' = 'auto', id: string | number = process.pid): Network {
    const mode = prefer === 'auto' ? (netnsAvailable() ? 'netns' : 'loopback') : prefer;
    return new Network(mode, id);
  }

  nsName(host: string): string { return `${PREFIX}-${this.id}-${host}`; }

  /**
   * Adds the hosts (in this order, addresses 127.77.0.10, .11, …). The namespaces are removed at
   * process exit unless `keep` (the stack's, which outlive `stack up`).
   */
  setup(names: string[], { keep = false }: { keep?: boolean } = {}): void {
    if (this.mode === 'netns') {
      sweepStaleNamespaces();
      if (!keep) process.once('exit', this.onExit);
      this.switchNs = this.nsName('switch');
      this.addNamespace(this.switchNs);
      ip(['-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', this.switchNs, 'link', 'set', 'br0', 'up']);
    }
    names.forEach((name, i) => {
      const address = `${SUBNET}.${10 + i}`;
      if (this.mode === 'netns') this.addNamespaceHost(name, address, i);
      const ns = this.mode === 'netns' ? this.nsName(name) : undefined;
      const ports = new Map<string, number>();
      this.hosts.set(name, {
        name, ip: address, ns,
        port: async (service, wellKnown) => {
          if (ns) return wellKnown;
          if (!ports.has(service)) ports.set(service, await freePortOn(address));
          return ports.get(service)!;
        },
      });
    });
  }

  private addNamespace(ns: string): void {
    spawnSync('ip', ['netns', 'del', ns]); // a leftover of the same name (stack)
    ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.created.push(ns);
  }

  private addNamespaceHost(name: string, address: string, index: number): void {
    const ns = this.nsName(name);
    this.addNamespace(ns);
    const sw = this.switchNs!;
    const port = `h${index}`;
    ip(['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
    ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
    ip(['-n', sw, 'link', 'set', port, 'up']);
    // 127.0.0.1 for the host itself only (not all of 127/8), so 127.77.0.x can be elsewhere.
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    spawnSync('ip', ['-n', ns, 'addr', 'del', '127.0.0.1/8', 'dev', 'lo']);
    ip(['-n', ns, 'addr', 'add', '127.0.0.1/32', 'dev', 'lo']);
    for (const key of ['all', 'eth0']) ip(['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv4.conf.${key}.route_localnet=1`]);
    ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${JSON.stringify(name)} in the topology`);
    return h;
  }

  /** The argv that runs `bin args…` on a host. */
  command(host: Host, bin: string, args: string[]): [string, string[]] {
    return host.ns ? ['ip', ['netns', 'exec', host.ns, bin, ...args]] : [bin, args];
  }

  /** GET from inside a host: status and body, or undefined when nothing answers. */
  async get(host: Host, url: string, timeoutMs = 3000): Promise<{ status: number; body: string } | undefined> {
    if (!host.ns) {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        return { status: r.status, body: await r.text() };
      } catch {
        return undefined;
      }
    }
    const { spawn } = await import('node:child_process');
    // curl is cheap to start; without it, node does the same (status on the last line).
    const getter = hasCurl()
      ? ['curl', '-sS', '--max-time', String(timeoutMs / 1000), '-w', '\n%{http_code}', url]
      : [process.execPath, '-e', `fetch(process.argv[1], { signal: AbortSignal.timeout(${timeoutMs}) }).then(async (r) => process.stdout.write((await r.text()) + '\\n' + r.status), () => process.exit(7))`, url];
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', host.ns!, ...getter], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('close', (code) => {
        if (code !== 0) return resolve(undefined);
        const cut = out.lastIndexOf('\n');
        resolve({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut) });
      });
      child.on('error', () => resolve(undefined));
    });
  }

  /** Kills what still runs in the namespaces and removes them. */
  teardownSync(): void {
    process.removeListener('exit', this.onExit);
    for (const ns of [...this.namespaces].reverse()) {
      killNamespaceProcesses(ns);
      spawnSync('ip', ['netns', 'del', ns]);
    }
    this.namespaces.length = 0;
  }

  /** Namespaces this network created that still exist (for tests of the cleanup). */
  remaining(): string[] {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    const existing = new Set(list.split('\n').map((l) => l.split(' ')[0]));
    return this.created.filter((n) => existing.has(n));
  }

  /** Removes every namespace of a network id (what `stack down` uses: its `up` has exited). */
  static removeAll(id: string | number): string[] {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const removed: string[] = [];
    for (const name of list.split('\n').map((l) => l.split(' ')[0] ?? '')) {
      if (!name.startsWith(`${PREFIX}-${id}-`)) continue;
      killNamespaceProcesses(name);
      if (spawnSync('ip', ['netns', 'del', name]).status === 0) removed.push(name);
    }
    return removed;
  }
}
