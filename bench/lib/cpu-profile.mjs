// Summaries of a V8 CPU profile (.cpuprofile) by package and by function, in samples. Samples are
// counted, not their time deltas: on a loaded machine a delta includes the time the thread waited
// for a core, which would be charged to whatever function it resumed in.
import path from 'node:path';

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)']);

/** The package a script URL belongs to: a node_modules package, one of ours, or the path. */
export function packageOf(url, root) {
  if (!url) return '(native/VM)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.slice(Math.max(0, url.lastIndexOf('node_modules/'))));
  if (m) return m[1];
  const ours = /packages\/([^/]+)\//.exec(url);
  if (ours) return `@domain-otel/${ours[1]}`;
  return path.relative(root, url.replace('file://', ''));
}

/** Self samples by package and by function ("name (package:line)"); idle samples apart. */
export function summarise(profile, root) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfSamples = new Map();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const packages = new Map();
  const functions = new Map();
  let idle = 0;
  let busy = 0;
  for (const [id, samples] of selfSamples) {
    const frame = byId.get(id).callFrame;
    const name = frame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += samples;
      continue;
    }
    busy += samples;
    const special = SPECIAL.has(name);
    const pkg = special ? name : packageOf(frame.url, root);
    packages.set(pkg, (packages.get(pkg) ?? 0) + samples);
    const key = special ? name : `${name} (${pkg}${frame.url ? `:${frame.lineNumber + 1}` : ''})`;
    functions.set(key, (functions.get(key) ?? 0) + samples);
  }
  return { busy, idle, packages, functions };
}

/** Adds summary `b` into `a` (several rounds of one variant). */
export function addSummary(a, b) {
  if (a === undefined) return { busy: b.busy, idle: b.idle, packages: new Map(b.packages), functions: new Map(b.functions) };
  a.busy += b.busy;
  a.idle += b.idle;
  for (const key of ['packages', 'functions']) for (const [k, v] of b[key]) a[key].set(k, (a[key].get(k) ?? 0) + v);
  return a;
}

/** Rows of `name, a, b, b − a` over the keys of two maps, largest difference first. */
export function differences(a, b) {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].map((k) => [k, a.get(k) ?? 0, b.get(k) ?? 0]).map(([k, x, y]) => [k, x, y, y - x]).sort((p, q) => q[3] - p[3]);
}
