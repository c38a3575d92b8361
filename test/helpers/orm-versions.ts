/**
 * The ORM adapters' version suites (Sequelize, TypeORM, Prisma): one throwaway Postgres per
 * suite, and each version's scenario fixture run in a child process against a fresh database
 * of it, with what it printed read back (see test/helpers/scenario-output.cjs).
 */
import assert from 'node:assert/strict';
import { startThrowawayPostgres } from '../../packages/audit-sink/test/helpers/throwaway-postgres';
import type { ThrowawayPostgres } from '../../packages/audit-sink/test/helpers/throwaway-postgres';
import { jsonLines, runNode } from './adapter-tests';

/** What a scenario printed: its library version, the mutations, the errors and counts it saw. */
export interface ScenarioOutput {
  version: string | undefined;
  events: Record<string, unknown>[];
  errors: string[];
  counts: number[];
  stdout: string;
}

/**
 * Starts a throwaway Postgres before the enclosing suite and destroys it after (call it inside
 * `describe`); `run` runs a scenario against a new database `database` of it (first created
 * from `schemaSql`, when given), and asserts the child exited cleanly.
 */
export function scenarioPostgres(): { run(args: string[], database: string, schemaSql?: string): Promise<ScenarioOutput> } {
  let pg: ThrowawayPostgres | undefined;
  before(async () => {
    pg = await startThrowawayPostgres();
  });
  after(async () => {
    await pg?.destroy();
  });
  return {
    async run(args, database, schemaSql) {
      assert.ok(pg !== undefined, 'the suite\'s Postgres is not running');
      const url = await pg.createDatabase(database);
      if (schemaSql !== undefined) await pg.psql(schemaSql, database);
      const result = await runNode(args, { DATABASE_URL: url });
      assert.equal(result.code, 0, result.stderr);
      return {
        version: jsonLines<string>(result.stdout, 'VERSION ')[0],
        events: jsonLines<Record<string, unknown>>(result.stdout, 'EVENT '),
        errors: jsonLines<string>(result.stdout, 'ERROR '),
        counts: jsonLines<number>(result.stdout, 'COUNT '),
        stdout: result.stdout,
      };
    },
  };
}
