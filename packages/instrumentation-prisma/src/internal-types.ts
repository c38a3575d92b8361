// Structural views of Prisma Client 7. The library's own typings are not used: it is an
// optional peer, and each app has its own generated client types.

export type Values = Record<string, unknown>;

/** One field of a model in the client's runtime data model. */
export interface RuntimeFieldLike {
  readonly name: string;
  /** `scalar`, `enum`, `object` (relation) or `unsupported`. */
  readonly kind: string;
  readonly type?: string;
}

export interface RuntimeDataModelLike {
  readonly models: Readonly<Record<string, { readonly fields: readonly RuntimeFieldLike[] } | undefined>>;
}

/** A PrismaPromise: lazy, and can be attached to a transaction. */
export interface PrismaPromiseLike<T = unknown> extends PromiseLike<T> {
  requestTransaction?(transaction: unknown): PromiseLike<T>;
}

export interface ModelDelegateLike {
  findUnique(args: Values): PrismaPromiseLike<Values | null>;
  findMany(args: Values): PrismaPromiseLike<Values[]>;
}

/** The client an extension is applied to (through `$extends`'s function form). */
export interface ClientLike {
  $extends(extension: object): unknown;
  $transaction(queries: PrismaPromiseLike[]): Promise<unknown[]>;
  readonly _runtimeDataModel?: RuntimeDataModelLike;
  readonly _engineConfig?: { readonly inlineSchema?: string };
  [model: string]: unknown;
}

/** Where a query runs: Prisma passes it to query extensions as `__internalParams.transaction`. */
export interface TransactionLike {
  readonly kind?: string;
}

/** What Prisma passes to a query extension callback. */
export interface QueryParams {
  readonly model?: string;
  readonly operation: string;
  readonly args: Values;
  query(args: Values): PrismaPromiseLike;
  readonly __internalParams?: { readonly transaction?: TransactionLike };
}
