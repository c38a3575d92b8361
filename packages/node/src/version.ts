export const DISTRO_NAME = 'domain-otel';
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const DISTRO_VERSION: string = (require('../package.json') as { version: string }).version;
