// The build steps of scripts/go/lib.sh (build-jaeger.sh and build-loki.sh are one
// build_pinned_tool call made of them; build-collector.sh uses the first two): build a pinned Go
// module into the cache once, then print the cached path without building. Exercised on a
// one-file module, since the real builds take minutes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LIB = path.resolve(__dirname, '../../scripts/go/lib.sh');

/** A build script as build-jaeger.sh is written, for the module in `module`. */
const script = (module: string) => `#!/usr/bin/env bash
# Build hello.
set -euo pipefail
. ${LIB}
build_init build-hello "\${BASH_SOURCE[0]}" "$@"
hash=$(cat "${module}/go.mod" | sha256sum | cut -c1-12)
binary="$cache/hello-v1.2.3-$hash/hello"
use_cached_binary "hello-v1.2.3-$hash" "v1.2.3, module $hash"
build_pinned_module "${module}" Hello v1.2.3 example.com/hello main.version
`;

describe('go build steps (scripts/go/lib.sh)', function () {
  this.timeout(300_000);
  let dir: string;
  let build: (...args: string[]) => { code: number | null; stdout: string; stderr: string };
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'domain-otel-go-steps-'));
    const module = path.join(dir, 'hello');
    mkdirSync(module);
    writeFileSync(path.join(module, 'go.mod'), 'module example.com/hello\n\ngo 1.22\n');
    writeFileSync(path.join(module, 'go.sum'), '');
    writeFileSync(path.join(module, 'main.go'), 'package main\n\nimport "fmt"\n\nvar version = "unset"\n\nfunc main() { fmt.Println(version) }\n');
    writeFileSync(path.join(dir, 'build-hello.sh'), script(module));
    build = (...args) => {
      const r = spawnSync('bash', [path.join(dir, 'build-hello.sh'), ...args], { encoding: 'utf8', env: { ...process.env, DOMAIN_OTEL_CACHE: path.join(dir, 'cache') } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds into the cache folder named by version and module hash, the version stamped in', () => {
    const r = build();
    assert.equal(r.code, 0, r.stderr);
    const binary = r.stdout.trim().split('\n').at(-1)!;
    assert.match(binary, new RegExp(`^${dir}/cache/hello-v1\\.2\\.3-[0-9a-f]{12}/hello$`));
    assert.match(r.stderr, /^build-hello: building Hello v1\.2\.3 \(-p=\d+, a cold build takes several minutes\) done in \d+s/m);
    assert.equal(spawnSync(binary, { encoding: 'utf8' }).stdout, 'v1.2.3\n');
  });

  it('a second run prints the cached path without building; --force builds again', () => {
    const first = build().stdout.trim();
    const built = statSync(first).mtimeMs;
    const again = build();
    assert.equal(again.stdout.trim(), first);
    assert.match(again.stderr, /^build-hello: up to date \(v1\.2\.3, module [0-9a-f]{12}\)\n$/);
    assert.equal(statSync(first).mtimeMs, built);
    const forced = build('--force');
    assert.equal(forced.stdout.trim(), first);
    assert.match(forced.stderr, /building Hello v1\.2\.3/);
  });

  it('an unknown argument: one line naming it, exit 2; --help prints the header', () => {
    assert.deepEqual(build('--bogus'), { code: 2, stdout: '', stderr: 'build-hello.sh: unknown argument: --bogus\n' });
    assert.equal(build('--help').stdout, 'Build hello.\n');
  });
});
