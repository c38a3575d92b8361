import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** What the configuration hooks are told about an entity. */
export interface TypeormEntityInfo {
  /** The entity's metadata name: the class name, or the `name` of an `EntitySchema`. */
  readonly name: string;
  /** The table it is stored in. */
  readonly tableName: string | undefined;
  /** The entity target (class, schema name). */
  readonly target: unknown;
}

export interface TypeormInstrumentationConfig extends InstrumentationConfig {
  /**
   * `domain.manager.name` for an entity's mutations. Default: the entity's name (`Order`).
   * Return `undefined` to keep the default, `null` to not report this entity at all.
   */
  managerName?: (entity: TypeormEntityInfo) => string | null | undefined;
  /** Entity names whose mutations are not reported (audit tables, many-to-many junction tables, …). */
  ignoreEntities?: readonly string[];
  /**
   * Keep `@CreateDateColumn` / `@UpdateDateColumn` / `@VersionColumn` values in `changes`
   * (default false: they change on every write). Delete date columns are always kept.
   */
  includeTimestamps?: boolean;
  /** Most entity ids listed in `typeorm.entity_ids` of a multi-row insert (default 100). */
  maxEntityIds?: number;
}
