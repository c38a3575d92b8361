// Making a write's result name its entity: the primary key is added to a `select` (or taken
// out of an `omit`) that would leave it out, and removed from the result again afterwards.
import type { Values } from './internal-types';
import type { ModelInfo } from './schema';
import { isPlainObject, isScalarField } from './values';

/** Adds the primary key to a `select` / removes it from an `omit` so the result names the entity. */
export function withIdSelected(model: ModelInfo, args: Values): { args: Values; strip: string[] } {
  if (isPlainObject(args.select)) {
    const select = args.select;
    const missing = model.idFields.filter((f) => select[f] !== true);
    if (missing.length === 0) return { args, strip: [] };
    const next: Values = { ...select };
    for (const f of missing) next[f] = true;
    return { args: { ...args, select: next }, strip: missing };
  }
  if (isPlainObject(args.omit)) {
    const omit = args.omit;
    const omitted = model.idFields.filter((f) => omit[f] === true);
    if (omitted.length === 0) return { args, strip: [] };
    const next: Values = { ...omit };
    for (const f of omitted) next[f] = false;
    return { args: { ...args, omit: next }, strip: omitted };
  }
  return { args, strip: [] };
}

/** Removes the fields `withIdSelected` added from a result (one row or a list). */
export function stripFields(result: unknown, fields: readonly string[]): void {
  if (fields.length === 0) return;
  const rows = Array.isArray(result) ? result : [result];
  for (const row of rows) if (isPlainObject(row)) for (const f of fields) delete row[f];
}

/** A before-image `select`: the primary key and the given scalar fields. */
export function selectOf(model: ModelInfo, fields: Iterable<string>): Values {
  const select: Values = {};
  for (const f of model.idFields) select[f] = true;
  for (const f of fields) if (isScalarField(model, f)) select[f] = true;
  return select;
}
