export { CacheManagerInstrumentation, SUPPORTED_VERSIONS } from './instrumentation';
export { nameCache } from './names';
export type { CacheManagerInstrumentationConfig, CacheManagerInvalidationReason } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
