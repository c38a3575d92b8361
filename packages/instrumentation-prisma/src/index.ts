export { domainOtelExtension } from './extension';
export type { DomainOtelExtension } from './extension';
export { WRITE_OPERATIONS } from './write-plan';
export type { WriteOperation } from './write-plan';
export type { PrismaExtensionOptions, PrismaModelInfo } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
