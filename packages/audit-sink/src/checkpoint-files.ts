/** Writing a checkpoint's files durably, and handing them to the publish command. */
import { execFile } from 'node:child_process';
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** Writes a file that must not exist yet: a temporary file, fsynced, then linked to its name. */
export function writeNew(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path); // fails if a checkpoint of that number appeared meanwhile
  } catch (err) {
    throw new Error(`${path}: cannot create (${(err as Error).message}); is another checkpoint writer using this directory?`, { cause: err });
  } finally {
    unlinkSync(tmp);
  }
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Runs `sh -c 'CMD "$@"' sh NOTE MANIFEST`; a failure (or 5 minutes) is an error naming the command's last output. */
export function publish(command: string, notePath: string, manifestPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', `${command} "$@"`, 'sh', notePath, manifestPath], { timeout: 300_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`publish command failed (${err.message.split('\n')[0]}): ${String(stderr).trim().split('\n').slice(-2).join(' ')}`));
      else resolve();
    });
  });
}
