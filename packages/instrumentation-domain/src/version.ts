export const PACKAGE_NAME = '@domain-otel/instrumentation-domain';
export const PACKAGE_VERSION: string = (require('../package.json') as { version: string }).version;
