/**
 * Names the app gives library objects (caches, rule engines) so that an adapter reports them
 * by that name. An adapter keeps one registry at module level, so naming works before, after
 * and without its instrumentation being enabled.
 */
export interface NameRegistry {
  /** Gives `target` a name (an empty or non-string name is ignored); returns `target`. */
  name<T extends object>(target: T, name: string): T;
  /** The name given to `target`, if any. */
  nameOf(target: object): string | undefined;
  /**
   * The name to report `target` by: the one given with `name()`, else what `configured()` (the
   * adapter's naming hook) returns when that is a non-empty string, else `fallback()` — or
   * `undefined` (not reported) when `onlyNamed` and neither named it.
   */
  resolve(target: object, configured: () => unknown, onlyNamed: boolean, fallback: () => string): string | undefined;
}

/** A new, empty registry of object names (held weakly: naming keeps nothing alive). */
export function nameRegistry(): NameRegistry {
  const names = new WeakMap<object, string>();
  return {
    name(target, name) {
      if (typeof name === 'string' && name !== '') names.set(target, name);
      return target;
    },
    nameOf: (target) => names.get(target),
    resolve(target, configured, onlyNamed, fallback) {
      const registered = names.get(target);
      if (registered !== undefined) return registered;
      const given = configured();
      if (typeof given === 'string' && given !== '') return given;
      return onlyNamed ? undefined : fallback();
    },
  };
}
