// The accepted values of the variables that take one (or a list) of a fixed set.

export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];

export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const SAMPLERS = [
  'parentbased_always_on',
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export const LOG_LEVELS = ['info', 'none', 'error', 'warn', 'debug', 'verbose', 'all'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const AUDIT_LEVELS = ['changes', 'none', 'metadata', 'full'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export const DELIVERY_MODES = ['async', 'strict'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const CAPTURE_KINDS = ['audit', 'mutation', 'rule', 'cache'] as const;
export type CaptureKind = (typeof CAPTURE_KINDS)[number];

export const RESOURCE_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'container', 'all', 'none'] as const;
export type ResourceDetectorName = (typeof RESOURCE_DETECTORS)[number];

export const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'] as const;
export type PropagatorName = (typeof PROPAGATORS)[number];

export const TEMPORALITY_PREFERENCES = ['cumulative', 'delta', 'lowmemory'] as const;
export type TemporalityPreference = (typeof TEMPORALITY_PREFERENCES)[number];

export const RECORD_PATHS = ['direct', 'sdk'] as const;
export type RecordPath = (typeof RECORD_PATHS)[number];

export const EXPRESS_LAYER_TYPES = ['router', 'middleware', 'request_handler'] as const;
export type ExpressLayerTypeName = (typeof EXPRESS_LAYER_TYPES)[number];
