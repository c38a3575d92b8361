// Instrumentations of libraries load with the library under --require: an app that never
// requires `pg` never loads @opentelemetry/instrumentation-pg, and one that does gets it patched.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LAZY_TRIGGERS, knownInstrumentationNames } from '../src/instrumentations';
import { LazyInstrumentations, requestMatches } from '../src/lazy-instrumentations';
import { childEnv, runApp } from './helpers';

const REGISTER = ['--require', '@domain-otel/node/register'];
const env = (extra: Record<string, string> = {}) => childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'warn', ...extra });
const loaded = "const loaded = () => Object.keys(require.cache).filter((f) => /instrumentation-(pg|express|sequelize|typeorm|mongodb)\\//.test(f)).map((f) => f.match(/instrumentation-[a-z]+/)[0]).filter((v, i, a) => a.indexOf(v) === i).sort();";
const pgWrapped = "const pg = require('pg'); const wrapped = pg.Client.prototype.query.__wrapped === true;";

describe('@domain-otel/node: lazily loaded instrumentations', function () {
  this.timeout(60_000);

  it('--require: nothing of an instrumentation is loaded until its library is; then the library is patched', async () => {
    const script = `${loaded} const before = loaded(); ${pgWrapped} console.log('RESULT ' + JSON.stringify({ before, after: loaded(), wrapped }));`;
    const result = await runApp([...REGISTER, '-e', script], env());
    assert.equal(result.code, 0, result.stderr);
    const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.deepEqual(JSON.parse(line!.slice(7)), { before: [], after: ['instrumentation-pg'], wrapped: true });
  });

  it('--require: patched even when it is the first instrumentation to hook require (nothing else enabled)', async () => {
    // express is patched on its main module only (pg also patches files loaded after it), so
    // this fails if the module being loaded skips the require hook installed during its load.
    const script = "const e = require('express'); console.log('WRAPPED ' + (e.Router.prototype.route.__wrapped === true));";
    const result = await runApp([...REGISTER, '-e', script], env({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'express' }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^WRAPPED true$/m);
  });

  it('--require: a library inside another (sequelize loading pg) triggers both', async () => {
    const script = `${loaded} require('sequelize'); ${pgWrapped} console.log('RESULT ' + JSON.stringify({ after: loaded(), wrapped }));`;
    const result = await runApp([...REGISTER, '-e', script], env());
    assert.equal(result.code, 0, result.stderr);
    const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.deepEqual(JSON.parse(line!.slice(7)), { after: ['instrumentation-pg', 'instrumentation-sequelize'], wrapped: true });
  });

  it('--require: a disabled instrumentation stays unloaded when its library is required', async () => {
    const script = `${loaded} ${pgWrapped} console.log('RESULT ' + JSON.stringify({ after: loaded(), wrapped }));`;
    const result = await runApp([...REGISTER, '-e', script], env({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /RESULT \{"after":\[\],"wrapped":false\}/);
  });

  it('each trigger list is exactly the module names the instrumentation patches', () => {
    for (const name of Object.keys(LAZY_TRIGGERS)) {
      assert.ok(knownInstrumentationNames().includes(name), name);
    }
    const upstream: Record<string, [string, string]> = {
      express: ['@opentelemetry/instrumentation-express', 'ExpressInstrumentation'], koa: ['@opentelemetry/instrumentation-koa', 'KoaInstrumentation'],
      graphql: ['@opentelemetry/instrumentation-graphql', 'GraphQLInstrumentation'], pg: ['@opentelemetry/instrumentation-pg', 'PgInstrumentation'],
      mysql2: ['@opentelemetry/instrumentation-mysql2', 'MySQL2Instrumentation'], mongodb: ['@opentelemetry/instrumentation-mongodb', 'MongoDBInstrumentation'],
      ioredis: ['@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation'], redis: ['@opentelemetry/instrumentation-redis', 'RedisInstrumentation'],
      knex: ['@opentelemetry/instrumentation-knex', 'KnexInstrumentation'], pino: ['@opentelemetry/instrumentation-pino', 'PinoInstrumentation'],
      winston: ['@opentelemetry/instrumentation-winston', 'WinstonInstrumentation'], bunyan: ['@opentelemetry/instrumentation-bunyan', 'BunyanInstrumentation'],
      casl: ['@domain-otel/instrumentation-casl', 'CaslInstrumentation'], 'json-rules-engine': ['@domain-otel/instrumentation-json-rules-engine', 'JsonRulesEngineInstrumentation'],
      'lru-cache': ['@domain-otel/instrumentation-lru-cache', 'LruCacheInstrumentation'], sequelize: ['@domain-otel/instrumentation-sequelize', 'SequelizeInstrumentation'],
      'cache-manager': ['@domain-otel/instrumentation-cache-manager', 'CacheManagerInstrumentation'], typeorm: ['@domain-otel/instrumentation-typeorm', 'TypeormInstrumentation'],
    };
    assert.deepEqual(Object.keys(upstream).sort(), Object.keys(LAZY_TRIGGERS).sort());
    for (const [name, [pkg, cls]] of Object.entries(upstream)) {
      const Ctor = require(pkg)[cls] as new (c: object) => { getModuleDefinitions(): { name: string }[] };
      const names = [...new Set(new Ctor({ enabled: false }).getModuleDefinitions().map((d) => d.name))].sort();
      assert.deepEqual([...LAZY_TRIGGERS[name]!].sort(), names, name);
    }
  });

  it('matches a module and the files inside it, not modules that merely start with its name', () => {
    assert.ok(requestMatches('pg', 'pg'));
    assert.ok(requestMatches('pg/lib/client', 'pg'));
    assert.ok(requestMatches('@casl/ability/dist/es6c/index.js', '@casl/ability'));
    assert.ok(!requestMatches('pg-pool', 'pg'));
    assert.ok(!requestMatches('pgx', 'pg'));
    assert.ok(!requestMatches('./pg', 'pg'));
  });

  it('an instrumentation that throws while loading is reported and the app still gets its module', () => {
    // A module file this process has never loaded (a cached one may never reach Module._load).
    const dir = mkdtempSync(path.join(tmpdir(), 'domain-otel-lazy-'));
    const file = path.join(dir, 'probe.cjs');
    writeFileSync(file, 'module.exports = { answer: 42 };\n');
    const errors: string[] = [];
    const lazy = new LazyInstrumentations(
      [{ name: 'broken', triggers: [file], create: () => { throw new Error('boom'); } }],
      () => assert.fail('nothing to register'),
      (name, err) => errors.push(`${name}: ${(err as Error).message}`),
    );
    lazy.install();
    try {
      assert.deepEqual(require(file), { answer: 42 });
      assert.deepEqual(errors, ['broken: boom']);
      assert.deepEqual(lazy.waiting, []);
    } finally {
      lazy.uninstall();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
