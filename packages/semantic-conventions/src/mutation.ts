// Manager mutations: an entity was created, updated, deactivated or deleted.

/** Event emitted for every mutation that went through a manager. */
export const EVENT_DOMAIN_MANAGER_MUTATION = 'domain.manager.mutation';

/** Kind of mutation; one of {@link MUTATION_ACTION_VALUES}. */
export const ATTR_DOMAIN_MUTATION_ACTION = 'domain.mutation.action';

/** Number of entities a bulk mutation touched. */
export const ATTR_DOMAIN_MUTATION_COUNT = 'domain.mutation.count';

/** Names of the fields that changed (string array). */
export const ATTR_DOMAIN_MUTATION_CHANGED_FIELDS = 'domain.mutation.changed_fields';

/** Map field → `{ old, new }`, filtered by audit level and redaction. */
export const ATTR_DOMAIN_MUTATION_CHANGES = 'domain.mutation.changes';

/** Free-form metadata of a mutation: one map attribute of at most 64 keys, like `domain.audit.metadata`. */
export const ATTR_DOMAIN_MUTATION_METADATA = 'domain.mutation.metadata';

/** Whether the mutation succeeded; one of {@link MUTATION_OUTCOME_VALUES}. */
export const ATTR_DOMAIN_MUTATION_OUTCOME = 'domain.mutation.outcome';

/** Accepted values of {@link ATTR_DOMAIN_MUTATION_ACTION}. */
export const MUTATION_ACTION_VALUES = {
  CREATE: 'create',
  UPDATE: 'update',
  DELETE: 'delete',
  DEACTIVATE: 'deactivate',
  BULK_UPDATE: 'bulk_update',
  BULK_DELETE: 'bulk_delete',
} as const;
export type MutationAction = (typeof MUTATION_ACTION_VALUES)[keyof typeof MUTATION_ACTION_VALUES];

/** Accepted values of {@link ATTR_DOMAIN_MUTATION_OUTCOME}. */
export const MUTATION_OUTCOME_VALUES = {
  SUCCESS: 'success',
  FAILURE: 'failure',
} as const;
export type MutationOutcome = (typeof MUTATION_OUTCOME_VALUES)[keyof typeof MUTATION_OUTCOME_VALUES];
