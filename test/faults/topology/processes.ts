// Processes on the topology's hosts: started through Network.command (inside the host's
// namespace), output appended to a log file, killable with any signal, exit awaited. `detached`
// ones (npm run stack) outlive the process that started them.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Host, Network } from './network';

export const ROOT = path.resolve(__dirname, '../../..');

export class HostProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(
    readonly name: string,
    readonly host: Host,
    net: Network,
    bin: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
    { detached = false, cwd = ROOT }: { detached?: boolean; cwd?: string } = {},
  ) {
    const fd = openSync(logFile, 'a');
    const [cmd, argv] = net.command(host, bin, args);
    this.child = spawn(cmd, argv, { cwd, env, detached, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    if (detached) this.child.unref();
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => { this.done = true; resolve({ code, signal }); });
      this.child.once('error', () => { this.done = true; resolve({ code: null, signal: null }); });
    });
  }

  get running(): boolean { return !this.done; }
  get pid(): number { return this.child.pid ?? -1; }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void { if (this.running) this.child.kill(signal); }

  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  log(): string { try { return readFileSync(this.logFile, 'utf8'); } catch { return ''; } }

  /** The last `WORD <n>` progress number the process printed to its log. */
  lastNumber(word: string): number {
    const all = [...this.log().matchAll(new RegExp(`^${word} (\\d+)`, 'gm'))];
    return all.length ? Number(all[all.length - 1]![1]) : 0;
  }
}
