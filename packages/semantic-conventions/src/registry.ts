// Machine-readable list of every name this package exports. The documentation
// (docs/semantic-conventions.md) is generated from it, and a test checks that no
// exported constant is missing here. The entries live in registry/, one file per kind.
import { ATTRIBUTES } from './registry/attributes';
import { ENUMS } from './registry/enums';
import { EVENTS } from './registry/events';
import { METRICS } from './registry/metrics';
import type { RegistryEntry } from './registry/model';

export type {
  AttributeEntry, AttributeType, DomainEventName, EnumEntry, EnumValueEntry, EventEntry, MetricEntry, RegistryEntry, RequirementLevel,
} from './registry/model';

/** Every event, attribute, enum and metric of the domain-otel conventions. */
export const REGISTRY: readonly RegistryEntry[] = [...EVENTS, ...ATTRIBUTES, ...ENUMS, ...METRICS];
