// Processes on the topology's hosts: started through Network.command (inside the host's
// namespace), output appended to a log file, killable with any signal, exit awaited. `detached`
// ones (npm run stack) outlive the process that started them.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { LoggedProcess } from '../../collector/helpers';
import type { Host, Network } from './network';

export const ROOT = path.resolve(__dirname, '../../..');

export class HostProcess extends LoggedProcess {
  constructor(
    name: string,
    readonly host: Host,
    net: Network,
    bin: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    logFile: string,
    { detached = false, cwd = ROOT }: { detached?: boolean; cwd?: string } = {},
  ) {
    super(name, HostProcess.start(host, net, bin, args, env, logFile, detached, cwd), logFile);
    if (detached) this.child.unref();
  }

  /** Inside the host's namespace, output appended to `logFile`. */
  private static start(host: Host, net: Network, bin: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, detached: boolean, cwd: string): ChildProcess {
    const fd = openSync(logFile, 'a');
    const [cmd, argv] = net.command(host, bin, args);
    try {
      return spawn(cmd, argv, { cwd, env, detached, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
  }

  /** The last `WORD <n>` progress number the process printed to its log. */
  lastNumber(word: string): number {
    const all = [...this.log().matchAll(new RegExp(`^${word} (\\d+)`, 'gm'))];
    return all.length ? Number(all[all.length - 1]![1]) : 0;
  }
}
