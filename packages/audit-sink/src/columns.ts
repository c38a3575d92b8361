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
