// Reading entity ids, attribute values and `where` filters off Sequelize models and instances.
import { isDeepStrictEqual } from 'node:util';
import type { FieldChange } from '@domain-otel/api';
import type { ModelInstance, ModelStatic, Values } from './internal-types';

export function isModel(value: unknown): value is ModelStatic {
  return typeof value === 'function' && typeof (value as Partial<ModelStatic>).rawAttributes === 'object' && (value as Partial<ModelStatic>).rawAttributes !== null;
}

export function isInstance(value: unknown): value is ModelInstance {
  return typeof value === 'object' && value !== null && typeof (value as { dataValues?: unknown }).dataValues === 'object'
    && isModel((value as { constructor?: unknown }).constructor);
}

/** The object without its undefined members: an event names only what is known. */
export function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/** The attribute a paranoid model marks deleted rows with; undefined for other models. */
export function deletedAtOf(model: ModelStatic): string | undefined {
  const deletedAt = model._timestampAttributes?.deletedAt;
  return typeof deletedAt === 'string' ? deletedAt : undefined;
}

function primaryKeys(model: ModelStatic): readonly string[] {
  if (Array.isArray(model.primaryKeyAttributes)) return model.primaryKeyAttributes;
  return typeof model.primaryKeyAttribute === 'string' ? [model.primaryKeyAttribute] : [];
}

function scalar(value: unknown): string | number | undefined {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

/**
 * `domain.entity.id` of a row: its primary key value; for composite keys `a=1,b=2` in
 * key order. `undefined` while (part of) the key is unknown, e.g. before an INSERT.
 */
export function entityIdOf(model: ModelStatic, values: Values): string | number | undefined {
  const keys = primaryKeys(model);
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return scalar(values[keys[0] as string]);
  const parts: string[] = [];
  for (const key of keys) {
    const part = scalar(values[key]);
    if (part === undefined) return undefined;
    parts.push(`${key}=${part}`);
  }
  return parts.join(',');
}

interface TrackedEntry { rawAttributes: object; virtual: object | undefined; includeTimestamps: boolean; tracked: Set<string> }
const trackedCache = new WeakMap<ModelStatic, TrackedEntry>();

/**
 * trackedAttributes() per model, read on every save: computed again when the option changes or
 * the model's attributes may have (Sequelize replaces `rawAttributes` on init and builds a new
 * `_virtualAttributes` set on every refreshAttributes(), which removeAttribute() also runs).
 */
export function cachedTrackedAttributes(model: ModelStatic, includeTimestamps: boolean): Set<string> {
  const hit = trackedCache.get(model);
  if (hit !== undefined && hit.rawAttributes === model.rawAttributes && hit.virtual === model._virtualAttributes && hit.includeTimestamps === includeTimestamps) return hit.tracked;
  const tracked = trackedAttributes(model, includeTimestamps);
  trackedCache.set(model, { rawAttributes: model.rawAttributes, virtual: model._virtualAttributes, includeTimestamps, tracked });
  return tracked;
}

/** Attributes whose values are reported: stored (not VIRTUAL), and not the automatic timestamps unless asked. */
export function trackedAttributes(model: ModelStatic, includeTimestamps: boolean): Set<string> {
  const virtual = model._virtualAttributes;
  const skip = new Set<string>();
  if (!includeTimestamps) {
    const ts = model._timestampAttributes ?? {};
    if (typeof ts.createdAt === 'string') skip.add(ts.createdAt);
    if (typeof ts.updatedAt === 'string') skip.add(ts.updatedAt);
    if (typeof model._versionAttribute === 'string') skip.add(model._versionAttribute);
  }
  const out = new Set<string>();
  for (const name of Object.keys(model.rawAttributes)) {
    if (virtual?.has(name) === true || skip.has(name)) continue;
    out.add(name);
  }
  return out;
}

/** A created row: every tracked attribute that has a value, as `{ new }`. */
export function createdValues(values: Values, tracked: ReadonlySet<string>): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const name of tracked) {
    const value = values[name];
    if (value !== undefined && value !== null) changes[name] = { new: value };
  }
  return changes;
}

/** Values written by a bulk statement (old values unknown), as `{ new }`. */
export function writtenValues(values: unknown, tracked: ReadonlySet<string>, fields?: readonly string[]): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  if (typeof values !== 'object' || values === null) return changes;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || !tracked.has(name)) continue;
    if (Array.isArray(fields) && !fields.includes(name)) continue;
    changes[name] = { new: value };
  }
  return changes;
}

/** Tracked attributes whose value differs between two snapshots, as `{ old, new }`. */
export function diffValues(before: Values, after: Values, tracked: ReadonlySet<string>): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const name of tracked) {
    if (!(name in after)) continue;
    if (!isDeepStrictEqual(before[name], after[name])) changes[name] = { old: before[name], new: after[name] };
  }
  return changes;
}

/**
 * What an update of this instance is about to write: its `changed()` tracked attributes
 * (limited to `fields` when given), old from `previous()`, new from the current values.
 */
export function pendingChanges(instance: ModelInstance, tracked: ReadonlySet<string>, fields?: readonly string[]): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  const changed = instance.changed();
  if (!Array.isArray(changed)) return changes;
  for (const name of changed) {
    if (!tracked.has(name)) continue;
    if (Array.isArray(fields) && !fields.includes(name)) continue;
    changes[name] = { old: instance._previousDataValues[name], new: instance.dataValues[name] };
  }
  return changes;
}

/** Attribute names present in a list of value objects (bulkCreate records). */
export function fieldNames(records: readonly unknown[], tracked: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  for (const record of records) {
    if (typeof record !== 'object' || record === null) continue;
    const values = isInstance(record) ? record.dataValues : record;
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && tracked.has(name)) seen.add(name);
    }
  }
  return [...tracked].filter((name) => seen.has(name));
}

/** Rows affected, from what `Model.update` / `destroy` / `restore` / `increment` resolve with. */
export function affectedCount(result: unknown): number | undefined {
  if (typeof result === 'number') return result;
  if (!Array.isArray(result)) return undefined;
  const [first] = result as unknown[];
  if (typeof first === 'number') return first;
  // Model.increment on Postgres: [[rows, count]]
  if (Array.isArray(first) && typeof first[1] === 'number') return first[1];
  return undefined;
}

function isSequelizeMethod(value: object): boolean {
  for (let proto = Object.getPrototypeOf(value) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === 'SequelizeMethod') return true;
  }
  return false;
}

const MAX_DEPTH = 8;

/**
 * A `where` filter as plain structured data: operator symbols become `Op.<name>` keys
 * (`{ total: { 'Op.gte': 100 } }`), `literal()`/`fn()`/`col()`/`where()` become
 * `{ literal: … }`, `{ fn: … }`, … with their own fields. Values are kept as given.
 */
export function describeWhere(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'symbol') return `Op.${value.description ?? ''}`;
  if (typeof value === 'function') return '[function]';
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => describeWhere(item, depth + 1));
  const source = value as Record<string | symbol, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(source)) {
    const name = typeof key === 'symbol' ? `Op.${key.description ?? ''}` : key;
    out[name] = describeWhere(source[key], depth + 1);
  }
  if (isSequelizeMethod(value)) {
    const kind = (value as { constructor: { name: string } }).constructor.name;
    return { [kind.charAt(0).toLowerCase() + kind.slice(1)]: out };
  }
  return out;
}
