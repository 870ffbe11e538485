// Day rollups of ClickHouse's traffic stats: what the unfiltered overview (and a clicked row's
// headline, chart and own panel) reads instead of a month of folded visits, after DuckDB's
// (duckdb-stats-days.ts, whose shapes, property codes and windows these share).
//
// Built from the fold's copies (clickhouse-stats.ts), per pixel, project zone and window of 64 local
// days (window `w` holds local days [32w, 32w + 63]; windows start every 32 days, so any 33 days in a
// row lie in one), under a generation of their own:
//
// - `day_sums`: per local day, property and value, the sums of the visits that started that day
//   (visits, page views, events, bounces, duration). Sums over days add up.
// - `day_masks`: per visitor, property and value, a UInt64 of the days of the window on which the
//   visitor started such a visit. A period's distinct visitors of one pixel are the rows whose mask
//   meets the period's days: count(), no distinct count of 32-character ids.
// - `day_builds`: per pixel, zone and window, each build's generation and the generation of each UTC
//   day's copy it was built from. A read takes a local day from the build while each UTC day it
//   overlaps still has that copy as its exact one (the fold's check); the other days (a day a late
//   event reached, today, a day not folded when the build ran) are read from the visits, as before.
//
// Rows are keyed by a number per pixel and zone (`pkey`, from a hash of organization, pixel and
// zone) before the window and generation: 18.16 evaluates a read's WHERE on every row of the granules
// its key selects, and comparing the three text ids on each of a month's mask rows was half of a read
// (a month's page panel at 10M events: 250 against 130 ms alike). A row is read only when both its
// pkey and its build's generation match, as before with the ids.
//
// Everything here runs on ClickHouse 18.16: no DateTime64, no query parameters (values go through
// clickhouse-sql.ts), one ARRAY JOIN per SELECT, UNION ALL branches with the same types.
import { DAY_MS, localDay, offsetPieces, startOfLocalDay } from '../platform/time-zone.js';
import { sqlNumber, sqlRowKey, sqlString } from './clickhouse-sql.js';
import { type ClickHouseRollupTables, type FoldedDay, foldedDaysWhere } from './clickhouse-stats.js';
import {
  BUSINESS,
  BUSINESS_NETWORK_BY_PAGE,
  bucketDays,
  byPage,
  bySource,
  code,
  type DayShape,
  NETWORK_BY_TYPE,
  PAGE_BY_SOURCE,
  PAGE_CROSSED,
  SOURCE_CROSSED,
  STRIDE,
  VISIT_PROPERTIES,
  visitRowsOf,
  WIDTH,
  windowMask,
} from './duckdb-stats-days.js';
import type { StatsScope } from './stats.js';
import { bucketSql, COLUMN, type Grouping, type StatsDialect } from './stats-sql.js';

export interface ClickHouseDayTables {
  sums: string;
  masks: string;
  builds: string;
}

/**
 * Bump when the day tables' layout changes: tables of the new version are made (and filled by the
 * builds reads queue), the older ones dropped. 2: rows keyed by pkey. 3: a clicked page's and
 * source's visit panels kept by page and by source. 4: a clicked page's business networks.
 */
export const DAY_TABLES_VERSION = 4;

export function dayDdl(t: ClickHouseDayTables): string[] {
  const key = 'organization_id String, pixel_id String, zone String, win Int32, gen UInt64';
  return [
    `CREATE TABLE IF NOT EXISTS ${t.sums} (pkey UInt64, ${key}, lday Int32, prop UInt8, value String, visits UInt64, pageviews UInt64, ` +
      'events UInt64, bounces UInt64, duration Int64) ENGINE = MergeTree PARTITION BY win ' +
      'ORDER BY (pkey, win, gen, prop, lday, value)',
    // A read of one property and window takes one range of the primary key, its values in order.
    `CREATE TABLE IF NOT EXISTS ${t.masks} (pkey UInt64, ${key}, prop UInt8, value String, v_visitor String, mask UInt64) ` +
      'ENGINE = MergeTree PARTITION BY win ORDER BY (pkey, win, gen, prop, value, v_visitor)',
    `CREATE TABLE IF NOT EXISTS ${t.builds} (${key}, days String) ENGINE = MergeTree ORDER BY (organization_id, pixel_id, zone, win, gen)`,
  ];
}

/** The number the day rows of a pixel in a zone are keyed by (clickhouse-sql.ts sqlRowKey), as a literal. */
export const pixelZoneKey = (organizationId: string, pixelId: string, zone: string): string => sqlRowKey(organizationId, pixelId, zone);

/** The window a period of at most 33 local days starting on `first` lies in. */
export const windowOfPeriod = (first: number): number => Math.floor(first / STRIDE);

/** The local days of window `w`. */
export const windowDays = (w: number): [number, number] => [w * STRIDE, w * STRIDE + WIDTH - 1];

/** The UTC days (vday) local day `day` of `zone` overlaps. */
export function utcDaysOf(day: number, zone: string): number[] {
  const a = Math.floor(startOfLocalDay(day, zone) / DAY_MS);
  const b = Math.floor((startOfLocalDay(day + 1, zone) - 1) / DAY_MS);
  const out: number[] = [];
  for (let v = a; v <= b; v++) out.push(v);
  return out;
}

/** The UTC days whose visits can start on the local days of window `w`. */
export function windowUtcDays(w: number, zone: string): [number, number] {
  const [first, last] = windowDays(w);
  return [Math.floor(startOfLocalDay(first, zone) / DAY_MS), Math.floor((startOfLocalDay(last + 1, zone) - 1) / DAY_MS)];
}

const u64 = (x: bigint): string => `toUInt64('${x.toString()}')`;
const SEP = "'\\x1F'";

/**
 * Statements that write a build of one pixel's window in `zone` under generation `gen` from the
 * copies `days` lists (UTC days with events and the generation of their exact copy).
 */
export function buildSql(
  d: StatsDialect,
  t: ClickHouseRollupTables & ClickHouseDayTables,
  organizationId: string,
  pixelId: string,
  zone: string,
  w: number,
  days: readonly FoldedDay[],
  gen: number,
): string[] {
  const [first, last] = windowDays(w);
  const [v0, v1] = windowUtcDays(w, zone);
  const lday = bucketSql(d, 'v_start', { unit: 'day', offsets: offsetPieces(v0 * DAY_MS, (v1 + 1) * DAY_MS, zone) });
  const copies = copiesWhere(d, organizationId, days);
  const columnOf = (p: string) => (p === NETWORK_BY_TYPE ? `concat(v_network_type, ${SEP}, v_network)` : COLUMN[p as keyof typeof COLUMN]);
  // Per property: where its rows come from (a visit, or a visit and page or event type: pages also by
  // the visit's source, unless the source holds the separator) and its value.
  const sources: { prop: number; from: string; value: string; pv: string; ev: string }[] = [
    ...['', ...VISIT_PROPERTIES, NETWORK_BY_TYPE].map((p) => ({
      prop: p === '' ? 0 : code(p),
      from: `${t.foldedVisits} WHERE ${copies}`,
      value: p === '' ? "''" : columnOf(p),
      pv: 'v_pageviews',
      ev: 'v_events',
    })),
    ...(['page', 'event_type'] as const).map((p) => ({
      prop: code(p),
      from: `${t.foldedValues} WHERE ${copies} AND prop = '${p}'`,
      value: 'e_value',
      pv: 'm_pageviews',
      ev: 'm_events',
    })),
    {
      prop: code(PAGE_BY_SOURCE),
      from: `${t.foldedValues} WHERE ${copies} AND prop = 'page' AND position(v_source, ${SEP}) = 0`,
      value: `concat(v_source, ${SEP}, e_value)`,
      pv: 'm_pageviews',
      ev: 'm_events',
    },
    // A clicked page's and a clicked source's visit panels (duckdb-stats-days.ts PAGE_CROSSED, SOURCE_CROSSED).
    ...PAGE_CROSSED.map((p) => ({
      prop: code(byPage(p)),
      from: `${t.foldedValues} WHERE ${copies} AND prop = 'page' AND position(e_value, ${SEP}) = 0`,
      value: `concat(e_value, ${SEP}, ${COLUMN[p]})`,
      pv: 'm_pageviews',
      ev: 'm_events',
    })),
    {
      prop: code(BUSINESS_NETWORK_BY_PAGE),
      from: `${t.foldedValues} WHERE ${copies} AND prop = 'page' AND position(e_value, ${SEP}) = 0 AND v_network_type = ${sqlString(BUSINESS)}`,
      value: `concat(e_value, ${SEP}, v_network)`,
      pv: 'm_pageviews',
      ev: 'm_events',
    },
    ...SOURCE_CROSSED.map((p) => ({
      prop: code(bySource(p)),
      from: `${t.foldedVisits} WHERE ${copies} AND position(v_source, ${SEP}) = 0`,
      value: `concat(v_source, ${SEP}, ${COLUMN[p]})`,
      pv: 'v_pageviews',
      ev: 'v_events',
    })),
  ];
  const head = (prop: number) =>
    `${pixelZoneKey(organizationId, pixelId, zone)} AS pkey, ` +
    `${sqlString(organizationId)} AS organization_id, ${sqlString(pixelId)} AS pixel_id, ${sqlString(zone)} AS zone, ` +
    `toInt32(${w}) AS win, toUInt64(${sqlNumber(gen)}) AS gen, toUInt8(${prop}) AS prop`;
  const inWindow = `lday >= ${first} AND lday <= ${last}`;
  // Two statements per property, each reading only the columns it needs: one statement for every
  // property at once grouped a month of 10M events' masks (15M rows) for minutes on 18.16, past the
  // request timeout.
  return sources.flatMap((x) => [
    `INSERT INTO ${t.sums} (pkey, organization_id, pixel_id, zone, win, gen, prop, lday, value, visits, pageviews, events, bounces, duration) ` +
      `SELECT ${head(x.prop)}, lday, value, count(), sum(pv), sum(ev), sum(bounce), sum(dur) FROM (SELECT toInt32(${lday}) AS lday, ` +
      `${x.value} AS value, ${x.pv} AS pv, ${x.ev} AS ev, toUInt64(v_interactions <= 1) AS bounce, v_end - v_start AS dur FROM ${x.from}) ` +
      `WHERE ${inWindow} GROUP BY lday, value`,
    `INSERT INTO ${t.masks} (pkey, organization_id, pixel_id, zone, win, gen, prop, value, v_visitor, mask) ` +
      `SELECT ${head(x.prop)}, value, v_visitor, groupBitOr(bitShiftLeft(toUInt64(1), toUInt64(lday - ${first}))) ` +
      `FROM (SELECT toInt32(${lday}) AS lday, ${x.value} AS value, v_visitor FROM ${x.from}) WHERE ${inWindow} AND v_visitor != '' ` +
      'GROUP BY value, v_visitor',
  ]);
}

/** The copies of one pixel's UTC days, each of its generation (days without events have none). */
function copiesWhere(d: StatsDialect, organizationId: string, days: readonly FoldedDay[]): string {
  const withRows = days.filter((x) => x.gen !== 0);
  return withRows.length === 0 ? '0' : foldedDaysWhere(d, organizationId, withRows);
}

/** A pixel's build of the read's window: its generation. */
export interface PixelBuild {
  pixelId: string;
  gen: number;
}

/** Local days [first, last]. */
export type LocalDays = readonly [number, number];

export interface ClickHouseDayRead {
  shape: DayShape;
  grouping: Grouping;
  zone: string;
  w: number;
  builds: readonly PixelBuild[];
  /** Local days the builds answer for (at most two intervals). */
  days: readonly LocalDays[];
  /**
   * The other days' visits (or visit-and-value rows): g, v_visitor, i (identified, 0/1), pv, ev,
   * bounce, dur. Null when the builds answer every day.
   */
  visits: string | null;
  /** The organization's linked visitor ids (a subquery), when identified visitors are asked. */
  identifiedSet: string | null;
  page?: { limit: number; offset: number };
}

/**
 * The statement over a window's build (and the visits of the days it does not answer for): rows in
 * the column order totalsSql gives, g first unless the grouping is none.
 */
export function dayReadSql(d: StatsDialect, t: ClickHouseDayTables, q: StatsScope, read: ClickHouseDayRead): string {
  const { shape, grouping, days, w } = read;
  const key = (pixelId: string): string => pixelZoneKey(q.organizationId, pixelId, read.zone);
  const gens =
    read.builds.length === 1
      ? `pkey = ${key(read.builds[0]?.pixelId ?? '')} AND gen = ${sqlNumber(read.builds[0]?.gen ?? 0)}`
      : `(${read.builds.map((b) => `(pkey = ${key(b.pixelId)} AND gen = ${sqlNumber(b.gen)})`).join(' OR ')})`;
  let valueWhere = '';
  const only = shape.visitsWhere;
  if (shape.group === 'after-separator') {
    // The strings from the value and the separator up to the value and a space (those starting
    // with both): a range of the primary key. Without the one of no value when not_null.
    const v = only?.value ?? '';
    valueWhere = ` AND value ${shape.valuesNotNull ? '>' : '>='} ${sqlString(`${v}\x1F`)} AND value < ${sqlString(`${v} `)}`;
  } else if (only) valueWhere = ` AND value = ${sqlString(only.value ?? '')}`;
  else if (shape.valuesNotNull) valueWhere = " AND value != ''";
  const scope =
    `pkey IN (${read.builds.map((b) => key(b.pixelId)).join(', ')}) AND win = ${sqlNumber(w)} AND ${gens} ` +
    `AND prop = ${sqlNumber(shape.prop)}${valueWhere}`;
  const inDays = days.length === 0 ? '0' : days.map(([a, b]) => `(lday >= ${sqlNumber(a)} AND lday <= ${sqlNumber(b)})`).join(' OR ');
  const unit = grouping.kind === 'bucket' ? grouping.spec.unit : 'day';
  const gOf = (value: string, day: string): string => {
    switch (shape.group) {
      case 'none':
        return 'materialize(toUInt8(0))';
      case 'value':
        return value;
      case 'after-separator':
        return `substring(${value}, position(${value}, ${SEP}) + 1)`;
      case 'bucket':
        return unit === 'day' ? `toInt64(${day})` : unit === 'week' ? `toInt64(intDiv(${day} + 3, 7))` : `toInt64(${d.monthOfDay(day)})`;
    }
  };
  // Constants materialized: 18.16 takes a UNION ALL's header from its first branch, and a column
  // constant there but not in another fails.
  const zero = 'materialize(toUInt64(0))';
  const zeroDuration = 'materialize(toInt64(0))';
  const parts = [
    `SELECT ${gOf('value', 'lday')} AS g, ${zero} AS vis, visits AS s_visits, pageviews AS s_pv, events AS s_ev, bounces AS s_b, duration AS s_dur, ${zero} AS idf ` +
      `FROM ${t.sums} WHERE ${scope} AND (${inDays})`,
  ];
  if (read.visits) {
    parts.push(
      `SELECT g, ${zero}, count(), sum(pv), sum(ev), toUInt64(sum(bounce)), toInt64(sum(dur)), ${zero} FROM (${read.visits}) GROUP BY g`,
    );
  }

  // The visitors: mask rows meeting the days (per bucket for a series), and the visits' visitors.
  const onePixel = read.builds.length === 1;
  const identified = (x: string) => (read.identifiedSet ? `${x} IN (${read.identifiedSet})` : '0');
  const pieces =
    grouping.kind === 'bucket'
      ? bucketDays(unit, days).map((b) => ({ g: b.g, mask: b.days.reduce((m, [a, c]) => m | windowMask(w, a, c), 0n) }))
      : [{ g: 0, mask: days.reduce((m, [a, c]) => m | windowMask(w, a, c), 0n) }];
  const union = pieces.reduce((m, p) => m | p.mask, 0n);
  const bucketsJoin = `ARRAY JOIN [${pieces.map((p) => sqlNumber(p.g)).join(', ')}] AS bg, [${pieces.map((p) => u64(p.mask)).join(', ')}] AS bm`;
  const bucketG = 'toInt64(bg)';
  const masked = `${scope} AND bitAnd(mask, ${u64(union)}) != 0`;
  const visitsRows = read.visits ? `SELECT g, v_visitor, i FROM (${read.visits}) WHERE v_visitor != ''` : null;
  if (onePixel && (grouping.kind !== 'bucket' || unit === 'day')) {
    // One pixel: each visitor has one row per value, so the rows are counted. Visitors of the days
    // read from the visits count once more each, less those with a row already: a lookup in the
    // set of those days' visitors (a day or two) per row instead of a distinct count of all of them.
    // A day's bucket is either in the build's days or in the visits': nothing to take away.
    if (days.length > 0 && grouping.kind === 'bucket') {
      // Rows counted per mask first (far fewer masks than visitors), then each mask against the buckets.
      parts.push(
        `SELECT ${bucketG} AS g, toUInt64(sum(n)), ${zero}, ${zero}, ${zero}, ${zero}, ${zeroDuration}, ${zero} FROM ` +
          `(SELECT mask, count() AS n FROM ${t.masks} WHERE ${masked} GROUP BY mask) ${bucketsJoin} WHERE bitAnd(mask, bm) != 0 GROUP BY g`,
      );
    } else if (days.length > 0) {
      const seen = visitsRows ? `(g, v_visitor) IN (SELECT g, v_visitor FROM (${visitsRows}))` : '0';
      parts.push(
        `SELECT g, toUInt64(count() - countIf(${seen})), ${zero}, ${zero}, ${zero}, ${zero}, ${zeroDuration}, ` +
          `toUInt64(countIf(i = 1) - countIf(i = 1 AND ${seen})) FROM ` +
          `(SELECT ${gOf('value', 'lday')} AS g, v_visitor, toUInt8(${identified('v_visitor')}) AS i FROM ${t.masks} WHERE ${masked}) GROUP BY g`,
      );
    }
    if (visitsRows) {
      parts.push(
        `SELECT g, toUInt64(uniqExact(v_visitor)), ${zero}, ${zero}, ${zero}, ${zero}, ${zeroDuration}, toUInt64(uniqExactIf(v_visitor, i = 1)) ` +
          `FROM (${visitsRows}) GROUP BY g`,
      );
    }
  } else {
    // Several pixels (a visitor may have a row on each), or weeks and months partly read from the visits: distinct ids.
    const rows: string[] = [];
    if (days.length > 0) {
      rows.push(
        grouping.kind === 'bucket'
          ? `SELECT ${bucketG} AS g, v_visitor, materialize(toUInt8(0)) AS i FROM (SELECT v_visitor, mask FROM ${t.masks} WHERE ${masked}) ${bucketsJoin} WHERE bitAnd(mask, bm) != 0`
          : `SELECT ${gOf('value', 'lday')} AS g, v_visitor, materialize(toUInt8(${identified('v_visitor')})) AS i FROM ${t.masks} WHERE ${masked}`,
      );
    }
    if (visitsRows) rows.push(`SELECT g, v_visitor, materialize(toUInt8(i)) FROM (${visitsRows})`);
    parts.push(
      `SELECT g, toUInt64(uniqExact(v_visitor)), ${zero}, ${zero}, ${zero}, ${zero}, ${zeroDuration}, toUInt64(uniqExactIf(v_visitor, i = 1)) ` +
        `FROM (${rows.join(' UNION ALL ')}) GROUP BY g`,
    );
  }
  const all =
    'SELECT g, sum(vis) AS visitors, sum(s_visits) AS visits, sum(s_pv) AS pageviews, sum(s_ev) AS events, sum(s_b) AS bounces, ' +
    `sum(s_dur) AS duration, sum(idf) AS identified FROM (${parts.join(' UNION ALL ')}) GROUP BY g HAVING visits > 0`;
  switch (grouping.kind) {
    case 'none':
      return all;
    case 'bucket':
      return `${all} ORDER BY g`;
    case 'property': {
      const page = read.page ?? { limit: 100, offset: 0 };
      return `${all} ORDER BY visitors DESC, visits DESC, g ${d.limit(page.limit + 1, page.offset)}`;
    }
  }
}

/** The rows dayReadSql wants of the visits of the days a build does not answer for (`visits`, `values`: rolled rows of those days). */
function dayVisitRows(
  d: StatsDialect,
  read: { identifiedSet: string | null; shape: DayShape; grouping: Grouping },
  visits: () => string,
  values: (property: 'page' | 'event_type') => string,
): string {
  const { shape, grouping } = read;
  const sums = 'v_visitor, toUInt64(v_interactions <= 1) AS bounce, v_end - v_start AS dur';
  const i = read.identifiedSet ? `toUInt8(v_visitor IN (${read.identifiedSet}))` : 'materialize(toUInt8(0))';
  const only = shape.visitsWhere;
  const value = (x: string | null | undefined) => sqlString(x ?? '');
  let g = 'materialize(toUInt8(0))';
  if (grouping.kind === 'bucket') g = `toInt64(${bucketSql(d, 'v_start', grouping.spec)})`;
  else if (grouping.kind === 'property') g = COLUMN[grouping.property];
  if (grouping.kind === 'property' && (grouping.property === 'page' || grouping.property === 'event_type')) {
    let where = '';
    if (only) where = ` WHERE ${only.property === grouping.property ? 'e_value' : COLUMN[only.property]} = ${value(only.value)}`;
    return `SELECT e_value AS g, ${sums}, ${i} AS i, m_pageviews AS pv, m_events AS ev FROM (${values(grouping.property)})${where}`;
  }
  if (only && (only.property === 'page' || only.property === 'event_type')) {
    return (
      `SELECT ${g} AS g, ${sums}, ${i} AS i, m_pageviews AS pv, m_events AS ev ` +
      `FROM (${values(only.property)}) WHERE e_value = ${value(only.value)}` +
      (shape.visitsAlso ? ` AND ${COLUMN[shape.visitsAlso.property]} = ${value(shape.visitsAlso.value)}` : '')
    );
  }
  const where = only ? ` WHERE ${COLUMN[only.property]} = ${value(only.value)}` : '';
  return `SELECT ${g} AS g, ${sums}, ${i} AS i, v_pageviews AS pv, v_events AS ev FROM (${visits()})${where}`;
}

/** The rows dayReadSql wants of the visits of the days a build does not answer for, without those of no value when the panel asks so. */
export function dayVisitsSql(
  d: StatsDialect,
  read: { identifiedSet: string | null; shape: DayShape; grouping: Grouping },
  visits: () => string,
  values: (property: 'page' | 'event_type') => string,
): string {
  return visitRowsOf(read.shape, dayVisitRows(d, read, visits, values));
}

/** Local days [first, last] of a scope in its zone, when the scope is whole local days of it. */
export function localDaysOf(q: StatsScope): LocalDays | null {
  if (!q.zone) return null;
  const first = localDay(q.startMs, q.zone);
  const last = localDay(q.endMs - 1, q.zone);
  if (startOfLocalDay(first, q.zone) !== q.startMs || startOfLocalDay(last + 1, q.zone) !== q.endMs) return null;
  return [first, last];
}
