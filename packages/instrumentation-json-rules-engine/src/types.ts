import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface JsonRulesEngineInstrumentationConfig extends InstrumentationConfig {
  /**
   * Name of an engine (the rule set): used as the run span's rule name and set, and as the
   * `set` of every rule result. Default: the name given with `nameEngine(engine, name)`,
   * else `json-rules-engine`.
   */
  engineName?: (engine: object) => string | undefined;
  /**
   * Name of a rule. Default: its `name` (string or number), else its event type, else
   * `unnamed rule`.
   */
  ruleName?: (rule: object) => string | undefined;
}
