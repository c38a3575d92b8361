// docs/semantic-conventions.md is generated from the registry (packages/semantic-conventions);
// this keeps the registry true to what the mapping emits. Every kind of event is emitted through
// the real SDK with every optional field filled (and the failure paths), then: every attribute
// emitted is documented for its event with its type, every attribute documented for an event is
// emitted by some path, required ones are on every record, and enum-typed values are listed.
import assert from 'node:assert/strict';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { audit, cacheInvalidated, ruleEvaluated, traceAuthz, traceMutation, traceRule, withActor } from '@domain-otel/api';
import { REGISTRY, type AttributeEntry, type AttributeType, type EnumEntry } from '@domain-otel/semantic-conventions';
import { DomainInstrumentation } from '../src';
import { otelHarness } from '../../../test/helpers/otel-harness';

const h = otelHarness();
const ACTOR = { id: '42', name: 'Ada', tenant: 'acme', correlationId: 'req-1', clientAddress: '127.0.0.9', userAgent: 'ua/1' };
const MANY = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i]));
const LONG = 'x'.repeat(600);

/** Every path of every event the mapping emits (the access event is the sink's own). */
async function emitEverything(): Promise<ReadableLogRecord[]> {
  await withActor(ACTOR, async () => {
    // decisions: numeric and string ids, every field, a failing traced check, bounds exceeded
    await audit.decision({ action: 'update', outcome: 'granted', manager: 'invoices', entityId: 7, attributes: ['total'], permissions: ['p'], reason: 'r', metadata: { via: 'api' } });
    await audit.decision({ action: 'delete', outcome: 'denied', manager: 'invoices', entityId: 'inv-7', reason: LONG, metadata: MANY });
    await audit.decision({ action: 'read', outcome: 'bypassed', manager: 'invoices' });
    await assert.rejects(traceAuthz({ action: 'read', manager: 'invoices', entityId: 1 }, async () => { throw new RangeError('x'); }));
    // mutations: single, bulk, failing, bounds exceeded
    await traceMutation({ action: 'update', manager: 'orders', entityId: 7, changes: { status: { old: 'new', new: 'paid' } }, metadata: { via: 'api' } }, async () => {});
    await traceMutation({ action: 'bulk_update', manager: 'orders', count: 3, metadata: MANY }, async () => {});
    await traceMutation({ action: 'create', manager: 'orders', entityId: 'o-9', changes: { note: { new: LONG } } }, async () => {});
    await assert.rejects(traceMutation({ action: 'delete', manager: 'orders', entityId: 3 }, async () => { throw new TypeError('x'); }));
    // rules: traced (passed, error), published, bounds exceeded
    traceRule({ name: 'approval', set: 'orders', input: { total: 5 } }, (ctx) => { ctx.conditions = [{ fact: 'total', result: true }]; return true; });
    assert.throws(() => traceRule({ name: 'approval', set: 'orders' }, () => { throw new TypeError('bad'); }));
    ruleEvaluated({ name: 'limit', set: 'pricing', outcome: 'failed', input: { x: LONG, list: Array.from({ length: 300 }, (_, i) => i) }, conditions: { all: [] }, durationMs: 2 });
    // cache invalidations: keys beyond the listed ones, a cause, bounds exceeded
    cacheInvalidated({ cache: 'orders', reason: 'mutation', keys: Array.from({ length: 30 }, (_, i) => `k${i}`), cause: 'orders 7' });
    cacheInvalidated({ cache: 'orders', reason: 'clear', keyCount: 10 });
    cacheInvalidated({ cache: 'orders', reason: 'evict', keys: Array.from({ length: 200 }, (_, i) => `${i}${LONG}`) });
  });
  return h.logs.getFinishedLogRecords().slice();
}

function typeOf(value: unknown): AttributeType | 'unknown' {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' && Number.isInteger(value)) return 'int';
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return 'string[]';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'map';
  return 'unknown';
}

/** Whether a value fits a documented type (`string or int` takes either; `any` anything). */
function fits(documented: AttributeType, value: unknown): boolean {
  if (documented === 'any') return value !== undefined;
  return documented.split(' or ').includes(typeOf(value));
}

describe('docs/semantic-conventions.md matches what the mapping emits', () => {
  let emitted: ReadableLogRecord[];
  const attributes = REGISTRY.filter((e): e is AttributeEntry => e.kind === 'attribute');
  const enums = REGISTRY.filter((e): e is EnumEntry => e.kind === 'enum');
  const events = REGISTRY.filter((e) => e.kind === 'event' && e.name !== 'domain.audit.access').map((e) => e.name);

  before(async () => {
    h.reset();
    const instr = new DomainInstrumentation({ contextStorage: h.contextStorage, auditLevel: 'full', maxValueBytes: 256, maxCacheKeys: 200 });
    instr.setMeterProvider(h.freshMeterProvider());
    try {
      emitted = await emitEverything();
    } finally {
      instr.disable();
    }
  });

  it('emits every documented event', () => {
    assert.deepEqual([...new Set(emitted.map((r) => r.eventName))].sort(), [...events].sort());
  });

  it('every attribute emitted is documented for its event, with the type it has', () => {
    const problems: string[] = [];
    for (const r of emitted) {
      for (const [key, value] of Object.entries(r.attributes)) {
        const entry = attributes.find((a) => a.name === key);
        if (entry === undefined) problems.push(`${r.eventName}: ${key} is emitted but not in the registry`);
        else if (entry.requirement[r.eventName as keyof typeof entry.requirement] === undefined) problems.push(`${r.eventName}: ${key} is emitted but not documented for this event`);
        else if (!fits(entry.type, value)) problems.push(`${r.eventName}: ${key} is documented as ${entry.type}, emitted as ${typeOf(value)} (${JSON.stringify(value)})`);
      }
    }
    assert.deepEqual([...new Set(problems)], []);
  });

  it('every attribute documented for an event is emitted by one of its paths; required ones by all', () => {
    const problems: string[] = [];
    for (const event of events) {
      const mine = emitted.filter((r) => r.eventName === event);
      for (const a of attributes) {
        const level = a.requirement[event as keyof typeof a.requirement];
        if (level === undefined) continue;
        const carrying = mine.filter((r) => r.attributes[a.name] !== undefined).length;
        if (carrying === 0) problems.push(`${event}: ${a.name} is documented (${level}) but never emitted`);
        if (level === 'required' && carrying !== mine.length) problems.push(`${event}: ${a.name} is required but missing on ${mine.length - carrying} of ${mine.length} records`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('every value of an enumerated attribute is one the registry lists', () => {
    const problems: string[] = [];
    for (const r of emitted) {
      for (const e of enums) {
        const value = r.attributes[e.name];
        if (value !== undefined && !e.values.some((v) => v.value === value)) problems.push(`${r.eventName}: ${e.name}=${JSON.stringify(value)} is not in ${e.constant}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
