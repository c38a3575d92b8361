// The adapter's own record of the Sequelize call being traced, so that work Sequelize does on
// the way is attributed to it rather than reported again:
// - instance frame: a paranoid `destroy()` / `restore()` writes through `save()`; that save is
//   folded into the outer event (its changes are merged) instead of being an update;
// - bulk frame: `Model.update` / `destroy` / `restore` with `individualHooks` hand each row to
//   the instance hooks; each row becomes its own event, and the per-row saves Sequelize may
//   issue are part of the bulk call.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MutationAction, MutationMeta } from '@domain-otel/api';
import type { ModelInstance, ModelStatic, Values } from './internal-types';

export interface InstanceFrame {
  kind: 'instance';
  instance: ModelInstance;
  absorbSave: boolean;
  meta: MutationMeta;
}

export interface BulkFrame {
  kind: 'bulk';
  model: ModelStatic;
  method: string;
  individualHooks: boolean;
  /** Row action for `individualHooks` rows. */
  rowAction: MutationAction;
  manager: string;
  /** Instances handed to `beforeUpdate`: their saves belong to the bulk call. */
  rows: WeakSet<object>;
  /** Stored values of each row (by entity id) before the bulk update. */
  before: Map<string, Values>;
}

export type Frame = InstanceFrame | BulkFrame;

export const frames = new AsyncLocalStorage<Frame>();

/** The frame of a static call on `model`, with no rows seen yet. */
export function bulkFrame(model: ModelStatic, method: string, manager: string, rowAction: MutationAction, individualHooks = false): BulkFrame {
  return { kind: 'bulk', model, method, individualHooks, manager, rowAction, rows: new WeakSet(), before: new Map() };
}
