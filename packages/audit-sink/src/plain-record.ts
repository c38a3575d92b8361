/**
 * A decoded OTLP log record, with its resource and scope, as the plain JSON the sink stores in
 * the `record` jsonb column: every field present, 64-bit integers as decimal strings, bytes as
 * base64, trace and span ids as lowercase hex (null when absent).
 */
import { storableString, type PlainValue } from './canonical';
import { ValueBudget } from './limits';
import {
  anyValueToPlain,
  asInt32,
  asObject,
  asString,
  asUint32,
  get,
  idToHex,
  int64ToString,
  keyValuesToPlain,
  severityFromName,
  type Format,
  type Obj,
  type PlainAttributes,
} from './otlp-values';

export type { PlainAttributes };

/** The whole log record as stored in the `record` jsonb column. */
export interface PlainRecord {
  [key: string]: PlainValue;
  resource: { attributes: PlainAttributes; droppedAttributesCount: number; schemaUrl: string };
  scope: { name: string; version: string; attributes: PlainAttributes; droppedAttributesCount: number; schemaUrl: string };
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: PlainValue;
  attributes: PlainAttributes;
  droppedAttributesCount: number;
  flags: number;
  traceId: string | null;
  spanId: string | null;
}

/** The resource of a ResourceLogs `rl` (its `resource` and `schemaUrl`). */
export function plainResource(rl: Obj, format: Format, path: string): PlainRecord['resource'] {
  const res = asObject(rl['resource'], path) ?? {};
  return {
    attributes: keyValuesToPlain(res['attributes'], format, `${path}.attributes`, 0, new ValueBudget(path)),
    droppedAttributesCount: asUint32(get(res, 'droppedAttributesCount', 'dropped_attributes_count', format), `${path}.droppedAttributesCount`),
    schemaUrl: asString(get(rl, 'schemaUrl', 'schema_url', format), `${path}.schemaUrl`),
  };
}

/** The instrumentation scope of a ScopeLogs `sl` (its `scope` and `schemaUrl`). */
export function plainScope(sl: Obj, format: Format, path: string): PlainRecord['scope'] {
  const sc = asObject(sl['scope'], path) ?? {};
  return {
    name: asString(sc['name'], `${path}.name`),
    version: asString(sc['version'], `${path}.version`),
    attributes: keyValuesToPlain(sc['attributes'], format, `${path}.attributes`, 0, new ValueBudget(path)),
    droppedAttributesCount: asUint32(get(sc, 'droppedAttributesCount', 'dropped_attributes_count', format), `${path}.droppedAttributesCount`),
    schemaUrl: asString(get(sl, 'schemaUrl', 'schema_url', format), `${path}.schemaUrl`),
  };
}

/** The log record `lr` with its (already plain) resource and scope; its values counted against one budget. */
export function plainLogRecord(
  lr: Obj,
  eventName: string,
  resource: PlainRecord['resource'],
  scope: PlainRecord['scope'],
  format: Format,
  path: string,
): PlainRecord {
  const budget = new ValueBudget(path);
  const attributes = keyValuesToPlain(lr['attributes'], format, `${path}.attributes`, 0, budget);
  const severityRaw = get(lr, 'severityNumber', 'severity_number', format);
  return {
    resource,
    scope,
    timeUnixNano: int64ToString(get(lr, 'timeUnixNano', 'time_unix_nano', format), format, `${path}.timeUnixNano`, true),
    observedTimeUnixNano: int64ToString(
      get(lr, 'observedTimeUnixNano', 'observed_time_unix_nano', format),
      format,
      `${path}.observedTimeUnixNano`,
      true,
    ),
    // OTLP/JSON requires integer enums; accept the enum name too, as protobuf JSON parsers do.
    severityNumber:
      typeof severityRaw === 'string' && /^SEVERITY_NUMBER_/.test(severityRaw)
        ? severityFromName(severityRaw, `${path}.severityNumber`)
        : asInt32(severityRaw, `${path}.severityNumber`),
    severityText: asString(get(lr, 'severityText', 'severity_text', format), `${path}.severityText`),
    eventName: storableString(eventName),
    body: anyValueToPlain(lr['body'], format, `${path}.body`, 0, budget),
    attributes,
    droppedAttributesCount: asUint32(get(lr, 'droppedAttributesCount', 'dropped_attributes_count', format), `${path}.droppedAttributesCount`),
    flags: asUint32(lr['flags'], `${path}.flags`),
    traceId: idToHex(get(lr, 'traceId', 'trace_id', format), format, 16, `${path}.traceId`),
    spanId: idToHex(get(lr, 'spanId', 'span_id', format), format, 8, `${path}.spanId`),
  };
}
