import * as p from '../parsers';
import type { Parser } from '../parsers';

/**
 * One row of the table of environment variables the distribution reads. `docs/configuration.md`
 * is generated from the table (scripts/gen-config-doc.mjs) and a test keeps the two equal.
 */
export interface VariableSpec<T> {
  readonly name: string;
  readonly parse: Parser<T>;
  readonly default: T;
  /** Default as shown to people (docs and warnings). */
  readonly defaultText: string;
  /** Accepted values as shown in the docs. */
  readonly accepted: string;
  readonly meaning: string;
  readonly origin: 'OpenTelemetry' | 'domain-otel';
}

/** Builders of one origin's rows: the shapes many variables share (milliseconds, counts, on/off, one of a list) are written once. */
export function specsOf(origin: VariableSpec<unknown>['origin']) {
  const spec = <T>(s: Omit<VariableSpec<T>, 'origin'>): VariableSpec<T> => ({ ...s, origin });
  const positive = (accepted: string) => (name: string, value: number, meaning: string) =>
    spec({ name, parse: p.positiveInteger, default: value, defaultText: String(value), accepted, meaning });
  return {
    spec,
    /** A duration in milliseconds. */
    millis: positive('positive integer (ms)'),
    /** A size or count. */
    count: positive('positive integer'),
    onOff: (name: string, value: boolean, meaning: string) =>
      spec<boolean>({ name, parse: p.onOff, default: value, defaultText: value ? 'on' : 'off', accepted: 'on, off', meaning }),
    /** One of `values`, shown in the docs as they are listed. */
    oneOf: <T extends string>(name: string, values: readonly T[], value: T, meaning: string) =>
      spec<T>({ name, parse: p.oneOf(values), default: value, defaultText: value, accepted: values.join(', '), meaning }),
  };
}
