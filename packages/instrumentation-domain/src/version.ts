export const PACKAGE_NAME = '@domain-otel/instrumentation-domain';
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const PACKAGE_VERSION: string = (require('../package.json') as { version: string }).version;
