export { DEFAULT_ENGINE_NAME, JsonRulesEngineInstrumentation, SUPPORTED_VERSIONS } from './instrumentation';
export { nameEngine } from './names';
export type { JsonRulesEngineInstrumentationConfig } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
