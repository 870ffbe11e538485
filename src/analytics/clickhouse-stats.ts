// Traffic stats on ClickHouse: the SQL dialect for the shared builder (analytics/stats-sql.ts),
// within what 18.16 has: argMin/argMinIf over a (ts_millis, event_id) tuple, uniqExact, one join
// per SELECT spelled ALL/ANY with USING, identity tables read with FINAL. Every value goes through
// clickhouse-sql.ts. Visits are read from rollups kept by materialized views (below).
import { DAY_MS } from '../platform/time-zone.js';
import { sqlNumber, sqlString, sqlStringList } from './clickhouse-sql.js';
import { PAGE_VIEW, PASSIVE_EVENT_TYPES, type StatsScope } from './stats.js';
import { type EventProperty, FIRST_EVENT, type SourceNames, type StatsDialect, sourceLevels } from './stats-sql.js';

export interface ClickHouseStatsTables {
  events: string;
  links: string;
  profiles: string;
}

export function clickHouseStatsDialect(t: ClickHouseStatsTables): StatsDialect {
  const key = '(ts_millis, event_id)';
  return {
    text: sqlString,
    int: (v) => sqlNumber(v),
    textList: sqlStringList,
    constant: sqlString,
    events: t.events,
    notBot: 'is_bot = 0',
    intDiv: (a, b) => `intDiv(${a}, ${b})`,
    argMin: (x, cond) => (cond ? `argMinIf(${x}, ${key}, ${cond})` : `argMin(${x}, ${key})`),
    argMax: (x, cond) => (cond ? `argMaxIf(${x}, ${key}, ${cond})` : `argMax(${x}, ${key})`),
    // One aggregate over a tuple instead of one per field (ClickHouse computes an aggregate written
    // twice only once, so each field reads the same tuple).
    argMany: (kind, xs, cond) => {
      const fn = kind === 'min' ? 'argMin' : 'argMax';
      const agg = cond ? `${fn}If(tuple(${xs.join(', ')}), ${key}, ${cond})` : `${fn}(tuple(${xs.join(', ')}), ${key})`;
      return xs.map((_, i) => `tupleElement(${agg}, ${i + 1})`);
    },
    countIf: (cond) => `countIf(${cond})`,
    uniq: (x) => `uniqExact(${x})`,
    any: (x) => `any(${x})`,
    regexExtract: (x, pattern) => `extract(${x}, ${pattern})`,
    regexReplace: (x, pattern, replacement) => `replaceRegexpOne(${x}, ${pattern}, ${replacement})`,
    matches: (x, pattern) => `match(${x}, ${pattern})`,
    like: (x, pattern) => `${x} LIKE ${sqlString(pattern)}`,
    lower: (x) => `lowerUTF8(${x})`,
    monthOfDay: (day) => {
      const date = `toDate(toUInt16(${day}))`;
      return `(toYear(${date}) * 12 + toMonth(${date}) - 1)`;
    },
    innerJoin: (left, right, keys) => `(${left}) AS jl ALL INNER JOIN (${right}) AS jr USING (${keys.join(', ')})`,
    identity: (rows, organizationId) => {
      const org = sqlString(organizationId);
      // Needs join_use_nulls = 1: a visitor without a link must read as NULL, not ''.
      return (
        `SELECT *, ifNull(j_company, '') AS i_company FROM (` +
        `SELECT *, if(isNull(j_hem), 0, 1) AS i_identified, ifNull(j_hem, '') AS i_person FROM (${rows}) AS sr ` +
        `ANY LEFT JOIN (SELECT visitor_id AS v_visitor, hem_sha256 AS j_hem FROM ${t.links} FINAL WHERE organization_id = ${org} AND deleted = 0) ` +
        'AS ln USING (v_visitor)) AS sl ' +
        `ANY LEFT JOIN (SELECT toNullable(hem_sha256) AS j_hem, company_name AS j_company FROM ${t.profiles} FINAL ` +
        `WHERE organization_id = ${org} AND deleted = 0) AS pr USING (j_hem)`
      );
    },
    limit: (limit, offset) => `LIMIT ${sqlNumber(offset)}, ${sqlNumber(limit)}`,
  };
}

// The rollups: two tables fed by materialized views on the events table, so every insert lands in
// them as part of the insert itself (no background work, nothing to wait for). `visits` holds one
// row of aggregate states per visit and insert (AggregatingMergeTree merges them in the
// background; a read merges what is left with -Merge): start, end, counts, the first event's
// visitor and its other attributes with its source and channel already derived (per event, at
// insert: the 35 patterns of the source list cost seconds when run over a month's visits at read
// time), the first and last page view. `values` holds per visit, page and event type their events
// and page views (SummingMergeTree). Reads group a period's rows into visits: several times fewer
// rows than the events, and no regular expressions.
//
// Every "first" or "last" is an argMin/argMax of a String keyed by a String that sorts as (time, event
// id): 18.16 merges those in its fast path, while a Tuple argument or key takes its generic one (a
// month of 1.7M visits: 12 s against 2.5 s here). The attributes travel as one String, joined by
// \x1e with \x1e and \x1f escaped inside each value, and are split when read.

/** Bump when a rollup's definition changes: new tables and views under new names, filled from the events. */
export const ROLLUP_VERSION = 2;

export interface ClickHouseRollupTables {
  events: string;
  visits: string;
  values: string;
  visitsView: string;
  valuesView: string;
}

const FIRST_NAMES: SourceNames = {
  refHost: 'x_ref_host',
  pageHost: 'x_page_host',
  referrer: 'x_referrer',
  named: 'x_named',
  source: 'x_source',
  channel: 'x_channel',
};

const text = (column: string): string => `ifNull(${column}, '')`;

/** (time, event id) as one String that sorts in that order (15 digits for any time before year 30,000). */
const ORDER = 'concat(toString(ts_millis + 100000000000000), event_id)';
const SEPARATOR = "'\\x1E'";
const escaped = (x: string): string => `replaceAll(replaceAll(${x}, '\\x1F', '\\x1F\\x02'), '\\x1E', '\\x1F\\x01')`;
const unescaped = (x: string): string => `replaceAll(replaceAll(${x}, '\\x1F\\x01', '\\x1E'), '\\x1F\\x02', '\\x1F')`;

/**
 * The attributes a visit takes from its first event besides its visitor, as expressions joined
 * into one String, and where each visit column is among them. The source levels' intermediate
 * values (hosts, the named source) ride along unused: their aliases are defined where they stand.
 */
function firstAttributes(d: StatsDialect): { items: string[]; at: Map<string, number> } {
  const items = sourceLevels(
    d,
    {
      referrer: text('referrer'),
      url: text('url'),
      utmSource: text('utm_source'),
      utmMedium: text('utm_medium'),
      utmCampaign: text('utm_campaign'),
    },
    FIRST_NAMES,
  ).flat();
  const at = new Map<string, number>(
    (
      [
        ['v_referrer', FIRST_NAMES.referrer],
        ['v_source', FIRST_NAMES.source],
        ['v_channel', FIRST_NAMES.channel],
      ] as const
    ).map(([column, alias]) => [column, 1 + items.findIndex((l) => l.endsWith(` AS ${alias}`))]),
  );
  for (const [column, as] of FIRST_EVENT) {
    if (as === 'v_visitor' || as.startsWith('f_')) continue;
    items.push(text(column));
    at.set(as, items.length);
  }
  return { items, at };
}

const STRING_STATE = 'String, String';
const PAGE_STATE = 'String, String, UInt8';

export function rollupDdl(t: ClickHouseRollupTables): string[] {
  const partition = 'PARTITION BY toYYYYMM(toDate(toUInt16(vday)))';
  return [
    `CREATE TABLE IF NOT EXISTS ${t.visits} (organization_id String, pixel_id String, sid String, vday Int64, ` +
      's_start AggregateFunction(min, Int64), s_end AggregateFunction(max, Int64), ' +
      `s_visitor AggregateFunction(argMin, ${STRING_STATE}), s_first AggregateFunction(argMin, ${STRING_STATE}), ` +
      's_events AggregateFunction(sum, UInt64), s_pageviews AggregateFunction(sum, UInt64), s_interactions AggregateFunction(sum, UInt64), ' +
      `s_entry AggregateFunction(argMinIf, ${PAGE_STATE}), s_exit AggregateFunction(argMaxIf, ${PAGE_STATE})) ` +
      `ENGINE = AggregatingMergeTree ${partition} ORDER BY (organization_id, pixel_id, vday, sid)`,
    `CREATE TABLE IF NOT EXISTS ${t.values} (organization_id String, pixel_id String, sid String, vday Int64, prop String, e_value String, ` +
      `m_events UInt64, m_pageviews UInt64) ENGINE = SummingMergeTree((m_events, m_pageviews)) ${partition} ` +
      'ORDER BY (organization_id, pixel_id, vday, prop, e_value, sid)',
  ];
}

const VISIT_PART_COLUMNS =
  'organization_id, pixel_id, sid, vday, s_start, s_end, s_visitor, s_first, s_events, s_pageviews, s_interactions, s_entry, s_exit';
const VALUE_PART_COLUMNS = 'organization_id, pixel_id, sid, vday, prop, e_value, m_events, m_pageviews';

/** Rollup rows of the events `where` selects (the views' query, and refills after a retention delete). */
export function visitPartsSql(events: string, where = ''): string {
  const d = clickHouseStatsDialect({ events, links: '', profiles: '' });
  const pv = `event_type = ${d.constant(PAGE_VIEW)}`;
  const passive = `event_type NOT IN (${PASSIVE_EVENT_TYPES.map((x) => d.constant(x)).join(', ')})`;
  return (
    `SELECT organization_id, pixel_id, assumeNotNull(session_id) AS sid, intDiv(ts_millis, ${DAY_MS}) AS vday, ` +
    `minState(ts_millis) AS s_start, maxState(ts_millis) AS s_end, argMinState(${text('visitor_id')}, ${ORDER}) AS s_visitor, ` +
    `argMinState(arrayStringConcat([${firstAttributes(d).items.map(escaped).join(', ')}], ${SEPARATOR}), ${ORDER}) AS s_first, ` +
    `sumState(toUInt64(1)) AS s_events, sumState(toUInt64(${pv})) AS s_pageviews, sumState(toUInt64(${passive})) AS s_interactions, ` +
    `argMinIfState(${text('path')}, ${ORDER}, toUInt8(${pv})) AS s_entry, argMaxIfState(${text('path')}, ${ORDER}, toUInt8(${pv})) AS s_exit ` +
    // The WHERE reads the events' own session_id: the alias is sid (18.16 resolves a WHERE against its SELECT's aliases).
    `FROM ${events} WHERE is_bot = 0 AND isNotNull(session_id)${where ? ` AND ${where}` : ''} GROUP BY organization_id, pixel_id, sid, vday`
  );
}

export function valuePartsSql(events: string, where = ''): string {
  const d = clickHouseStatsDialect({ events, links: '', profiles: '' });
  return (
    `SELECT organization_id, pixel_id, assumeNotNull(session_id) AS sid, intDiv(ts_millis, ${DAY_MS}) AS vday, ` +
    'tupleElement(kv, 1) AS prop, tupleElement(kv, 2) AS e_value, count() AS m_events, ' +
    `countIf(event_type = ${d.constant(PAGE_VIEW)}) AS m_pageviews FROM ${events} ` +
    `ARRAY JOIN [tuple('page', ifNull(path, '')), tuple('event_type', event_type)] AS kv ` +
    `WHERE is_bot = 0 AND isNotNull(session_id)${where ? ` AND ${where}` : ''} GROUP BY organization_id, pixel_id, sid, vday, prop, e_value`
  );
}

export const visitsViewSql = (t: ClickHouseRollupTables): string =>
  `CREATE MATERIALIZED VIEW ${t.visitsView} TO ${t.visits} AS ${visitPartsSql(t.events)}`;
export const valuesViewSql = (t: ClickHouseRollupTables): string =>
  `CREATE MATERIALIZED VIEW ${t.valuesView} TO ${t.values} AS ${valuePartsSql(t.events)}`;

/** Fills both rollups from the events `where` selects (a backfill, or a refill after a retention delete). */
export function refillSql(t: ClickHouseRollupTables, where = ''): string[] {
  return [
    `INSERT INTO ${t.visits} (${VISIT_PART_COLUMNS}) ${visitPartsSql(t.events, where)}`,
    `INSERT INTO ${t.values} (${VALUE_PART_COLUMNS}) ${valuePartsSql(t.events, where)}`,
  ];
}

const dayBounds = (d: StatsDialect, q: StatsScope): string =>
  `organization_id = ${d.text(q.organizationId)} AND pixel_id IN ${d.textList(q.pixelIds)} ` +
  `AND vday >= ${d.int(Math.floor(q.startMs / DAY_MS))} AND vday <= ${d.int(Math.floor((q.endMs - 1) / DAY_MS))}`;

/** The visits (V of stats-sql.ts) starting in the scope's range, from the rollup. */
export function rolledVisitsSql(d: StatsDialect, t: ClickHouseRollupTables, q: StatsScope): string {
  const { at } = firstAttributes(d);
  const first = [...at].map(([column, i]) => `${unescaped(`arrayElement(a, ${i})`)} AS ${column}`);
  const grouped =
    'SELECT organization_id, pixel_id, sid AS session_id, vday, minMerge(s_start) AS v_start, maxMerge(s_end) AS v_end, ' +
    `argMinMerge(s_visitor) AS v_visitor, splitByChar(${SEPARATOR}, argMinMerge(s_first)) AS a, sumMerge(s_events) AS v_events, ` +
    'sumMerge(s_pageviews) AS v_pageviews, sumMerge(s_interactions) AS v_interactions, argMinIfMerge(s_entry) AS en, argMaxIfMerge(s_exit) AS ex ' +
    `FROM ${t.visits} WHERE ${dayBounds(d, q)} GROUP BY organization_id, pixel_id, sid, vday ` +
    `HAVING v_start >= ${d.int(q.startMs)} AND v_start < ${d.int(q.endMs)}`;
  return (
    `SELECT organization_id, pixel_id, session_id, vday, v_start, v_end, v_visitor, ${first.join(', ')}, v_events, v_pageviews, v_interactions, ` +
    `if(v_pageviews > 0, en, '') AS v_entry, if(v_pageviews > 0, ex, '') AS v_exit FROM (${grouped})`
  );
}

/** The value rows of one event-level property (TotalsPlan.values), with their visits' copies. */
export function rolledValuesSql(d: StatsDialect, t: ClickHouseRollupTables, q: StatsScope, property: EventProperty): string {
  const values =
    'SELECT pixel_id, sid AS session_id, vday, e_value, sum(m_events) AS m_events, sum(m_pageviews) AS m_pageviews ' +
    `FROM ${t.values} WHERE ${dayBounds(d, q)} AND prop = ${d.constant(property)} GROUP BY pixel_id, sid, vday, e_value`;
  const visits = `SELECT pixel_id, session_id, vday, v_start, v_end, v_interactions, v_visitor FROM (${rolledVisitsSql(d, t, q)})`;
  return (
    'SELECT pixel_id, session_id, vday, e_value, m_events, m_pageviews, v_start, v_end, v_interactions, v_visitor ' +
    `FROM (${values}) AS vl ALL INNER JOIN (${visits}) AS vs USING (pixel_id, session_id, vday)`
  );
}
