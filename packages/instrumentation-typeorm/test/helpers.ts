import path from 'node:path';
export { assertExactly, ensureInstalled, runNode, jsonLines } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';
export { scenarioPostgres } from '../../../test/helpers/orm-versions';
export { assertNoteInOrderInRule } from '../../../test/helpers/orm-nesting';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

export { captureMutations, capturePerTest, mutation } from '../../../test/helpers/mutation-capture';
export type { Recorded } from '../../../test/helpers/mutation-capture';
