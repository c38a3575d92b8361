// What the configuration says about an entity: whether and under which manager name its
// mutations are reported, which columns carry values, how many ids an event lists.
import type { ColumnLike, EntityMetadataLike } from './internal-types';
import type { TypeormInstrumentationConfig } from './types';
import { trackedColumns } from './values';

const DEFAULT_MAX_ENTITY_IDS = 100;

/** `domain.manager.name` of an entity's mutations; undefined when the entity is not reported. */
export function managerFor(config: TypeormInstrumentationConfig, metadata: EntityMetadataLike): string | undefined {
  if (config.ignoreEntities?.includes(metadata.name) === true) return undefined;
  const custom = config.managerName?.({ name: metadata.name, tableName: metadata.tableName, target: metadata.target });
  if (custom === null) return undefined;
  if (typeof custom === 'string' && custom !== '') return custom;
  return metadata.name;
}

/** The columns whose values are reported. */
export function trackedOf(config: TypeormInstrumentationConfig, metadata: EntityMetadataLike): ColumnLike[] {
  return trackedColumns(metadata, config.includeTimestamps === true);
}

/** Most ids listed in `typeorm.entity_ids`. */
export function maxEntityIds(config: TypeormInstrumentationConfig): number {
  const max = config.maxEntityIds;
  return typeof max === 'number' && max >= 0 ? max : DEFAULT_MAX_ENTITY_IDS;
}
