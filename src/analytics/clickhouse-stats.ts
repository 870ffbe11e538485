// Traffic stats on ClickHouse: the SQL dialect for the shared builder (analytics/stats-sql.ts),
// within what 18.16 has: argMin/argMinIf over a (ts_millis, event_id) tuple, uniqExact, one join
// per SELECT spelled ALL/ANY with USING, identity tables read with FINAL. Every value goes through
// clickhouse-sql.ts. Visits are read from rollups kept by materialized views (below).
import { DAY_MS } from '../platform/time-zone.js';
import { sqlNumber, sqlRowKey, sqlString, sqlStringList } from './clickhouse-sql.js';
import { PAGE_VIEW, PASSIVE_EVENT_TYPES, type StatsScope } from './stats.js';
import { type EventProperty, FIRST_EVENT, type SourceNames, type StatsDialect, sourceLevels, valueRowsConditionSql } from './stats-sql.js';

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

/**
 * Bump when the fold's copies change layout: new copies (and a new record of them) under new names,
 * made again by the folds reads queue, the older ones dropped. 2: keyed by `fkey`, a number per
 * organization and pixel (clickhouse-sql.ts sqlRowKey), which reads select copies by instead of
 * comparing the two text ids on every row of a month (a count() of 1.69M visits: 100-130 ms with
 * the ids, 20-30 ms without).
 */
export const FOLD_TABLES_VERSION = 2;

/** The copies' key of each of an organization's pixels: `column` (a pixel id) mapped to its number. */
function foldKeySql(organizationId: string, pixelIds: readonly string[], column: string): string {
  return (
    `transform(${column}, [${pixelIds.map(sqlString).join(', ')}], ` +
    `CAST([${pixelIds.map((p) => sqlRowKey(organizationId, p)).join(', ')}] AS Array(UInt64)), toUInt64(0))`
  );
}

export interface ClickHouseRollupTables {
  events: string;
  visits: string;
  values: string;
  visitsView: string;
  valuesView: string;
  /** The fold's copies (below): merged visits and value rows as plain columns, and what each day's copy holds. */
  foldedVisits: string;
  foldedValues: string;
  folds: string;
  /** Per pixel and UTC day, the events the rollups count (fed by its own view): what a read checks a copy against. */
  days: string;
  daysView: string;
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
    `CREATE TABLE IF NOT EXISTS ${t.foldedVisits} (fkey UInt64, ${FOLDED_VISIT_COLUMNS.map(([c, type]) => `${c} ${type}`).join(', ')}, gen UInt64) ` +
      `ENGINE = MergeTree ${partition} ORDER BY (fkey, vday, gen, session_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.foldedValues} (fkey UInt64, ${FOLDED_VALUE_COLUMNS.map(([c, type]) => `${c} ${type}`).join(', ')}, prop String, gen UInt64) ` +
      `ENGINE = MergeTree ${partition} ORDER BY (fkey, prop, vday, gen, e_value, session_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.folds} (organization_id String, pixel_id String, vday Int64, gen UInt64, n_events UInt64) ` +
      `ENGINE = MergeTree ${partition} ORDER BY (organization_id, pixel_id, vday, gen)`,
    `CREATE TABLE IF NOT EXISTS ${t.days} (organization_id String, pixel_id String, vday Int64, n_events UInt64) ` +
      `ENGINE = SummingMergeTree((n_events)) ${partition} ORDER BY (organization_id, pixel_id, vday)`,
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

/** Per pixel and UTC day, the events the rollups count (not bots, with a session). */
export function dayEventsSql(events: string, where = ''): string {
  return (
    `SELECT organization_id, pixel_id, intDiv(ts_millis, ${DAY_MS}) AS vday, count() AS n_events FROM ${events} ` +
    `WHERE is_bot = 0 AND isNotNull(session_id)${where ? ` AND ${where}` : ''} GROUP BY organization_id, pixel_id, vday`
  );
}

export const daysViewSql = (t: ClickHouseRollupTables): string =>
  `CREATE MATERIALIZED VIEW ${t.daysView} TO ${t.days} AS ${dayEventsSql(t.events)}`;
export const visitsViewSql = (t: ClickHouseRollupTables): string =>
  `CREATE MATERIALIZED VIEW ${t.visitsView} TO ${t.visits} AS ${visitPartsSql(t.events)}`;
export const valuesViewSql = (t: ClickHouseRollupTables): string =>
  `CREATE MATERIALIZED VIEW ${t.valuesView} TO ${t.values} AS ${valuePartsSql(t.events)}`;

/** Fills both rollups from the events `where` selects (a backfill, or a refill after a retention delete). */
export function refillSql(t: ClickHouseRollupTables, where = ''): string[] {
  return [
    `INSERT INTO ${t.visits} (${VISIT_PART_COLUMNS}) ${visitPartsSql(t.events, where)}`,
    `INSERT INTO ${t.values} (${VALUE_PART_COLUMNS}) ${valuePartsSql(t.events, where)}`,
    `INSERT INTO ${t.days} (organization_id, pixel_id, vday, n_events) ${dayEventsSql(t.events, where)}`,
  ];
}

const dayBounds = (d: StatsDialect, q: StatsScope): string =>
  `organization_id = ${d.text(q.organizationId)} AND pixel_id IN ${d.textList(q.pixelIds)} ` +
  `AND vday >= ${d.int(Math.floor(q.startMs / DAY_MS))} AND vday <= ${d.int(Math.floor((q.endMs - 1) / DAY_MS))}`;

// The fold (analytics/clickhouse.ts runs it): the -Merge of a day's rollup rows, done once and kept
// as plain columns, so a read of a month scans rows instead of merging a month of aggregate states.
// A third view counts per pixel and UTC day the events the rollups take (`days`, a handful of rows
// per day). A fold reads that count, copies the day's merged visits and value rows under a new
// generation number, and records the copy in `folds` only when the copy's own sums of events (its
// visits' and its page value rows') equal the count, read before and after: the copy then holds
// exactly the counted events. A read takes a day's copy while the count is still the one recorded
// (counts only grow: inserts add rows, merges keep sums); a day that changed since (a late event) or
// was never folded is merged from the rollups as before, and queued for a fold.

/** A UTC day of one pixel whose folded copy, of generation `gen`, is exact now. */
export interface FoldedDay {
  pixelId: string;
  vday: number;
  gen: number;
}

/** A pixel's UTC day. */
export interface PixelDay {
  pixelId: string;
  vday: number;
}

/** Columns of a folded visit, as rolledVisitsSql reads them. */
const FOLDED_VISIT_COLUMNS: readonly (readonly [string, string])[] = [
  ['organization_id', 'String'],
  ['pixel_id', 'String'],
  ['session_id', 'String'],
  ['vday', 'Int64'],
  ['v_start', 'Int64'],
  ['v_end', 'Int64'],
  ['v_visitor', 'String'],
  ...[...firstAttributes(clickHouseStatsDialect({ events: '', links: '', profiles: '' })).at.keys()].map((c) => [c, 'String'] as const),
  ['v_events', 'UInt64'],
  ['v_pageviews', 'UInt64'],
  ['v_interactions', 'UInt64'],
  ['v_entry', 'String'],
  ['v_exit', 'String'],
];

/**
 * A visit's columns each of its value rows carries (TotalsPlan.valuesCarryVisits): a page filtered
 * or broken down by a visit's property reads the value rows alone, not every visit of the period.
 */
const CARRIED = FOLDED_VISIT_COLUMNS.map(([c]) => c).filter(
  (c) => !['organization_id', 'pixel_id', 'session_id', 'vday', 'v_events', 'v_pageviews'].includes(c),
);

/** Columns of a folded value row, as rolledValuesSql reads them. */
const FOLDED_VALUE_COLUMNS: readonly (readonly [string, string])[] = [
  ['organization_id', 'String'],
  ['pixel_id', 'String'],
  ['session_id', 'String'],
  ['vday', 'Int64'],
  ['e_value', 'String'],
  ['m_events', 'UInt64'],
  ['m_pageviews', 'UInt64'],
  ...FOLDED_VISIT_COLUMNS.filter(([c]) => CARRIED.includes(c)),
];
const VISIT_NAMES = FOLDED_VISIT_COLUMNS.map(([c]) => c).join(', ');
const VALUE_NAMES = FOLDED_VALUE_COLUMNS.map(([c]) => c).join(', ');
/** A value row as reads take it. */
const VALUE_ROW = `pixel_id, session_id, vday, e_value, m_events, m_pageviews, ${CARRIED.join(', ')}`;

/**
 * Rows of the given pixel days (each of its generation when they carry one), with day bounds the
 * primary key can use. Per pixel, its days are an integer set and its generations a lookup by day
 * (`transform`: a row is kept when its generation is its day's, and a day not listed maps to 0, which
 * no copy has): a tuple of the pixel's 36-character id, day and generation looked up in a set on
 * every row cost 18.16 a third of a month's breakdown (2026-11-30, 1M events: 48 against 31 ms of CPU).
 */
function daysWhere(d: StatsDialect, organizationId: string, days: readonly (PixelDay & { gen?: number })[], keyed = false): string {
  const vdays = days.map((x) => x.vday);
  // Per pixel, its days once each (transform takes no key twice).
  const byPixel = new Map<string, Map<number, number | undefined>>();
  for (const x of days) {
    const own = byPixel.get(x.pixelId) ?? new Map<number, number | undefined>();
    if (!own.has(x.vday)) own.set(x.vday, x.gen);
    byPixel.set(x.pixelId, own);
  }
  const list = (xs: Iterable<number | undefined>, type: string) =>
    `CAST([${[...xs].map((x) => d.int(x ?? 0)).join(', ')}] AS Array(${type}))`;
  const withGen = days.some((x) => x.gen !== undefined);
  const pixelIs = (pixelId: string): string => (keyed ? `fkey = ${sqlRowKey(organizationId, pixelId)}` : `pixel_id = ${d.text(pixelId)}`);
  const pixel = ([pixelId, own]: [string, Map<number, number | undefined>]): string =>
    `(${pixelIs(pixelId)} AND ${
      withGen
        ? `gen = transform(vday, ${list(own.keys(), 'Int64')}, ${list(own.values(), 'UInt64')}, toUInt64(0))`
        : `has(${list(own.keys(), 'Int64')}, vday)`
    })`;
  const pixels = [...byPixel.keys()];
  const scope = keyed
    ? `fkey IN (${pixels.map((p) => sqlRowKey(organizationId, p)).join(', ')})`
    : `organization_id = ${d.text(organizationId)} AND pixel_id IN ${d.textList(pixels)}`;
  return (
    `${scope} AND vday >= ${d.int(Math.min(...vdays))} AND vday <= ${d.int(Math.max(...vdays))} ` +
    `AND (${[...byPixel].map(pixel).join(' OR ')})`
  );
}

/**
 * The fold's copies of `days` (pixel days, each of its copy's generation): selected by their
 * pixel's key (`fkey`) and generation, not by the text ids.
 */
export const foldedDaysWhere = (d: StatsDialect, organizationId: string, days: readonly (PixelDay & { gen: number })[]): string =>
  daysWhere(d, organizationId, days, true);

/** Every pixel day of the scope. */
export function scopePixelDays(q: StatsScope): PixelDay[] {
  const out: PixelDay[] = [];
  for (const pixelId of q.pixelIds) {
    for (let vday = Math.floor(q.startMs / DAY_MS); vday <= Math.floor((q.endMs - 1) / DAY_MS); vday++) out.push({ pixelId, vday });
  }
  return out;
}

/** The scope's pixel days that are not among `folded` (every one of them when none is). */
export function unfoldedDays(q: StatsScope, folded: readonly FoldedDay[]): PixelDay[] {
  const done = new Set(folded.map((x) => `${x.pixelId}\u0000${x.vday}`));
  return scopePixelDays(q).filter((x) => !done.has(`${x.pixelId}\u0000${x.vday}`));
}

/** Visits merged from the rollup rows `where` selects, all of VISIT_NAMES. */
function mergedVisitsSql(d: StatsDialect, t: ClickHouseRollupTables, where: string, having: string): string {
  const { at } = firstAttributes(d);
  const first = [...at].map(([column, i]) => `${unescaped(`arrayElement(a, ${i})`)} AS ${column}`);
  const grouped =
    'SELECT organization_id, pixel_id, sid AS session_id, vday, minMerge(s_start) AS v_start, maxMerge(s_end) AS v_end, ' +
    `argMinMerge(s_visitor) AS v_visitor, splitByChar(${SEPARATOR}, argMinMerge(s_first)) AS a, sumMerge(s_events) AS v_events, ` +
    'sumMerge(s_pageviews) AS v_pageviews, sumMerge(s_interactions) AS v_interactions, argMinIfMerge(s_entry) AS en, argMaxIfMerge(s_exit) AS ex ' +
    `FROM ${t.visits} WHERE ${where} GROUP BY organization_id, pixel_id, sid, vday${having ? ` HAVING ${having}` : ''}`;
  return (
    `SELECT organization_id, pixel_id, session_id, vday, v_start, v_end, v_visitor, ${first.join(', ')}, v_events, v_pageviews, v_interactions, ` +
    `if(v_pageviews > 0, en, '') AS v_entry, if(v_pageviews > 0, ex, '') AS v_exit FROM (${grouped})`
  );
}

const startsIn = (d: StatsDialect, q: StatsScope): string => `v_start >= ${d.int(q.startMs)} AND v_start < ${d.int(q.endMs)}`;

/**
 * The visits (V of stats-sql.ts) starting in the scope's range: the folded copies of the days in
 * `folded`, and the other days merged from the rollup.
 */
export function rolledVisitsSql(d: StatsDialect, t: ClickHouseRollupTables, q: StatsScope, folded: readonly FoldedDay[] = []): string {
  if (folded.length === 0) return mergedVisitsSql(d, t, dayBounds(d, q), startsIn(d, q));
  const parts = [
    `SELECT ${VISIT_NAMES} FROM ${t.foldedVisits} WHERE ${foldedDaysWhere(d, q.organizationId, folded)} AND ${startsIn(d, q)}`,
  ];
  const rest = unfoldedDays(q, folded);
  if (rest.length > 0) parts.push(mergedVisitsSql(d, t, daysWhere(d, q.organizationId, rest), startsIn(d, q)));
  return parts.join(' UNION ALL ');
}

/** Per visit and value of `prop`, its events and page views, from the rollup rows `where` selects. */
const mergedValuesSql = (t: ClickHouseRollupTables, where: string, prop: string): string =>
  'SELECT pixel_id, sid AS session_id, vday, e_value, sum(m_events) AS m_events, sum(m_pageviews) AS m_pageviews ' +
  `FROM ${t.values} WHERE ${where} AND prop = ${prop} GROUP BY pixel_id, sid, vday, e_value`;

/** The value rows of one event-level property (TotalsPlan.values), carrying their visits' columns. */
export function rolledValuesSql(
  d: StatsDialect,
  t: ClickHouseRollupTables,
  q: StatsScope,
  property: EventProperty,
  folded: readonly FoldedDay[] = [],
): string {
  const joined = (where: string, visits: string): string =>
    `SELECT ${VALUE_ROW} FROM (${mergedValuesSql(t, where, d.constant(property))}) AS vl ALL INNER JOIN ` +
    `(SELECT pixel_id, session_id, vday, ${CARRIED.join(', ')} FROM (${visits})) AS vs USING (pixel_id, session_id, vday)`;
  // The filter's own conditions on these rows where they are read (18.16 does not push the outer
  // WHERE into this subquery: a clicked page's breakdowns read every page row of the month).
  const own = valueRowsConditionSql(d, q, property);
  const pinned = own ? ` AND ${own}` : '';
  if (folded.length === 0) return joined(`${dayBounds(d, q)}${pinned}`, rolledVisitsSql(d, t, q));
  const parts = [
    `SELECT ${VALUE_ROW} FROM ${t.foldedValues} WHERE ${foldedDaysWhere(d, q.organizationId, folded)} AND prop = ${d.constant(property)} AND ${startsIn(d, q)}${pinned}`,
  ];
  const rest = unfoldedDays(q, folded);
  if (rest.length > 0) {
    const where = daysWhere(d, q.organizationId, rest);
    parts.push(joined(`${where}${pinned}`, mergedVisitsSql(d, t, where, startsIn(d, q))));
  }
  return parts.join(' UNION ALL ');
}

/**
 * Per pixel day `where` selects: the events the rollups count now (kind 'n', in `a`), and the
 * latest fold (kind 'f': its generation in `a`, the count it was checked against in `b`).
 */
export function foldStateSql(t: ClickHouseRollupTables, where: string): string {
  return (
    `SELECT 'n' AS kind, organization_id, pixel_id, vday, sum(n_events) AS a, toUInt64(0) AS b FROM ${t.days} WHERE ${where} ` +
    "GROUP BY organization_id, pixel_id, vday UNION ALL SELECT 'f' AS kind, organization_id, pixel_id, vday, max(gen) AS a, " +
    `argMax(n_events, gen) AS b FROM ${t.folds} WHERE ${where} GROUP BY organization_id, pixel_id, vday`
  );
}

/** Per pixel day of the copies of generation `gen`, the events its visits (s_visits) and its page value rows (s_values) hold. */
export function copySumsSql(t: ClickHouseRollupTables, organizationId: string, days: readonly PixelDay[], gen: number): string {
  const d = clickHouseStatsDialect({ events: t.events, links: '', profiles: '' });
  const where = `${daysWhere(d, organizationId, days)} AND gen = ${d.int(gen)}`;
  return (
    'SELECT pixel_id, vday, sum(n_visits) AS s_visits, sum(n_values) AS s_values FROM (' +
    `SELECT pixel_id, vday, sum(v_events) AS n_visits, toUInt64(0) AS n_values FROM ${t.foldedVisits} WHERE ${where} GROUP BY pixel_id, vday ` +
    `UNION ALL SELECT pixel_id, vday, toUInt64(0) AS n_visits, sum(m_events) AS n_values FROM ${t.foldedValues} WHERE ${where} AND prop = 'page' ` +
    'GROUP BY pixel_id, vday) GROUP BY pixel_id, vday'
  );
}

/** Copies the merged visits and value rows of one organization's pixel days under generation `gen`. */
export function foldSql(t: ClickHouseRollupTables, organizationId: string, days: readonly PixelDay[], gen: number): string[] {
  const d = clickHouseStatsDialect({ events: t.events, links: '', profiles: '' });
  const where = daysWhere(d, organizationId, days);
  const visits = mergedVisitsSql(d, t, where, '');
  const values =
    `SELECT ${d.text(organizationId)} AS organization_id, ${VALUE_ROW}, prop ` +
    `FROM (SELECT pixel_id, sid AS session_id, vday, prop, e_value, sum(m_events) AS m_events, sum(m_pageviews) AS m_pageviews FROM ${t.values} ` +
    `WHERE ${where} GROUP BY pixel_id, sid, vday, prop, e_value) AS vl ALL INNER JOIN ` +
    `(SELECT pixel_id, session_id, vday, ${CARRIED.join(', ')} FROM (${visits})) AS vs USING (pixel_id, session_id, vday)`;
  const fkey = foldKeySql(organizationId, [...new Set(days.map((x) => x.pixelId))], 'pixel_id');
  return [
    `INSERT INTO ${t.foldedVisits} (fkey, ${VISIT_NAMES}, gen) SELECT ${fkey}, ${VISIT_NAMES}, ${d.int(gen)} AS gen FROM (${visits})`,
    `INSERT INTO ${t.foldedValues} (fkey, ${VALUE_NAMES}, prop, gen) SELECT ${fkey}, ${VALUE_NAMES}, prop, ${d.int(gen)} AS gen FROM (${values})`,
  ];
}

/** The rows of an organization's pixel days (the pixels' days, each of every pixel when `days` lists them all). */
export function pixelDaysWhere(organizationId: string, pixelIds: readonly string[], days: readonly PixelDay[]): string {
  const d = clickHouseStatsDialect({ events: '', links: '', profiles: '' });
  if (days.length === 0) return '0';
  return `pixel_id IN ${d.textList(pixelIds)} AND ${daysWhere(d, organizationId, days)}`;
}

/** The rows of the scope's pixels and UTC days. */
export const scopeDaysWhere = (q: StatsScope): string => dayBounds(clickHouseStatsDialect({ events: '', links: '', profiles: '' }), q);
