export { TypeormInstrumentation, SUPPORTED_VERSIONS } from './instrumentation';
export type { TypeormEntityInfo, TypeormInstrumentationConfig } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
