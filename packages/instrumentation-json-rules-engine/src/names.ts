// Engine names registered by the app. Module-level so `nameEngine` works before, after and
// without the instrumentation being enabled.
const names = new WeakMap<object, string>();

/**
 * Names a json-rules-engine `Engine` (the rule set): the run span becomes `rule <name>` and
 * every rule result carries `domain.rule.set = <name>`. Returns the engine.
 */
export function nameEngine<E extends object>(engine: E, name: string): E {
  if (typeof name === 'string' && name !== '') names.set(engine, name);
  return engine;
}

export function registeredEngineName(engine: object): string | undefined {
  return names.get(engine);
}
