import assert from 'node:assert/strict';
import * as audit from '../src/audit';
import * as cache from '../src/cache';
import * as common from '../src/common';
import * as index from '../src/index';
import * as metrics from '../src/metrics';
import * as mutation from '../src/mutation';
import { REGISTRY, type EnumEntry, type RegistryEntry } from '../src/registry';
import * as rule from '../src/rule';
import * as schema from '../src/schema';

const MODULES: Record<string, Record<string, unknown>> = { audit, cache, common, metrics, mutation, rule };
const NAME_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

function byConstant(constant: string): RegistryEntry {
  const entry = REGISTRY.find((e) => e.constant === constant);
  assert.ok(entry, `${constant} is exported but missing from REGISTRY (src/registry.ts)`);
  return entry;
}

describe('semantic-conventions registry', () => {
  for (const [file, mod] of Object.entries(MODULES)) {
    it(`documents every constant of src/${file}.ts`, () => {
      for (const [key, value] of Object.entries(mod)) {
        if (key === 'METRIC_UNITS' || key === 'METRIC_DESCRIPTIONS') continue; // checked below
        const entry = byConstant(key);
        if (typeof value === 'string') {
          assert.equal(entry.name, value, `${key}: registry name differs from the constant`);
          const expectedKind = key.startsWith('EVENT_') ? 'event' : key.startsWith('METRIC_') ? 'metric' : 'attribute';
          assert.equal(entry.kind, expectedKind, `${key}: registered as ${entry.kind}`);
        } else if (typeof value === 'function') {
          assert.equal(entry.kind, 'attribute');
          assert.ok(entry.kind === 'attribute' && entry.template, `${key}: template attribute not marked template`);
          assert.equal(entry.name, (value as (k: string) => string)('<key>'));
        } else {
          assert.ok(key.endsWith('_VALUES'), `${key}: unexpected export kind`);
          assert.equal(entry.kind, 'enum');
          const values = (entry as EnumEntry).values.map((v) => [v.key, v.value]);
          assert.deepEqual(values, Object.entries(value as object), `${key}: registry values differ from the object`);
        }
      }
    });
  }

  it('has a unit in METRIC_UNITS for every metric, equal to the registry unit', () => {
    const registered = REGISTRY.filter((e) => e.kind === 'metric');
    assert.deepEqual(registered.map((m) => m.name).sort(), Object.keys(metrics.METRIC_UNITS).sort());
    for (const m of registered) {
      assert.equal(m.unit, metrics.METRIC_UNITS[m.name as metrics.MetricName], m.name);
      assert.match(m.unit, /^(s|\{[a-z_]+\})$/, `${m.name}: unit ${m.unit} is not an OTel-style unit`);
    }
  });

  it('lists no constant that the modules do not export', () => {
    const exported = new Set(Object.values(MODULES).flatMap((m) => Object.keys(m)));
    for (const entry of REGISTRY) assert.ok(exported.has(entry.constant), `${entry.constant} is in REGISTRY but not exported`);
  });

  it('has unique names per kind and unique constants', () => {
    const seen = new Set<string>();
    const constants = new Set<string>();
    for (const entry of REGISTRY) {
      const key = `${entry.kind}:${entry.name}`;
      assert.ok(!seen.has(key), `duplicate ${entry.kind} ${entry.name}`);
      assert.ok(!constants.has(entry.constant), `duplicate constant ${entry.constant}`);
      seen.add(key);
      constants.add(entry.constant);
      if (entry.kind === 'enum') {
        const values = entry.values.map((v) => v.value);
        assert.equal(new Set(values).size, values.length, `${entry.constant} has duplicate values`);
      }
    }
  });

  it('uses lowercase dotted names and only cross-references registered names', () => {
    const events = new Set(REGISTRY.filter((e) => e.kind === 'event').map((e) => e.name));
    const attributes = new Set(REGISTRY.filter((e) => e.kind === 'attribute').map((e) => e.name));
    for (const entry of REGISTRY) {
      const name = entry.kind === 'attribute' && entry.template ? entry.name.replace(/\.<key>$/, '') : entry.name;
      assert.match(name, NAME_PATTERN, `${entry.constant}: bad name ${entry.name}`);
      assert.ok(entry.brief.length > 0, `${entry.constant} has no brief`);
      if (entry.kind === 'attribute') {
        for (const event of Object.keys(entry.requirement)) assert.ok(events.has(event), `${entry.constant}: unknown event ${event}`);
      }
      if (entry.kind === 'enum') assert.ok(attributes.has(entry.name), `${entry.constant}: no attribute ${entry.name}`);
      if (entry.kind === 'metric') {
        for (const a of entry.attributes) assert.ok(attributes.has(a), `${entry.constant}: unknown attribute ${a}`);
      }
    }
  });

  it('gives every event at least one required attribute', () => {
    for (const event of REGISTRY.filter((e) => e.kind === 'event')) {
      const required = REGISTRY.filter(
        (e) => e.kind === 'attribute' && (e.requirement as Record<string, string>)[event.name] === 'required',
      );
      assert.ok(required.length > 0, `${event.name} has no required attribute`);
    }
  });

  it('re-exports everything from the index', () => {
    const all: Record<string, unknown> = { ...schema, ...Object.assign({}, ...Object.values(MODULES)) };
    for (const [key, value] of Object.entries(all)) assert.equal((index as Record<string, unknown>)[key], value, key);
    assert.equal(index.REGISTRY, REGISTRY);
  });

  it('publishes a schema URL ending in the schema version', () => {
    assert.match(schema.SCHEMA_VERSION, /^\d+\.\d+\.\d+$/);
    assert.ok(schema.SCHEMA_URL.startsWith('https://'));
    assert.ok(schema.SCHEMA_URL.endsWith(`/${schema.SCHEMA_VERSION}`));
  });
});
