/** `domain-otel-audit query`: audit records by filter (../query.ts), or with --conflicts the uid conflicts (../conflicts.ts). */
import { parseDuration, parseIntArg, parseNonEmpty, parseTime } from '../args';
import { conflictsToNdjson, conflictsToTable, listConflicts } from '../conflicts';
import { UsageError } from '../errors';
import { queryAudit, toCsv, toNdjson, toTable, type QueryFilters } from '../query';
import { ACCESS_DB_HELP, ACCESS_DB_OPTION, DB_OPTION, PROG, helpRequested, logAccess, parse, withReadPools, type CliIo } from './common';

export const QUERY_HELP = `usage: ${PROG} query [filters] [--ndjson | --csv]

  --user ID  --tenant ID  --manager NAME  --entity ID  --action ACTION  --outcome OUTCOME
  --event NAME  --trace TRACE_ID  --uid UID  --service NAME
  --since DURATION       records of the last DURATION (e.g. 24h, 7d)
  --from TIME --to TIME  time range [from, to); ISO-8601, UTC when no zone is given
  --limit N              at most N rows (default 1000)
  --desc                 newest first
  --ndjson               one JSON object per line (includes the full record)
  --csv                  RFC 4180 CSV with a header line (the full record as JSON in the last column)
${ACCESS_DB_HELP}
  --conflicts            list replays that reused a stored log.record.uid for other content instead
                         (filters: --uid, --since/--from/--to on the receive time; --limit, --desc, --ndjson)
`;

type Values = Record<string, unknown>;

export async function queryCmd(argv: string[], io: CliIo): Promise<number> {
  const v = parse('query', argv, {
    ...DB_OPTION,
    ...ACCESS_DB_OPTION,
    user: { type: 'string' },
    tenant: { type: 'string' },
    manager: { type: 'string' },
    entity: { type: 'string' },
    action: { type: 'string' },
    outcome: { type: 'string' },
    event: { type: 'string' },
    trace: { type: 'string' },
    uid: { type: 'string' },
    service: { type: 'string' },
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    desc: { type: 'boolean' },
    ndjson: { type: 'boolean' },
    csv: { type: 'boolean' },
    conflicts: { type: 'boolean' },
  });
  if (helpRequested(QUERY_HELP, v, io)) return 0;
  if (v['ndjson'] && v['csv']) throw new UsageError('query: --ndjson and --csv both choose the output format; use one');
  if (v['conflicts']) return conflictsQuery(v, argv, io);
  const f: QueryFilters = {};
  for (const k of ['user', 'tenant', 'manager', 'entity', 'action', 'outcome', 'event', 'uid', 'service'] as const) {
    if (v[k] !== undefined) f[k] = parseNonEmpty(`--${k}`, v[k] as string);
  }
  if (v['trace'] !== undefined) {
    const t = v['trace'] as string;
    if (!/^[0-9a-f]{32}$/i.test(t)) throw new UsageError(`--trace ${JSON.stringify(t)}: expected a trace id of 32 hex digits`);
    f.trace = t.toLowerCase();
  }
  Object.assign(f, timeRange(v));
  f.limit = limitOf(v);
  if (v['desc']) f.order = 'desc';
  const rows = await withReadPools(v, io.env, async (pool, accessPool) => {
    const found = await queryAudit(pool, f);
    // Nothing is shown without a record of who asked.
    if (!(await logAccess(accessPool, io, { command: 'query', argv, outcome: 'success', result: `${found.length} rows` }))) return undefined;
    return found;
  });
  if (!rows) return 3;
  io.out(v['ndjson'] ? toNdjson(rows) : v['csv'] ? toCsv(rows) : toTable(rows));
  warnIfAtLimit(rows.length, f.limit, io);
  return 0;
}

/** `query --conflicts`: the replays kept in uid_conflicts. */
async function conflictsQuery(v: Values, argv: string[], io: CliIo): Promise<number> {
  const other = ['user', 'tenant', 'manager', 'entity', 'action', 'outcome', 'event', 'trace', 'service', 'csv'].find((k) => v[k] !== undefined);
  if (other) throw new UsageError(`query: --conflicts takes --uid, --since, --from, --to, --limit, --desc and --ndjson; --${other} does not apply`);
  const range = timeRange(v);
  const limit = limitOf(v);
  const rows = await withReadPools(v, io.env, async (pool, accessPool) => {
    const found = await listConflicts(pool, {
      ...(v['uid'] !== undefined ? { uid: parseNonEmpty('--uid', v['uid'] as string) } : {}),
      ...range,
      limit,
      order: v['desc'] ? 'desc' : 'asc',
    });
    // Like every query: nothing is shown without a record of who asked.
    if (!(await logAccess(accessPool, io, { command: 'query', argv, outcome: 'success', result: `${found.length} uid conflicts` }))) return undefined;
    return found;
  });
  if (!rows) return 3;
  io.out(v['ndjson'] ? conflictsToNdjson(rows) : conflictsToTable(rows));
  warnIfAtLimit(rows.length, limit, io);
  return 0;
}

function limitOf(v: Values): number {
  return v['limit'] !== undefined ? parseIntArg('--limit', v['limit'] as string, 1, 10_000_000) : 1000;
}

function warnIfAtLimit(rows: number, limit: number, io: CliIo): void {
  if (rows === limit) io.err(`${PROG} query: stopped at --limit ${limit}; narrow the filters or raise --limit\n`);
}

/** --since / --from / --to of query, checked. */
function timeRange(v: Values): { from?: Date; to?: Date } {
  const out: { from?: Date; to?: Date } = {};
  if (v['since'] !== undefined) {
    if (v['from'] !== undefined) throw new UsageError('query: --since and --from both set the start; use one');
    out.from = new Date(Date.now() - parseDuration('--since', v['since'] as string));
  }
  if (v['from'] !== undefined) out.from = parseTime('--from', v['from'] as string);
  if (v['to'] !== undefined) out.to = parseTime('--to', v['to'] as string);
  if (out.from && out.to && out.from >= out.to) {
    throw new UsageError(`--to ${JSON.stringify(v['to'])}: expected a time after the start (${out.from.toISOString()})`);
  }
  return out;
}
