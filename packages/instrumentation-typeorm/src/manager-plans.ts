// The events of the QueryBuilder-based EntityManager calls (`insert`, `update`, `delete`,
// `softDelete`, `restore`, `upsert`, `increment`, …): no before-image, one event per call, for
// one entity when the criteria is its id, else `bulk_*` with the criteria and the count.
import type { MutationAction, MutationMeta } from '@domain-otel/api';
import type { EntityManagerLike, InsertResultLike } from './internal-types';
import { countedPlan, planInsert, setChanges, setEntityId } from './plan';
import type { Plan } from './plan';
import { managerFor, trackedOf } from './settings';
import type { TypeormInstrumentationConfig } from './types';
import { describeCriteria, entityIdOf, givenFields, givenValues, isMetadata, singleEntityId } from './values';

export const MANAGER_METHODS = [
  'insert', 'update', 'updateAll', 'delete', 'deleteAll', 'softDelete', 'restore', 'upsert', 'increment', 'decrement', 'clear',
] as const;
export type ManagerMethod = (typeof MANAGER_METHODS)[number];

/** The plan of one EntityManager call; undefined when its entity is not reported. */
export function planManagerCall(config: TypeormInstrumentationConfig, manager: EntityManagerLike, method: ManagerMethod, args: unknown[]): Plan | undefined {
  const metadata = manager.connection?.getMetadata(args[0]);
  if (!isMetadata(metadata)) return undefined;
  const name = managerFor(config, metadata);
  if (name === undefined) return undefined;
  const columns = trackedOf(config, metadata);
  const metadataOf = (extra: Record<string, unknown> = {}) => ({ 'typeorm.method': method, ...extra });
  /** One entity when the criteria names exactly one, else a bulk call with the criteria. */
  const byCriteria = (criteria: unknown, single: MutationAction, bulk: MutationAction, extra: Record<string, unknown> = {}): MutationMeta => {
    const id = singleEntityId(metadata, criteria);
    if (id !== undefined) return { action: single, manager: name, entityId: id, metadata: metadataOf(extra) };
    return { action: bulk, manager: name, metadata: metadataOf({ 'typeorm.where': describeCriteria(criteria), ...extra }) };
  };

  switch (method) {
    case 'insert':
      return planInsert(config, metadata, name, columns, args[1], metadataOf());
    case 'upsert': {
      const values = args[1];
      const conflict = args[2];
      const paths = Array.isArray(conflict) ? conflict : (conflict as { conflictPaths?: unknown } | undefined)?.conflictPaths;
      const extra = metadataOf(paths === undefined ? {} : { 'typeorm.conflict_paths': Array.isArray(paths) ? [...paths] : Object.keys(paths as object) });
      const rows = Array.isArray(values) ? values : [values];
      if (rows.length !== 1) {
        return { meta: { action: 'bulk_update', manager: name, count: rows.length, changedFields: givenFields(rows, columns), metadata: extra } };
      }
      const meta: MutationMeta = { action: 'update', manager: name, metadata: extra };
      setEntityId(meta, entityIdOf(metadata, rows[0] as object));
      setChanges(meta, givenValues(rows[0], columns));
      return { meta, finish: (result) => setEntityId(meta, entityIdOf(metadata, (result as InsertResultLike)?.identifiers?.[0])) };
    }
    case 'update': {
      const meta = byCriteria(args[1], 'update', 'bulk_update');
      setChanges(meta, givenValues(args[2], columns));
      return countedPlan(meta);
    }
    case 'updateAll': {
      const meta: MutationMeta = { action: 'bulk_update', manager: name, metadata: metadataOf() };
      setChanges(meta, givenValues(args[1], columns));
      return countedPlan(meta);
    }
    case 'delete':
      return countedPlan(byCriteria(args[1], 'delete', 'bulk_delete'));
    case 'deleteAll':
      return countedPlan({ action: 'bulk_delete', manager: name, metadata: metadataOf() });
    case 'softDelete': {
      const id = singleEntityId(metadata, args[1]);
      return countedPlan(byCriteria(args[1], 'deactivate', 'bulk_delete', id === undefined ? { 'typeorm.soft': true } : {}));
    }
    case 'restore': {
      const meta = byCriteria(args[1], 'update', 'bulk_update');
      const column = metadata.deleteDateColumn;
      if (column !== undefined) meta.changes = { [column.propertyPath]: { new: null } };
      return countedPlan(meta);
    }
    case 'increment':
    case 'decrement': {
      const property = typeof args[2] === 'string' ? args[2] : String(args[2]);
      const amount = Number(args[3]);
      const meta = byCriteria(args[1], 'update', 'bulk_update', { 'typeorm.increment': { [property]: method === 'decrement' ? -amount : amount } });
      meta.changedFields = [property];
      return countedPlan(meta);
    }
    case 'clear':
      return { meta: { action: 'bulk_delete', manager: name, metadata: metadataOf({ 'typeorm.truncate': true }) } };
    default:
      return undefined;
  }
}
