// What the extension decides about one write before it runs: the event's meta, the arguments
// actually sent, the before-image read (if any) and what to fill in once the write succeeded.
import type { FieldChange, MutationAction, MutationMeta } from '@domain-otel/api';
import type { ClientLike, PrismaPromiseLike, Values } from './internal-types';
import type { ModelInfo } from './schema';
import type { PrismaExtensionOptions } from './types';
import { describe, idOf, nestedWrites } from './values';

/** Every Prisma Client write operation on a model. */
export const WRITE_OPERATIONS = [
  'create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany',
] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

const DEFAULT_MAX_ENTITY_IDS = 100;

/** One write as the extension receives it. */
export interface Call {
  readonly client: ClientLike;
  readonly model: ModelInfo;
  readonly manager: string;
  readonly operation: WriteOperation;
  readonly args: Values;
  readonly options: PrismaExtensionOptions;
}

/** One write about to run: its meta, how to run it (with or without a before-image), what to fill in after. */
export interface Plan {
  meta: MutationMeta;
  /** Rows to read first, in the same transaction (before-image), or none. */
  read?: () => PrismaPromiseLike;
  /** Completes the meta once the write succeeded; `before` is the read's result when there was one. */
  finish?: (result: unknown, before: unknown) => void;
  /** The arguments actually sent (the primary key added to a `select` that left it out). */
  args: Values;
  /** Fields added to the selection only to learn the entity id: removed from the result. */
  strip: readonly string[];
}

/** The before-image reads of a write's model; each returns the lazy query to run. */
export interface BeforeImageReads {
  /** The one row the write's `where` names (only the `select`ed fields, when given). */
  row(select?: Values): () => PrismaPromiseLike;
  /**
   * The rows the write's `where` matches, at most one more than `maxEntityIds` (and than its
   * `limit`), in primary key order so `old` lists line up with `prisma.entity_ids`.
   */
  rows(select?: Values): () => PrismaPromiseLike;
}

/** What every operation's planner works from: the call, its options resolved, the event being built. */
export interface PlanContext {
  readonly model: ModelInfo;
  readonly operation: WriteOperation;
  readonly args: Values;
  readonly where: unknown;
  /** Whether `@updatedAt` / `@default(now())` fields stay in `changes`. */
  readonly timestamps: boolean;
  /** Most entity ids listed and most rows kept from a bulk before-image. */
  readonly max: number;
  /** The event's `metadata` (`prisma.*`), shared by every meta of this call. */
  readonly metadata: Record<string, unknown>;
  /** The before-image reads, or undefined when `beforeImage` is off. */
  readonly before: BeforeImageReads | undefined;
  meta(action: MutationAction): MutationMeta;
}

export type Planner = (c: PlanContext) => Plan;

function maxEntityIds(options: PrismaExtensionOptions): number {
  const max = options.maxEntityIds;
  return typeof max === 'number' && max >= 0 ? Math.floor(max) : DEFAULT_MAX_ENTITY_IDS;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function beforeImageReads(call: Call, max: number): BeforeImageReads {
  const { client, model, args } = call;
  const where = args.where;
  const delegate = () => client[lowerFirst(model.name)] as { findUnique(a: Values): PrismaPromiseLike; findMany(a: Values): PrismaPromiseLike };
  const orderBy = model.idFields.map((f) => ({ [f]: 'asc' }));
  const take = typeof args.limit === 'number' ? Math.min(args.limit, max + 1) : max + 1;
  return {
    row: (select) => () => delegate().findUnique(select === undefined ? { where } : { where, select }),
    rows: (select) => () => delegate().findMany(select === undefined ? { where, take, orderBy } : { where, select, take, orderBy }),
  };
}

/** The context of a call, with the metadata every operation reports (`prisma.operation`, `prisma.where`, `prisma.limit`). */
export function planContext(call: Call): PlanContext {
  const { model, manager, operation, args, options } = call;
  const max = maxEntityIds(options);
  const metadata: Record<string, unknown> = { 'prisma.operation': operation };
  const where = args.where;
  if (where !== undefined && operation !== 'create' && !operation.startsWith('createMany')) metadata['prisma.where'] = describe(where);
  if (typeof args.limit === 'number') metadata['prisma.limit'] = args.limit;
  return {
    model, operation, args, where, metadata, max,
    timestamps: options.includeTimestamps === true,
    before: options.beforeImage === true ? beforeImageReads(call, max) : undefined,
    meta: (action) => ({ action, manager, metadata }),
  };
}

export function setChanges(meta: MutationMeta, changes: Record<string, FieldChange>): void {
  if (Object.keys(changes).length > 0) meta.changes = changes;
  else delete meta.changes;
}

export function setEntityId(meta: MutationMeta, id: string | number | undefined): void {
  if (id !== undefined) meta.entityId = id;
}

/** `prisma.nested`: the relation fields `data` writes through, and how. */
export function reportNestedWrites(c: PlanContext, ...data: unknown[]): void {
  const nested = Object.assign({}, ...data.map((d) => nestedWrites(c.model, d))) as Record<string, string[]>;
  if (Object.keys(nested).length > 0) c.metadata['prisma.nested'] = nested;
}

/** The entity id learnt after the write, when the arguments did not name it: from the result, else the before-image. */
export function completeEntityId(c: PlanContext, meta: MutationMeta, result: unknown, before: unknown): void {
  if (meta.entityId === undefined) setEntityId(meta, idOf(c.model, result) ?? idOf(c.model, before));
}
