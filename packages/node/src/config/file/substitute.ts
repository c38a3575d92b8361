/**
 * Environment variable substitution in a configuration file, as the OpenTelemetry
 * configuration specification defines it: `${NAME}`, `${env:NAME}`, `${NAME:-default}` in
 * values (never in keys), `$$` for a literal `$`. A plain (unquoted) value that was substituted
 * is read again as YAML, so `${PORT}` can give a number.
 */
import { parse, visit, Scalar, type Document } from 'yaml';
import type { Env } from '../load';

const REFERENCE = /\$\{(?:env:)?([^}]*)\}/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^\n}]*))?$/;

export function substituteEnv(doc: Document, env: Env, onInvalid: (reference: string) => void): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const text = node.value;
      const replaced = text
        .split('$$')
        .map((chunk) => chunk.replace(REFERENCE, (whole, inner: string) => {
          const m = NAME_AND_DEFAULT.exec(inner);
          if (!m) {
            onInvalid(whole);
            return whole;
          }
          const value = env[m[1]!];
          return value !== undefined && value !== '' ? value : (m[2] ?? '');
        }))
        .join('$');
      if (replaced === text) return;
      node.value = node.type === Scalar.PLAIN ? coerce(replaced) : replaced;
    },
  });
}

function coerce(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return value === null || ['string', 'number', 'boolean'].includes(typeof value) ? value : text;
  } catch {
    return text;
  }
}
