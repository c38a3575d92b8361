/**
 * Loads an instrumentation only when the app first requires a module it patches: an app that
 * never loads `pg` never pays for `@opentelemetry/instrumentation-pg`. Used for CommonJS
 * (`--require`); under `--import` the ESM loader needs every hook before the first import, so
 * instrumentations are created eagerly there.
 */
import Module from 'node:module';
import type { Instrumentation } from '@opentelemetry/instrumentation';

export interface LazyEntry {
  name: string;
  /** Module names (as the instrumentation's module definitions name them) that trigger it. */
  triggers: readonly string[];
  create(): Instrumentation;
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
type ModuleWithLoad = typeof Module & { _load: Load };
type Requirer = { require(id: string): unknown };

/** Does `request` (as passed to require) name `moduleName` or a file inside it? */
export function requestMatches(request: string, moduleName: string): boolean {
  return request === moduleName || (request.length > moduleName.length && request.startsWith(moduleName) && request[moduleName.length] === '/');
}

export class LazyInstrumentations {
  private readonly pending: LazyEntry[];
  private readonly created: Instrumentation[] = [];
  private originalLoad: Load | undefined;
  private loading = false;

  constructor(
    entries: readonly LazyEntry[],
    private readonly register: (instrumentation: Instrumentation) => void,
    private readonly onError: (name: string, err: unknown) => void,
  ) {
    this.pending = [...entries];
  }

  /** Instrumentations created so far (for disable at shutdown). */
  get loaded(): readonly Instrumentation[] {
    return this.created;
  }

  /** Names still waiting for their module. */
  get waiting(): string[] {
    return this.pending.map((e) => e.name);
  }

  install(): void {
    if (this.originalLoad || this.pending.length === 0) return;
    const moduleWithLoad = Module as ModuleWithLoad;
    const original = moduleWithLoad._load;
    this.originalLoad = original;
    // the wrapper must keep Node's `this`
    const self = this;
    moduleWithLoad._load = function lazyInstrumentationLoad(this: unknown, request: string, parent: unknown, isMain: boolean) {
      if (self.pending.length === 0 || self.loading || typeof request !== 'string') return original.apply(this, [request, parent, isMain]);
      const entry = self.pending.find((e) => e.triggers.some((t) => requestMatches(request, t)));
      if (entry === undefined) return original.apply(this, [request, parent, isMain]);
      const requireBefore = Module.prototype.require;
      self.activate(entry);
      // The first instrumentation created may install require-in-the-middle's hook on
      // Module.prototype.require while this load is already past it: go through it again so
      // the module being loaded now is patched too.
      if (Module.prototype.require !== requireBefore && parent && typeof (parent as Requirer).require === 'function') {
        return (parent as Requirer).require(request);
      }
      return original.apply(this, [request, parent, isMain]);
    };
  }

  /** Stops loading anything new; Module._load is restored if nobody wrapped it after us. */
  uninstall(): void {
    this.pending.length = 0;
    const moduleWithLoad = Module as ModuleWithLoad;
    if (this.originalLoad && moduleWithLoad._load.name === 'lazyInstrumentationLoad') moduleWithLoad._load = this.originalLoad;
    this.originalLoad = undefined;
  }

  private activate(entry: LazyEntry): void {
    this.pending.splice(this.pending.indexOf(entry), 1);
    this.loading = true;
    try {
      const instrumentation = entry.create();
      this.created.push(instrumentation);
      this.register(instrumentation);
    } catch (err) {
      // A broken instrumentation must never break the app's require.
      this.onError(entry.name, err);
    } finally {
      this.loading = false;
    }
  }
}
