// Structural views of Sequelize 6.x. The library's own typings are not used: it is an
// optional peer, and several of the members read here are internal (underscore) ones that
// every 6.x release has but the typings do not declare.

export type Values = Record<string, unknown>;

export interface AttributeLike {
  field?: string;
}

/** A model class (`sequelize.define()` result or a `Model` subclass). */
export interface ModelStatic {
  readonly name: string;
  readonly tableName?: string;
  readonly primaryKeyAttribute?: string;
  readonly primaryKeyAttributes?: readonly string[];
  readonly rawAttributes: Record<string, AttributeLike>;
  readonly _virtualAttributes?: ReadonlySet<string>;
  readonly _timestampAttributes?: { createdAt?: string | false; updatedAt?: string | false; deletedAt?: string | false };
  readonly _versionAttribute?: string | false;
}

/** A model instance. */
export interface ModelInstance {
  readonly constructor: ModelStatic;
  isNewRecord: boolean;
  readonly dataValues: Values;
  readonly _previousDataValues: Values;
  changed(): string[] | false;
}

export type AsyncMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** The `Model` base class: statics and prototype methods that are wrapped. */
export interface ModelClass {
  new (...args: never[]): unknown;
  prototype: Record<InstanceMethod, AsyncMethod>;
}

export type InstanceMethod = 'save' | 'destroy' | 'restore';
export type StaticMethod = 'update' | 'destroy' | 'restore' | 'bulkCreate' | 'upsert' | 'increment' | 'runHooks';

export interface SequelizeExports {
  Model?: ModelClass;
}

/** Options objects as Sequelize receives them (only the members read here). */
export interface CallOptions {
  where?: unknown;
  individualHooks?: boolean;
  force?: boolean;
  truncate?: boolean;
  fields?: readonly string[];
  instance?: ModelInstance;
  by?: number;
  increment?: boolean;
  updateOnDuplicate?: readonly string[];
  ignoreDuplicates?: boolean;
}
