// The wrappers of the instance methods: `save()` (also behind `Model.create`,
// `instance.update`, `findOrCreate`, and `bulkCreate` with `individualHooks`), `destroy()` and
// `restore()`.
import { traceMutation } from '@domain-otel/api';
import type { MutationMeta } from '@domain-otel/api';
import { frames } from './frames';
import type { InstanceFrame } from './frames';
import type { AsyncMethod, CallOptions, ModelInstance, Values } from './internal-types';
import { createdValues, deletedAtOf, diffValues, entityIdOf, isInstance, pendingChanges, withoutUndefined } from './values';
import type { WrapContext, Wrapper } from './wrap-context';

/** `force` as Sequelize's instance `destroy()` sees it: `{ force: false, ...options }`. */
function forceOf(options: CallOptions | undefined): unknown {
  return options !== undefined && options !== null && 'force' in options ? options.force : false;
}

/** A save's event (`create` or `update`) and what to fill in once it succeeded; undefined: not reported. */
function planSave(c: WrapContext, instance: ModelInstance, args: unknown[]): { meta: MutationMeta; finish: () => void } | undefined {
  const model = instance.constructor;
  const manager = c.managerFor(model);
  if (manager === undefined) return undefined;
  const tracked = c.tracked(model);
  if (instance.isNewRecord) {
    const meta: MutationMeta = withoutUndefined({
      action: 'create', manager, entityId: entityIdOf(model, instance.dataValues),
      changes: createdValues(instance.dataValues, tracked), metadata: { 'sequelize.method': 'save' },
    });
    return {
      meta,
      finish: () => {
        const id = entityIdOf(model, instance.dataValues);
        if (id !== undefined) meta.entityId = id;
        meta.changes = createdValues(instance.dataValues, tracked);
      },
    };
  }
  // Nothing changed: Sequelize runs no SQL, and nothing is reported.
  if (instance.changed() === false) return undefined;
  const options = args[0] as CallOptions | undefined;
  const before: Values = { ...instance._previousDataValues };
  const meta: MutationMeta = withoutUndefined({
    action: 'update', manager, entityId: entityIdOf(model, before) ?? entityIdOf(model, instance.dataValues),
    changes: pendingChanges(instance, tracked, options?.fields), metadata: { 'sequelize.method': 'save' },
  });
  return {
    meta,
    // After a successful save, Sequelize has moved each saved value into _previousDataValues.
    finish: () => {
      meta.changes = diffValues(before, instance._previousDataValues, tracked);
      const id = entityIdOf(model, instance.dataValues);
      if (id !== undefined) meta.entityId = id;
    },
  };
}

export const wrapSave: Wrapper = (original, c) => function save(this: unknown, ...args: unknown[]): Promise<unknown> {
  if (!c.active() || !isInstance(this)) return original.apply(this, args);
  const instance = this;
  const frame = frames.getStore();
  if (frame?.kind === 'instance' && frame.absorbSave && frame.instance === instance) {
    return absorbedSave(c, frame, instance, original, args);
  }
  if (frame?.kind === 'bulk' && frame.rows.has(instance)) return original.apply(this, args);
  const plan = c.failures.safely('preparing a Sequelize save mutation', () => planSave(c, instance, args));
  if (plan === undefined) return original.apply(this, args);
  const { meta, finish } = plan;
  return frames.run({ kind: 'instance', instance, absorbSave: false, meta }, () => traceMutation(meta, async () => {
    const result = await original.apply(instance, args);
    c.failures.safely('recording a Sequelize save', finish);
    return result;
  }));
};

/** The save inside a paranoid destroy() / restore(): its changes go to the outer event. */
async function absorbedSave(c: WrapContext, frame: InstanceFrame, instance: ModelInstance, original: AsyncMethod, args: unknown[]): Promise<unknown> {
  const before: Values = { ...instance._previousDataValues };
  const result = await original.apply(instance, args);
  c.failures.safely('recording a Sequelize soft delete', () => {
    const changes = diffValues(before, instance._previousDataValues, c.tracked(instance.constructor));
    if (Object.keys(changes).length > 0) frame.meta.changes = { ...frame.meta.changes, ...changes };
  });
  return result;
}

/** Traces an instance `destroy()` / `restore()`, whose own save (paranoid models) is absorbed into it. */
function traceWithAbsorbedSave(instance: ModelInstance, meta: MutationMeta, original: AsyncMethod, args: unknown[]): Promise<unknown> {
  return frames.run({ kind: 'instance', instance, absorbSave: true, meta }, () => traceMutation(meta, () => original.apply(instance, args)));
}

export const wrapInstanceDestroy: Wrapper = (original, c) => function destroy(this: unknown, ...args: unknown[]): Promise<unknown> {
  if (!c.active() || !isInstance(this)) return original.apply(this, args);
  const instance = this;
  const model = instance.constructor;
  const manager = c.managerFor(model);
  if (manager === undefined) return original.apply(this, args);
  const soft = deletedAtOf(model) !== undefined && forceOf(args[0] as CallOptions | undefined) === false;
  const meta: MutationMeta = withoutUndefined({
    action: soft ? 'deactivate' : 'delete', manager, entityId: entityIdOf(model, instance.dataValues),
    metadata: { 'sequelize.method': 'destroy' },
  });
  return traceWithAbsorbedSave(instance, meta, original, args);
};

export const wrapInstanceRestore: Wrapper = (original, c) => function restore(this: unknown, ...args: unknown[]): Promise<unknown> {
  if (!c.active() || !isInstance(this) || deletedAtOf(this.constructor) === undefined) return original.apply(this, args);
  const instance = this;
  const manager = c.managerFor(instance.constructor);
  if (manager === undefined) return original.apply(this, args);
  const meta: MutationMeta = withoutUndefined({
    action: 'update', manager, entityId: entityIdOf(instance.constructor, instance.dataValues),
    metadata: { 'sequelize.method': 'restore' },
  });
  return traceWithAbsorbedSave(instance, meta, original, args);
};
