// Traffic stats on DuckDB: the SQL dialect for the shared builder (analytics/stats-sql.ts), and the
// two tables that keep the numbers fast at tens of millions of events. `stats_visits` holds one row
// per visit (VISIT_COLUMNS); `stats_visit_values` one row per visit and page, and per visit and event
// type, with that value's events and page views and a copy of the visit's start, end, interactions
// and visitor. An append stages its rows in its own transaction (a durable table), and a merge queued
// right behind it folds the stage into both tables; stats reads wait for queued merges, so they are
// exactly what the acknowledged events say, while ingest never waits for the stats. Counts add up,
// a visit's first and last events are kept by (ts_millis, event_id), and the derived source and
// channel come from the same SQL the engine-independent path uses. Queries read them instead of grouping events into visits, which is
// what costs time; only questions that combine two event-level properties still read the events.
// Retention deletes rebuild the day they cut into. A version row rebuilds both from the events when
// their definition changes.
import { BIGINT, type DuckDBType, type DuckDBValue, VARCHAR } from '@duckdb/node-api';
import { DAY_MS } from '../platform/time-zone.js';
import { likeToRegex } from './filter.js';
import { PAGE_VIEW, type StatsScope } from './stats.js';
import { type EventProperty, partialVisitsSql, type StatsDialect, VISIT_COLUMNS } from './stats-sql.js';

/** Bump when VISIT_COLUMNS or their derivation change: the table is rebuilt from the events at start. */
export const STATS_VISITS_VERSION = '3';

export type Bind = (value: DuckDBValue, type: DuckDBType) => string;

const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

export function duckStatsDialect(bind: Bind): StatsDialect {
  const key = '(ts_millis, event_id)';
  const filtered = (agg: string, cond?: string) => (cond ? `${agg} FILTER (WHERE ${cond})` : agg);
  return {
    text: (v) => bind(v, VARCHAR),
    // Numbers are written as literals (checked integers, never text): DuckDB cannot bind a parameter
    // that ends up inside a GROUP BY expression.
    int: (v) => {
      if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${v}`);
      return v < 0 ? `(${v})` : String(v);
    },
    textList: (vs) => `(${vs.map((v) => bind(v, VARCHAR)).join(', ')})`,
    constant: literal,
    events: 'events',
    notBot: 'NOT is_bot',
    intDiv: (a, b) => `((${a}) // (${b}))`,
    argMin: (x, cond) => filtered(`arg_min(${x}, ${key})`, cond),
    argMax: (x, cond) => filtered(`arg_max(${x}, ${key})`, cond),
    countIf: (cond) => `count(*) FILTER (WHERE ${cond})`,
    uniq: (x) => `count(DISTINCT ${x})`,
    any: (x) => `any_value(${x})`,
    regexExtract: (x, pattern) => `regexp_extract(${x}, ${pattern}, 1)`,
    regexReplace: (x, pattern, replacement) => `regexp_replace(${x}, ${pattern}, ${replacement})`,
    matches: (x, pattern) => `regexp_matches(${x}, ${pattern})`,
    // DuckDB's LIKE backtracks: the pattern runs as RE2, linear in the text (as the events filter does).
    like: (x, pattern) => `regexp_full_match(${x}, ${bind(likeToRegex(pattern), VARCHAR)})`,
    lower: (x) => `lower(${x})`,
    monthOfDay: (day) => {
      const date = `(DATE '1970-01-01' + CAST(${day} AS INTEGER))`;
      return `(year(${date}) * 12 + month(${date}) - 1)`;
    },
    innerJoin: (left, right, keys) => `(${left}) AS l JOIN (${right}) AS r USING (${keys.join(', ')})`,
    identity: (rows, organizationId) => {
      const org = bind(organizationId, VARCHAR);
      return (
        `SELECT x.*, CASE WHEN l.hem_sha256 IS NULL THEN 0 ELSE 1 END AS i_identified, coalesce(pr.company_name, '') AS i_company, ` +
        `coalesce(l.hem_sha256, '') AS i_person FROM (${rows}) AS x ` +
        `LEFT JOIN visitor_links l ON l.organization_id = ${org} AND l.visitor_id = x.v_visitor ` +
        `LEFT JOIN profiles pr ON pr.organization_id = ${org} AND pr.hem_sha256 = l.hem_sha256`
      );
    },
    limit: (limit, offset) => `LIMIT ${bind(BigInt(limit), BIGINT)} OFFSET ${bind(BigInt(offset), BIGINT)}`,
  };
}

const VALUE_COLUMNS = [
  'organization_id',
  'pixel_id',
  'session_id',
  'vday',
  'prop',
  'e_value',
  'm_events',
  'm_pageviews',
  'v_start',
  'v_end',
  'v_interactions',
  'v_visitor',
] as const;
const VALUE_KEY = ['organization_id', 'pixel_id', 'session_id', 'vday'] as const;

const TEXT = new Set<string>([
  'prop',
  'e_value',
  'organization_id',
  'pixel_id',
  'session_id',
  'v_first_id',
  'v_visitor',
  'v_entry',
  'v_entry_id',
  'v_exit',
  'v_exit_id',
  'v_referrer',
  'v_source',
  'v_channel',
  'v_utm_source',
  'v_utm_medium',
  'v_utm_campaign',
  'v_country',
  'v_region',
  'v_city',
  'v_browser',
  'v_os',
  'v_device',
  'v_network',
  'v_network_type',
]);

export function statsDdl(): string[] {
  const columns = VISIT_COLUMNS.map((c) => `${c} ${TEXT.has(c) ? 'VARCHAR' : 'BIGINT'}`);
  return [
    `CREATE TABLE IF NOT EXISTS stats_visits (${columns.join(', ')})`,
    `CREATE TABLE IF NOT EXISTS stats_visit_values (${VALUE_COLUMNS.map((c) => `${c} ${TEXT.has(c) ? 'VARCHAR' : 'BIGINT'}`).join(', ')})`,
    'CREATE TABLE IF NOT EXISTS stats_meta (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)',
  ];
}

/**
 * The stage: events appended (in their own transaction) and not yet merged into the stats tables.
 * Durable, so a process stopped between the two merges them at its next start.
 */
export const STAGE_DDL = 'CREATE TABLE IF NOT EXISTS stats_stage AS SELECT * FROM events LIMIT 0';

const insertVisits = (select: string): string =>
  `INSERT INTO stats_visits (${VISIT_COLUMNS.join(', ')}) SELECT ${VISIT_COLUMNS.join(', ')} FROM (${select})`;

/** Per visit and value of each event-level property: its events and page views (copies left NULL). */
function partialValuesSql(d: StatsDialect, source: string, where: string): string {
  const one = (prop: EventProperty, value: string) =>
    `SELECT organization_id, pixel_id, coalesce(session_id, '') AS session_id, ${d.intDiv('ts_millis', String(DAY_MS))} AS vday, ` +
    `${d.constant(prop)} AS prop, ${value} AS e_value, event_type FROM ${source} WHERE ${where}`;
  return (
    `SELECT organization_id, pixel_id, session_id, vday, prop, e_value, count(*) AS m_events, ` +
    `${d.countIf(`event_type = ${d.constant(PAGE_VIEW)}`)} AS m_pageviews ` +
    `FROM (${one('page', "coalesce(path, '')")} UNION ALL ${one('event_type', 'event_type')}) ` +
    'GROUP BY organization_id, pixel_id, session_id, vday, prop, e_value'
  );
}

const insertValues = (select: string): string =>
  `INSERT INTO stats_visit_values (${VALUE_COLUMNS.join(', ')}) SELECT ${VALUE_COLUMNS.map((c) =>
    ['v_start', 'v_end', 'v_interactions', 'v_visitor'].includes(c) ? `NULL AS ${c}` : c,
  ).join(', ')} FROM (${select})`;

/** Copies the visits' start, end, interactions and visitor onto their value rows, for the visits `keys` selects. */
function copyVisitsSql(d: StatsDialect, dayRange: { from: number; to: number } | null, keys: string | null): string {
  const days = (t: string) => (dayRange ? ` AND ${t}.vday >= ${d.int(dayRange.from)} AND ${t}.vday <= ${d.int(dayRange.to)}` : '');
  const source = keys
    ? `SELECT v.* FROM stats_visits v JOIN (${keys}) k USING (${VALUE_KEY.join(', ')}) WHERE true${days('v')}`
    : `SELECT * FROM stats_visits v WHERE true${days('v')}`;
  return (
    'UPDATE stats_visit_values AS t SET v_start = v.v_start, v_end = v.v_end, v_interactions = v.v_interactions, v_visitor = v.v_visitor ' +
    `FROM (${source}) AS v WHERE ${VALUE_KEY.map((c) => `t.${c} = v.${c}`).join(' AND ')}${days('t')}`
  );
}

/** One statement, written with its own parameters. */
export type Statement = (bind: Bind) => string;

/** Rebuilds the visits from every event (at start, when the version changed). */
export function rebuildAllSql(): Statement[] {
  return [
    () => 'DELETE FROM stats_stage',
    () => 'DELETE FROM stats_visits',
    () => 'DELETE FROM stats_visit_values',
    (bind) => {
      const d = duckStatsDialect(bind);
      return insertVisits(partialVisitsSql(d, 'events', `${d.notBot} AND session_id IS NOT NULL`));
    },
    (bind) => {
      const d = duckStatsDialect(bind);
      return insertValues(partialValuesSql(d, 'events', `${d.notBot} AND session_id IS NOT NULL`));
    },
    (bind) => copyVisitsSql(duckStatsDialect(bind), null, null),
    () => `INSERT OR REPLACE INTO stats_meta VALUES ('visits_version', ${literal(STATS_VISITS_VERSION)})`,
  ];
}

/**
 * Whether the stats tables hold any visit of those pixels up to the cut day. When they hold none, a
 * retention delete removed no counted event (bots, events without a session), so nothing is
 * rebuilt: the rebuild's visit query costs seconds of planning on a loaded machine even over no rows.
 */
export function countedUpToSql(organizationId: string, pixelIds: readonly string[], beforeMs: number): Statement {
  return (bind) => {
    const d = duckStatsDialect(bind);
    return (
      `SELECT 1 FROM stats_visits WHERE organization_id = ${d.text(organizationId)} AND pixel_id IN ${d.textList(pixelIds)} ` +
      `AND vday <= ${d.int(Math.floor(beforeMs / DAY_MS))} LIMIT 1`
    );
  };
}

/** After a retention delete: the visits of those pixels up to the cut day go, that day's are rebuilt. */
export function rebuildAfterDeleteSql(organizationId: string, pixelIds: readonly string[], beforeMs: number): Statement[] {
  const day = Math.floor(beforeMs / DAY_MS);
  const scope = (d: StatsDialect) => `organization_id = ${d.text(organizationId)} AND pixel_id IN ${d.textList(pixelIds)}`;
  const where = (d: StatsDialect) =>
    `${scope(d)} AND ts_millis >= ${d.int(day * DAY_MS)} AND ts_millis < ${d.int((day + 1) * DAY_MS)} AND ${d.notBot} AND session_id IS NOT NULL`;
  return [
    (bind) => {
      const d = duckStatsDialect(bind);
      return `DELETE FROM stats_visits WHERE ${scope(d)} AND vday <= ${d.int(day)}`;
    },
    (bind) => {
      const d = duckStatsDialect(bind);
      return `DELETE FROM stats_visit_values WHERE ${scope(d)} AND vday <= ${d.int(day)}`;
    },
    (bind) => insertVisits(partialVisitsSql(duckStatsDialect(bind), 'events', where(duckStatsDialect(bind)))),
    (bind) => {
      const d = duckStatsDialect(bind);
      return insertValues(partialValuesSql(d, 'events', where(d)));
    },
    (bind) => copyVisitsSql(duckStatsDialect(bind), { from: day, to: day }, null),
  ];
}

/**
 * Merges the staged batch: into the visits (counts add up, the first event with its attributes and
 * the first and last page views are kept by (ts_millis, event_id)), into the value rows, then
 * refreshes the value rows' copies of the visits the batch touched. `dayRange` bounds the rows read
 * (a visit lies in one UTC day), so a commit reads only the days it touches.
 */
export function mergeStagedSql(dayRange: { from: number; to: number }): Statement[] {
  const staged = (d: StatsDialect) => `${d.notBot} AND session_id IS NOT NULL`;
  const days = (d: StatsDialect) => `t.vday >= ${d.int(dayRange.from)} AND t.vday <= ${d.int(dayRange.to)}`;
  return [
    (bind) => mergeVisitsSql(bind, dayRange),
    (bind) => {
      const d = duckStatsDialect(bind);
      return (
        `MERGE INTO stats_visit_values AS t USING (${partialValuesSql(d, 'stats_stage', staged(d))}) AS s ` +
        `ON ${days(d)} AND t.vday = s.vday AND t.session_id = s.session_id AND t.prop = s.prop AND t.e_value = s.e_value ` +
        'AND t.pixel_id = s.pixel_id AND t.organization_id = s.organization_id ' +
        'WHEN MATCHED THEN UPDATE SET m_events = t.m_events + s.m_events, m_pageviews = t.m_pageviews + s.m_pageviews ' +
        `WHEN NOT MATCHED THEN INSERT (${VALUE_COLUMNS.join(', ')}) VALUES (${VALUE_COLUMNS.map((c) =>
          ['v_start', 'v_end', 'v_interactions', 'v_visitor'].includes(c) ? 'NULL' : `s.${c}`,
        ).join(', ')})`
      );
    },
    (bind) => {
      const d = duckStatsDialect(bind);
      const keys =
        `SELECT DISTINCT organization_id, pixel_id, coalesce(session_id, '') AS session_id, ${d.intDiv('ts_millis', String(DAY_MS))} AS vday ` +
        `FROM stats_stage WHERE ${staged(d)}`;
      return copyVisitsSql(d, dayRange, keys);
    },
  ];
}

function mergeVisitsSql(bind: Bind, dayRange: { from: number; to: number }): string {
  const d = duckStatsDialect(bind);
  const partial = partialVisitsSql(d, 'stats_stage', `${d.notBot} AND session_id IS NOT NULL`);
  const earlier = '(s.v_start < t.v_start OR (s.v_start = t.v_start AND s.v_first_id < t.v_first_id))';
  const firstColumns = VISIT_COLUMNS.filter(
    (c) =>
      !['organization_id', 'pixel_id', 'session_id', 'vday', 'v_start', 'v_end', 'v_events', 'v_pageviews', 'v_interactions'].includes(c) &&
      !c.startsWith('v_entry') &&
      !c.startsWith('v_exit'),
  );
  const entryWins =
    's.v_entry_ts IS NOT NULL AND (t.v_entry_ts IS NULL OR s.v_entry_ts < t.v_entry_ts OR (s.v_entry_ts = t.v_entry_ts AND s.v_entry_id < t.v_entry_id))';
  const exitWins =
    's.v_exit_ts IS NOT NULL AND (t.v_exit_ts IS NULL OR s.v_exit_ts > t.v_exit_ts OR (s.v_exit_ts = t.v_exit_ts AND s.v_exit_id > t.v_exit_id))';
  const set = [
    'v_start = least(t.v_start, s.v_start)',
    'v_end = greatest(t.v_end, s.v_end)',
    'v_events = t.v_events + s.v_events',
    'v_pageviews = t.v_pageviews + s.v_pageviews',
    'v_interactions = t.v_interactions + s.v_interactions',
    ...firstColumns.map((c) => `${c} = CASE WHEN ${earlier} THEN s.${c} ELSE t.${c} END`),
    ...['v_entry', 'v_entry_ts', 'v_entry_id'].map((c) => `${c} = CASE WHEN ${entryWins} THEN s.${c} ELSE t.${c} END`),
    ...['v_exit', 'v_exit_ts', 'v_exit_id'].map((c) => `${c} = CASE WHEN ${exitWins} THEN s.${c} ELSE t.${c} END`),
  ];
  return (
    `MERGE INTO stats_visits AS t USING (${partial}) AS s ` +
    `ON t.vday >= ${d.int(dayRange.from)} AND t.vday <= ${d.int(dayRange.to)} AND t.vday = s.vday AND t.session_id = s.session_id ` +
    'AND t.pixel_id = s.pixel_id AND t.organization_id = s.organization_id ' +
    `WHEN MATCHED THEN UPDATE SET ${set.join(', ')} ` +
    `WHEN NOT MATCHED THEN INSERT (${VISIT_COLUMNS.join(', ')}) VALUES (${VISIT_COLUMNS.map((c) => `s.${c}`).join(', ')})`
  );
}

/** The value rows of a scope for one event-level property (TotalsPlan.values of stats-sql.ts). */
export function storedValuesSql(d: StatsDialect, q: StatsScope, property: EventProperty): string {
  return (
    `SELECT pixel_id, session_id, vday, e_value, m_events, m_pageviews, v_start, v_end, v_interactions, v_visitor FROM stats_visit_values ` +
    `WHERE organization_id = ${d.text(q.organizationId)} AND pixel_id IN ${d.textList(q.pixelIds)} AND prop = ${d.constant(property)} ` +
    `AND vday >= ${d.int(Math.floor(q.startMs / DAY_MS))} AND vday <= ${d.int(Math.floor((q.endMs - 1) / DAY_MS))} ` +
    `AND v_start >= ${d.int(q.startMs)} AND v_start < ${d.int(q.endMs)}`
  );
}

/** The visits of a scope, from the table (the V of stats-sql.ts). */
export function storedVisitsSql(d: StatsDialect, q: StatsScope): string {
  // The day bounds let DuckDB skip row groups by their min/max (rows arrive roughly in time order).
  return (
    `SELECT ${VISIT_COLUMNS.join(', ')} FROM stats_visits WHERE organization_id = ${d.text(q.organizationId)} ` +
    `AND pixel_id IN ${d.textList(q.pixelIds)} AND vday >= ${d.int(Math.floor(q.startMs / DAY_MS))} ` +
    `AND vday <= ${d.int(Math.floor((q.endMs - 1) / DAY_MS))} AND v_start >= ${d.int(q.startMs)} AND v_start < ${d.int(q.endMs)}`
  );
}
