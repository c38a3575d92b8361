// What the method wrappers ask of the instrumentation that installed them.
import type { FailureReporter } from '@domain-otel/api';
import type { AsyncMethod, ModelStatic } from './internal-types';

export interface WrapContext {
  /** Whether to report at all: the instrumentation is enabled and someone subscribes to mutations. */
  active(): boolean;
  /** `domain.manager.name` of a model's mutations; undefined when the model is not reported. */
  managerFor(model: ModelStatic): string | undefined;
  /** The attributes whose values are reported. */
  tracked(model: ModelStatic): Set<string>;
  /** Most ids listed in `sequelize.entity_ids`. */
  maxEntityIds(): number;
  /** Reports a failure of the adapter's bookkeeping once per place. */
  readonly failures: FailureReporter;
}

/** Makes the replacement of one Sequelize method. */
export type Wrapper = (original: AsyncMethod, context: WrapContext) => AsyncMethod;
