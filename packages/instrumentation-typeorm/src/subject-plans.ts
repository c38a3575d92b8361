// The events of `save` / `remove` / `softRemove` / `recover`: one per entity TypeORM's
// SubjectExecutor is about to write, with old values from the `databaseEntity` it loaded.
import type { FieldChange, MutationMeta } from '@domain-otel/api';
import type { ColumnLike, SubjectExecutorLike, SubjectLike } from './internal-types';
import { setChanges, setEntityId } from './plan';
import type { Plan } from './plan';
import { managerFor, trackedOf } from './settings';
import type { TypeormInstrumentationConfig } from './types';
import { createdValues, entityIdOf, isMetadata, updatedValues } from './values';

type SubjectPlanner = (subject: SubjectLike, manager: string) => Plan;

const idOf = (s: SubjectLike) => entityIdOf(s.metadata, s.identifier) ?? entityIdOf(s.metadata, s.databaseEntity) ?? entityIdOf(s.metadata, s.entity);

/** The delete date column's change: from the loaded entity's value to `after(column)`. */
function deleteDateChange(subject: SubjectLike, after: (column: ColumnLike) => unknown): Record<string, FieldChange> {
  const column = subject.metadata.deleteDateColumn;
  if (column === undefined) return {};
  const old = subject.databaseEntity === undefined ? undefined : column.getEntityValue(subject.databaseEntity);
  return { [column.propertyPath]: { old: old ?? null, new: after(column) } };
}

function planners(config: TypeormInstrumentationConfig): [keyof SubjectExecutorLike, SubjectPlanner][] {
  return [
    ['insertSubjects', (subject, manager) => {
      const columns = trackedOf(config, subject.metadata);
      const meta: MutationMeta = { action: 'create', manager };
      setEntityId(meta, entityIdOf(subject.metadata, subject.entity));
      setChanges(meta, createdValues(subject.entity ?? subject.insertedValueSet, columns));
      return {
        meta,
        finish: () => {
          setEntityId(meta, idOf(subject));
          // A junction row has no entity: its values are the set TypeORM inserted.
          setChanges(meta, createdValues(subject.entity ?? subject.insertedValueSet, columns));
        },
      };
    }],
    ['updateSubjects', (subject, manager) => {
      const columns = trackedOf(config, subject.metadata);
      const meta: MutationMeta = { action: 'update', manager };
      setEntityId(meta, idOf(subject));
      setChanges(meta, updatedValues(subject, columns));
      // Subscribers' before-hooks may have changed the entity: TypeORM recomputes its diff.
      return { meta, finish: () => setChanges(meta, updatedValues(subject, columns)) };
    }],
    ['removeSubjects', (subject, manager) => {
      const meta: MutationMeta = { action: 'delete', manager };
      setEntityId(meta, idOf(subject));
      return { meta };
    }],
    ['softRemoveSubjects', (subject, manager) => {
      const meta: MutationMeta = { action: 'deactivate', manager };
      setEntityId(meta, idOf(subject));
      return {
        meta,
        finish: () => setChanges(meta, deleteDateChange(subject, (column) => {
          const value = subject.entity === undefined ? undefined : column.getEntityValue(subject.entity);
          return value ?? (subject.generatedMap === undefined ? undefined : column.getEntityValue(subject.generatedMap));
        })),
      };
    }],
    ['recoverSubjects', (subject, manager) => {
      const meta: MutationMeta = { action: 'update', manager };
      setEntityId(meta, idOf(subject));
      return { meta, finish: () => setChanges(meta, deleteDateChange(subject, () => null)) };
    }],
  ];
}

/** One plan per reported entity of the executor, in the order inserts, updates, removes, soft removes, recovers. */
export function planSubjects(config: TypeormInstrumentationConfig, executor: SubjectExecutorLike, method: string | undefined): Plan[] {
  const plans: Plan[] = [];
  for (const [list, plan] of planners(config)) {
    for (const subject of executor[list] ?? []) {
      if (!isMetadata(subject.metadata)) continue;
      const manager = managerFor(config, subject.metadata);
      if (manager === undefined) continue;
      const p = plan(subject, manager);
      if (method !== undefined) p.meta.metadata = { 'typeorm.method': method };
      plans.push(p);
    }
  }
  return plans;
}
