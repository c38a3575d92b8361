export const DISTRO_NAME = 'domain-otel';
export const DISTRO_VERSION: string = (require('../package.json') as { version: string }).version;
