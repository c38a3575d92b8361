import { nameRegistry } from '@domain-otel/api';

/** Engine names registered by the app (module-level: `nameEngine` works before, after and without the instrumentation). */
export const engineNames = nameRegistry();

/**
 * Names a json-rules-engine `Engine` (the rule set): the run span becomes `rule <name>` and
 * every rule result carries `domain.rule.set = <name>`. Returns the engine.
 */
export function nameEngine<E extends object>(engine: E, name: string): E {
  return engineNames.name(engine, name);
}
