import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_MAX_BODY_BYTES, limits } from '../../packages/audit-sink/src';
import { BUILD_TIMEOUT_MS, CONFIG_DIR, JAEGER_CONFIG, OTELCOL_CONFIG, ROOT, buildBinary, cleanEnv, parseComponents, run, tempDir } from './helpers';

const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

const DOC = path.join(ROOT, 'docs', 'collector.md');

/** The bundled build: exactly these components, nothing else (load_balancing: the agent overlay, docs/scaling.md). */
const BUNDLED_COMPONENTS: Record<string, string[]> = {
  receivers: ['otlp'],
  processors: ['filter', 'memory_limiter', 'transform'],
  exporters: ['debug', 'file', 'load_balancing', 'otlp_grpc', 'otlp_http', 'prometheus'],
  extensions: ['file_storage', 'health_check'],
  connectors: [],
};

/** Component types configured in a collector YAML file: `  type[/name]:` keys under the top-level sections. */
function configuredTypes(yamlText: string): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = {};
  let section: string | undefined;
  for (const raw of yamlText.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\s*(#|$)/.test(line)) continue;
    const top = /^([a-z_]+):/.exec(line);
    if (top) {
      section = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'].includes(top[1]!) ? top[1] : undefined;
      if (section) out[section] = new Set();
      continue;
    }
    const key = /^ {2}([a-z_]+)(?:\/[\w.-]+)?:/.exec(line);
    if (section && key) out[section]!.add(key[1]!);
  }
  return out;
}

/** The rows of the "Tested combinations" table in docs/collector.md: name and env assignments. */
function documentedCombinations(): { name: string; env: Record<string, string> }[] {
  const doc = readFileSync(DOC, 'utf8');
  const block = /<!-- combinations:start -->([\s\S]*?)<!-- combinations:end -->/.exec(doc);
  assert.ok(block, 'docs/collector.md has a combinations table');
  const rows = block[1]!.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*(Combination|---)/.test(l));
  return rows.map((row) => {
    const [, name, envCell] = row.split('|').map((c) => c.trim());
    const env: Record<string, string> = {};
    for (const m of envCell!.matchAll(/`([A-Z0-9_]+)=([^`]*)`/g)) env[m[1]!] = m[2]!;
    return { name: name!, env };
  });
}

describe('bundled collector: manifest and configuration', function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let otelcol: string;

  before(async function () {
    otelcol = await buildBinary('build-collector.sh');
  });

  const validate = (env: Record<string, string> = {}, config = OTELCOL_CONFIG) =>
    run(otelcol, ['validate', '--config', config], { env: cleanEnv(env), timeoutMs: 30_000 });

  it('the build script is cached: a second run is immediate and prints the same path', async function () {
    const started = Date.now();
    const again = await buildBinary('build-collector.sh');
    assert.equal(again, otelcol);
    assert.ok(Date.now() - started < 5000, 'cached build should not recompile');
    assert.match(path.basename(path.dirname(otelcol)), /^otelcol-[0-9a-f]{16}$/);
  });

  it('`components` lists every component otelcol.yaml and its agent/gateway overlays use', async function () {
    const res = await run(otelcol, ['components']);
    assert.equal(res.code, 0, res.stderr);
    const available = parseComponents(res.stdout);
    const used: Record<string, Set<string>> = {};
    for (const file of ['otelcol.yaml', 'agent.yaml', 'gateway.yaml']) {
      for (const [kind, types] of Object.entries(configuredTypes(readFileSync(path.join(CONFIG_DIR, file), 'utf8')))) for (const t of types) (used[kind] ??= new Set()).add(t);
    }
    for (const [kind, types] of Object.entries(used)) {
      for (const type of types) assert.ok(available[kind]?.has(type), `${kind.slice(0, -1)} "${type}" is used by otelcol.yaml or an overlay but not built in`);
    }
    // and the config uses every bundled component (no dead weight in the manifest)
    for (const [kind, types] of Object.entries(BUNDLED_COMPONENTS)) {
      for (const type of types) assert.ok(used[kind]?.has(type), `${kind.slice(0, -1)} "${type}" is built but unused`);
    }
  });

  it('the binary holds exactly the bundled components, all from release v0.159.0', async function () {
    const res = await run(otelcol, ['components']);
    const available = parseComponents(res.stdout);
    for (const [kind, types] of Object.entries(BUNDLED_COMPONENTS)) {
      assert.deepEqual([...(available[kind] ?? [])].sort(), types, kind);
    }
    const versions = [...res.stdout.matchAll(/module: (\S+) (v\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.ok(versions.length >= 10);
    for (const v of versions) assert.match(v, / (v0\.159\.0|v1\.65\.0)$/, v);
  });

  it('`validate` passes on the bundled config with no environment set', async function () {
    const res = await validate();
    assert.equal(res.code, 0, res.stderr);
  });

  describe('every documented combination validates', function () {
    const combos = documentedCombinations();
    it('the docs list the combinations', function () {
      assert.ok(combos.length >= 8, `found ${combos.length}`);
    });
    for (const combo of combos) {
      it(`validate: ${combo.name}`, async function () {
        const res = await validate(combo.env);
        assert.equal(res.code, 0, `env ${JSON.stringify(combo.env)}\n${res.stderr}`);
      });
    }
  });

  it('`validate` rejects a misspelt exporter and an unbracketed list (the check has teeth)', async function () {
    let res = await validate({ DOMAIN_OTEL_LOGS_EXPORTERS: '[file/logs, otlp_http/lokki]' });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /otlp_http\/lokki/);
    res = await validate({ DOMAIN_OTEL_TRACES_EXPORTERS: 'file/traces' });
    assert.notEqual(res.code, 0);
    res = await validate({ DOMAIN_OTEL_AUDIT_EXPORTERS: '[]' });
    assert.notEqual(res.code, 0);
  });

  it('resolves to the documented routes: memory_limiter first, audit queue on disk with fsync and endless retry', async function () {
    const res = await run(otelcol, ['print-config', '--format', 'json', '--mode', 'unredacted', '--config', OTELCOL_CONFIG], {
      env: cleanEnv({ DOMAIN_OTEL_AUDIT_SINK_TOKEN: 'tok' }),
    });
    assert.equal(res.code, 0, res.stderr);
    const cfg = JSON.parse(res.stdout) as {
      service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>; extensions: string[] };
      exporters: Record<string, Record<string, unknown>>;
      extensions: Record<string, Record<string, unknown>>;
      processors: Record<string, Record<string, unknown>>;
    };
    const p = cfg.service.pipelines;
    assert.deepEqual(Object.keys(p).sort(), ['logs', 'logs/audit', 'metrics', 'traces']);
    for (const [name, pipe] of Object.entries(p)) {
      assert.equal(pipe.processors[0], 'memory_limiter', `${name}: memory_limiter first`);
      assert.deepEqual(pipe.receivers, ['otlp']);
    }
    assert.deepEqual(p.traces!.exporters, ['otlp_grpc/jaeger', 'file/traces']);
    assert.deepEqual(p.logs!.exporters, ['file/logs']);
    assert.deepEqual(p['logs/audit']!.exporters, ['otlp_http/audit']);
    assert.deepEqual(p['logs/audit']!.processors, ['memory_limiter', 'filter/audit']);
    assert.deepEqual(p.metrics!.exporters, ['prometheus', 'file/metrics']);

    const audit = cfg.exporters['otlp_http/audit']!;
    const queue = audit.sending_queue as Record<string, unknown>;
    assert.equal(queue.storage, 'file_storage');
    assert.ok(queue.batch, 'audit exporter batches in its sending queue');
    assert.equal((audit.retry_on_failure as Record<string, unknown>).max_elapsed_time, 0);
    // printed either as a map or as a list of {name, value} (configopaque.MapList)
    const headers = Array.isArray(audit.headers)
      ? Object.fromEntries((audit.headers as { name: string; value: string }[]).map((h) => [h.name, h.value]))
      : audit.headers;
    assert.deepEqual(headers, { authorization: 'Bearer tok' });
    assert.equal(audit.endpoint, 'http://127.0.0.1:4320');
    assert.equal(cfg.extensions.file_storage!.fsync, true);
    assert.equal(cfg.extensions.file_storage!.directory, './.data/collector');
    assert.ok(cfg.service.extensions.includes('file_storage'));
    assert.equal(cfg.exporters['otlp_grpc/jaeger']!.endpoint, '127.0.0.1:14317');
    assert.ok((cfg.exporters['otlp_grpc/jaeger']!.sending_queue as Record<string, unknown>).batch);
    assert.equal(cfg.exporters['otlp_http/loki']!.endpoint, 'http://127.0.0.1:3100/otlp');
    assert.equal(cfg.exporters.prometheus!.endpoint, '127.0.0.1:8889');
    assert.ok(!Object.keys(cfg.processors).some((k) => k.startsWith('batch')), 'no batch processor');
    const filter = JSON.stringify(cfg.processors['filter/audit']);
    assert.match(filter, /log\.event_name == \\"domain\.audit\.decision\\"/);
    assert.match(filter, /log\.event_name == \\"domain\.manager\.mutation\\"/);
  });

  it('the audit exporter bounds each batch in bytes (sizer: bytes) well below what the audit sink accepts, with the queue on disk and endless retry', async function () {
    // The sink refuses a body above 16 MiB decompressed (413, which the collector drops) and a
    // request of more than 100,000 log records; a batch of 4096 items of 4-8 KB records was 24 MB.
    const text = readFileSync(OTELCOL_CONFIG, 'utf8');
    const audit = (yaml.load(text) as { exporters: Record<string, { sending_queue: Record<string, unknown> }> }).exporters['otlp_http/audit']!;
    const batch = audit.sending_queue.batch as Record<string, unknown>;
    // print-config shows sizers as {}: the YAML is read for them, the binary validates their values
    // (the next test), and the batch sizer is set explicitly: it does not inherit the queue's.
    assert.equal(batch.sizer, 'bytes');
    const res = await run(otelcol, ['print-config', '--format', 'json', '--mode', 'unredacted', '--config', OTELCOL_CONFIG], { env: cleanEnv() });
    assert.equal(res.code, 0, res.stderr);
    const printed = JSON.parse(res.stdout).exporters['otlp_http/audit'] as Record<string, Record<string, unknown>>;
    const queue = printed.sending_queue!;
    const printedBatch = queue.batch as { max_size: number; min_size: number };
    assert.equal(queue.storage, 'file_storage');
    assert.equal(printed.retry_on_failure!.max_elapsed_time, 0);
    assert.ok(printedBatch.max_size > 0, 'max_size set: batches are split');
    assert.ok(printedBatch.max_size <= DEFAULT_MAX_BODY_BYTES / 4, `max_size ${printedBatch.max_size} bytes leaves room below the sink's ${DEFAULT_MAX_BODY_BYTES}`);
    // The smallest audit record is 25 bytes on the wire (event name field + framing): a full batch stays under the record limit.
    assert.ok(printedBatch.max_size / 25 < limits.MAX_LOG_RECORDS_PER_REQUEST);
    assert.ok(printedBatch.min_size > 0 && printedBatch.min_size <= printedBatch.max_size);
  });

  it('`validate` checks the batch sizer (a misspelt or unsupported one is refused)', async function () {
    const dir = tempDir('otelcol-sizer');
    const text = readFileSync(OTELCOL_CONFIG, 'utf8');
    for (const [value, error] of [['bytez', /invalid sizer: "bytez"/], ['requests', /`batch` supports only `items` or `bytes` sizer/]] as const) {
      const file = path.join(dir, `otelcol-${value}.yaml`);
      writeFileSync(file, text.replace(/(\n {8}sizer: )bytes\n/, `$1${value}\n`));
      assert.notEqual(readFileSync(file, 'utf8'), text, 'the batch sizer line was found');
      const res = await validate({}, file);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, error);
    }
  });

  it('every env var in the configs is documented in docs/collector.md, and every documented one exists', function () {
    const doc = readFileSync(DOC, 'utf8');
    const inConfigs = new Set<string>();
    // collector-style ${env:VAR:-x} in otelcol.yaml/jaeger.yaml, Loki-style ${VAR:-x} in loki.yaml
    for (const file of [OTELCOL_CONFIG, JAEGER_CONFIG, path.join(CONFIG_DIR, 'loki.yaml')]) {
      const code = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
      for (const m of code.matchAll(/\$\{(?:env:)?([A-Z0-9_]+)/g)) inConfigs.add(m[1]!);
    }
    const documented = new Set([...doc.matchAll(/^\| `(DOMAIN_OTEL_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
    for (const v of inConfigs) assert.ok(documented.has(v), `${v} is used but not in the docs table`);
    const buildVars = new Set(['DOMAIN_OTEL_CACHE', 'DOMAIN_OTEL_GO_JOBS']);
    for (const v of documented) assert.ok(inConfigs.has(v) || buildVars.has(v), `${v} is documented but unused`);
  });

  it('the Jaeger config validates with the Jaeger binary', async function () {
    const jaeger = await buildBinary('build-jaeger.sh');
    const res = await run(jaeger, ['validate', '--config', JAEGER_CONFIG], { env: cleanEnv(), timeoutMs: 30_000 });
    assert.equal(res.code, 0, res.stderr);
  });

  it('config files only listen on loopback by default', function () {
    for (const file of ['otelcol.yaml', 'jaeger.yaml']) {
      const text = readFileSync(path.join(CONFIG_DIR, file), 'utf8');
      const listeners = [...text.matchAll(/(?:endpoint|host): \$\{env:[A-Z0-9_]+:-([^}]+)\}/g)].map((m) => m[1]!)
        .filter((v) => !v.startsWith('http'));
      assert.ok(listeners.length >= 4, file);
      for (const l of listeners) assert.match(l, /^127\.0\.0\.1(:\d+)?$/, `${file}: ${l}`);
    }
  });
});
