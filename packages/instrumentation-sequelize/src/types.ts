import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** What the configuration hooks are told about a model. */
export interface SequelizeModelInfo {
  /** `Model.name`: the name given to `sequelize.define()` or the class name. */
  readonly name: string;
  /** The table name Sequelize uses for it (`Model.tableName`). */
  readonly tableName: string | undefined;
  /** The model class itself. */
  readonly model: object;
}

export interface SequelizeInstrumentationConfig extends InstrumentationConfig {
  /**
   * `domain.manager.name` for a model's mutations. Default: the model's name (`Order`).
   * Return `undefined` to keep the default, `null` to not report this model at all.
   */
  managerName?: (model: SequelizeModelInfo) => string | null | undefined;
  /** Model names whose mutations are not reported (join tables, audit tables, …). */
  ignoreModels?: readonly string[];
  /**
   * Keep the automatic `createdAt` / `updatedAt` / version attributes in `changes` (default
   * false: they change on every write and say nothing about the domain). `deletedAt` is
   * always kept.
   */
  includeTimestamps?: boolean;
  /** Most entity ids listed in `sequelize.entity_ids` of a `bulkCreate` event (default 100). */
  maxEntityIds?: number;
}
