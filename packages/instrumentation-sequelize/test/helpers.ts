import path from 'node:path';
import { captureMutations as captureAll } from '../../../test/helpers/mutation-capture';
export { assertExactly, ensureInstalled, runNode, jsonLines } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';
export { scenarioPostgres } from '../../../test/helpers/orm-versions';
export { assertNoteInOrderInRule } from '../../../test/helpers/orm-nesting';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');

export { capturePerTest, mutation } from '../../../test/helpers/mutation-capture';
export type { Recorded } from '../../../test/helpers/mutation-capture';

/** The mutation capture, with Sequelize's `logging` prefix ("Executing (default): ") taken off each statement. */
export function captureMutations() {
  return captureAll((logged) => logged.replace(/^Executing \([^)]*\): /, ''));
}
