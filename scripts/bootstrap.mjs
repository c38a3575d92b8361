#!/usr/bin/env node
// Makes a fresh clone ready: system packages the tests need, then `npm ci` when node_modules
// is missing or older than package-lock.json. Runs on any Node >= 18 (the machine's own).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

// 1. System packages (idempotent scripts: they install only what is missing).
const setup = path.join(root, 'scripts', 'setup');
if (existsSync(setup)) {
  for (const f of readdirSync(setup).filter((f) => f.endsWith('.sh')).sort()) run('bash', [path.join(setup, f)]);
}

// 2. npm packages.
const lock = readFileSync(path.join(root, 'package-lock.json'));
const want = createHash('sha256').update(lock).update(readFileSync(path.join(root, 'package.json'))).digest('hex');
const stamp = path.join(root, 'node_modules', '.domain-otel-install-stamp');
const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (have !== want || !existsSync(path.join(root, 'node_modules', '.bin', 'node'))) {
  // --loglevel=error: under the machine's older Node every package pinned to Node >= 22 would
  // print an EBADENGINE warning (a few hundred lines); the scripts run on the pinned Node 24.
  const started = Date.now();
  console.log('bootstrap: installing npm packages (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  writeFileSync(stamp, `${want}\n`);
  console.log(`bootstrap: npm packages installed in ${Math.round((Date.now() - started) / 1000)}s`);
}
