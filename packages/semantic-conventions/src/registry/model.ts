// The shape of the registry: one entry per event, attribute, enum and metric.
import type * as audit from '../audit';
import type * as cache from '../cache';
import type * as mutation from '../mutation';
import type * as rule from '../rule';

export type DomainEventName =
  | typeof audit.EVENT_DOMAIN_AUDIT_DECISION
  | typeof mutation.EVENT_DOMAIN_MANAGER_MUTATION
  | typeof rule.EVENT_DOMAIN_RULE_EVALUATION
  | typeof cache.EVENT_DOMAIN_CACHE_INVALIDATION
  | typeof audit.EVENT_DOMAIN_AUDIT_ACCESS;

export type RequirementLevel = 'required' | 'conditionally_required' | 'recommended' | 'opt_in';
/** `string or int`: an id the application gave as a string or as a number (kept as it was given). */
export type AttributeType = 'string' | 'string[]' | 'int' | 'string or int' | 'map' | 'any';

interface EntryBase {
  /** Dotted name as it appears on the wire (template attributes end in `.<key>`). */
  readonly name: string;
  /** Name of the exported constant holding it. */
  readonly constant: string;
  readonly brief: string;
}

export interface EventEntry extends EntryBase {
  readonly kind: 'event';
  readonly severity: string;
}

export interface AttributeEntry extends EntryBase {
  readonly kind: 'attribute';
  readonly type: AttributeType;
  /** True when the constant is a function of a key (`name` then shows `<key>`). */
  readonly template?: true;
  /** Requirement level per event; empty for resource and metric-only attributes. */
  readonly requirement: Readonly<Partial<Record<DomainEventName, RequirementLevel>>>;
  readonly note?: string;
}

export interface MetricEntry extends EntryBase {
  readonly kind: 'metric';
  readonly instrument: 'counter' | 'histogram';
  readonly unit: string;
  /** Attribute keys recorded on the instrument (all low-cardinality). */
  readonly attributes: readonly string[];
}

export interface EnumValueEntry {
  /** Key in the `*_VALUES` object. */
  readonly key: string;
  readonly value: string;
  readonly brief: string;
}

export interface EnumEntry extends EntryBase {
  readonly kind: 'enum';
  /** `name` is the attribute whose values these are. */
  readonly values: readonly EnumValueEntry[];
}

export type RegistryEntry = EventEntry | AttributeEntry | MetricEntry | EnumEntry;
