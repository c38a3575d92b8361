/** The audit schema. */
export const SCHEMA = 'domain_otel_audit';

/** Quoting for the few SQL statements whose identifiers or literals cannot be parameters. */
export function quoteIdent(s: string): string {
  return '"' + s.replace(/"/g, '""') + '"';
}

export function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}
