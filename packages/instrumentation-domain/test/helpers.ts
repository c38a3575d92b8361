import assert from 'node:assert/strict';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { DomainInstrumentation } from '../src';
import type { DomainInstrumentationConfig } from '../src';
import { otelHarness } from '../../../test/helpers/otel-harness';

/** The in-process SDK (in-memory exporters) the mapping under test records into. */
export const h = otelHarness();

let instr: DomainInstrumentation | undefined;

/** The mapping under test with `config`, replacing the previous one; its metrics start from zero. */
export function use(config: DomainInstrumentationConfig = {}): DomainInstrumentation {
  instr?.disable();
  instr = new DomainInstrumentation({ contextStorage: h.contextStorage, ...config });
  instr.setMeterProvider(h.freshMeterProvider());
  return instr;
}

/** For each test: a clean harness before, no mapping subscribed after. */
export function isolateEachTest(): void {
  beforeEach(() => h.reset());
  afterEach(() => {
    instr?.disable();
    instr = undefined;
  });
}

/** The finished log records, of one event or all. */
export const records = (eventName?: string): ReadableLogRecord[] =>
  h.logs.getFinishedLogRecords().filter((r) => eventName === undefined || r.eventName === eventName);

/** The one record of `eventName` (fails when there are none or several). */
export function only(eventName: string): ReadableLogRecord {
  const found = records(eventName);
  assert.equal(found.length, 1, `expected one ${eventName}, got ${found.length} (all: ${records().map((r) => r.eventName).join(', ')})`);
  return found[0]!;
}
