export const PACKAGE_NAME = '@domain-otel/instrumentation-prisma';
// The package.json next to dist/ is the single source of the version.
export const PACKAGE_VERSION: string = (require('../package.json') as { version: string }).version;
