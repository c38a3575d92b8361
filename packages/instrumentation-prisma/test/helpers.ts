import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
export { assertExactly, ensureInstalled, runNode, jsonLines } from '../../../test/helpers/adapter-tests';
export type { RunResult } from '../../../test/helpers/adapter-tests';
export { scenarioPostgres } from '../../../test/helpers/orm-versions';

export const ROOT = path.resolve(__dirname, '../../..');
export const FIXTURES = path.join(__dirname, 'fixtures');
export const GENERATED = path.join(__dirname, '.generated');

export { captureMutations, capturePerTest, mutation } from '../../../test/helpers/mutation-capture';
export type { Recorded } from '../../../test/helpers/mutation-capture';

/**
 * Generates the test client from fixtures/schema.prisma into `outDir` with the Prisma CLI
 * installed under `prefix` (the clone's root by default). No schema engine is needed to
 * generate a client: pointing PRISMA_SCHEMA_ENGINE_BINARY at any executable stops the CLI
 * from trying to download one. Returns the path of the generated `client.ts`.
 */
export function generateClient(outDir: string, prefix = ROOT): string {
  mkdirSync(outDir, { recursive: true });
  const schemaFile = path.join(outDir, 'schema.prisma');
  const schema = readFileSync(path.join(FIXTURES, 'schema.prisma'), 'utf8').replace('"../.generated/client"', '"./client"');
  writeFileSync(schemaFile, schema);
  execFileSync(process.execPath, [path.join(prefix, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schemaFile], {
    cwd: outDir,
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120000,
  });
  return path.join(outDir, 'client', 'client.ts');
}

export const SCHEMA_SQL = readFileSync(path.join(FIXTURES, 'schema.sql'), 'utf8');
