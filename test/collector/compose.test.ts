// collector-config/docker-compose.yaml: no Docker engine runs here, so this checks the file's
// structure: pinned images that match the versions we build, loopback-only ports on the
// port plan, listeners that are reachable inside the compose network, the collector wired to
// the other services by name through variables that exist in otelcol.yaml, dependencies and
// healthchecks, and secrets taken from the environment. It also runs `otelcol-domain validate`
// with the collector service's environment.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BUILD_TIMEOUT_MS, CONFIG_DIR, OTELCOL_CONFIG, ROOT, buildBinary, cleanEnv, run } from './helpers';

const yaml = createRequire(__filename)('js-yaml') as { load(text: string): unknown };

const COMPOSE = path.join(CONFIG_DIR, 'docker-compose.yaml');

interface Healthcheck { test?: string[] | string; interval?: string; timeout?: string; retries?: number; start_period?: string }
interface VolumeLong { type: string; source: string; target: string; read_only?: boolean }
interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  volumes?: (string | VolumeLong)[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  user?: string;
  working_dir?: string;
}
interface Compose { name?: string; services: Record<string, Service>; volumes?: Record<string, unknown> }

/** The port plan of docs/architecture.md (all 127.0.0.1). */
const PORT_PLAN = new Set([4317, 4318, 13133, 8888, 8889, 14317, 14318, 16686, 16685, 13134, 3100, 9096, 4320, 5432]);

/** `${VAR:-default}` -> default (compose interpolation of a default), other text unchanged. */
const withDefaults = (s: string): string => s.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

interface Published { hostIp: string; hostPort: number; containerPort: number; raw: string }
function published(svc: Service): Published[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+):(\d+)$/.exec(withDefaults(p));
      assert.ok(m, `port "${p}" has the form HOST_IP:HOST_PORT:CONTAINER_PORT`);
      return { hostIp: m[1]!, hostPort: Number(m[2]), containerPort: Number(m[3]), raw: p };
    }
    return { hostIp: p.host_ip ?? '', hostPort: Number(withDefaults(String(p.published))), containerPort: Number(p.target), raw: JSON.stringify(p) };
  });
}

interface Mount { source: string; target: string; readOnly: boolean }
function mounts(svc: Service): Mount[] {
  return (svc.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source, target, mode] = v.split(':');
      return { source: source!, target: target!, readOnly: mode === 'ro' };
    }
    return { source: v.source, target: v.target, readOnly: v.read_only === true };
  });
}

const env = (svc: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** The port of `host:port`, `http://host:port/...`. */
function hostPort(value: string): { host: string; port: number; path: string } {
  const u = new URL(value.includes('://') ? value : `tcp://${value}`);
  return { host: u.hostname, port: Number(u.port), path: u.pathname };
}

/** Variables an upstream config reads: `${env:NAME...}` (collector, Jaeger) or `${NAME...}` (Loki with -config.expand-env). */
function configVars(file: string, style: 'env' | 'plain'): Set<string> {
  const text = readFileSync(path.join(CONFIG_DIR, file), 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  const re = style === 'env' ? /\$\{env:([A-Z0-9_]+)/g : /\$\{([A-Z0-9_]+)/g;
  return new Set([...text.matchAll(re)].map((m) => m[1]!));
}

/** The DOMAIN_OTEL_* variables of the audit sink, from the tables in docs/audit-sink.md. */
function sinkVars(): Set<string> {
  const doc = readFileSync(path.join(ROOT, 'docs', 'audit-sink.md'), 'utf8');
  return new Set([...doc.matchAll(/`(DOMAIN_OTEL_[A-Z0-9_]+)`/g)].map((m) => m[1]!));
}

describe('collector-config/docker-compose.yaml (structure)', function () {
  const compose = yaml.load(readFileSync(COMPOSE, 'utf8')) as Compose;
  const services = compose.services;
  const svc = (name: string): Service => {
    assert.ok(services[name], `service ${name} exists`);
    return services[name]!;
  };

  it('has the services of the bundled stack', function () {
    assert.deepEqual(
      Object.keys(services).sort(),
      ['audit-migrate', 'audit-sink', 'collector', 'collector-data-init', 'jaeger', 'loki', 'postgres'],
    );
  });

  it('pins every image to a version tag, never latest', function () {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.image, `${name} has an image`);
      const m = /^([a-z0-9./_-]+):([\w.-]+)$/.exec(s.image);
      assert.ok(m, `${name}: image "${s.image}" has an explicit tag`);
      const tag = m[2]!;
      assert.ok(!/(^|-)(latest|stable|edge|main|nightly|current|lts)($|-)/.test(tag), `${name}: tag "${tag}" is not a moving tag`);
      // A full version, optionally followed by the image variant (-bookworm, -trixie-slim).
      assert.match(tag, /^\d+\.\d+(\.\d+)?(-[a-z][a-z0-9.-]*)?$/, `${name}: tag "${tag}" is a version`);
    }
  });

  it('uses the upstream images at the versions this repository builds and pins', function () {
    const builder = readFileSync(path.join(CONFIG_DIR, 'builder.yaml'), 'utf8');
    const contrib = /opentelemetry-collector-contrib\/[\w/]+ v(\d+\.\d+\.\d+)/.exec(builder)![1];
    assert.equal(svc('collector').image, `otel/opentelemetry-collector-contrib:${contrib}`, 'contrib image of the builder.yaml release');
    assert.equal(contrib, '0.159.0');

    const jaegerVersion = /^JAEGER_VERSION=v(\d+\.\d+\.\d+)$/m.exec(readFileSync(path.join(ROOT, 'scripts/go/build-jaeger.sh'), 'utf8'))![1];
    assert.equal(svc('jaeger').image, `jaegertracing/jaeger:${jaegerVersion}`, 'the Jaeger v2 release that build-jaeger.sh builds');
    assert.match(jaegerVersion!, /^2\./);

    const lokiVersion = /^LOKI_VERSION=v(\d+\.\d+\.\d+)$/m.exec(readFileSync(path.join(ROOT, 'scripts/go/build-loki.sh'), 'utf8'))![1];
    assert.equal(svc('loki').image, `grafana/loki:${lokiVersion}`, 'the Loki release that build-loki.sh builds');

    assert.match(svc('postgres').image!, /^postgres:\d+\.\d+-/);
    for (const name of ['audit-sink', 'audit-migrate', 'collector-data-init']) {
      assert.match(svc(name).image!, /^node:24\.\d+\.\d+-/, `${name} runs on Node 24`);
      assert.equal(svc(name).image, svc('audit-sink').image, 'one Node image for all Node containers');
    }
  });

  it('publishes ports on 127.0.0.1 only, on the documented port plan', function () {
    const seen = new Map<number, string>();
    for (const [name, s] of Object.entries(services)) {
      for (const p of published(s)) {
        assert.equal(p.hostIp, '127.0.0.1', `${name}: ${p.raw} is bound to 127.0.0.1`);
        assert.ok(PORT_PLAN.has(p.hostPort), `${name}: host port ${p.hostPort} is on the documented port plan`);
        assert.equal(p.hostPort, p.containerPort, `${name}: ${p.raw} keeps the port number`);
        assert.ok(!seen.has(p.hostPort), `host port ${p.hostPort} published twice (${seen.get(p.hostPort)}, ${name})`);
        seen.set(p.hostPort, name);
      }
    }
    const expected: Record<string, number[]> = {
      collector: [4317, 4318, 13133, 8888, 8889],
      jaeger: [14317, 14318, 16686, 16685, 13134],
      loki: [3100],
      'audit-sink': [4320],
      postgres: [5432],
    };
    for (const [name, ports] of Object.entries(expected)) {
      assert.deepEqual(published(svc(name)).map((p) => p.containerPort).sort(), [...ports].sort(), `${name} publishes ${ports.join(', ')}`);
    }
    for (const name of ['audit-migrate', 'collector-data-init']) assert.equal(published(svc(name)).length, 0, `${name} publishes nothing`);
  });

  it('binds every published listener to 0.0.0.0 inside its container', function () {
    for (const name of ['collector', 'jaeger']) {
      const values = Object.values(env(svc(name)));
      for (const p of published(svc(name))) {
        const bound = values.includes(`0.0.0.0:${p.containerPort}`)
          || (name === 'collector' && p.containerPort === 8888 && env(svc(name)).DOMAIN_OTEL_COLLECTOR_SELF_METRICS_HOST === '0.0.0.0'
            && env(svc(name)).DOMAIN_OTEL_COLLECTOR_SELF_METRICS_PORT === '8888');
        assert.ok(bound, `${name}: a listener variable binds 0.0.0.0:${p.containerPort}`);
      }
    }
    const sink = env(svc('audit-sink'));
    assert.equal(sink.DOMAIN_OTEL_AUDIT_SINK_HOST, '0.0.0.0');
    assert.equal(Number(sink.DOMAIN_OTEL_AUDIT_SINK_PORT), published(svc('audit-sink'))[0]!.containerPort);
    assert.ok(svc('loki').command!.includes('-server.http-listen-address=0.0.0.0'), 'Loki listens on 0.0.0.0 (loki.yaml says 127.0.0.1)');
    assert.ok(svc('loki').command!.includes('-config.expand-env=true'), 'Loki expands the DOMAIN_OTEL_LOKI_* variables');
  });

  it('mounts our configs read-only where each command reads them', function () {
    const cases: [string, string, (cmd: string[]) => string | undefined][] = [
      ['collector', 'otelcol.yaml', (cmd) => cmd[cmd.indexOf('--config') + 1]],
      ['jaeger', 'jaeger.yaml', (cmd) => cmd[cmd.indexOf('--config') + 1]],
      ['loki', 'loki.yaml', (cmd) => cmd.find((a) => a.startsWith('-config.file='))?.slice('-config.file='.length)],
    ];
    for (const [name, file, configArg] of cases) {
      const s = svc(name);
      const m = mounts(s).find((v) => v.source === `./${file}`);
      assert.ok(m, `${name} mounts ./${file}`);
      assert.ok(m.readOnly, `${name}: ./${file} is mounted read-only`);
      assert.ok(existsSync(path.join(CONFIG_DIR, file)), `collector-config/${file} exists`);
      assert.equal(configArg(s.command ?? []), m.target, `${name} is started with the mounted ${file}`);
    }
  });

  it('points the collector at Jaeger, Loki and the audit sink by service name, through otelcol.yaml variables', function () {
    const c = env(svc('collector'));
    const otelVars = configVars('otelcol.yaml', 'env');
    for (const k of Object.keys(c)) assert.ok(otelVars.has(k), `collector variable ${k} exists in otelcol.yaml`);

    const jaeger = hostPort(c.DOMAIN_OTEL_JAEGER_ENDPOINT!);
    assert.equal(jaeger.host, 'jaeger');
    assert.equal(jaeger.port, hostPort(env(svc('jaeger')).DOMAIN_OTEL_JAEGER_OTLP_GRPC_ENDPOINT!).port, 'Jaeger OTLP/gRPC port');

    const loki = hostPort(c.DOMAIN_OTEL_LOKI_ENDPOINT!);
    assert.equal(loki.host, 'loki');
    assert.equal(loki.port, published(svc('loki'))[0]!.containerPort, 'Loki HTTP port');
    assert.equal(loki.path, '/otlp', 'Loki OTLP base path (the exporter appends /v1/logs)');

    const sink = hostPort(c.DOMAIN_OTEL_AUDIT_SINK_ENDPOINT!);
    assert.equal(sink.host, 'audit-sink');
    assert.equal(sink.port, Number(env(svc('audit-sink')).DOMAIN_OTEL_AUDIT_SINK_PORT));
    assert.equal(c.DOMAIN_OTEL_AUDIT_SINK_TOKEN, env(svc('audit-sink')).DOMAIN_OTEL_AUDIT_SINK_TOKEN, 'collector and sink share the token');

    // Loki runs in this stack, so the logs pipeline sends to it; every listed exporter exists.
    const exporters = Object.keys((yaml.load(readFileSync(OTELCOL_CONFIG, 'utf8')) as { exporters: Record<string, unknown> }).exporters);
    for (const k of Object.keys(c).filter((k) => k.endsWith('_EXPORTERS'))) {
      const list = yaml.load(c[k]!) as string[];
      assert.ok(Array.isArray(list) && list.length > 0, `${k} is a YAML list`);
      for (const e of list) assert.ok(exporters.includes(e), `${k}: exporter ${e} exists in otelcol.yaml`);
    }
    assert.ok((yaml.load(c.DOMAIN_OTEL_LOGS_EXPORTERS!) as string[]).includes('otlp_http/loki'));

    // The audit queue and the NDJSON files live on the collector's volume.
    const data = mounts(svc('collector')).find((v) => v.source === 'collector-data')!;
    assert.ok(data, 'the collector has a data volume');
    for (const k of ['DOMAIN_OTEL_COLLECTOR_DATA', 'DOMAIN_OTEL_COLLECTOR_FILES']) {
      assert.ok(c[k]!.startsWith(`${data.target}/`), `${k} is on the data volume`);
    }
    assert.deepEqual(svc('collector-data-init').command, ['chown', '-R', '10001:10001', data.target], 'the volume is handed to the image user');
  });

  it('uses only variables that Jaeger, Loki and the audit sink read', function () {
    const jaegerVars = configVars('jaeger.yaml', 'env');
    for (const k of Object.keys(env(svc('jaeger')))) assert.ok(jaegerVars.has(k), `jaeger variable ${k} exists in jaeger.yaml`);
    const lokiVars = configVars('loki.yaml', 'plain');
    for (const k of Object.keys(env(svc('loki')))) assert.ok(lokiVars.has(k), `loki variable ${k} exists in loki.yaml`);
    const documented = sinkVars();
    const libpq = new Set(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD']);
    for (const name of ['audit-sink', 'audit-migrate']) {
      for (const k of Object.keys(env(svc(name)))) {
        assert.ok(libpq.has(k) || documented.has(k), `${name} variable ${k} is a libpq variable or documented in docs/audit-sink.md`);
      }
      assert.equal(env(svc(name)).PGHOST, 'postgres', `${name} reaches Postgres by service name`);
      assert.equal(env(svc(name)).PGDATABASE, svc('postgres').environment!.POSTGRES_DB);
    }
    assert.equal(env(svc('audit-sink')).PGUSER, 'audit_sink');
    assert.ok(svc('audit-migrate').command!.join(' ').includes('--writer-login audit_sink'), 'migrate creates the login the sink uses');
  });

  it('runs the audit sink from the repository mounted read-only, migrate first', function () {
    for (const [name, sub] of [['audit-migrate', 'migrate'], ['audit-sink', 'serve']] as const) {
      const s = svc(name);
      const repo = mounts(s).find((v) => v.source === '..');
      assert.ok(repo, `${name} mounts the repository`);
      assert.ok(repo.readOnly, `${name}: the repository is read-only`);
      assert.equal(s.working_dir, repo.target);
      assert.deepEqual(s.command!.slice(0, 3), ['node', 'packages/audit-sink/dist/cli.js', sub]);
      assert.notEqual(s.user, undefined, `${name} does not run as the image default (root)`);
    }
    assert.ok(existsSync(path.join(ROOT, 'packages/audit-sink/src/cli.ts')), 'the sink CLI exists (dist/ comes from npm run build)');
    assert.equal(svc('audit-sink').depends_on?.['audit-migrate']?.condition, 'service_completed_successfully');
    assert.equal(svc('audit-migrate').depends_on?.postgres?.condition, 'service_healthy');
  });

  it('orders startup with depends_on and healthchecks', function () {
    const expected: Record<string, Record<string, string>> = {
      'audit-migrate': { postgres: 'service_healthy' },
      'audit-sink': { 'audit-migrate': 'service_completed_successfully', postgres: 'service_healthy' },
      collector: {
        'collector-data-init': 'service_completed_successfully',
        jaeger: 'service_healthy',
        loki: 'service_healthy',
        'audit-sink': 'service_healthy',
      },
    };
    for (const [name, s] of Object.entries(services)) {
      const deps = Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v.condition]));
      assert.deepEqual(deps, expected[name] ?? {}, `${name} depends_on`);
      for (const [dep, condition] of Object.entries(deps)) {
        assert.ok(services[dep], `${name} depends on an existing service ${dep}`);
        if (condition === 'service_healthy') {
          const test = services[dep]!.healthcheck?.test;
          assert.ok(Array.isArray(test) && test[0] === 'CMD' && test.length > 1, `${dep} has an exec-form healthcheck`);
        } else {
          assert.equal(services[dep]!.restart, 'no', `one-shot ${dep} is not restarted`);
        }
      }
    }
    for (const name of ['postgres', 'jaeger', 'loki', 'audit-sink']) {
      const h = svc(name).healthcheck!;
      assert.ok(h.interval && h.timeout && h.retries, `${name}: healthcheck has interval, timeout and retries`);
    }
    // Each healthcheck asks the port the service really listens on.
    const probe = (name: string): string => (svc(name).healthcheck!.test as string[]).join(' ');
    assert.match(probe('jaeger'), new RegExp(`:${hostPort(env(svc('jaeger')).DOMAIN_OTEL_JAEGER_HEALTH_ENDPOINT!).port}/status`));
    assert.match(probe('loki'), /-health .*:3100\/ready/);
    assert.match(probe('audit-sink'), new RegExp(`:${env(svc('audit-sink')).DOMAIN_OTEL_AUDIT_SINK_PORT}/healthz`));
    assert.match(probe('postgres'), /pg_isready .*-h 127\.0\.0\.1/);
    for (const name of ['postgres', 'jaeger', 'loki', 'audit-sink', 'collector']) assert.equal(svc(name).restart, 'unless-stopped');
  });

  it('takes secrets from the environment and requires them', function () {
    const text = readFileSync(COMPOSE, 'utf8');
    for (const v of ['DOMAIN_OTEL_AUDIT_SINK_TOKEN', 'DOMAIN_OTEL_POSTGRES_PASSWORD']) {
      assert.match(text, new RegExp(`\\$\\{${v}:\\?[^}]+\\}`), `${v} is required (\${${v}:?...})`);
    }
    const secretKeys = /TOKEN|PASSWORD/;
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(env(s))) {
        if (secretKeys.test(k)) assert.match(v, /^\$\{DOMAIN_OTEL_[A-Z_]+:\?/, `${name}.${k} comes from the environment`);
      }
    }
  });

  it('declares every named volume it uses', function () {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        if (!m.source.startsWith('.') && !m.source.startsWith('/')) assert.ok(declared.includes(m.source), `${name}: volume ${m.source} is declared`);
      }
    }
  });

  it('gives the collector a configuration that otelcol validate accepts', async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    const otelcol = await buildBinary('build-collector.sh');
    const vars = { ...env(svc('collector')), DOMAIN_OTEL_AUDIT_SINK_TOKEN: 'compose-test-token' };
    const res = await run(otelcol, ['validate', '--config', OTELCOL_CONFIG], { env: cleanEnv(vars) });
    assert.equal(res.code, 0, `validate failed with the compose environment:\n${res.stderr}`);
  });

  it('gives Jaeger and Loki configurations and flags that their binaries accept', async function () {
    this.timeout(2 * BUILD_TIMEOUT_MS);
    const jaeger = await buildScript('build-jaeger.sh');
    const j = await run(jaeger, ['validate', '--config', path.join(CONFIG_DIR, 'jaeger.yaml')], { env: cleanEnv(env(svc('jaeger'))), timeoutMs: 30_000 });
    assert.equal(j.code, 0, `jaeger validate failed with the compose environment:\n${j.stderr}`);

    const loki = await buildScript('build-loki.sh');
    // The service's own flags, with the mounted file replaced by the file in the clone.
    const args = svc('loki').command!.map((a) => (a.startsWith('-config.file=') ? `-config.file=${path.join(CONFIG_DIR, 'loki.yaml')}` : a));
    const l = await run(loki, [...args, '-verify-config'], { env: cleanEnv(env(svc('loki'))), timeoutMs: 30_000 });
    assert.equal(l.code, 0, `loki -verify-config failed with the compose flags:\n${l.stderr}`);
  });
});

/** Runs one of scripts/go/build-*.sh (a no-op when the binary is cached) and returns the binary path. */
async function buildScript(script: string): Promise<string> {
  const res = await run('bash', [path.join(ROOT, 'scripts', 'go', script)], { timeoutMs: BUILD_TIMEOUT_MS });
  if (res.code !== 0) throw new Error(`${script} failed (exit ${res.code}):\n${res.stderr.slice(-4000)}`);
  return res.stdout.trim().split('\n').pop()!;
}
