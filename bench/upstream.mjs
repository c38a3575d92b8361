// The upstream baseline of the startup row: @opentelemetry/auto-instrumentations-node, installed
// once into a cache folder outside the clone (its @opentelemetry/* copies must not mix with ours).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const UPSTREAM_VERSION = '0.82.0';

/** Absolute path of upstream's CommonJS register entry, or undefined (with a warning) if it cannot be installed. */
export function upstreamRegister() {
  const dir = path.join(os.homedir(), '.cache', 'domain-otel', `bench-upstream-${UPSTREAM_VERSION}`);
  const entry = path.join(dir, 'node_modules/@opentelemetry/auto-instrumentations-node/dist/register.cjs');
  if (existsSync(entry)) return entry;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--engine-strict=false', '--loglevel=error', `@opentelemetry/auto-instrumentations-node@${UPSTREAM_VERSION}`], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  } catch (err) {
    console.warn(`bench: could not install @opentelemetry/auto-instrumentations-node@${UPSTREAM_VERSION} into ${dir}: ${err.message.split('\n')[0]}`);
    return undefined;
  }
  return existsSync(entry) ? entry : undefined;
}
