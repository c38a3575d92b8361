export { domainOtelExtension, WRITE_OPERATIONS } from './extension';
export type { DomainOtelExtension, WriteOperation } from './extension';
export type { PrismaExtensionOptions, PrismaModelInfo } from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
