// What the ORM adapters' version scenarios (packages/instrumentation-*/test/fixtures/scenario.cjs)
// print, for test/helpers/orm-versions.ts to read: one `EVENT <json>` line per finished
// mutation, and the scenario's own `ERROR`, `COUNT` and `VERSION` lines.
const { channels } = require('@domain-otel/api');

/**
 * Prints every mutation when it finishes, as its meta with outcome and actor. Values that differ
 * between runs are printed by kind: Dates as `<Date>`, and whatever `vary(key, value)` replaces.
 */
function printMutations(vary = (_key, value) => value) {
  const show = (value) => JSON.stringify(value, function (key, v) {
    return this[key] instanceof Date ? '<Date>' : vary(key, v);
  });
  const done = (ctx) => console.log(`EVENT ${show({ ...ctx.meta, outcome: ctx.outcome, actor: ctx.actor ?? null })}`);
  channels.mutation.subscribe({
    start() {}, asyncStart() {}, error() {},
    end(ctx) { if (ctx.async === false) done(ctx); },
    asyncEnd: done,
  });
}

/** Prints a line the test reads back: `<label> <json>`. */
function printLine(label, value) {
  console.log(`${label} ${JSON.stringify(value)}`);
}

/** Runs the scenario; a failure is printed and makes the process exit with 1. */
function runScenario(main) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

module.exports = { printLine, printMutations, runScenario };
