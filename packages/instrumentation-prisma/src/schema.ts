// What the adapter needs to know about each model: which fields are scalars (reported as
// values) and which are relations (nested writes), the primary key, the automatic
// timestamps. Read from the client the extension is applied to.
import type { ClientLike, RuntimeDataModelLike } from './internal-types';

export interface ModelInfo {
  readonly name: string;
  /** Scalar and enum fields, in schema order; empty when the data model is unknown. */
  readonly scalars: ReadonlySet<string>;
  /** Relation fields. */
  readonly relations: ReadonlySet<string>;
  /** Json fields: their values are never unwrapped (`{ set }` is data there). */
  readonly json: ReadonlySet<string>;
  /** Primary key fields, in key order. */
  readonly idFields: readonly string[];
  /** `@updatedAt` and `@default(now())` fields. */
  readonly timestamps: ReadonlySet<string>;
  /** Whether the field lists come from the client (false: everything is taken as a scalar). */
  readonly known: boolean;
}

interface ParsedModel {
  ids: string[];
  timestamps: Set<string>;
}

/**
 * `@id` / `@@id` and timestamp attributes from the schema text the client carries. The
 * runtime data model of Prisma 7 has no primary key information; the schema does.
 */
export function parseSchema(schema: string): Map<string, ParsedModel> {
  const models = new Map<string, ParsedModel>();
  const text = schema.replace(/\/\/[^\n]*/g, '');
  const block = /\bmodel\s+(\w+)\s*\{([^}]*)\}/g;
  for (let match = block.exec(text); match !== null; match = block.exec(text)) {
    const [, name, body] = match as unknown as [string, string, string];
    const parsed: ParsedModel = { ids: [], timestamps: new Set() };
    for (const raw of body.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      const compound = /^@@id\s*\(\s*(?:fields\s*:\s*)?\[([^\]]*)\]/.exec(line);
      if (compound !== null) {
        parsed.ids = (compound[1] ?? '').split(',').map((f) => f.trim().replace(/\(.*$/, '')).filter((f) => f !== '');
        continue;
      }
      if (line.startsWith('@@')) continue;
      const field = /^(\w+)\s+\S+(.*)$/.exec(line);
      if (field === null) continue;
      const [, fieldName, rest] = field as unknown as [string, string, string];
      if (/(^|\s)@id\b/.test(rest)) parsed.ids = [fieldName];
      if (/(^|\s)@updatedAt\b/.test(rest) || /(^|\s)@default\(\s*now\(\s*\)\s*\)/.test(rest)) parsed.timestamps.add(fieldName);
    }
    models.set(name, parsed);
  }
  return models;
}

export class Schema {
  private readonly cache = new Map<string, ModelInfo>();
  private parsed: Map<string, ParsedModel> | undefined;
  private readonly dataModel: RuntimeDataModelLike | undefined;
  private readonly schemaText: string | undefined;

  constructor(client: ClientLike, private readonly configuredIds: Readonly<Record<string, readonly string[]>> | undefined) {
    // Both are internal to Prisma Client (every 7.x release has them); read defensively.
    let dataModel: RuntimeDataModelLike | undefined;
    let schemaText: string | undefined;
    try {
      dataModel = client._runtimeDataModel;
      schemaText = client._engineConfig?.inlineSchema;
    } catch {
      // left unknown
    }
    this.dataModel = typeof dataModel?.models === 'object' && dataModel.models !== null ? dataModel : undefined;
    this.schemaText = typeof schemaText === 'string' ? schemaText : undefined;
  }

  model(name: string): ModelInfo {
    let info = this.cache.get(name);
    if (info === undefined) {
      info = this.build(name);
      this.cache.set(name, info);
    }
    return info;
  }

  private build(name: string): ModelInfo {
    if (this.parsed === undefined) {
      try {
        this.parsed = this.schemaText === undefined ? new Map() : parseSchema(this.schemaText);
      } catch {
        this.parsed = new Map();
      }
    }
    const fields = this.dataModel?.models[name]?.fields;
    const scalars = new Set<string>();
    const relations = new Set<string>();
    const json = new Set<string>();
    for (const field of Array.isArray(fields) ? fields : []) {
      if (field.kind === 'object') relations.add(field.name);
      else scalars.add(field.name);
      if (field.type === 'Json') json.add(field.name);
    }
    const parsed = this.parsed.get(name);
    const configured = this.configuredIds?.[name];
    let idFields: readonly string[] = configured ?? parsed?.ids ?? [];
    if (idFields.length === 0 && (scalars.has('id') || scalars.size === 0)) idFields = ['id'];
    return { name, scalars, relations, json, idFields: [...idFields], timestamps: parsed?.timestamps ?? new Set(), known: scalars.size > 0 };
  }
}
