// The per-row events of `Model.update` / `destroy` / `restore` with `individualHooks`, from the
// instance hooks Sequelize runs for each row inside the bulk call.
import { traceMutation } from '@domain-otel/api';
import type { MutationMeta } from '@domain-otel/api';
import { frames } from './frames';
import type { BulkFrame } from './frames';
import type { ModelInstance } from './internal-types';
import { deletedAtOf, diffValues, entityIdOf, isInstance } from './values';
import type { WrapContext, Wrapper } from './wrap-context';

export const wrapRunHooks: Wrapper = (original, c) => function runHooks(this: unknown, ...args: unknown[]): Promise<unknown> {
  const frame = frames.getStore();
  if (frame?.kind === 'bulk' && frame.individualHooks && frame.model === this && typeof args[0] === 'string' && isInstance(args[1])) {
    const hook = args[0];
    const instance = args[1];
    c.failures.safely('recording a Sequelize row hook', () => onRowHook(c, frame, hook, instance));
  }
  return original.apply(this, args);
};

function onRowHook(c: WrapContext, frame: BulkFrame, hook: string, instance: ModelInstance): void {
  const model = frame.model;
  const id = entityIdOf(model, instance.dataValues);
  let row: MutationMeta | undefined;
  if (frame.method === 'Model.update' && hook === 'beforeUpdate') {
    frame.rows.add(instance);
    if (id !== undefined) frame.before.set(String(id), { ...instance._previousDataValues });
  } else if (frame.method === 'Model.update' && hook === 'afterUpdate') {
    const before = (id !== undefined ? frame.before.get(String(id)) : undefined) ?? instance._previousDataValues;
    row = { action: 'update', manager: frame.manager, changes: diffValues(before, instance.dataValues, c.tracked(model)) };
  } else if (frame.method === 'Model.destroy' && hook === 'afterDestroy') {
    row = { action: frame.rowAction, manager: frame.manager };
  } else if (frame.method === 'Model.restore' && hook === 'afterRestore') {
    const deletedAt = deletedAtOf(model);
    row = { action: 'update', manager: frame.manager };
    if (deletedAt !== undefined) row.changes = { [deletedAt]: { old: instance.dataValues[deletedAt], new: null } };
  }
  if (row === undefined || !c.active()) return;
  if (id !== undefined) row.entityId = id;
  row.metadata = { 'sequelize.method': frame.method };
  // The row was written by the bulk call's statement(s): a child of its span, without duration of its own.
  traceMutation(row, () => undefined);
}
