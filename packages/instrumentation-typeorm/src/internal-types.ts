// Structural views of TypeORM 0.3.x. The library's own typings are not used: it is an
// optional peer, and the persistence internals read here (SubjectExecutor, Subject) are not
// part of its typed public API, although every 0.3.x release has them in this shape.

export type Values = Record<string, unknown>;

export interface ColumnLike {
  readonly propertyPath: string;
  readonly isCreateDate?: boolean;
  readonly isUpdateDate?: boolean;
  readonly isDeleteDate?: boolean;
  readonly isVersion?: boolean;
  readonly isVirtualProperty?: boolean;
  getEntityValue(entity: object, transform?: boolean): unknown;
}

export interface RelationLike {
  readonly propertyPath: string;
  readonly inverseEntityMetadata?: EntityMetadataLike;
  getEntityValue(entity: object): unknown;
}

export interface EntityMetadataLike {
  readonly name: string;
  readonly tableName?: string;
  readonly target?: unknown;
  readonly columns: readonly ColumnLike[];
  readonly primaryColumns: readonly ColumnLike[];
  readonly deleteDateColumn?: ColumnLike;
}

/** One entity of a save/remove/softRemove/recover, as TypeORM's SubjectExecutor holds it. */
export interface SubjectLike {
  readonly metadata: EntityMetadataLike;
  readonly entity?: object;
  readonly databaseEntity?: object;
  readonly identifier?: object;
  readonly insertedValueSet?: object;
  readonly generatedMap?: object;
  readonly diffColumns?: readonly ColumnLike[];
  readonly diffRelations?: readonly RelationLike[];
}

export interface SubjectExecutorLike {
  readonly insertSubjects?: readonly SubjectLike[];
  readonly updateSubjects?: readonly SubjectLike[];
  readonly removeSubjects?: readonly SubjectLike[];
  readonly softRemoveSubjects?: readonly SubjectLike[];
  readonly recoverSubjects?: readonly SubjectLike[];
}

export interface EntityManagerLike {
  readonly connection?: { getMetadata(target: unknown): EntityMetadataLike; hasMetadata?(target: unknown): boolean };
}

export interface QueryBuilderLike {
  readonly expressionMap?: {
    readonly queryType?: string;
    readonly callListeners?: boolean;
    readonly valuesSet?: unknown;
    readonly mainAlias?: { readonly hasMetadata?: boolean; readonly metadata?: EntityMetadataLike };
  };
  getQuery?(): string;
}

export type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

export interface Constructor {
  new (...args: never[]): unknown;
  prototype: Record<string, AnyMethod | undefined>;
}

export interface InsertResultLike {
  identifiers?: readonly (object | undefined)[];
  generatedMaps?: readonly (object | undefined)[];
}

export interface AffectedResultLike {
  affected?: number | null;
}
