import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Who owns a spool directory. Each process writes only into its own directory, named after it:
 * `<host>~<boot>~<pid>~<start>` (boot id and process start time from /proc on Linux, so a
 * reused pid or a reboot is not mistaken for the owner). A directory whose owner is dead is
 * adopted by renaming it to `<adopter>+<n>`: rename is atomic, so of two processes trying to
 * adopt the same directory exactly one succeeds, and a live owner is never adopted.
 */
export interface Owner { host: string; boot: string; pid: number; start: string }

const SEP = '~';
/** Owners on another host (a shared volume) are alive while they touch their directory. */
export const HEARTBEAT_MS = 10_000;
const STALE_AFTER_MS = 6 * HEARTBEAT_MS;

export function ownerName(o: Owner): string {
  return [safe(o.host), o.boot, String(o.pid), o.start].join(SEP);
}

/** The owner named by a spool directory (`owner` or `owner+n`), if it is one. */
export function parseOwner(dirName: string): Owner | undefined {
  const parts = dirName.split('+')[0]!.split(SEP);
  if (parts.length !== 4) return undefined;
  const pid = Number(parts[2]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { host: parts[0]!, boot: parts[1]!, pid, start: parts[3]! };
}

let self: Owner | undefined;

export function currentOwner(): Owner {
  self ??= { host: safe(os.hostname()), boot: bootId() ?? 'noboot', pid: process.pid, start: startTime(process.pid) ?? String(Math.round(Date.now() - process.uptime() * 1000)) };
  return self;
}

/** Whether the owner of a directory may still be writing to it. */
export function isAlive(o: Owner, dir: string, now = Date.now()): boolean {
  const me = currentOwner();
  if (o.host !== me.host) {
    try {
      return now - statSync(dir).mtimeMs < STALE_AFTER_MS;
    } catch {
      return false;
    }
  }
  if (o.boot !== me.boot && me.boot !== 'noboot') return false;
  if (o.pid === me.pid) return o.start === me.start;
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive, another user's process
  }
  const start = startTime(o.pid);
  return start === undefined || me.boot === 'noboot' ? true : start === o.start;
}

/**
 * Renames every directory in `serviceDir` whose owner is dead to `<me>+<n>` and returns the
 * new paths, oldest first (by modification time). Directories someone else adopted first are
 * skipped.
 */
export function adoptOrphans(serviceDir: string, me: string): string[] {
  let names: string[];
  try {
    names = readdirSync(serviceDir);
  } catch {
    return [];
  }
  const mine = names.filter((n) => n.split('+')[0] === me).map((n) => Number(n.split('+')[1] ?? 0));
  let next = Math.max(0, ...mine.filter(Number.isFinite)) + 1;
  const orphans: { from: string; mtime: number }[] = [];
  for (const name of names) {
    const owner = parseOwner(name);
    const dir = path.join(serviceDir, name);
    if (!owner || name.split('+')[0] === me) continue;
    try {
      if (!statSync(dir).isDirectory() || isAlive(owner, dir)) continue;
      orphans.push({ from: dir, mtime: statSync(dir).mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  const adopted: string[] = [];
  for (const o of orphans.sort((a, b) => a.mtime - b.mtime)) {
    const to = path.join(serviceDir, `${me}+${next++}`);
    try {
      renameSync(o.from, to);
      adopted.push(to);
    } catch {
      // adopted by another process first
    }
  }
  return adopted;
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '').slice(0, 12);
  } catch {
    return undefined;
  }
}

/** Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat), Linux only. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64) || 'host';
}
