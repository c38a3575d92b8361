export { SequelizeInstrumentation, SUPPORTED_VERSIONS } from './instrumentation';
export type { SequelizeInstrumentationConfig, SequelizeModelInfo } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
