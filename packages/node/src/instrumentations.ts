import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { DomainInstrumentation } from '@domain-otel/instrumentation-domain';
import type { DomainRecordSink } from '@domain-otel/instrumentation-domain';
import type { DistroConfig } from './config/load';
import { EXPRESS_LAYER_TYPES } from './config/variables';
import type { LazyEntry } from './lazy-instrumentations';
import { addActorFields, incomingRequestHook } from './request-scope';
import {
  cacheManagerConfig, caslConfig, domainMaxCacheKeys, jsonRulesEngineConfig, lruCacheConfig, sequelizeConfig, typeormConfig,
} from './instrumentation-options';

/**
 * Every instrumentation the distribution can enable, by the short name used in
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. Packages are
 * required only when enabled, so a disabled one costs nothing.
 */
export interface FactoryContext {
  /** The AsyncLocalStorage behind the OTel context manager. */
  contextStorage?: AsyncLocalStorage<Context>;
  /** Where the domain mapping's records go when not through the LoggerProvider (DOMAIN_OTEL_RECORD_PATH). */
  records?: DomainRecordSink;
}

type Factory = (config: DistroConfig, context: FactoryContext) => Instrumentation;

const upstream: Record<string, Factory> = {
  http: (config) => {
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    return new HttpInstrumentation({ requestHook: incomingRequestHook(config.correlationHeaders) });
  },
  undici: () => new (require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici')).UndiciInstrumentation(),
  express: (config) => {
    const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
    const ignored = EXPRESS_LAYER_TYPES.filter((t) => !config.expressLayers.includes(t));
    return new ExpressInstrumentation({ ignoreLayersType: ignored as never[] });
  },
  koa: () => new (require('@opentelemetry/instrumentation-koa') as typeof import('@opentelemetry/instrumentation-koa')).KoaInstrumentation(),
  graphql: () => new (require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql')).GraphQLInstrumentation(),
  pg: (config) => new (require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg')).PgInstrumentation({ ignoreConnectSpans: !config.pgConnectSpans }),
  mysql2: () => new (require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2')).MySQL2Instrumentation(),
  mongodb: () => new (require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb')).MongoDBInstrumentation(),
  ioredis: () => new (require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis')).IORedisInstrumentation(),
  redis: () => new (require('@opentelemetry/instrumentation-redis') as typeof import('@opentelemetry/instrumentation-redis')).RedisInstrumentation(),
  knex: () => new (require('@opentelemetry/instrumentation-knex') as typeof import('@opentelemetry/instrumentation-knex')).KnexInstrumentation(),
  pino: () => new (require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino')).PinoInstrumentation({ logHook: addActorFields }),
  winston: () => new (require('@opentelemetry/instrumentation-winston') as typeof import('@opentelemetry/instrumentation-winston')).WinstonInstrumentation({ logHook: addActorFields }),
  bunyan: () => new (require('@opentelemetry/instrumentation-bunyan') as typeof import('@opentelemetry/instrumentation-bunyan')).BunyanInstrumentation(),
};

/** Our own: the domain mapping (on by default) and, as they land, the library adapters. */
const ours: Record<string, Factory> = {
  domain: (config, context) => new DomainInstrumentation({
    auditLevel: config.auditLevel,
    redact: config.redact,
    maxValueBytes: config.maxValueBytes,
    capture: config.capture,
    contextStorage: context.contextStorage,
    authzSpans: config.authzSpans,
    recordSink: context.records,
    ...domainMaxCacheKeys(config),
  }),
  // A `manage all` rule is the superuser: its checks are recorded as bypassed, not granted
  // (unless a configuration file says `bypass: none`).
  casl: (config) => {
    const casl = require('@domain-otel/instrumentation-casl') as typeof import('@domain-otel/instrumentation-casl');
    return new casl.CaslInstrumentation(caslConfig(config, casl.bypassWhenManageAll));
  },
  'json-rules-engine': (config) => new (require('@domain-otel/instrumentation-json-rules-engine') as typeof import('@domain-otel/instrumentation-json-rules-engine')).JsonRulesEngineInstrumentation(jsonRulesEngineConfig(config)),
  'lru-cache': (config) => new (require('@domain-otel/instrumentation-lru-cache') as typeof import('@domain-otel/instrumentation-lru-cache')).LruCacheInstrumentation(lruCacheConfig(config)),
  sequelize: (config) => new (require('@domain-otel/instrumentation-sequelize') as typeof import('@domain-otel/instrumentation-sequelize')).SequelizeInstrumentation(sequelizeConfig(config)),
  'cache-manager': (config) => new (require('@domain-otel/instrumentation-cache-manager') as typeof import('@domain-otel/instrumentation-cache-manager')).CacheManagerInstrumentation(cacheManagerConfig(config)),
  typeorm: (config) => new (require('@domain-otel/instrumentation-typeorm') as typeof import('@domain-otel/instrumentation-typeorm')).TypeormInstrumentation(typeormConfig(config)),
};

export function knownInstrumentationNames(): string[] {
  return [...Object.keys(upstream), ...Object.keys(ours)];
}

export function selectInstrumentationNames(config: DistroConfig, warn: (line: string) => void): string[] {
  const known = knownInstrumentationNames();
  const check = (variable: string, names: readonly string[]) => {
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      warn(`ignoring unknown name(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')} in ${variable}: expected names from ${known.join(', ')}`);
    }
    return names.filter((n) => known.includes(n));
  };
  const enabled = config.enabledInstrumentations === undefined
    ? known
    : check('OTEL_NODE_ENABLED_INSTRUMENTATIONS', config.enabledInstrumentations);
  const disabled = check('OTEL_NODE_DISABLED_INSTRUMENTATIONS', config.disabledInstrumentations);
  const offInFile = (n: string) => config.instrumentationOptions[n]?.enabled === false;
  return enabled.filter((n) => !disabled.includes(n) && !offInFile(n));
}

/**
 * The modules each instrumentation patches (its module definitions' names; a test keeps this
 * in step with the packages). Named here, instrumentations are loaded on the first require of
 * one of them; the others (http: nearly every app loads it; undici: global fetch has no
 * module; domain: no module) are created at start.
 */
export const LAZY_TRIGGERS: Readonly<Record<string, readonly string[]>> = {
  express: ['express'],
  koa: ['koa'],
  graphql: ['graphql'],
  pg: ['pg', 'pg-pool'],
  mysql2: ['mysql2'],
  mongodb: ['mongodb'],
  ioredis: ['ioredis'],
  redis: ['redis', '@redis/client', '@node-redis/client'],
  knex: ['knex'],
  pino: ['pino'],
  winston: ['winston'],
  bunyan: ['bunyan'],
  casl: ['@casl/ability'],
  'json-rules-engine': ['json-rules-engine'],
  'lru-cache': ['lru-cache'],
  sequelize: ['sequelize'],
  'cache-manager': ['cache-manager'],
  typeorm: ['typeorm'],
};

export interface CreatedInstrumentations {
  /** Created now. */
  eager: Instrumentation[];
  /** To create on the first require of one of their modules (empty unless `lazy`). */
  deferred: LazyEntry[];
}

export function createInstrumentations(
  names: readonly string[],
  config: DistroConfig,
  context: FactoryContext,
  onError: (name: string, err: unknown) => void,
  lazy = false,
): CreatedInstrumentations {
  const out: CreatedInstrumentations = { eager: [], deferred: [] };
  for (const name of names) {
    const factory = upstream[name] ?? ours[name];
    if (factory === undefined) continue;
    const triggers = LAZY_TRIGGERS[name];
    if (lazy && triggers !== undefined) {
      out.deferred.push({ name, triggers, create: () => factory(config, context) });
      continue;
    }
    try {
      out.eager.push(factory(config, context));
    } catch (err) {
      onError(name, err);
    }
  }
  return out;
}
