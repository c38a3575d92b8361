// The events of write QueryBuilders run directly: one `create` / `bulk_update` / `bulk_delete`
// per execution, with the query text.
import type { MutationMeta } from '@domain-otel/api';
import type { QueryBuilderLike } from './internal-types';
import { countedPlan, planInsert, setChanges } from './plan';
import type { Plan } from './plan';
import { managerFor, trackedOf } from './settings';
import type { TypeormInstrumentationConfig } from './types';
import { givenValues, isMetadata } from './values';

/** The write QueryBuilder classes (by their module name) and the kind of write each runs. */
export const QUERY_BUILDERS = [
  ['InsertQueryBuilder', 'insert'],
  ['UpdateQueryBuilder', 'update'],
  ['DeleteQueryBuilder', 'delete'],
  ['SoftDeleteQueryBuilder', 'softDelete'],
] as const;
export type QueryBuilderKind = (typeof QUERY_BUILDERS)[number][1];

/** The plan of one QueryBuilder execution; undefined when its entity is unknown or not reported. */
export function planQueryBuilder(config: TypeormInstrumentationConfig, qb: QueryBuilderLike, kind: QueryBuilderKind): Plan | undefined {
  const map = qb.expressionMap;
  const metadata = map?.mainAlias?.hasMetadata === true ? map.mainAlias.metadata : undefined;
  if (map === undefined || !isMetadata(metadata)) return undefined;
  const manager = managerFor(config, metadata);
  if (manager === undefined) return undefined;
  const columns = trackedOf(config, metadata);
  const soft = kind === 'softDelete' && map.queryType !== 'restore';
  const method = kind === 'softDelete' ? (soft ? 'QueryBuilder.softDelete' : 'QueryBuilder.restore') : `QueryBuilder.${kind}`;
  const extra: Record<string, unknown> = { 'typeorm.method': method };
  if (kind !== 'insert') {
    try {
      if (typeof qb.getQuery === 'function') extra['typeorm.query'] = qb.getQuery();
    } catch {
      // the query text is informative only
    }
  }
  if (kind === 'insert') return planInsert(config, metadata, manager, columns, map.valuesSet, extra);
  const meta: MutationMeta = { action: kind === 'delete' || soft ? 'bulk_delete' : 'bulk_update', manager, metadata: extra };
  if (soft) extra['typeorm.soft'] = true;
  if (kind === 'update') setChanges(meta, givenValues(map.valuesSet, columns));
  if (kind === 'softDelete' && !soft && metadata.deleteDateColumn !== undefined) meta.changes = { [metadata.deleteDateColumn.propertyPath]: { new: null } };
  return countedPlan(meta);
}
