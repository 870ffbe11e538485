// Day rollups of DuckDB's traffic stats: what the unfiltered overview reads instead of a month of
// visits (duckdb-stats.ts keeps those, one row per visit, and answers every other question), and
// what a clicked row's headline, chart, own panel and (a clicked source's) pages read.
//
// Kept per pixel in one time zone, the project's (a period is whole local days of it), from the
// visit rollups, by the same fold and under the same watermark:
//
// - `stats_days`: per pixel, local day, property and value (prop 0: all visits, value ''), the sums
//   of the visits that started that day (visits, page views, events, bounces, duration), and for
//   prop 0 the day's distinct visitors. Sums over days add up. Some properties are also kept by the
//   value of another (CROSSED): networks by network type, pages by the visit's source, and the
//   overview's visit panels by page and by source (what a clicked page or source reads).
// - `stats_day_visitors`: per pixel, visitor number, window of 64 local days, property and value, a
//   bitmask of the days of the window on which the visitor started a visit with that value. Windows
//   start every 32 days and overlap by 32 (each day lies in two), so any 33 days in a row (a day, a
//   week, a month, the last 30 days, wherever they fall) lie in one window: their distinct visitors
//   are the rows whose mask meets the days' mask, a plain count with no distinct for one pixel.
//   Longer periods are covered by several windows and counted distinct; a day's visitors come from
//   the bits.
// - `stats_zones`: the zone each pixel's rows are kept in. A read in another zone (a pixel not read
//   yet, or its project's zone changed) reads the visits, and a rebuild in that zone is queued on
//   the maintenance connection.
//
// Refreshing days recomputes them from the visit rollups: the fold refreshes the local days of the
// visits it touched (their sums whole; the masks of the visitors it touched), a retention delete
// the days up to the cut, a rebuild all of them. Reads stay exact before the fold catches up: local
// days that events past the watermark fall in are read from the visits, whole, and combined with the
// other days' rollups (sums add; visitors are distinct over both sides' visitor numbers).
import { monthOfDay, type OffsetPiece, weekOfDay } from '../platform/time-zone.js';
import { PROPERTY_LEVEL, STATS_PROPERTIES, type StatsCondition, type StatsProperty, type StatsScope } from './stats.js';
import { bucketSql, COLUMN, type Grouping, type StatsDialect } from './stats-sql.js';

/** Bump when what the day rollups hold changes: they are dropped and rebuilt per pixel when read. */
export const DAYS_VERSION = '8';

/** `network` values by `network_type` (type, unit separator, network): the business-network panel. */
export const NETWORK_BY_TYPE = 'network@type';
/**
 * `page` values by the visit's `source` (source, unit separator, page): a clicked source's page panel,
 * which otherwise groups every page row of the period by page under a distinct count. A source with
 * the separator in it (a `utm_source` can hold anything) has no such rows, and a filter on one is
 * left to the visit rows, so the first separator always ends the source.
 */
export const PAGE_BY_SOURCE = 'page@source';
const SEP = 'chr(31)';
export const SEP_CHAR = String.fromCharCode(31);

/**
 * The visit properties of a clicked page's panels (the overview's first tab of each), kept by page
 * (`<property>@page`: page, unit separator, value, which is '' when the visit has none): a clicked
 * page's source, campaign, country and device panels read that page's rows and masks instead of
 * grouping every visit of the period that has the page under a distinct count (about 100 ms each
 * at 10M events). A page holding the separator has no such rows, and a filter on one reads the
 * visit rows.
 */
export const PAGE_CROSSED: readonly StatsProperty[] = ['source', 'utm_campaign', 'country', 'device'];
export const byPage = (property: StatsProperty): string => `${property}@page`;
/**
 * The same panels kept by the visit's source (`<property>@source`: source, separator, value), for a
 * clicked source, whose campaign, country and device panels otherwise group every visit of that
 * source in the period (40-50 ms each at 10M events). A source holding the separator has none.
 */
export const SOURCE_CROSSED: readonly StatsProperty[] = ['utm_campaign', 'country', 'device'];
export const bySource = (property: StatsProperty): string => `${property}@source`;
/**
 * The company-network panel (networks of `network_type` business) of a clicked page, kept by page
 * (page, separator, network) from the page rows of business networks' visits only.
 */
export const BUSINESS_NETWORK_BY_PAGE = 'network@page@business';
export const BUSINESS = 'business';

/**
 * Properties kept by the value of another (a filter on `by`, a breakdown by `property`): `by`'s
 * value, the separator, `property`'s; `when`: of the visits with that value only (the filter must
 * name it too).
 */
const CROSSED: readonly { code: string; property: StatsProperty; by: StatsProperty; when?: StatsCondition }[] = [
  { code: NETWORK_BY_TYPE, property: 'network', by: 'network_type' },
  { code: PAGE_BY_SOURCE, property: 'page', by: 'source' },
  ...PAGE_CROSSED.map((property) => ({ code: byPage(property), property, by: 'page' as const })),
  ...SOURCE_CROSSED.map((property) => ({ code: bySource(property), property, by: 'source' as const })),
  {
    code: BUSINESS_NETWORK_BY_PAGE,
    property: 'network',
    by: 'page',
    when: { property: 'network_type', op: 'eq', value: BUSINESS },
  },
];

export const VISIT_PROPERTIES = STATS_PROPERTIES.filter((p) => PROPERTY_LEVEL[p] === 'visit');

/** Property codes (the `prop` column): 0 is every visit. */
const PROPS: readonly string[] = [
  '',
  'page',
  'event_type',
  ...VISIT_PROPERTIES,
  NETWORK_BY_TYPE,
  PAGE_BY_SOURCE,
  ...PAGE_CROSSED.map(byPage),
  ...SOURCE_CROSSED.map(bySource),
  BUSINESS_NETWORK_BY_PAGE,
];
export const code = (prop: string): number => {
  const i = PROPS.indexOf(prop);
  if (i < 0) throw new Error(`no day rollup for ${prop}`);
  return i;
};

export const DAYS_TABLES = ['stats_zones', 'stats_days', 'stats_day_visitors'] as const;

export const DAYS_DDL: readonly string[] = [
  // pk: a number per pixel, what the rollups are keyed by (comparing two 36-character ids per row cost
  // more than the rest of a read).
  'CREATE TABLE IF NOT EXISTS stats_zones (organization_id VARCHAR NOT NULL, pixel_id VARCHAR NOT NULL, zone VARCHAR NOT NULL, pk INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS stats_days (pk INTEGER, lday INTEGER, prop UTINYINT, value VARCHAR, ' +
    'visitors BIGINT, visits BIGINT, pageviews BIGINT, events BIGINT, bounces BIGINT, duration BIGINT)',
  'CREATE TABLE IF NOT EXISTS stats_day_visitors (pk INTEGER, vn BIGINT, block INTEGER, prop UTINYINT, value VARCHAR, mask UBIGINT)',
];

/** Days per mask (window `w` holds local days [STRIDE·w, STRIDE·w + WIDTH − 1]), and how often one starts. */
export const WIDTH = 64;
export const STRIDE = 32;
const ALL = (1n << 64n) - 1n;

/** Bits of local days [first, last] in window `w` (0n when none). */
export function windowMask(w: number, first: number, last: number): bigint {
  const lo = Math.max(first - w * STRIDE, 0);
  const hi = Math.min(last - w * STRIDE, WIDTH - 1);
  if (lo > hi) return 0n;
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

/** The later of the two windows holding a day (the earlier is one less). */
export const windowOf = (day: number): number => Math.floor(day / STRIDE);

/**
 * Windows covering the given days, each day in exactly one, with the days' bits: the fewest a
 * greedy cover finds (one for any 33 days in a row).
 */
export function coverDays(days: readonly DayInterval[]): Map<number, bigint> {
  const cover = new Map<number, bigint>();
  const sorted = [...days].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  let w: number | null = null;
  for (const [a, b] of sorted) {
    let day = a;
    while (day <= b) {
      if (w === null || day > w * STRIDE + WIDTH - 1) w = windowOf(day);
      const end = Math.min(b, w * STRIDE + WIDTH - 1);
      cover.set(w, (cover.get(w) ?? 0n) | windowMask(w, day, end));
      day = end + 1;
    }
  }
  return cover;
}

const ubigint = (x: bigint): string => `CAST('${x.toString()}' AS UBIGINT)`;

/** Where a contribution reads visits and visit-and-value rows (FROM clauses, alias s, with the stored columns). */
export interface VisitRows {
  visits: string;
  values: string;
}

const STORED: VisitRows = { visits: 'stats_visits s', values: 'stats_visit_values s' };
/** The pixels refreshed (temp table days_target: organization_id, pixel_id, pk), and their numbers. */
const TARGET = 'JOIN days_target tg ON tg.organization_id = s.organization_id AND tg.pixel_id = s.pixel_id';

/**
 * One row per visit (or visit and page / event type) and property value: the visit's visitor number,
 * local day and sums. `where` selects rows (alias s), `visitor` is the visitor-number column.
 */
function contributionsSql(d: StatsDialect, offsets: readonly OffsetPiece[], from: VisitRows, where: string, visitor: string): string {
  const lday = bucketSql(d, 's.v_start', { unit: 'day', offsets });
  const value = (p: string) => (p === NETWORK_BY_TYPE ? `s.v_network_type || ${SEP} || s.v_network` : `s.${COLUMN[p as StatsProperty]}`);
  const visitProps = [...VISIT_PROPERTIES, NETWORK_BY_TYPE];
  // A visit's source crossings: none (null, never read) when the source holds the separator.
  const bySourceValue = (p: StatsProperty) =>
    `CASE WHEN strpos(s.v_source, ${SEP}) = 0 THEN s.v_source || ${SEP} || coalesce(s.${COLUMN[p]}, '') END`;
  const codes = `CAST([${[0, ...visitProps.map(code), ...SOURCE_CROSSED.map((p) => code(bySource(p)))].join(', ')}] AS UTINYINT[])`;
  const values = `[${["''", ...visitProps.map(value), ...SOURCE_CROSSED.map(bySourceValue)].join(', ')}]`;
  const sums = 'CASE WHEN s.v_interactions <= 1 THEN 1 ELSE 0 END AS bounce, s.v_end - s.v_start AS dur';
  const pageCodes = `CAST([${[...PAGE_CROSSED.map(byPage), BUSINESS_NETWORK_BY_PAGE].map(code).join(', ')}] AS UTINYINT[])`;
  // Null (never read) for the business-network crossing of another network type's visit.
  const businessNetwork = `CASE WHEN s.v_network_type = '${BUSINESS}' THEN s.e_value || ${SEP} || coalesce(s.v_network, '') END`;
  const pageValues = `[${[...PAGE_CROSSED.map((p) => `s.e_value || ${SEP} || coalesce(s.${COLUMN[p]}, '')`), businessNetwork].join(', ')}]`;
  return (
    `SELECT tg.pk, s.${visitor} AS vn, CAST(${lday} AS INTEGER) AS lday, unnest(${codes}) AS prop, unnest(${values}) AS value, ` +
    `s.v_pageviews AS pv, s.v_events AS ev, ${sums} FROM ${from.visits} ${TARGET} WHERE ${where} UNION ALL ` +
    `SELECT tg.pk, s.${visitor}, CAST(${lday} AS INTEGER), CAST(CASE s.prop WHEN 'page' THEN ${code('page')} ELSE ${code('event_type')} END AS UTINYINT), ` +
    `s.e_value, s.m_pageviews, s.m_events, ${sums} FROM ${from.values} ${TARGET} WHERE ${where} UNION ALL ` +
    `SELECT tg.pk, s.${visitor}, CAST(${lday} AS INTEGER), CAST(${code(PAGE_BY_SOURCE)} AS UTINYINT), s.v_source || ${SEP} || s.e_value, ` +
    `s.m_pageviews, s.m_events, ${sums} FROM ${from.values} ${TARGET} WHERE ${where} AND s.prop = 'page' AND strpos(s.v_source, ${SEP}) = 0 UNION ALL ` +
    // Without the null values (the business-network crossing of other networks' visits).
    `SELECT * FROM (SELECT tg.pk, s.${visitor}, CAST(${lday} AS INTEGER), unnest(${pageCodes}), unnest(${pageValues}) AS value, ` +
    `s.m_pageviews, s.m_events, ${sums} FROM ${from.values} ${TARGET} WHERE ${where} AND s.prop = 'page' ` +
    `AND strpos(s.e_value, ${SEP}) = 0) WHERE value IS NOT NULL`
  );
}

/** What a refresh recomputes: local days [first, last] of the pixels in `days_target`, kept in one zone. */
export interface DayRefresh {
  /** The zone's offsets over the visits read (from the first UTC day's start to the last's end). */
  offsets: readonly OffsetPiece[];
  first: number;
  last: number;
  /** The UTC days (vday) whose visits can start on those local days. */
  firstVday: number;
  lastVday: number;
  /**
   * A fold's refresh: only the visits it changed, their rows before (`before`) and after (`after`):
   * the sums move by the difference, and the masks of the visitors in `days_touched`
   * (pk, vn) are recomputed on those days. Without it, the days are
   * recomputed whole.
   */
  changed?: { before: VisitRows; after: VisitRows };
}

const SUMS = 'visits, pageviews, events, bounces, duration';
const DAY_KEY = 'pk, lday, prop, value';
const sameDayKey = (a: string, b: string) =>
  DAY_KEY.split(', ')
    .map((c) => `${a}.${c} = ${b}.${c}`)
    .join(' AND ');

/**
 * Statements that recompute the day rollups of local days [first, last] for the pixels of the temp
 * table `days_target` (organization_id, pixel_id, pk) from the visit rollups: their sums (whole, or moved
 * by a fold's changes), and the mask bits of those days (for every visitor, or those of
 * `days_touched`), other days' bits kept.
 */
export function refreshSql(d: StatsDialect, r: DayRefresh, visitor: string): string[] {
  const where = `s.vday BETWEEN ${d.int(r.firstVday)} AND ${d.int(r.lastVday)}`;
  const inDays = `lday BETWEEN ${d.int(r.first)} AND ${d.int(r.last)}`;
  const keeps: string[] = [];
  for (let w = windowOf(r.first) - 1; w <= windowOf(r.last); w++) keeps.push(`(${w}, ${ubigint(ALL ^ windowMask(w, r.first, r.last))})`);
  const key = 'pk, vn, block, prop, value';
  const bits = (from: string) =>
    // Each day sets its bit in both windows that hold it.
    `CREATE OR REPLACE TEMP TABLE days_bits AS SELECT pk, vn, block, prop, value, ` +
    `bit_or(CAST(1 AS UBIGINT) << CAST(lday - ${STRIDE} * block AS INTEGER)) AS mask FROM ` +
    `(SELECT c.*, unnest([lday // ${STRIDE}, lday // ${STRIDE} - 1]) AS block FROM (${from}) c WHERE vn IS NOT NULL AND ${inDays}) GROUP BY ${key}`;
  const statements: string[] = [];
  const { changed } = r;
  if (!changed) {
    statements.push(
      `CREATE OR REPLACE TEMP TABLE days_contrib AS SELECT * FROM (${contributionsSql(d, r.offsets, STORED, where, visitor)}) WHERE ${inDays}`,
      `DELETE FROM stats_days m USING days_target t WHERE t.pk = m.pk AND m.lday BETWEEN ${d.int(r.first)} AND ${d.int(r.last)}`,
      `INSERT INTO stats_days SELECT ${DAY_KEY}, 0, count(*), sum(pv), sum(ev), sum(bounce), sum(dur) FROM days_contrib ` +
        `GROUP BY ${DAY_KEY} ORDER BY prop, value, lday`,
      bits('SELECT * FROM days_contrib'),
      'DROP TABLE days_contrib',
    );
  } else {
    const sided = (rows: VisitRows, sign: number, vn: string) =>
      `SELECT ${DAY_KEY}, ${sign} AS n, ${sign} * pv AS pv, ${sign} * ev AS ev, ${sign} * bounce AS bounce, ${sign} * dur AS dur ` +
      `FROM (${contributionsSql(d, r.offsets, rows, `${where}`, vn)})`;
    const touched = `EXISTS (SELECT 1 FROM days_touched t WHERE t.pk = tg.pk AND t.vn = s.${visitor})`;
    statements.push(
      // The sums move by what the changed visits add now less what they added before.
      `CREATE OR REPLACE TEMP TABLE days_delta AS SELECT ${DAY_KEY}, sum(n) AS visits, sum(pv) AS pageviews, sum(ev) AS events, ` +
        `sum(bounce) AS bounces, sum(dur) AS duration FROM (${sided(changed.after, 1, visitor)} UNION ALL ${sided(changed.before, -1, visitor)}) ` +
        `GROUP BY ${DAY_KEY}`,
      `CREATE OR REPLACE TEMP TABLE days_sums AS SELECT ${DAY_KEY}, CAST(sum(visits) AS BIGINT) AS visits, CAST(sum(pageviews) AS BIGINT) AS pageviews, ` +
        'CAST(sum(events) AS BIGINT) AS events, CAST(sum(bounces) AS BIGINT) AS bounces, CAST(sum(duration) AS BIGINT) AS duration FROM (' +
        `SELECT ${DAY_KEY}, ${SUMS} FROM stats_days m SEMI JOIN days_delta x ON ${sameDayKey('m', 'x')} UNION ALL SELECT ${DAY_KEY}, ${SUMS} FROM days_delta) ` +
        `GROUP BY ${DAY_KEY}`,
      `DELETE FROM stats_days m USING days_delta x WHERE ${sameDayKey('m', 'x')}`,
      `INSERT INTO stats_days SELECT ${DAY_KEY}, 0, ${SUMS} FROM days_sums WHERE visits <> 0`,
      bits(contributionsSql(d, r.offsets, STORED, `${where} AND ${touched}`, visitor)),
      'DROP TABLE days_delta',
      'DROP TABLE days_sums',
    );
  }
  const who = changed ? 'days_touched t ON t.pk = m.pk AND t.vn = m.vn' : 'days_target t ON t.pk = m.pk';
  const blocks = `m.block BETWEEN ${windowOf(r.first) - 1} AND ${windowOf(r.last)}`;
  statements.push(
    `CREATE OR REPLACE TEMP TABLE days_old AS SELECT m.pk, m.vn, m.block, m.prop, m.value, m.mask & k.keep AS mask ` +
      `FROM stats_day_visitors m JOIN (VALUES ${keeps.join(', ')}) k(block, keep) ON k.block = m.block SEMI JOIN ${who} WHERE ${blocks}`,
    `DELETE FROM stats_day_visitors m USING ${who.replace(' ON ', ' WHERE ')} AND ${blocks}`,
    // In property order, then by value: a read of one property skips the row groups of the others,
    // and a clicked row's (one value's) those of the other values (a build writes most rows; a
    // fold's few land at the end).
    `INSERT INTO stats_day_visitors SELECT ${key}, bit_or(mask) FROM (SELECT * FROM days_old UNION ALL SELECT * FROM days_bits) ` +
      `GROUP BY ${key} HAVING bit_or(mask) <> 0 ORDER BY prop, block, pk, value`,
    'DROP TABLE days_bits',
    'DROP TABLE days_old',
  );
  // The days' distinct visitors, from the masks of all visits (prop 0).
  const days: string[] = [];
  for (let day = r.first; day <= r.last; day++) days.push(`(${day}, ${windowOf(day)}, ${ubigint(windowMask(windowOf(day), day, day))})`);
  statements.push(
    `UPDATE stats_days s SET visitors = c.n FROM (SELECT x.pk, x.lday, count(m.vn) AS n FROM ` +
      `(SELECT t.pk, l.lday, l.block, l.bit FROM days_target t, (VALUES ${days.join(', ')}) l(lday, block, bit)) x ` +
      'LEFT JOIN stats_day_visitors m ON m.pk = x.pk AND m.block = x.block AND m.prop = CAST(0 AS UTINYINT) AND (m.mask & x.bit) <> 0 ' +
      'GROUP BY x.pk, x.lday) c WHERE s.pk = c.pk AND s.lday = c.lday AND s.prop = CAST(0 AS UTINYINT)',
  );
  return statements;
}

/** A question the day rollups answer: its property code, how a row's group reads, and a value condition. */
export interface DayShape {
  prop: number;
  /** The group of a stored value (`value` column), or of a local day (`lday`) for buckets. */
  group: 'none' | 'value' | 'after-separator' | 'bucket';
  /** Condition on a stored value column (a filter the rollup keys hold). */
  valueWhere?: (d: StatsDialect, column: string) => string;
  /** The filter as it reads on the visits (the days read from them). */
  visitsWhere?: StatsCondition;
  /** And the breakdown's own property has a value (a panel's not_null): its null row is left out. */
  valuesNotNull?: boolean;
  /** And this visit-level condition (a crossing's `when`), on the visits read. */
  visitsAlso?: StatsCondition;
}

/** The rows of the days read from the visits (g first), without the one of no value when the shape asks so. Both engines. */
export const visitRowsOf = (shape: DayShape, rows: string): string =>
  shape.valuesNotNull ? `SELECT * FROM (${rows}) WHERE g <> ''` : rows;

/** Whether the day rollups answer this question, and how: unfiltered totals, series by day or longer, breakdowns. */
export function dayShape(q: StatsScope, grouping: Grouping): DayShape | null {
  if (!q.zone) return null;
  const filter = q.filter ?? [];
  const identified = Boolean(q.identified);
  // Totals and series of the visits with one value (a clicked row): that value's rollup rows.
  const clicked = oneValue(filter);
  if (grouping.kind === 'none') {
    if (filter.length === 0) return { prop: 0, group: 'none' };
    return clicked ? { ...clicked, group: 'none' } : null;
  }
  if (grouping.kind === 'bucket') {
    if (grouping.spec.unit === 'hour' || identified) return null;
    if (filter.length === 0) return { prop: 0, group: 'bucket' };
    return clicked ? { ...clicked, group: 'bucket' } : null;
  }
  if (identified) return null;
  const property = grouping.property;
  if (PROPERTY_LEVEL[property] === 'visitor') return null;
  if (filter.length === 0) return { prop: code(property), group: 'value' };
  // The panel's own "has a value" (the campaign panel's utm_campaign:not_null): its rows but the
  // one without a value ('', as the rollups keep "no value").
  const [only] = filter;
  const notNull = (c: StatsCondition) => c.property === property && c.op === 'not_null';
  if (filter.length === 1 && only?.length === 1 && only[0] && notNull(only[0])) {
    return { prop: code(property), group: 'value', valueWhere: (_w, column) => `${column} <> ''`, valuesNotNull: true };
  }
  // A clicked row's own property (a clicked page's page panel): its one row, that value's rollup rows.
  if (clicked && clicked.prop === code(property)) return { ...clicked, group: 'value' };
  // A property kept by another's value (the business-network panel, a clicked source's pages, a
  // clicked page's visit panels): the filter is `by` eq a value, the crossing's `when` if it has
  // one, and perhaps the panel's own not_null; nothing else.
  if (filter.length !== 1 || !only) return null;
  for (const x of CROSSED) {
    if (x.property !== property) continue;
    const c = only.find((y) => y.property === x.by && y.op === 'eq' && y.value !== null);
    const when = x.when && only.find((y) => y.property === x.when?.property && y.op === 'eq' && y.value === x.when.value);
    if (!c || (x.when && !when)) continue;
    const rest = only.filter((y) => y !== c && y !== when);
    const valuesNotNull = rest.length === 1 && rest[0] !== undefined && notNull(rest[0]);
    if (rest.length > (valuesNotNull ? 1 : 0)) continue;
    const value = c.value ?? '';
    if (value.includes(SEP_CHAR)) return null;
    // The value's rows as a range, which zone maps skip row groups by (starts_with() does not): the
    // strings from `value` and the separator up to `value` and a space are exactly those starting
    // with `value` and the separator. Without the one with no value after it, when not_null.
    return {
      prop: code(x.code),
      group: 'after-separator',
      valueWhere: (w, column) => {
        const v = w.text(value);
        return `${column} ${valuesNotNull ? '>' : '>='} ${v} || ${SEP} AND ${column} < ${v} || chr(32)`;
      },
      visitsWhere: c,
      ...(when ? { visitsAlso: when } : {}),
      ...(valuesNotNull ? { valuesNotNull } : {}),
    };
  }
  return null;
}

/**
 * A filter that is one condition `property eq value` on a property the rollups key (an event- or
 * visit-level one, a value given): the rollup rows of that property and value are its visits.
 */
function oneValue(filter: readonly (readonly StatsCondition[])[]): Pick<DayShape, 'prop' | 'valueWhere' | 'visitsWhere'> | null {
  const [group] = filter;
  const [c] = group ?? [];
  if (filter.length !== 1 || group?.length !== 1 || !c || c.op !== 'eq' || c.value === null) return null;
  if (PROPERTY_LEVEL[c.property] === 'visitor' || !PROPS.includes(c.property)) return null;
  const value = c.value;
  return { prop: code(c.property), valueWhere: (w, column) => `${column} = ${w.text(value)}`, visitsWhere: c };
}

/** Local days [first, last]. */
export type DayInterval = readonly [number, number];

export interface DayRead {
  shape: DayShape;
  /** The scope's pixels' numbers (stats_zones.pk). */
  pks: readonly number[];
  grouping: Grouping;
  /** Local days the rollups answer for (at most two intervals). */
  days: readonly DayInterval[];
  /**
   * Rows of the visits of the other days of the range (events past the watermark fall in them):
   * g, vn (NULL without a visitor), i (identified, 0/1), pv, ev, bounce, dur; one per visit, or per
   * visit and value for an event-level property. Null when the rollups answer every day.
   */
  visits: string | null;
  page?: { limit: number; offset: number };
}

/** The group expression of a stored row (`alias`.value or `alias`.lday). */
function groupOf(d: StatsDialect, shape: DayShape, grouping: Grouping, alias: string): string {
  switch (shape.group) {
    case 'none':
      return "''";
    case 'value':
      return `${alias}.value`;
    case 'after-separator':
      return `substr(${alias}.value, strpos(${alias}.value, ${SEP}) + 1)`;
    case 'bucket': {
      const unit = grouping.kind === 'bucket' ? grouping.spec.unit : 'day';
      const day = `${alias}.lday`;
      return unit === 'day' ? day : unit === 'week' ? d.intDiv(`${day} + 3`, '7') : d.monthOfDay(day);
    }
  }
}

/**
 * The statement over the day rollups (and the visits of the other days): rows in the column order
 * totalsSql gives, g first unless the grouping is none.
 */
export function dayReadSql(d: StatsDialect, q: StatsScope, read: DayRead): string {
  const { shape, grouping, days } = read;
  const scope = (alias: string) =>
    // The property as its column's type: a comparison the scan takes as a filter, skipping other properties' row groups.
    `${alias}.prop = CAST(${shape.prop} AS UTINYINT) AND ${alias}.pk IN (${read.pks.map((k) => d.int(k)).join(', ')})` +
    (shape.valueWhere ? ` AND ${shape.valueWhere(d, `${alias}.value`)}` : '');
  const inDays = days.length === 0 ? 'false' : days.map(([a, b]) => `s.lday BETWEEN ${d.int(a)} AND ${d.int(b)}`).join(' OR ');
  const g = groupOf(d, shape, grouping, 's');
  const visits = read.visits;
  const sumsParts = [
    `SELECT ${g} AS g, visits, pageviews, events, bounces, duration FROM stats_days s WHERE ${scope('s')} AND (${inDays})`,
    ...(visits ? [`SELECT g, 1, pv, ev, bounce, dur FROM (${visits})`] : []),
  ];
  const sums =
    'SELECT g, CAST(sum(visits) AS BIGINT) AS visits, CAST(sum(pageviews) AS BIGINT) AS pageviews, CAST(sum(events) AS BIGINT) AS events, ' +
    `CAST(sum(bounces) AS BIGINT) AS bounces, CAST(sum(duration) AS BIGINT) AS duration FROM (${sumsParts.join(' UNION ALL ')}) GROUP BY g`;

  const onePixel = q.pixelIds.length === 1;
  const byDay = grouping.kind === 'bucket' && grouping.spec.unit === 'day';
  let counted: string;
  if (byDay && onePixel && shape.prop === 0) {
    // A day's distinct visitors are kept with its sums; the days read from visits are other buckets.
    const parts = [
      `SELECT ${g} AS g, visitors, 0 AS identified FROM stats_days s WHERE ${scope('s')} AND (${inDays})`,
      ...(visits ? [`SELECT g, count(DISTINCT vn), 0 FROM (${visits}) GROUP BY g`] : []),
    ];
    counted = `SELECT g, CAST(sum(visitors) AS BIGINT) AS visitors, 0 AS identified FROM (${parts.join(' UNION ALL ')}) GROUP BY g`;
  } else {
    // Mask rows meeting the days: per bucket for a series, else one set of days.
    const pieces: { g: number; w: number; mask: bigint }[] = [];
    const buckets = grouping.kind === 'bucket' ? bucketDays(grouping.spec.unit, days) : [{ g: 0, days }];
    for (const b of buckets) for (const [w, mask] of coverDays(b.days)) pieces.push({ g: b.g, w, mask });
    const windows = [...new Set(pieces.map((x) => x.w))];
    const linked = () =>
      q.identified
        ? `m.vn IN (SELECT n.n FROM visitor_links l JOIN stats_visitors n ON n.visitor_id = l.visitor_id WHERE l.organization_id = ${d.text(q.organizationId)})`
        : 'false';
    const [one] = pieces;
    const [only] = windows;
    if (grouping.kind === 'bucket' && onePixel && !visits && windows.length === 1 && only !== undefined && pieces.length > 1) {
      // A series of a clicked row in one window of one pixel: each visitor has one row, and a
      // bucket's visitors are the rows whose mask meets its days. The rows are counted per mask
      // first (far fewer masks than visitors), then each mask meets the buckets: a join of every
      // row with the buckets made it one row per bucket (thirty for a day series). No identified
      // visitors: dayShape leaves a series with them to the visits.
      const union = pieces.reduce((x, piece) => x | piece.mask, 0n);
      const perMask =
        `SELECT m.mask, count(*) AS n FROM stats_day_visitors m WHERE ${scope('m')} AND m.block = ${d.int(only)} ` +
        `AND (m.mask & ${ubigint(union)}) <> 0 GROUP BY m.mask`;
      counted =
        `SELECT p.g, CAST(sum(c.n) AS BIGINT) AS visitors, 0 AS identified FROM (${perMask}) c ` +
        `JOIN (VALUES ${pieces.map((x) => `(${d.int(x.g)}, ${ubigint(x.mask)})`).join(', ')}) p(g, mask) ON (c.mask & p.mask) <> 0 GROUP BY p.g`;
    } else {
      const mg = shape.group === 'bucket' ? (pieces.length === 1 && one ? d.int(one.g) : 'p.g') : groupOf(d, shape, grouping, 'm');
      // Made only where used: its parameters must not be bound when no mask rows are read (every day
      // of the period past the watermark, read from the visits).
      const select = () => `SELECT ${mg} AS g, m.vn, CASE WHEN ${linked()} THEN 1 ELSE 0 END AS i FROM stats_day_visitors m `;
      // The windows as a filter of the scan (its zone maps skip the other windows' row groups); one
      // piece (any 33 days in a row) needs no join with the pieces, a third of such a read's time.
      const masks =
        pieces.length === 1 && one
          ? [`${select()}WHERE ${scope('m')} AND m.block = ${d.int(one.w)} AND (m.mask & ${ubigint(one.mask)}) <> 0`]
          : pieces.length > 0
            ? [
                `${select()}JOIN (VALUES ${pieces.map((x) => `(${x.g}, ${x.w}, ${ubigint(x.mask)})`).join(', ')}) p(g, block, mask) ON p.block = m.block ` +
                  `WHERE ${scope('m')} AND m.block IN (${windows.map((w) => d.int(w)).join(', ')}) AND (m.mask & p.mask) <> 0`,
              ]
            : [];
      const rows = [...masks, ...(visits ? [`SELECT g, vn, i FROM (${visits}) WHERE vn IS NOT NULL`] : [])];
      // One pixel, one window, no visits read: each visitor has one row per value.
      const unique = onePixel && !visits && pieces.length === 1 && grouping.kind !== 'bucket';
      const all = rows.length > 0 ? rows.join(' UNION ALL ') : 'SELECT NULL AS g, NULL AS vn, 0 AS i WHERE false';
      counted = unique
        ? `SELECT g, count(*) AS visitors, count(*) FILTER (WHERE i = 1) AS identified FROM (${all}) GROUP BY g`
        : `SELECT g, count(DISTINCT vn) AS visitors, count(DISTINCT vn) FILTER (WHERE i = 1) AS identified FROM (${all}) GROUP BY g`;
    }
  }
  const numbers =
    'coalesce(c.visitors, 0) AS visitors, s.visits, s.pageviews, s.events, s.bounces, s.duration, coalesce(c.identified, 0) AS identified';
  const joined = `FROM (${sums}) s LEFT JOIN (${counted}) c ON c.g = s.g`;
  switch (grouping.kind) {
    case 'none':
      return `SELECT ${numbers} ${joined}`;
    case 'bucket':
      return `SELECT s.g AS g, ${numbers} ${joined} ORDER BY s.g`;
    case 'property': {
      const page = read.page ?? { limit: 100, offset: 0 };
      return `SELECT s.g AS g, ${numbers} ${joined} ORDER BY visitors DESC, s.visits DESC, s.g ${d.limit(page.limit + 1, page.offset)}`;
    }
  }
}

/** The days of each bucket (by its key) within the given days. */
export function bucketDays(unit: 'hour' | 'day' | 'week' | 'month', days: readonly DayInterval[]): { g: number; days: DayInterval[] }[] {
  const byKey = new Map<number, DayInterval[]>();
  const keyOf = (day: number): number => {
    if (unit === 'day') return day;
    return unit === 'week' ? weekOfDay(day) : monthOfDay(day);
  };
  for (const [a, c] of days) {
    let start = a;
    for (let day = a; day <= c; day++) {
      if (day === c || keyOf(day + 1) !== keyOf(day)) {
        const k = keyOf(day);
        const list = byKey.get(k) ?? [];
        list.push([start, day]);
        byKey.set(k, list);
        start = day + 1;
      }
    }
  }
  return [...byKey].map(([g, ds]) => ({ g, days: ds }));
}
