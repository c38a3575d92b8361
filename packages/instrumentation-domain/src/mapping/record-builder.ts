import type { AnyValue } from '@opentelemetry/api';
import { ACTOR_ATTRIBUTES } from '@domain-otel/api';
import type { Actor } from '@domain-otel/api';
import { ATTR_DOMAIN_RECORD_DROPPED_ENTRIES, ATTR_DOMAIN_RECORD_TRUNCATED_VALUES, ATTR_LOG_RECORD_UID } from '@domain-otel/semantic-conventions';
import { MAX_ENTRIES, ValueShaper } from '../any-value';
import type { LogAttributes } from '../log-attributes';
import { uuidv7 } from '../uuidv7';
import type { Recorder } from './recorder';
import { levelAtLeast } from './recorder';

/** The actor fields every record carries; the client's address and user agent only at audit level `full`. */
const ACTOR_FIELDS = ['id', 'name', 'tenant', 'correlationId'] as const satisfies readonly (keyof Actor)[];
const CLIENT_FIELDS = ['clientAddress', 'userAgent'] as const satisfies readonly (keyof Actor)[];

/** Most metadata keys kept on one record; the rest are counted in `domain.record.dropped_entries`. */
export const MAX_METADATA_KEYS = 64;

/**
 * Builds the attributes of one record in a fixed order: the uid and the actor first, then
 * the event's own fields, then the variable-size values (reason, lists, changes, metadata).
 * Whatever limit applies later, identity is never behind a value the app controls. Every
 * string is capped and the record has a byte budget (see ValueShaper); `finish()` adds the
 * counts of what was cut.
 */
export class RecordBuilder {
  readonly attributes: LogAttributes;
  private readonly shape: ValueShaper;

  constructor(r: Recorder, actor: Actor | undefined, timestamp: number) {
    this.shape = new ValueShaper(r.isSecret, r.maxValueBytes, r.recordBudgetBytes);
    this.attributes = { [ATTR_LOG_RECORD_UID]: uuidv7(timestamp) };
    if (!actor) return;
    for (const field of ACTOR_FIELDS) this.text(ACTOR_ATTRIBUTES[field], actor[field]);
    if (levelAtLeast(r, 'full')) for (const field of CLIENT_FIELDS) this.text(ACTOR_ATTRIBUTES[field], actor[field]);
  }

  /** A required string field (capped, never left out); skipped when undefined. */
  text(key: string, value: unknown): this {
    if (value !== undefined) this.attributes[key] = this.shape.text(String(value));
    return this;
  }

  /** An id-like field: numbers stay numbers, anything else becomes a capped string. */
  scalar(key: string, value: string | number | undefined): this {
    if (typeof value === 'number') this.attributes[key] = value;
    else this.text(key, value);
    return this;
  }

  /** A number field. */
  number(key: string, value: number | undefined): this {
    if (value !== undefined) this.attributes[key] = value;
    return this;
  }

  /** A list of names (permissions, fields, keys): at most `max` entries, each a capped string. */
  strings(key: string, values: readonly unknown[] | undefined, max = MAX_ENTRIES): this {
    if (!Array.isArray(values) || values.length === 0) return this;
    const list = this.shape.optional(values.slice(0, max).map(String));
    if (list !== undefined) {
      this.attributes[key] = list;
      this.shape.dropped += values.length - Math.min(values.length, max);
    }
    return this;
  }

  /** A structured value (redacted, capped, bounded); left out and counted once the budget is spent. */
  value(key: string, value: unknown): this {
    if (value === undefined) return this;
    const v = this.shape.optional(value);
    if (v !== undefined) this.attributes[key] = v;
    return this;
  }

  /** A ready-made structured value whose leaves were shaped by {@link shapeValue}. */
  set(key: string, value: AnyValue): this {
    this.attributes[key] = value;
    return this;
  }

  /** Shapes one value for a structure built by the caller (e.g. a change's old and new). */
  shapeValue(value: unknown): AnyValue {
    return this.shape.value(value);
  }

  /** True once the record's budget is spent. */
  get spent(): boolean {
    return this.shape.spent;
  }

  /** Counts entries the caller left out. */
  countDropped(n: number): void {
    this.shape.dropped += n;
  }

  /** Free-form metadata as one map attribute of at most {@link MAX_METADATA_KEYS} keys. */
  metadata(key: string, metadata: Record<string, unknown> | undefined): this {
    if (metadata === undefined || metadata === null || typeof metadata !== 'object') return this;
    if (this.shape.spent) {
      this.countDropped(Object.keys(metadata).length);
      return this;
    }
    const map = this.shape.map(metadata, MAX_METADATA_KEYS);
    if (Object.keys(map).length > 0) this.attributes[key] = map;
    return this;
  }

  /** The record's body, capped like every other string. */
  body(text: string): string {
    return this.shape.text(text);
  }

  /** The attributes, with the counts of what was cut when anything was. */
  finish(): LogAttributes {
    if (this.shape.truncated > 0) this.attributes[ATTR_DOMAIN_RECORD_TRUNCATED_VALUES] = this.shape.truncated;
    if (this.shape.dropped > 0) this.attributes[ATTR_DOMAIN_RECORD_DROPPED_ENTRIES] = this.shape.dropped;
    return this.attributes;
  }
}
