// The plans of the writes on one row: create, update, upsert, delete. Each names its entity
// from the arguments when it can, and from the result (or the before-image) otherwise.
import type { Values } from './internal-types';
import { selectOf, withIdSelected } from './id-selection';
import { completeEntityId, reportNestedWrites, setChanges, setEntityId } from './write-plan';
import type { Planner } from './write-plan';
import { createdChanges, deletedChanges, givenFields, idFromWhere, idOf, isPlainObject, updatedChanges } from './values';

export const planCreate: Planner = (c) => {
  const { model, args, timestamps } = c;
  const m = c.meta('create');
  reportNestedWrites(c, args.data);
  setEntityId(m, isPlainObject(args.data) ? idOf(model, args.data) : undefined);
  setChanges(m, createdChanges(model, args.data, undefined, timestamps));
  return {
    meta: m, ...withIdSelected(model, args),
    finish: (result) => {
      setEntityId(m, idOf(model, result));
      setChanges(m, createdChanges(model, args.data, result, timestamps));
    },
  };
};

export const planUpdate: Planner = (c) => {
  const { model, args, timestamps } = c;
  const m = c.meta('update');
  reportNestedWrites(c, args.data);
  setEntityId(m, idFromWhere(model, c.where));
  setChanges(m, updatedChanges(model, args.data, undefined, undefined, timestamps));
  return {
    meta: m, ...withIdSelected(model, args),
    read: c.before?.row(selectOf(model, givenFields(model, args.data, timestamps))),
    finish: (result, before) => {
      completeEntityId(c, m, result, before);
      setChanges(m, updatedChanges(model, args.data, result, before as Values | null | undefined, timestamps));
    },
  };
};

/**
 * Which branch of an upsert ran is known only with a before-image; the action is fixed before
 * the write (it names the span), so an upsert is an `update` either way.
 */
export const planUpsert: Planner = (c) => {
  const { model, args, timestamps, metadata } = c;
  const m = c.meta('update');
  const create = isPlainObject(args.create) ? args.create : {};
  const update = isPlainObject(args.update) ? args.update : {};
  reportNestedWrites(c, create, update);
  const merged = { ...create, ...update };
  setEntityId(m, idFromWhere(model, c.where));
  setChanges(m, updatedChanges(model, merged, undefined, undefined, timestamps));
  return {
    meta: m, ...withIdSelected(model, args),
    read: c.before?.row(selectOf(model, givenFields(model, merged, timestamps))),
    finish: (result, before) => {
      completeEntityId(c, m, result, before);
      if (before === undefined) {
        setChanges(m, updatedChanges(model, merged, result, undefined, timestamps));
      } else if (before === null) {
        metadata['prisma.upsert_branch'] = 'create';
        setChanges(m, createdChanges(model, create, result, timestamps));
      } else {
        metadata['prisma.upsert_branch'] = 'update';
        setChanges(m, updatedChanges(model, update, result, before as Values, timestamps));
      }
    },
  };
};

export const planDelete: Planner = (c) => {
  const { model, args, timestamps } = c;
  const m = c.meta('delete');
  setEntityId(m, idFromWhere(model, c.where));
  return {
    meta: m, ...withIdSelected(model, args),
    read: c.before?.row(),
    finish: (result, before) => {
      completeEntityId(c, m, result, before);
      setChanges(m, deletedChanges(model, before, timestamps));
    },
  };
};
