import type { AnyValue, LogRecord } from '@opentelemetry/api';

/** Attributes of a log record: values are full AnyValues (maps and arrays stay structured). */
export type LogAttributes = NonNullable<LogRecord['attributes']>;
export type AnyValueMap = Record<string, AnyValue>;
