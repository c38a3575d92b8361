// The benches that run as their own process (bench/*.ts, bench/*.mjs, the sink's ingest bench)
// print one JSON line starting with {"bench":"<name>"; this runs one and reads that line.
import { spawnSync } from 'node:child_process';

/**
 * Runs `node <args>` in the repository root and returns the parsed report line of `name`
 * (undefined when there is none) and the process's output, for the warnings.
 */
export function runChildBench(root, name, args, options = {}) {
  const out = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', ...options });
  const line = out.stdout?.split('\n').find((l) => l.startsWith(`{"bench":"${name}"`));
  return { report: line ? JSON.parse(line) : undefined, stderr: out.stderr ?? '' };
}
