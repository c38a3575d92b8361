/** What the configuration hooks are told about a model. */
export interface PrismaModelInfo {
  /** The model's name in the Prisma schema (`Order`). */
  readonly name: string;
}

export interface PrismaExtensionOptions {
  /**
   * `domain.manager.name` for a model's mutations. Default: the model's name (`Order`).
   * Return `undefined` to keep the default, `null` to not report this model at all.
   */
  managerName?: (model: PrismaModelInfo) => string | null | undefined;
  /** Model names whose mutations are not reported (join tables, audit tables, …). */
  ignoreModels?: readonly string[];
  /**
   * Read the rows a write will change, in the same transaction and before the write, to
   * report `old` values (default false: one extra SELECT per update / upsert / delete /
   * updateMany / deleteMany, and updates carry only `new`). Not possible inside a batch
   * `$transaction([...])`: there the writes carry no `old`.
   */
  beforeImage?: boolean;
  /**
   * Keep `@updatedAt` and `@default(now())` fields in `changes` (default false: they change
   * on every write and say nothing about the domain).
   */
  includeTimestamps?: boolean;
  /**
   * Primary key fields per model, when they cannot be read from the client's schema (they
   * normally are: `@id` / `@@id`). Example: `{ Order: ['id'], Line: ['orderId', 'lineNo'] }`.
   */
  idFields?: Readonly<Record<string, readonly string[]>>;
  /**
   * Most entity ids listed in `prisma.entity_ids` (createManyAndReturn, updateManyAndReturn,
   * bulk before-images) and most rows read for a bulk before-image (default 100).
   */
  maxEntityIds?: number;
}
