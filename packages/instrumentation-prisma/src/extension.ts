// The Prisma Client extension: every write operation on every model is planned (which event,
// which before-image), run inside `traceMutation()` and completed from its result.
import { channels, failureReporter, traceMutation } from '@domain-otel/api';
import { runWithBeforeImage } from './before-image';
import { planCreateMany, planDeleteMany, planUpdateMany } from './bulk-plans';
import { stripFields } from './id-selection';
import type { ClientLike, QueryParams } from './internal-types';
import { Schema } from './schema';
import { planCreate, planDelete, planUpdate, planUpsert } from './single-row-plans';
import type { PrismaExtensionOptions } from './types';
import { isPlainObject } from './values';
import { PACKAGE_NAME } from './version';
import { planContext, WRITE_OPERATIONS } from './write-plan';
import type { Call, Plan, Planner, WriteOperation } from './write-plan';

/**
 * What `domainOtelExtension()` returns: the function form `prisma.$extends()` accepts. Typed
 * as adding nothing to the client (a query extension changes no types), so the extended
 * client keeps the exact types of the one it extends.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type --
   Prisma's own shape of an extension that adds nothing: any client in, empty extension args out */
export type DomainOtelExtension = (client: any) => {
  $extends: { extArgs: { result: {}; model: {}; query: {}; client: {} } };
};
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type */

/**
 * A Prisma extension is no OpenTelemetry instrumentation and has no diag logger of its own: a
 * failure of its bookkeeping becomes one process warning per place.
 */
const failures = failureReporter({
  error: (message: string, err: unknown) => process.emitWarning(`${PACKAGE_NAME}: ${message} (${String(err)})`, { code: 'DOMAIN_OTEL_PRISMA' }),
}, 'the Prisma call');

/** How each write operation is planned. */
const PLANNERS: Record<WriteOperation, Planner> = {
  create: planCreate,
  createMany: planCreateMany,
  createManyAndReturn: planCreateMany,
  update: planUpdate,
  updateMany: planUpdateMany,
  updateManyAndReturn: planUpdateMany,
  upsert: planUpsert,
  delete: planDelete,
  deleteMany: planDeleteMany,
};

function plan(call: Call): Plan {
  return PLANNERS[call.operation](planContext(call));
}

function handle(client: ClientLike, schema: Schema, options: PrismaExtensionOptions, operation: WriteOperation, params: QueryParams): unknown {
  const { model: modelName, args, query } = params;
  if (!channels.mutation.hasSubscribers || typeof modelName !== 'string') return query(args);
  const p = failures.safely('preparing a Prisma mutation', () => {
    if (options.ignoreModels?.includes(modelName) === true) return undefined;
    const custom = options.managerName?.({ name: modelName });
    if (custom === null) return undefined;
    const manager = typeof custom === 'string' && custom !== '' ? custom : modelName;
    const call: Call = { client, model: schema.model(modelName), manager, operation, args: isPlainObject(args) ? args : {}, options };
    return { call, plan: plan(call) };
  });
  if (p === undefined) return query(args);
  const { call, plan: planned } = p;
  return traceMutation(planned.meta, async () => {
    const [result, before] = await runWithBeforeImage(call.client, params, planned);
    failures.safely('recording a Prisma mutation', () => planned.finish?.(result, before));
    stripFields(result, planned.strip);
    return result;
  });
}

/**
 * A Prisma Client extension that reports every write (create, createMany,
 * createManyAndReturn, update, updateMany, updateManyAndReturn, upsert, delete, deleteMany)
 * on every model through `traceMutation()` of @domain-otel/api:
 *
 *   const prisma = new PrismaClient({ adapter }).$extends(domainOtelExtension());
 *
 * It never creates spans or log records itself: @domain-otel/instrumentation-domain maps the
 * mutations. When nothing listens it calls the query straight through (no before-image reads).
 */
export function domainOtelExtension(options: PrismaExtensionOptions = {}): DomainOtelExtension {
  const extension = (client: ClientLike) => {
    const schema = new Schema(client, options.idFields);
    const callbacks: Record<string, (params: QueryParams) => unknown> = {};
    for (const operation of WRITE_OPERATIONS) callbacks[operation] = (params) => handle(client, schema, options, operation, params);
    return client.$extends({ name: PACKAGE_NAME, query: { $allModels: callbacks } });
  };
  return extension as unknown as DomainOtelExtension;
}
