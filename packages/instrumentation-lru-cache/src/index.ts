export { LruCacheInstrumentation, SUPPORTED_VERSIONS } from './instrumentation';
export { nameCache } from './names';
export type { LruCacheInstrumentationConfig, LruInvalidationReason } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
