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

// 1. System packages (idempotent scripts: they install only what is missing; lib.sh is what they share). A script that
// only reports its tool as present says so in one line; those lines are folded into one.
const setup = path.join(root, 'scripts', 'setup');
if (existsSync(setup)) {
  const present = [];
  for (const f of readdirSync(setup).filter((f) => f.endsWith('.sh') && f !== 'lib.sh').sort()) {
    const out = execFileSync('bash', [path.join(setup, f)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = out.split('\n').filter(Boolean);
    const m = lines.length === 1 ? /^([\w.-]+): (?:.* )?present\b|^(go): go1\.[\d.]+ at /.exec(lines[0]) : null;
    if (m) present.push(m[1] ?? m[2]);
    else if (out) process.stdout.write(out);
  }
  if (present.length) console.log(`bootstrap: present: ${present.join(', ')} (scripts/setup/*.sh)`);
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
