// The plans of the writes on many rows: createMany(AndReturn), updateMany(AndReturn),
// deleteMany. They report a count, and entity ids (at most `maxEntityIds`) from the rows a
// write returns or from its before-image.
import type { MutationMeta } from '@domain-otel/api';
import type { Values } from './internal-types';
import { selectOf, withIdSelected } from './id-selection';
import { setChanges } from './write-plan';
import type { PlanContext, Planner } from './write-plan';
import { bulkChanges, fieldsOfRows, givenFields, idOf, isPlainObject, isScalarField, tracked } from './values';

function countOf(result: unknown): number | undefined {
  if (Array.isArray(result)) return result.length;
  const count = isPlainObject(result) ? result.count : undefined;
  return typeof count === 'number' ? count : undefined;
}

/** `domain.count` from what the write returned (a list of rows or `{ count }`). */
function reportCount(meta: MutationMeta, result: unknown): void {
  const count = countOf(result);
  if (count !== undefined) meta.count = count;
}

/** `prisma.entity_ids` from the rows a `…AndReturn` write returned, at most `max`. */
function reportReturnedIds(c: PlanContext, result: unknown): void {
  if (!Array.isArray(result)) return;
  const ids: (string | number)[] = [];
  for (const row of result) {
    if (ids.length >= c.max) break;
    const id = idOf(c.model, row);
    if (id !== undefined) ids.push(id);
  }
  if (ids.length > 0) c.metadata['prisma.entity_ids'] = ids;
}

/**
 * The rows of a bulk before-image, at most `max` (the event flagged when there were more),
 * their ids reported as `prisma.entity_ids` in the same order; undefined when none was read.
 */
function beforeImageRows(c: PlanContext, before: unknown): Values[] | undefined {
  if (!Array.isArray(before)) return undefined;
  let rows = before as Values[];
  if (rows.length > c.max) {
    c.metadata['prisma.before_image_truncated'] = true;
    rows = rows.slice(0, c.max);
  }
  c.metadata['prisma.entity_ids'] = rows.map((row) => idOf(c.model, row) ?? null);
  return rows;
}

export const planCreateMany: Planner = (c) => {
  const { model, args, timestamps } = c;
  const rows: unknown[] = Array.isArray(args.data) ? args.data : args.data === undefined ? [] : [args.data];
  const m = c.meta('create');
  m.count = rows.length;
  const fields = fieldsOfRows(model, rows, timestamps);
  if (fields.length > 0) m.changedFields = fields;
  if (args.skipDuplicates === true) c.metadata['prisma.skip_duplicates'] = true;
  return {
    meta: m, ...(c.operation === 'createManyAndReturn' ? withIdSelected(model, args) : { args, strip: [] }),
    finish: (result) => {
      reportCount(m, result);
      reportReturnedIds(c, result);
    },
  };
};

export const planUpdateMany: Planner = (c) => {
  const { model, args, timestamps } = c;
  const m = c.meta('bulk_update');
  const fields = givenFields(model, args.data, timestamps);
  setChanges(m, bulkChanges(model, args.data, undefined, fields, timestamps));
  return {
    meta: m, ...(c.operation === 'updateManyAndReturn' ? withIdSelected(model, args) : { args, strip: [] }),
    read: c.before?.rows(selectOf(model, fields)),
    finish: (result, before) => {
      reportCount(m, result);
      const rows = beforeImageRows(c, before);
      if (rows !== undefined) setChanges(m, bulkChanges(model, args.data, rows, fields, timestamps));
      else reportReturnedIds(c, result);
    },
  };
};

export const planDeleteMany: Planner = (c) => {
  const { model, args, timestamps } = c;
  const m = c.meta('bulk_delete');
  return {
    meta: m, args, strip: [],
    read: c.before?.rows(),
    finish: (result, before) => {
      reportCount(m, result);
      const rows = beforeImageRows(c, before);
      if (rows === undefined) return;
      const fields = new Set<string>();
      for (const row of rows) for (const f of Object.keys(row)) if (isScalarField(model, f) && tracked(model, f, timestamps)) fields.add(f);
      setChanges(m, bulkChanges(model, undefined, rows, [...fields], timestamps));
    },
  };
};
