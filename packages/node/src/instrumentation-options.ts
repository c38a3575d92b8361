/**
 * Turns the data a configuration file gave for an instrumentation (config/file/
 * instrumentation-options.ts) into that instrumentation's config: maps become the hooks the
 * adapters take. Called by the factories in instrumentations.ts, when the adapter loads.
 */
import type { CaslInstrumentationConfig } from '@domain-otel/instrumentation-casl';
import type { SequelizeInstrumentationConfig } from '@domain-otel/instrumentation-sequelize';
import type { TypeormInstrumentationConfig } from '@domain-otel/instrumentation-typeorm';
import type { LruCacheInstrumentationConfig } from '@domain-otel/instrumentation-lru-cache';
import type { CacheManagerInstrumentationConfig } from '@domain-otel/instrumentation-cache-manager';
import type { JsonRulesEngineInstrumentationConfig } from '@domain-otel/instrumentation-json-rules-engine';
import type { DistroConfig } from './config/load';

type Options = Record<string, unknown>;

function optionsOf(config: DistroConfig, name: string): Options {
  const { enabled: _enabled, ...rest } = config.instrumentationOptions[name] ?? {};
  return rest;
}

/** `{ Post: 'posts' }` → a hook answering from the map, `undefined` (the default) otherwise. */
function fromMap<T>(map: unknown): ((name: string) => T | undefined) | undefined {
  if (map === undefined) return undefined;
  const table = map as Record<string, T>;
  return (name) => (Object.hasOwn(table, name) ? table[name] : undefined);
}

/** The distribution records `manage all` checks as bypasses unless the file says `bypass: none`. */
export function caslConfig(config: DistroConfig, bypassWhenManageAll: NonNullable<CaslInstrumentationConfig['bypass']>): CaslInstrumentationConfig {
  const { bypass, managerName, entityId, ...rest } = optionsOf(config, 'casl');
  const names = fromMap<string>(managerName);
  const idProperty = entityId as string | undefined;
  return {
    ...(rest as CaslInstrumentationConfig),
    ...(bypass === 'none' ? {} : { bypass: bypassWhenManageAll }),
    ...(names ? { managerName: (subjectType: string) => names(subjectType) ?? subjectType } : {}),
    ...(idProperty !== undefined ? {
      entityId: (subject: object) => {
        const id = (subject as Record<string, unknown>)[idProperty];
        return typeof id === 'string' || typeof id === 'number' ? id : typeof id === 'bigint' ? String(id) : undefined;
      },
    } : {}),
  };
}

export function sequelizeConfig(config: DistroConfig): SequelizeInstrumentationConfig {
  const { managerName, ...rest } = optionsOf(config, 'sequelize');
  const names = fromMap<string | null>(managerName);
  return { ...(rest as SequelizeInstrumentationConfig), ...(names ? { managerName: (model) => names(model.name) } : {}) };
}

export function typeormConfig(config: DistroConfig): TypeormInstrumentationConfig {
  const { managerName, ...rest } = optionsOf(config, 'typeorm');
  const names = fromMap<string | null>(managerName);
  return { ...(rest as TypeormInstrumentationConfig), ...(names ? { managerName: (entity) => names(entity.name) } : {}) };
}

export function lruCacheConfig(config: DistroConfig): LruCacheInstrumentationConfig {
  return optionsOf(config, 'lru-cache') as LruCacheInstrumentationConfig;
}

export function cacheManagerConfig(config: DistroConfig): CacheManagerInstrumentationConfig {
  return optionsOf(config, 'cache-manager') as CacheManagerInstrumentationConfig;
}

export function jsonRulesEngineConfig(config: DistroConfig): JsonRulesEngineInstrumentationConfig {
  const { engineName, ...rest } = optionsOf(config, 'json-rules-engine');
  return { ...(rest as JsonRulesEngineInstrumentationConfig), ...(typeof engineName === 'string' ? { engineName: () => engineName } : {}) };
}

export function domainMaxCacheKeys(config: DistroConfig): { maxCacheKeys?: number } {
  const { maxCacheKeys } = optionsOf(config, 'domain');
  return typeof maxCacheKeys === 'number' ? { maxCacheKeys } : {};
}
