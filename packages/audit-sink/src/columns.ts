/** The columns extracted from every stored audit record (sql/001_init.sql), as Postgres returns them. */
export interface ExtractedColumns {
  uid: string;
  event_name: string;
  time_unix_nano: string;
  action: string | null;
  outcome: string | null;
  manager: string | null;
  entity_id: string | null;
  user_id: string | null;
  tenant_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  service: string | null;
}

/** The columns saying what happened and to whom, in the order the stored rows, query output and archives list them. */
export type EventColumns = Pick<ExtractedColumns, 'event_name' | 'action' | 'outcome' | 'manager' | 'entity_id' | 'user_id' | 'tenant_id'>;

/** A row's event columns, copied in that order (JSON output keeps it). */
export function eventColumns(r: EventColumns): EventColumns {
  return {
    event_name: r.event_name,
    action: r.action,
    outcome: r.outcome,
    manager: r.manager,
    entity_id: r.entity_id,
    user_id: r.user_id,
    tenant_id: r.tenant_id,
  };
}
