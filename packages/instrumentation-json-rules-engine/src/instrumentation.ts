import { AsyncLocalStorage } from 'node:async_hooks';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { channels, failureReporter, isThenable, ruleEvaluated, traceRule } from '@domain-otel/api';
import type { FailureReporter, RuleEvaluation, RuleOutcome } from '@domain-otel/api';
import { conditionTrace, factsInput } from './conditions';
import type { EngineLike, EngineResultLike, JsonRulesEngineExports, RuleLike, RuleResultLike, RunState } from './internal-types';
import { engineNames } from './names';
import type { JsonRulesEngineInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Versions whose Engine.run / Rule.evaluate / condition-result shapes were verified. */
export const SUPPORTED_VERSIONS = ['>=6 <8'];

export const DEFAULT_ENGINE_NAME = 'json-rules-engine';

/** Which run a rule evaluation belongs to (rules of one run are evaluated concurrently). */
const runStorage = new AsyncLocalStorage<RunState>();

/**
 * The class name unless it is plain `Error`; then the error's string `code` (json-rules-engine
 * throws plain Errors with `code: 'UNDEFINED_FACT'`), else its `name`.
 */
function errorType(err: unknown): string {
  if (err instanceof Error) {
    if (err.constructor?.name && err.constructor.name !== 'Error') return err.constructor.name;
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? code : err.name || 'Error';
  }
  return typeof err === 'object' && err !== null ? 'object' : typeof err;
}

function runOutcome(result: unknown): RuleOutcome {
  const failures = (result as EngineResultLike | undefined)?.failureResults;
  return Array.isArray(failures) && failures.length > 0 ? 'failed' : 'passed';
}

function nameOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * Turns json-rules-engine runs into @domain-otel/api calls: each `engine.run(facts)` is a
 * `traceRule({ name, set })` operation, each rule's result a `ruleEvaluated()` event with the
 * per-condition trace. It never creates spans or log records itself.
 */
export class JsonRulesEngineInstrumentation extends InstrumentationBase<JsonRulesEngineInstrumentationConfig> {
  constructor(config: JsonRulesEngineInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** Reports a failure of this adapter's bookkeeping once per place, through its diag logger. */
  private get failures(): FailureReporter {
    return failureReporter(this._diag, 'the rules engine');
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'json-rules-engine',
        SUPPORTED_VERSIONS,
        (exports: JsonRulesEngineExports) => this.patch(exports),
        (exports: JsonRulesEngineExports) => this.unpatch(exports),
      ),
    ];
  }

  private patch(exports: JsonRulesEngineExports): JsonRulesEngineExports {
    const engine = exports.Engine?.prototype;
    const rule = exports.Rule?.prototype;
    if (typeof engine?.run !== 'function' || typeof rule?.evaluate !== 'function') {
      this._diag.warn('json-rules-engine: Engine.prototype.run or Rule.prototype.evaluate not found; runs are not recorded');
      return exports;
    }
    this._wrap(engine, 'run', (original) => this.wrapRun(original));
    this._wrap(rule, 'evaluate', (original) => this.wrapEvaluate(original));
    return exports;
  }

  private unpatch(exports: JsonRulesEngineExports): void {
    const engine = exports.Engine?.prototype;
    const rule = exports.Rule?.prototype;
    if (engine !== undefined && isWrapped(engine.run)) this._unwrap(engine, 'run');
    if (rule !== undefined && isWrapped(rule.evaluate)) this._unwrap(rule, 'evaluate');
  }

  private engineName(engine: object): string {
    return engineNames.nameOf(engine) ?? this._config.engineName?.(engine) ?? DEFAULT_ENGINE_NAME;
  }

  private ruleName(rule: RuleLike, result: RuleResultLike | undefined): string {
    return this._config.ruleName?.(rule)
      ?? nameOf(rule.name) ?? nameOf(result?.name)
      ?? nameOf(rule.ruleEvent?.type) ?? nameOf(result?.event?.type)
      ?? 'unnamed rule';
  }

  private wrapRun(original: EngineLike['run']): EngineLike['run'] {
    const self = this;
    return function run(this: EngineLike, ...args: Parameters<EngineLike['run']>) {
      if (!channels.rule.hasSubscribers && !channels.ruleEvaluation.hasSubscribers) return original.apply(this, args);
      let state: RunState;
      try {
        state = { engine: self.engineName(this), facts: args[0] };
      } catch (err) {
        self.failures.reportOnce('naming a json-rules-engine engine', err);
        return original.apply(this, args);
      }
      return traceRule({ name: state.engine, set: state.engine }, (ctx) => {
        // The run is a span; its rules' results are the evaluation records (one per rule),
        // so the mapping must not add a record for the run itself.
        ctx.emitEvaluation = false;
        const pending = runStorage.run(state, () => original.apply(this, args));
        if (!isThenable(pending)) return pending;
        return Promise.resolve(pending).then((result) => {
          ctx.outcome = runOutcome(result);
          return result;
        });
      });
    };
  }

  private wrapEvaluate(original: RuleLike['evaluate']): RuleLike['evaluate'] {
    const self = this;
    return function evaluate(this: RuleLike, ...args: Parameters<RuleLike['evaluate']>) {
      const run = runStorage.getStore();
      if (run === undefined || !channels.ruleEvaluation.hasSubscribers) return original.apply(this, args);
      const started = performance.now();
      let pending: ReturnType<RuleLike['evaluate']>;
      try {
        pending = original.apply(this, args);
      } catch (err) {
        self.publish(this, run, started, undefined, err);
        throw err;
      }
      if (!isThenable(pending)) return pending;
      // A side chain, attached before the engine's own handlers: it runs before the engine
      // emits the rule's events and before the run settles, and never rejects.
      pending.then(
        (result) => self.publish(this, run, started, result, undefined),
        (err: unknown) => self.publish(this, run, started, undefined, err),
      );
      return pending;
    };
  }

  private publish(rule: RuleLike, run: RunState, started: number, result: RuleResultLike | undefined, error: unknown): void {
    try {
      const failed = result === undefined;
      const evaluation: RuleEvaluation = {
        name: this.ruleName(rule, result),
        set: run.engine,
        outcome: failed ? 'error' : result.result === true ? 'passed' : 'failed',
        input: (run.input ??= factsInput(run.facts)),
        durationMs: performance.now() - started,
      };
      const conditions = failed ? undefined : conditionTrace(result.conditions);
      if (conditions !== undefined) evaluation.conditions = conditions;
      if (failed) evaluation.errorType = errorType(error);
      ruleEvaluated(evaluation);
    } catch (err) {
      this.failures.reportOnce('recording a json-rules-engine rule result', err);
    }
  }
}
