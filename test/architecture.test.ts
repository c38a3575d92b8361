// The layering of docs/architecture.md, enforced: which package may import which, over every
// source and test file of the packages (type-only imports and require() included), and the
// import conventions: workspace packages by their name (never by path into their src/ or dist/),
// relative imports without a `.js` extension, every package a src file imports declared in its
// package.json, and one copy of each OpenTelemetry package in the lock file.
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const PACKAGES = path.join(ROOT, 'packages');

type Layer = 'semantic-conventions' | 'api' | 'mapping' | 'adapter' | 'distribution' | 'sink';

interface Manifest {
  name: string;
  main?: string;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Pkg { dir: string; manifest: Manifest; layer: Layer }

function layerOf(dir: string): Layer {
  if (dir === 'semantic-conventions' || dir === 'api') return dir;
  if (dir === 'instrumentation-domain') return 'mapping';
  if (dir.startsWith('instrumentation-')) return 'adapter';
  if (dir === 'node') return 'distribution';
  if (dir === 'audit-sink') return 'sink';
  throw new Error(`packages/${dir}: no layer in test/architecture.test.ts; add it (and its rules) there`);
}

/** What each layer must not import (besides its own rules below): the rules of docs/architecture.md. */
const FORBIDDEN: Record<Layer, readonly Layer[]> = {
  'semantic-conventions': ['api', 'mapping', 'adapter', 'distribution', 'sink'],
  api: ['mapping', 'adapter', 'distribution', 'sink'],
  mapping: ['adapter', 'distribution', 'sink'],
  // and no other adapter: checked by name below
  adapter: ['mapping', 'distribution', 'sink'],
  distribution: ['sink'],
  sink: ['api', 'mapping', 'adapter', 'distribution'],
};

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const rootManifest = readJson<Manifest>(path.join(ROOT, 'package.json'));
const pkgs: Pkg[] = readdirSync(PACKAGES)
  .filter((d) => existsSync(path.join(PACKAGES, d, 'package.json')))
  .map((dir) => ({ dir, manifest: readJson<Manifest>(path.join(PACKAGES, dir, 'package.json')), layer: layerOf(dir) }));
const byName = new Map(pkgs.map((p) => [p.manifest.name, p]));
const BUILTINS = new Set(builtinModules);

const SKIP_DIRS = new Set(['node_modules', 'dist', '.generated', '.data']);
const CODE = /\.(ts|tsx|mts|cts|mjs|cjs|js)$/;

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    if (SKIP_DIRS.has(entry)) return [];
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return walk(full);
    return CODE.test(entry) ? [full] : [];
  });
}

const importsOf = (file: string): string[] =>
  ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);

/** `@scope/name/sub` → [`@scope/name`, `sub`]; `name/sub` → [`name`, `sub`]. */
function splitSpecifier(spec: string): [string, string] {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  return [parts.slice(0, n).join('/'), parts.slice(n).join('/')];
}

const isBuiltin = (spec: string) => spec.startsWith('node:') || BUILTINS.has(splitSpecifier(spec)[0]);

/** Where a path lands: which package and which part of it, or a root folder. */
function locate(file: string): { pkg?: Pkg; part: string } {
  const rel = path.relative(PACKAGES, file);
  if (!rel.startsWith('..')) {
    const [dir, part = ''] = rel.split(path.sep);
    return { pkg: pkgs.find((p) => p.dir === dir), part: part.includes('.') ? '' : part };
  }
  return { part: path.relative(ROOT, file).split(path.sep)[0]! };
}

/** The entry points another package may import (its `exports` keys, or only the package itself). */
function allowedSubpaths(target: Pkg): Set<string> {
  const keys = target.manifest.exports ? Object.keys(target.manifest.exports) : ['.'];
  return new Set(keys.map((k) => k.replace(/^\.\/?/, '')));
}

/**
 * src: the package's code; entry: a top-level file that loads the package's build
 * (`import.mjs`); bundle: browser code bundled at build time (the viewer's ui-assets), whose
 * libraries are dev dependencies; test: tests and benches.
 */
type Area = 'src' | 'entry' | 'bundle' | 'test';

/** The problems with one import of a package's own file. */
function packageImportProblems(owner: Pkg, area: Area, file: string, spec: string): string[] {
  const problems: string[] = [];
  if (spec.startsWith('.')) {
    if (/\.(ts|tsx)$/.test(file) && /\.js$/.test(spec)) problems.push('relative import with a .js extension (the packages import without extensions)');
    const target = locate(path.resolve(path.dirname(file), spec));
    if (target.pkg && target.pkg !== owner) {
      const sharedTestHelper = area === 'test' && target.part === 'test';
      if (sharedTestHelper) return problems;
      problems.push(FORBIDDEN[owner.layer].includes(target.pkg.layer)
        ? `reaches into packages/${target.pkg.dir}/${target.part}, and ${owner.layer} must not import ${target.pkg.layer} at all`
        : `reaches into packages/${target.pkg.dir}/${target.part} by path; import '${target.pkg.manifest.name}' instead`);
    } else if (target.pkg === owner && target.part === 'dist' && area !== 'entry') {
      problems.push('imports its own build output (dist/)');
    } else if (!target.pkg && !(area === 'test' && target.part === 'test')) {
      problems.push(`reaches outside its package (${target.part}/)`);
    }
    return problems;
  }
  if (isBuiltin(spec)) {
    if (owner.layer === 'semantic-conventions' && area !== 'test') problems.push('semantic-conventions imports nothing');
    return problems;
  }
  const [name, sub] = splitSpecifier(spec);
  const target = byName.get(name);
  if (owner.layer === 'semantic-conventions' && area !== 'test') problems.push('semantic-conventions imports nothing');
  if (owner.layer === 'api' && name.startsWith('@opentelemetry/')) problems.push('the api has no OpenTelemetry dependency');
  if (target && target !== owner) {
    if (FORBIDDEN[owner.layer].includes(target.layer)) problems.push(`${owner.layer} must not import ${target.layer} (${name})`);
    if (owner.layer === 'adapter' && target.layer === 'adapter') problems.push(`an adapter must not import another adapter (${name})`);
    if (sub !== '' && !allowedSubpaths(target).has(sub)) problems.push(`deep import into ${name} (${sub}); use its package entry`);
  }
  const declared = { ...owner.manifest.dependencies, ...owner.manifest.peerDependencies };
  const isDeclared = name === owner.manifest.name || name in declared;
  if ((area === 'src' || area === 'entry') && !isDeclared) problems.push(`${name} is not in ${owner.manifest.name}'s dependencies or peerDependencies`);
  if ((area === 'test' || area === 'bundle') && !isDeclared && !target && !(name in (rootManifest.devDependencies ?? {})) && !(name in (owner.manifest.devDependencies ?? {}))) {
    problems.push(`${name} is declared nowhere (package or root devDependencies)`);
  }
  return problems;
}

/** Every file of a package with the area its rules come from. */
function packageFiles(p: Pkg): { file: string; area: Area }[] {
  const base = path.join(PACKAGES, p.dir);
  const entries = readdirSync(base).filter((f) => /\.(mjs|cjs|js)$/.test(f)).map((f) => path.join(base, f));
  return [
    ...walk(path.join(base, 'src')).map((file) => ({ file, area: 'src' as const })),
    ...walk(path.join(base, 'ui-assets')).map((file) => ({ file, area: 'bundle' as const })),
    ...entries.map((file) => ({ file, area: 'entry' as const })),
    ...[...walk(path.join(base, 'test')), ...walk(path.join(base, 'bench'))].map((file) => ({ file, area: 'test' as const })),
  ];
}

/**
 * Known violations in files another piece of work is rewriting now; each names what is to
 * change. An entry that no longer matches fails the test, so the list only shrinks.
 */
const PENDING: readonly { file: string; spec: RegExp; why: string }[] = [];

/** Root tests, benches and scripts: no deep import into a package's build output. */
function rootProblems(file: string, spec: string): string[] {
  const dist = /packages\/([a-z-]+)\/dist\/(.*)$/.exec(spec.replace(/\\/g, '/'));
  if (!dist) return [];
  const target = pkgs.find((p) => p.dir === dist[1]);
  const main = target?.manifest.main?.replace(/^\.\//, '');
  return `dist/${dist[2]}` === main ? [] : [`deep import into packages/${dist[1]}/dist (${dist[2]}); import the package or its source`];
}

/** Imports written as a path string: `require(path.join(root, 'packages/x/dist/y.js'))` is what preProcessFile cannot see. */
function pathImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:require|import)\((?:[^()]*\()?[^()]*['"]([^'"]*packages\/[a-z-]+\/dist\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('architecture: the layering and the import conventions hold in every package', () => {
  it('every package has a layer, and the workspace lists every package', () => {
    assert.deepEqual(pkgs.map((p) => `packages/${p.dir}`).sort(), [...(readJson<{ workspaces: string[] }>(path.join(ROOT, 'package.json')).workspaces)].sort());
  });

  for (const p of pkgs) {
    it(`${p.manifest.name} (${p.layer}): imports only what its layer may, by package name, declared`, () => {
      const problems = packageFiles(p).flatMap(({ file, area }) =>
        importsOf(file).flatMap((spec) => packageImportProblems(p, area, file, spec).map((why) => `${path.relative(ROOT, file)}: '${spec}': ${why}`)));
      assert.deepEqual(problems, []);
    });
  }

  it('root tests, benches and scripts import no package\'s build output other than its main entry', () => {
    const files = ['test', 'bench', 'scripts'].flatMap((d) => walk(path.join(ROOT, d))).filter((f) => f !== __filename);
    const found = files.flatMap((file) => [...importsOf(file), ...pathImports(file)]
      .flatMap((spec) => rootProblems(file, spec).map((why) => ({ file: path.relative(ROOT, file), spec, why }))));
    const pending = found.filter((f) => PENDING.some((k) => k.file === f.file && k.spec.test(f.spec)));
    assert.deepEqual(found.filter((f) => !pending.includes(f)).map((f) => `${f.file}: '${f.spec}': ${f.why}`), []);
    for (const k of PENDING) {
      assert.ok(pending.some((f) => f.file === k.file && k.spec.test(f.spec)), `${k.file} no longer has the pending violation: remove its PENDING entry`);
    }
  });

  it('package-lock.json holds one copy of each @opentelemetry package', () => {
    const lock = readJson<{ packages: Record<string, { version?: string }> }>(path.join(ROOT, 'package-lock.json'));
    const copies = new Map<string, string[]>();
    for (const [where, entry] of Object.entries(lock.packages)) {
      const m = /(?:^|\/)node_modules\/(@opentelemetry\/[^/]+)$/.exec(where);
      if (m) copies.set(m[1]!, [...(copies.get(m[1]!) ?? []), `${where}@${entry.version}`]);
    }
    assert.deepEqual([...copies.values()].filter((c) => c.length > 1), []);
  });
});

describe('architecture: the checks catch what they are for', () => {
  const pkg = (dir: string) => pkgs.find((p) => p.dir === dir)!;
  const file = (dir: string, rel: string) => path.join(PACKAGES, dir, rel);
  const cases: [string, Pkg, Area, string, string, RegExp][] = [
    ['an adapter importing the mapping', pkg('instrumentation-casl'), 'src', file('instrumentation-casl', 'src/x.ts'), '@domain-otel/instrumentation-domain', /adapter must not import mapping/],
    ['an adapter test reaching into the mapping\'s source', pkg('instrumentation-cache-manager'), 'test', file('instrumentation-cache-manager', 'test/x.test.ts'), '../../instrumentation-domain/src', /reaches into packages\/instrumentation-domain\/src, and adapter must not import mapping/],
    ['the api importing OpenTelemetry', pkg('api'), 'src', file('api', 'src/x.ts'), '@opentelemetry/api', /no OpenTelemetry dependency/],
    ['the api importing the distribution', pkg('api'), 'src', file('api', 'src/x.ts'), '@domain-otel/node', /api must not import distribution/],
    ['semantic-conventions importing anything', pkg('semantic-conventions'), 'src', file('semantic-conventions', 'src/x.ts'), 'node:fs', /imports nothing/],
    ['the sink importing the mapping', pkg('audit-sink'), 'src', file('audit-sink', 'src/x.ts'), '@domain-otel/instrumentation-domain', /sink must not import mapping/],
    ['the mapping importing an adapter', pkg('instrumentation-domain'), 'test', file('instrumentation-domain', 'test/x.test.ts'), '@domain-otel/instrumentation-casl', /mapping must not import adapter/],
    ['a deep import', pkg('node'), 'src', file('node', 'src/x.ts'), '@domain-otel/instrumentation-domain/dist/metrics', /deep import/],
    ['a .js extension', pkg('node'), 'src', file('node', 'src/x.ts'), './y.js', /\.js extension/],
    ['an undeclared dependency', pkg('instrumentation-casl'), 'src', file('instrumentation-casl', 'src/x.ts'), 'lodash', /not in .* dependencies/],
  ];
  for (const [what, owner, area, at, spec, expected] of cases) {
    it(what, () => {
      assert.match(packageImportProblems(owner, area, at, spec).join('; '), expected);
    });
  }
  it('a deep import of a build output from the root', () => {
    assert.match(rootProblems(path.join(ROOT, 'bench', 'x.mjs'), 'packages/node/dist/logs/audit-processor.js').join(), /deep import/);
    assert.deepEqual(rootProblems(path.join(ROOT, 'scripts', 'x.mjs'), 'packages/node/dist/index.js'), []);
  });
});
