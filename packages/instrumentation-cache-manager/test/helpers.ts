import path from 'node:path';
export { assertExactly, ensureInstalled, runNode, jsonLines, nextTurn } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** The api capture of a cache adapter's tests (test/helpers/api-capture.ts). */
export { captureInvalidations as captureApi, type PublishedInvalidation as Published } from '../../../test/helpers/api-capture';
