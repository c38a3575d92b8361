// Reading entity ids, column values and criteria off TypeORM metadata, subjects and calls.
import { isDeepStrictEqual } from 'node:util';
import type { FieldChange } from '@domain-otel/api';
import type { ColumnLike, EntityMetadataLike, RelationLike, SubjectLike, Values } from './internal-types';

/** What a raw SQL value (`() => "count + 1"`) is reported as: its text is not a value. */
export const RAW_SQL = '[raw SQL]';

export function isMetadata(value: unknown): value is EntityMetadataLike {
  return typeof value === 'object' && value !== null && Array.isArray((value as EntityMetadataLike).columns)
    && Array.isArray((value as EntityMetadataLike).primaryColumns) && typeof (value as EntityMetadataLike).name === 'string';
}

function scalar(value: unknown): string | number | undefined {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

function read(column: ColumnLike, source: object): unknown {
  try {
    return column.getEntityValue(source);
  } catch {
    return undefined;
  }
}

/**
 * `domain.entity.id` of a row: its primary key value; for composite keys `a=1,b=2` in key
 * order. `undefined` while (part of) the key is unknown, e.g. before an INSERT.
 */
export function entityIdOf(metadata: EntityMetadataLike, source: object | undefined): string | number | undefined {
  if (source === undefined || source === null) return undefined;
  const keys = metadata.primaryColumns;
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return scalar(read(keys[0] as ColumnLike, source));
  const parts: string[] = [];
  for (const key of keys) {
    const part = scalar(read(key, source));
    if (part === undefined) return undefined;
    parts.push(`${key.propertyPath}=${part}`);
  }
  return parts.join(',');
}

/** Columns whose values are reported: not virtual properties, not the automatic dates/version unless asked. */
export function trackedColumns(metadata: EntityMetadataLike, includeTimestamps: boolean): ColumnLike[] {
  return metadata.columns.filter((c) => c.isVirtualProperty !== true
    && (includeTimestamps || (c.isCreateDate !== true && c.isUpdateDate !== true && c.isVersion !== true)));
}

function reportable(value: unknown): unknown {
  return typeof value === 'function' ? RAW_SQL : value;
}

/** A created row: every tracked column that has a value, as `{ new }`. */
export function createdValues(source: object | undefined, columns: readonly ColumnLike[]): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  if (source === undefined || source === null) return changes;
  for (const column of columns) {
    const value = read(column, source);
    if (value !== undefined && value !== null) changes[column.propertyPath] = { new: reportable(value) };
  }
  return changes;
}

/** Values given to a write (partial entity, QueryBuilder `set()`/`values()`): `{ new }`, nulls included. */
export function givenValues(source: unknown, columns: readonly ColumnLike[]): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  if (typeof source !== 'object' || source === null) return changes;
  for (const column of columns) {
    const value = read(column, source);
    if (value !== undefined) changes[column.propertyPath] = { new: reportable(value) };
  }
  return changes;
}

/** Names of the tracked columns given a value in any of `sources`. */
export function givenFields(sources: readonly unknown[], columns: readonly ColumnLike[]): string[] {
  return columns.filter((column) => sources.some((s) => typeof s === 'object' && s !== null && read(column, s) !== undefined))
    .map((column) => column.propertyPath);
}

/** A related entity as its id (scalar, or `a=1,b=2`); ids and nulls as given. */
function relationValue(relation: RelationLike, source: object | undefined): unknown {
  if (source === undefined) return undefined;
  let value: unknown;
  try {
    value = relation.getEntityValue(source);
  } catch {
    return undefined;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && relation.inverseEntityMetadata !== undefined) {
    return entityIdOf(relation.inverseEntityMetadata, value) ?? null;
  }
  return value;
}

/**
 * An updated row: the columns and relations TypeORM found changed (`diffColumns`,
 * `diffRelations`), old from the `databaseEntity` it loaded, new from the saved entity.
 */
export function updatedValues(subject: SubjectLike, columns: readonly ColumnLike[]): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  const tracked = new Set(columns);
  const before = subject.databaseEntity;
  const after = subject.entity;
  // diffColumns is not narrowed again when a subscriber reverts a change: skip equal values.
  const add = (name: string, old: unknown, now: unknown) => {
    if (!isDeepStrictEqual(old, now)) changes[name] = { old, new: now };
  };
  for (const column of subject.diffColumns ?? []) {
    if (!tracked.has(column)) continue;
    add(column.propertyPath, before === undefined ? undefined : read(column, before), after === undefined ? undefined : reportable(read(column, after)));
  }
  for (const relation of subject.diffRelations ?? []) add(relation.propertyPath, relationValue(relation, before), relationValue(relation, after));
  return changes;
}

/** Rows affected, from an UpdateResult / DeleteResult (Postgres and most drivers report it). */
export function affectedCount(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const affected = (result as { affected?: unknown }).affected;
  return typeof affected === 'number' ? affected : undefined;
}

function isFindOperator(value: object): boolean {
  return (value as Record<string, unknown>)['@instanceof'] === Symbol.for('FindOperator');
}

/**
 * A FindOperator's own type and operand. The public `value` getter unwraps nested operators
 * (`Not(IsNull()).value` is IsNull's value), so the stored fields are read first.
 */
function describeOperator(op: object, depth: number): Values {
  const fields = op as { _type?: unknown; _value?: unknown; type?: unknown; value?: unknown };
  const type = '_type' in fields ? fields._type : fields.type;
  const operand = '_value' in fields ? fields._value : fields.value;
  const out: Values = { operator: type };
  if (operand !== undefined) out.value = describeCriteria(operand, depth + 1);
  return out;
}

const MAX_DEPTH = 8;

/**
 * Criteria / where objects as plain structured data: `In([1, 2])` becomes
 * `{ operator: 'in', value: [1, 2] }`, nested as given; Dates and Buffers are kept.
 */
export function describeCriteria(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function') return RAW_SQL;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => describeCriteria(item, depth + 1));
  if (isFindOperator(value)) return describeOperator(value, depth);
  const out: Values = {};
  for (const [key, item] of Object.entries(value)) out[key] = describeCriteria(item, depth + 1);
  return out;
}

/**
 * The one entity a criteria names, if it does: a primitive id, or an object whose keys are
 * exactly the primary columns with plain values (`{ id: 7 }`, `{ orderId: 1, lineNo: 2 }`).
 */
export function singleEntityId(metadata: EntityMetadataLike, criteria: unknown): string | number | undefined {
  if (typeof criteria === 'number' || typeof criteria === 'string' || typeof criteria === 'bigint') {
    return metadata.primaryColumns.length === 1 ? scalar(criteria) : undefined;
  }
  if (typeof criteria !== 'object' || criteria === null || Array.isArray(criteria) || criteria instanceof Date) return undefined;
  const keys = Object.keys(criteria);
  const primary = metadata.primaryColumns.map((c) => c.propertyPath);
  if (keys.length !== primary.length || !primary.every((p) => keys.includes(p))) return undefined;
  if (!keys.every((k) => scalar((criteria as Values)[k]) !== undefined)) return undefined;
  return entityIdOf(metadata, criteria);
}
