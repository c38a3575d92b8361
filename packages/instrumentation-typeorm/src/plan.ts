// A traced operation about to start: its meta, and what to fill in once it succeeded. The
// plans shared by several kinds of call live here too (inserts, counted bulk writes).
import type { FieldChange, MutationMeta } from '@domain-otel/api';
import type { ColumnLike, EntityMetadataLike, InsertResultLike } from './internal-types';
import { maxEntityIds } from './settings';
import type { TypeormInstrumentationConfig } from './types';
import { affectedCount, createdValues, entityIdOf, givenFields } from './values';

export interface Plan {
  meta: MutationMeta;
  finish?: (result: unknown) => void;
}

export function setChanges(meta: MutationMeta, changes: Record<string, FieldChange>): void {
  if (Object.keys(changes).length > 0) meta.changes = changes;
  else delete meta.changes;
}

export function setEntityId(meta: MutationMeta, id: string | number | undefined): void {
  if (id !== undefined) meta.entityId = id;
}

/** A write whose result says how many rows it affected: `domain.count` from it. */
export function countedPlan(meta: MutationMeta): Plan {
  return {
    meta,
    finish: (result) => {
      const count = affectedCount(result);
      if (count !== undefined) meta.count = count;
    },
  };
}

/** `insert()` and QueryBuilder inserts: one row → `create` with its values; several → `create` with a count. */
export function planInsert(
  config: TypeormInstrumentationConfig, metadata: EntityMetadataLike, manager: string, columns: ColumnLike[], values: unknown, meta: Record<string, unknown>,
): Plan {
  const rows = Array.isArray(values) ? values : [values];
  if (rows.length === 1) {
    const row = rows[0];
    const m: MutationMeta = { action: 'create', manager, metadata: meta };
    setEntityId(m, typeof row === 'object' && row !== null ? entityIdOf(metadata, row) : undefined);
    setChanges(m, createdValues(row as object, columns));
    return {
      meta: m,
      finish: (result) => {
        const r = result as InsertResultLike | undefined;
        setEntityId(m, entityIdOf(metadata, r?.identifiers?.[0]));
        // Generated columns (id, defaults) come back in generatedMaps.
        const generated = r?.generatedMaps?.[0];
        if (typeof row === 'object' && row !== null) setChanges(m, createdValues({ ...row, ...(generated ?? {}) }, columns));
      },
    };
  }
  const m: MutationMeta = { action: 'create', manager, count: rows.length, changedFields: givenFields(rows, columns), metadata: meta };
  return {
    meta: m,
    finish: (result) => {
      const ids: (string | number)[] = [];
      for (const identifier of (result as InsertResultLike | undefined)?.identifiers ?? []) {
        const id = entityIdOf(metadata, identifier);
        if (id !== undefined) ids.push(id);
      }
      if (ids.length > 0) meta['typeorm.entity_ids'] = ids.slice(0, maxEntityIds(config));
    },
  };
}
