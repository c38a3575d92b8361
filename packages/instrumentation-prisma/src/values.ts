// Turning Prisma arguments and results into entity ids, changes and structured filters.
import { isDeepStrictEqual } from 'node:util';
import type { FieldChange } from '@domain-otel/api';
import type { Values } from './internal-types';
import type { ModelInfo } from './schema';

const MAX_DEPTH = 8;

/** Operations on a scalar field inside `data` (`{ increment: 1 }`, `{ set: 'x' }`, `{ push: 'tag' }`). */
const SCALAR_OPERATIONS = new Set(['set', 'increment', 'decrement', 'multiply', 'divide', 'push', 'unset']);

export function isPlainObject(value: unknown): value is Values {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Prisma.Decimal (decimal.js): reported as its exact string. */
function isDecimal(value: object): boolean {
  const v = value as { d?: unknown; e?: unknown; s?: unknown; toFixed?: unknown };
  return Array.isArray(v.d) && typeof v.e === 'number' && typeof v.s === 'number' && typeof v.toFixed === 'function';
}

/** Prisma.DbNull / JsonNull / AnyNull: reported by name. */
function objectEnumName(value: object): string | undefined {
  const v = value as { _getName?: unknown; _getNamespace?: unknown };
  if (typeof v._getName === 'function' && typeof v._getNamespace === 'function') {
    try {
      return String((v._getName as () => unknown).call(value));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A value, filter or argument as plain structured data: Decimals as strings, Prisma's null
 * markers by name (`DbNull`), Dates and bytes kept, objects and arrays copied (depth-capped).
 */
export function describe(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'symbol') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || value instanceof Uint8Array) return value;
  if (isDecimal(value)) return String(value);
  const name = objectEnumName(value);
  if (name !== undefined) return name;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => describe(item, depth + 1));
  const out: Values = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) out[key] = describe(item, depth + 1);
  }
  return out;
}

function scalarId(value: unknown): string | number | undefined {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null && isDecimal(value)) return String(value);
  return undefined;
}

/** `domain.entity.id` of a record: its primary key; `a=1,b=2` for composite keys. */
export function idOf(model: ModelInfo, record: unknown): string | number | undefined {
  if (!isPlainObject(record) || model.idFields.length === 0) return undefined;
  if (model.idFields.length === 1) return scalarId(record[model.idFields[0] as string]);
  const parts: string[] = [];
  for (const field of model.idFields) {
    const part = scalarId(record[field]);
    if (part === undefined) return undefined;
    parts.push(`${field}=${part}`);
  }
  return parts.join(',');
}

/**
 * The entity a unique `where` names by its primary key: `{ id: 7 }`, `{ id: { equals: 7 } }`
 * or the compound form `{ orderId_lineNo: { orderId: 1, lineNo: 2 } }`. Other unique
 * fields (`{ email }`) name no id: the write's result tells it.
 */
export function idFromWhere(model: ModelInfo, where: unknown): string | number | undefined {
  if (!isPlainObject(where) || model.idFields.length === 0) return undefined;
  const plain = (v: unknown) => (isPlainObject(v) && Object.keys(v).length === 1 && 'equals' in v ? v.equals : v);
  if (model.idFields.length > 1) {
    const compound = where[model.idFields.join('_')];
    if (isPlainObject(compound)) return idOf(model, compound);
  }
  const record: Values = {};
  for (const field of model.idFields) record[field] = plain(where[field]);
  return idOf(model, record);
}

export function tracked(model: ModelInfo, field: string, includeTimestamps: boolean): boolean {
  return includeTimestamps || !model.timestamps.has(field);
}

export function isScalarField(model: ModelInfo, field: string): boolean {
  return model.known ? model.scalars.has(field) : true;
}

/** A scalar field's value in `data`: `{ set: v }` is `v`; other operations stay as given (`{ increment: 1 }`). */
export function givenValue(model: ModelInfo, field: string, value: unknown): unknown {
  if (!model.json.has(field) && isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'set') return describe(value.set);
  }
  return describe(value);
}

/** Whether a scalar's `data` value is an operation whose outcome only the database knows. */
export function isOperation(model: ModelInfo, field: string, value: unknown): boolean {
  if (model.json.has(field) || !isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] !== 'set' && SCALAR_OPERATIONS.has(keys[0] as string);
}

/** Scalar fields given a value in `data` (undefined values are not writes). */
export function givenFields(model: ModelInfo, data: unknown, includeTimestamps: boolean): string[] {
  if (!isPlainObject(data)) return [];
  return Object.keys(data).filter((f) => data[f] !== undefined && isScalarField(model, f) && tracked(model, f, includeTimestamps));
}

/** Relation fields of `data` and the nested-write operations on each (`{ posts: ['create'] }`). */
export function nestedWrites(model: ModelInfo, data: unknown): Record<string, string[]> | undefined {
  if (!isPlainObject(data) || !model.known) return undefined;
  const out: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(data)) {
    if (value !== undefined && model.relations.has(field)) out[field] = isPlainObject(value) ? Object.keys(value) : [];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Union of the scalar fields given in several `data` rows, in first-seen order. */
export function fieldsOfRows(model: ModelInfo, rows: readonly unknown[], includeTimestamps: boolean): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const field of givenFields(model, row, includeTimestamps)) seen.add(field);
  return [...seen];
}

/** A created record: every tracked scalar with a value, `{ new }` (the given `data` when there is no record). */
export function createdChanges(model: ModelInfo, data: unknown, record: unknown, includeTimestamps: boolean): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  if (isPlainObject(data)) {
    for (const field of givenFields(model, data, includeTimestamps)) changes[field] = { new: givenValue(model, field, data[field]) };
  }
  if (isPlainObject(record)) {
    for (const [field, value] of Object.entries(record)) {
      if (!isScalarField(model, field) || !tracked(model, field, includeTimestamps)) continue;
      if (value === null || value === undefined) {
        if (!(field in changes)) continue;
      }
      changes[field] = { new: describe(value) };
    }
  }
  return changes;
}

/**
 * An update's changes: each scalar in `data`, new from the returned record when it has the
 * field (operations like `{ increment: 1 }` resolved), else as given; old from the
 * before-image when there is one, fields whose value did not change left out.
 */
export function updatedChanges(
  model: ModelInfo, data: unknown, record: unknown, before: Values | null | undefined, includeTimestamps: boolean,
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  if (!isPlainObject(data)) return changes;
  for (const field of givenFields(model, data, includeTimestamps)) {
    const now = isPlainObject(record) && field in record ? describe(record[field]) : givenValue(model, field, data[field]);
    if (isPlainObject(before) && field in before) {
      const old = describe(before[field]);
      if (isDeepStrictEqual(old, now) && !isOperation(model, field, now)) continue;
      changes[field] = { old, new: now };
    } else {
      changes[field] = { new: now };
    }
  }
  return changes;
}

/** A deleted record's values from its before-image: `{ old }` for each tracked scalar. */
export function deletedChanges(model: ModelInfo, before: unknown, includeTimestamps: boolean): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  if (!isPlainObject(before)) return changes;
  for (const [field, value] of Object.entries(before)) {
    if (isScalarField(model, field) && tracked(model, field, includeTimestamps)) changes[field] = { old: describe(value) };
  }
  return changes;
}

/**
 * A bulk write's changes with a before-image of several rows: `old` is the list of the rows'
 * values, in the order of `prisma.entity_ids`; `new` as given (bulk updates return no record
 * per field, except updateManyAndReturn, whose rows are listed the same way).
 */
export function bulkChanges(
  model: ModelInfo, data: unknown, befores: readonly Values[] | undefined, fields: readonly string[], includeTimestamps: boolean,
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    const change: FieldChange = {};
    if (befores !== undefined) change.old = befores.map((row) => describe(row[field]));
    if (isPlainObject(data) && data[field] !== undefined) change.new = givenValue(model, field, data[field]);
    if (tracked(model, field, includeTimestamps)) changes[field] = change;
  }
  return changes;
}
