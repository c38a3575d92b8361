export * from './schema.js';
export * from './common.js';
export * from './audit.js';
export * from './mutation.js';
export * from './rule.js';
export * from './cache.js';
export * from './metrics.js';
export * from './registry.js';
