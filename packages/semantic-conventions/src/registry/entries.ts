// Small builders for registry entries: each takes the module that exports a name and the
// name of its constant, so the wire name is read from the constant, never written twice.
import * as metrics from '../metrics';
import type {
  AttributeEntry, AttributeType, DomainEventName, EnumEntry, EventEntry, MetricEntry, RequirementLevel,
} from './model';

/** Names of a module's string constants. */
type StringConstant<M> = { [K in keyof M]: M[K] extends string ? K : never }[keyof M] & string;
/** Names of a module's `*_VALUES` objects. */
type ValuesConstant<M> = { [K in keyof M]: K extends `${string}_VALUES` ? K : never }[keyof M] & string;

export function event<M>(mod: M, constant: StringConstant<M>, severity: string, brief: string): EventEntry {
  return { kind: 'event', name: String(mod[constant]), constant, severity, brief };
}

export function attribute<M>(
  mod: M, constant: StringConstant<M>, type: AttributeType, requirement: AttributeEntry['requirement'], brief: string, note?: string,
): AttributeEntry {
  return { kind: 'attribute', name: String(mod[constant]), constant, type, requirement, brief, ...(note === undefined ? {} : { note }) };
}

/** A builder of the attributes of `mod` that belong to one event: each gets its requirement level on that event. */
export function attributesOf<M>(mod: M, on: DomainEventName) {
  return (constant: StringConstant<M>, type: AttributeType, level: RequirementLevel, brief: string, note?: string): AttributeEntry =>
    attribute(mod, constant, type, { [on]: level }, brief, note);
}

/** The values of an enum, in the order of its `*_VALUES` object, each with the brief given for its key. */
export function enumOf<M, K extends ValuesConstant<M>>(
  mod: M, constant: K, attributeName: string, brief: string, briefs: Readonly<Record<keyof M[K] & string, string>>,
): EnumEntry {
  const object = mod[constant] as Readonly<Record<keyof M[K] & string, string>>;
  const values = (Object.keys(object) as (keyof M[K] & string)[]).map((key) => ({ key, value: object[key], brief: briefs[key] }));
  return { kind: 'enum', name: attributeName, constant, brief, values };
}

type MetricConstant = Extract<StringConstant<typeof metrics>, `METRIC_${string}`>;

/** A metric: its unit and description are those the instrument is created with (metrics.ts). */
export function metric(constant: MetricConstant, instrument: MetricEntry['instrument'], attributes: readonly string[]): MetricEntry {
  const name = metrics[constant];
  return {
    kind: 'metric', name, constant, instrument, unit: metrics.METRIC_UNITS[name], attributes, brief: metrics.METRIC_DESCRIPTIONS[name],
  };
}
