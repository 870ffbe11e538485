// The traffic stats as SQL, written once for both engines: each engine supplies a small dialect
// (how a value is bound, what argMin or a distinct count is called, how joins are spelled on
// ClickHouse 18.16), and this module builds every statement from the rules in analytics/stats.ts.
// One builder instead of two hand-kept copies, so the engines cannot drift apart; the shared
// contract suite (test/analytics/stats-contract.ts) holds them to the same answers.
//
// The statements are layered: events (E) → visits (V, one row per visit, with its first event's
// attributes and the derived source and channel) → matched rows (M, one row per visit, or per visit
// and event-level value, that the filter matches) → totals per group. An engine may bring its own V
// (DuckDB keeps one up to date at ingest), as long as it has the same columns.
import { DAY_MS } from '../platform/time-zone.js';
import { CHANNELS, DIRECT, EMAIL_MEDIUMS, HOST_PATTERN, NAMED_SOURCES, PAID_MEDIUMS, sourcePattern } from '../stats/sources.js';
import {
  type BreakdownRow,
  type BucketSpec,
  PAGE_VIEW,
  PASSIVE_EVENT_TYPES,
  PROPERTY_LEVEL,
  type StatsCondition,
  type StatsProperty,
  type StatsScope,
  type StatsTotals,
} from './stats.js';

export interface StatsDialect {
  /** A value from a request: bound as a parameter or written as a checked literal. */
  text(value: string): string;
  int(value: number): string;
  textList(values: readonly string[]): string;
  /** A constant of this module (a regular expression, an event type), as a literal. */
  constant(value: string): string;
  /** The events table. */
  readonly events: string;
  /** Condition: the event is not a bot. */
  readonly notBot: string;
  intDiv(a: string, b: string): string;
  /** Value of `x` at the first (or last) row by (ts_millis, event_id), among rows where `cond` holds. */
  argMin(x: string, cond?: string): string;
  argMax(x: string, cond?: string): string;
  /**
   * Optional: several argMin (or argMax) over the same rows at once, one expression each; an
   * engine that can carry a tuple through one aggregate does the work once.
   */
  argMany?(kind: 'min' | 'max', xs: readonly string[], cond?: string): string[];
  countIf(cond: string): string;
  /** Count of distinct non-NULL values. */
  uniq(x: string): string;
  /** Any value of the group (all equal). */
  any(x: string): string;
  regexExtract(x: string, pattern: string): string;
  regexReplace(x: string, pattern: string, replacement: string): string;
  matches(x: string, pattern: string): string;
  /** `x` matches the like pattern (the filter grammar's, checked by checkLikePattern), bound here. */
  like(x: string, pattern: string): string;
  lower(x: string): string;
  /** year * 12 + month index of a day number. */
  monthOfDay(day: string): string;
  /** `FROM` clause body joining two subqueries on equal columns. */
  innerJoin(left: string, right: string, keys: readonly string[]): string;
  /** Adds i_identified (0/1), i_company and i_person to rows with a v_visitor column. */
  identity(rows: string, organizationId: string): string;
  limit(limit: number, offset: number): string;
  /** Derived columns one SELECT level each (DuckDB) rather than all in one reading each other's aliases. */
  readonly nestedAliases?: boolean;
}

/** Columns of a visit row (V); an engine's own visits table must have at least these. */
export const VISIT_COLUMNS = [
  'organization_id',
  'pixel_id',
  'session_id',
  'vday',
  'v_start',
  'v_end',
  'v_first_id',
  'v_visitor',
  'v_events',
  'v_pageviews',
  'v_interactions',
  'v_entry',
  'v_entry_ts',
  'v_entry_id',
  'v_exit',
  'v_exit_ts',
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
] as const;

/** The column each property reads in a matched row. */
export const COLUMN: Record<StatsProperty, string> = {
  page: 'e_page',
  event_type: 'e_type',
  entry_page: 'v_entry',
  exit_page: 'v_exit',
  source: 'v_source',
  channel: 'v_channel',
  referrer: 'v_referrer',
  utm_source: 'v_utm_source',
  utm_medium: 'v_utm_medium',
  utm_campaign: 'v_utm_campaign',
  country: 'v_country',
  region: 'v_region',
  city: 'v_city',
  browser: 'v_browser',
  os: 'v_os',
  device: 'v_device',
  network: 'v_network',
  network_type: 'v_network_type',
  company: 'i_company',
  person: 'i_person',
};

/** Event columns a visit's first event lends it (stored column → visit column). */
export const FIRST_EVENT: readonly [string, string][] = [
  ['visitor_id', 'v_visitor'],
  ['referrer', 'f_referrer'],
  ['url', 'f_url'],
  ['utm_source', 'v_utm_source'],
  ['utm_medium', 'v_utm_medium'],
  ['utm_campaign', 'v_utm_campaign'],
  ['country', 'v_country'],
  ['region', 'v_region'],
  ['city', 'v_city'],
  ['browser', 'v_browser'],
  ['os', 'v_os'],
  ['device_type', 'v_device'],
  ['network_org', 'v_network'],
  ['network_type', 'v_network_type'],
];

/**
 * The events a statement reads, filtered one level below the SELECT that renames their columns:
 * ClickHouse resolves a WHERE against the aliases of its own SELECT, so `coalesce(session_id, '') AS
 * session_id` next to `session_id IS NOT NULL` would test the alias.
 */
function selectEvents(source: string, where: string): string {
  const columns = [
    'organization_id',
    'pixel_id',
    'session_id',
    'ts_millis',
    'event_id',
    'event_type',
    'path',
    ...FIRST_EVENT.map(([c]) => c),
  ];
  return `SELECT ${columns.join(', ')} FROM ${source} WHERE ${where}`;
}

/** Where the events of a visit can lie: visits never cross a UTC midnight. */
export function eventWindow(q: Pick<StatsScope, 'startMs' | 'endMs'>): { fromMs: number; toMs: number } {
  return { fromMs: Math.floor(q.startMs / DAY_MS) * DAY_MS, toMs: (Math.floor((q.endMs - 1) / DAY_MS) + 1) * DAY_MS };
}

/** Scope conditions on the events table: organization, pixels, time, no bots, a session id. */
export function eventScope(d: StatsDialect, organizationId: string, pixelIds: readonly string[], fromMs: number, toMs: number): string {
  return (
    `organization_id = ${d.text(organizationId)} AND pixel_id IN ${d.textList(pixelIds)} ` +
    `AND ts_millis >= ${d.int(fromMs)} AND ts_millis < ${d.int(toMs)} AND ${d.notBot} AND session_id IS NOT NULL`
  );
}

/**
 * One row per visit (or per part of a visit, when `events` holds only some of its events, as a
 * batch at ingest does): the VISIT_COLUMNS. `eventsWhere` selects the events, from `source`.
 */
export function partialVisitsSql(d: StatsDialect, source: string, eventsWhere: string): string {
  const pv = `event_type = ${d.constant(PAGE_VIEW)}`;
  const passive = `event_type NOT IN (${PASSIVE_EVENT_TYPES.map((t) => d.constant(t)).join(', ')})`;
  const many = (kind: 'min' | 'max', xs: readonly string[], cond?: string): string[] =>
    d.argMany ? d.argMany(kind, xs, cond) : xs.map((x) => (kind === 'min' ? d.argMin(x, cond) : d.argMax(x, cond)));
  const firstOf = many('min', ['event_id', ...FIRST_EVENT.map(([col]) => `coalesce(${col}, '')`)]);
  const first = ['v_first_id', ...FIRST_EVENT.map(([, as]) => as)].map((as, i) => `${firstOf[i]} AS ${as}`).join(', ');
  const page = ["coalesce(path, '')", 'ts_millis', 'event_id'];
  const [entry, entryTs, entryId] = many('min', page, pv);
  const [exit, exitTs, exitId] = many('max', page, pv);
  const grouped =
    `SELECT organization_id, pixel_id, session_id, vday, min(ts_millis) AS v_start, max(ts_millis) AS v_end, ` +
    `${first}, count(*) AS v_events, ${d.countIf(pv)} AS v_pageviews, ${d.countIf(passive)} AS v_interactions, ` +
    `${entry} AS r_entry, ${entryTs} AS r_entry_ts, ${entryId} AS r_entry_id, ` +
    `${exit} AS r_exit, ${exitTs} AS r_exit_ts, ${exitId} AS r_exit_id ` +
    `FROM (SELECT organization_id, pixel_id, coalesce(session_id, '') AS session_id, ${d.intDiv('ts_millis', String(DAY_MS))} AS vday, ` +
    `ts_millis, event_id, event_type, path, ${FIRST_EVENT.map(([col]) => col).join(', ')} FROM (${selectEvents(source, eventsWhere)})) ` +
    'GROUP BY organization_id, pixel_id, session_id, vday';
  // The derived columns, in levels: each expression reads the aliases of the levels before it.
  // ClickHouse takes them in one SELECT (it spends a long time analysing every level of nested
  // SELECTs, and computes an alias once however often it is read); DuckDB gets one SELECT per level,
  // since it copies an alias's expression into every place that reads it, and the copies of copies
  // (the named-source CASE of about 35 patterns read six times) cost it a third of a second to plan.
  // A visit without page views has no entry or exit page (DuckDB's FILTER gives NULL, ClickHouse's -If a default).
  const some = 'v_pageviews > 0';
  const [first0 = [], ...rest] = sourceLevels(
    d,
    { referrer: 'f_referrer', url: 'f_url', utmSource: 'v_utm_source', utmMedium: 'v_utm_medium', utmCampaign: 'v_utm_campaign' },
    VISIT_SOURCE_NAMES,
  );
  const levels = [
    [
      `CASE WHEN ${some} THEN coalesce(r_entry, '') ELSE '' END AS v_entry`,
      `CASE WHEN ${some} THEN r_entry_ts ELSE NULL END AS v_entry_ts`,
      `CASE WHEN ${some} THEN r_entry_id ELSE NULL END AS v_entry_id`,
      `CASE WHEN ${some} THEN coalesce(r_exit, '') ELSE '' END AS v_exit`,
      `CASE WHEN ${some} THEN r_exit_ts ELSE NULL END AS v_exit_ts`,
      `CASE WHEN ${some} THEN r_exit_id ELSE NULL END AS v_exit_id`,
      ...first0,
    ],
    ...rest,
  ];
  const derived = d.nestedAliases
    ? levels.reduce((from, level) => `SELECT *, ${level.join(', ')} FROM (${from})`, grouped)
    : `SELECT *, ${levels.flat().join(', ')} FROM (${grouped})`;
  return `SELECT ${VISIT_COLUMNS.join(', ')} FROM (${derived})`;
}

/** The aliases sourceLevels gives its results, and the intermediate values it names. */
export interface SourceNames {
  refHost: string;
  pageHost: string;
  referrer: string;
  named: string;
  source: string;
  channel: string;
}

const VISIT_SOURCE_NAMES: SourceNames = {
  refHost: 'r_ref_host',
  pageHost: 'r_page_host',
  referrer: 'v_referrer',
  named: 'r_named',
  source: 'v_source',
  channel: 'v_channel',
};

/**
 * A visit's referrer, source and channel (src/stats/sources.ts) from its first event's referrer,
 * URL and UTM parameters (`inputs`: expressions, '' when absent), as `expr AS alias` items in
 * levels: each level reads the aliases of the ones before. ClickHouse's rollup computes them per
 * event at insert (analytics/clickhouse-stats.ts), DuckDB per visit.
 */
export function sourceLevels(
  d: StatsDialect,
  inputs: { referrer: string; url: string; utmSource: string; utmMedium: string; utmCampaign: string },
  n: SourceNames,
): string[][] {
  const host = (x: string) => d.regexReplace(d.lower(d.regexExtract(x, d.constant(HOST_PATTERN))), d.constant('^www\\.'), d.constant(''));
  const medium = d.lower(inputs.utmMedium);
  const inList = (values: readonly string[]) => `(${values.map((v) => d.constant(v)).join(', ')})`;
  const group = (g: string) => `${n.named} IN ${inList(NAMED_SOURCES.filter((s) => s.group === g).map((s) => s.name))}`;
  const [paid, email, search, social, campaign, referral, direct] = CHANNELS.map((c) => d.constant(c));
  return [
    [`${host(inputs.referrer)} AS ${n.refHost}`, `${host(inputs.url)} AS ${n.pageHost}`],
    [`CASE WHEN ${n.refHost} <> '' AND ${n.refHost} <> ${n.pageHost} THEN ${n.refHost} ELSE '' END AS ${n.referrer}`],
    [`${namedSourceCase(d, n.referrer)} AS ${n.named}`],
    [
      `CASE WHEN ${n.named} <> '' THEN ${n.named} WHEN ${n.referrer} <> '' THEN ${n.referrer} WHEN ${inputs.utmSource} <> '' THEN ${inputs.utmSource} ` +
        `ELSE ${d.constant(DIRECT)} END AS ${n.source}`,
      `CASE WHEN ${medium} IN ${inList(PAID_MEDIUMS)} THEN ${paid} WHEN ${medium} IN ${inList(EMAIL_MEDIUMS)} OR ${group('email')} THEN ${email} ` +
        `WHEN ${group('search')} THEN ${search} WHEN ${group('social')} THEN ${social} ` +
        `WHEN ${inputs.utmSource} <> '' OR ${inputs.utmMedium} <> '' OR ${inputs.utmCampaign} <> '' THEN ${campaign} WHEN ${n.referrer} <> '' THEN ${referral} ` +
        `ELSE ${direct} END AS ${n.channel}`,
    ],
  ];
}

function namedSourceCase(d: StatsDialect, host: string): string {
  const whens = NAMED_SOURCES.map((s) => `WHEN ${d.matches(host, d.constant(sourcePattern(s)))} THEN ${d.constant(s.name)}`).join(' ');
  return `CASE WHEN ${host} = '' THEN '' ${whens} ELSE '' END`;
}

/** Visits starting in the scope's range, computed from the events (the engine-independent V). */
export function visitsFromEvents(d: StatsDialect, q: StatsScope): string {
  const { fromMs, toMs } = eventWindow(q);
  const visits = partialVisitsSql(d, d.events, eventScope(d, q.organizationId, q.pixelIds, fromMs, toMs));
  return `SELECT * FROM (${visits}) WHERE v_start >= ${d.int(q.startMs)} AND v_start < ${d.int(q.endMs)}`;
}

/** What a statement groups by. */
export type Grouping = { kind: 'none' } | { kind: 'property'; property: StatsProperty } | { kind: 'bucket'; spec: BucketSpec };

/** The event-level properties, whose values an engine may keep per visit (see TotalsPlan.values). */
export type EventProperty = 'page' | 'event_type';

export interface TotalsPlan {
  /**
   * V: visits starting in range, VISIT_COLUMNS. Written only when the statement needs it (it may
   * bind parameters, and an engine refuses parameters its statement does not use).
   */
  visits: () => string;
  /**
   * Optional: one row per visit starting in range and value of an event-level property, with
   * columns pixel_id, session_id, vday, e_value, m_events, m_pageviews (that value's events and
   * page views in the visit) and the visit's v_start, v_end, v_interactions and visitor column
   * (`visitor`). With it,
   * a question about one event-level property reads these rows instead of the events.
   */
  values?: (property: EventProperty) => string;
  /** The value rows also carry the visit's v_visitor and visit-level property columns: no join with the visits. */
  valuesCarryVisits?: boolean;
  grouping: Grouping;
  /**
   * The column that tells visitors apart, NULL without one: a number per visitor id (DuckDB keeps
   * one, and counting numbers is three times cheaper than counting ids), or by default the id.
   */
  visitor?: string;
  /** Page through groups (breakdowns): one more row than asked, to tell whether more follow. */
  page?: { limit: number; offset: number };
}

const usesIdentity = (q: StatsScope, grouping: Grouping): boolean =>
  Boolean(q.identified) ||
  (grouping.kind === 'property' && PROPERTY_LEVEL[grouping.property] === 'visitor') ||
  Boolean(q.filter?.some((g) => g.some((c) => PROPERTY_LEVEL[c.property] === 'visitor')));

/**
 * The statement: totals, per bucket or per property value (column `g`), in the column order
 * g?, visitors, visits, pageviews, events, bounces, duration, identified.
 */
export function totalsSql(d: StatsDialect, q: StatsScope, plan: TotalsPlan): string {
  const identity = usesIdentity(q, plan.grouping);
  const visitRows = (): string =>
    identity
      ? d.identity(plan.visits(), q.organizationId)
      : `SELECT *, 0 AS i_identified, '' AS i_company, '' AS i_person FROM (${plan.visits()})`;
  const where = q.filter && q.filter.length > 0 ? ` WHERE ${filterSql(d, q.filter)}` : '';
  const property = plan.grouping.kind === 'property' ? plan.grouping.property : null;
  const visitorColumn = plan.visitor ?? 'v_visitor';
  const visitor = plan.visitor ?? "nullif(v_visitor, '')";
  const carried = [visitorColumn, 'v_start', 'v_end', 'v_interactions', 'i_identified'];

  const eventProperties = new Set<StatsProperty>(
    [...(q.filter ?? []).flat().map((c) => c.property), ...(property ? [property] : [])].filter((p) => PROPERTY_LEVEL[p] === 'event'),
  );
  const [single] = eventProperties;

  let matched: string;
  if (plan.values && eventProperties.size === 1 && single) {
    // Every event-level question is about one property: read its per-visit values, not the events.
    const column = COLUMN[single];
    const needsVisits =
      identity ||
      (property !== null && property !== single) ||
      Boolean(q.filter?.some((g) => g.some((c) => PROPERTY_LEVEL[c.property] !== 'event')));
    const values = plan.values(single as EventProperty);
    let rows: string;
    if (!needsVisits) rows = `SELECT *, e_value AS ${column}, 0 AS i_identified, '' AS i_company, '' AS i_person FROM (${values})`;
    else if (plan.valuesCarryVisits) {
      const withValue = `SELECT *, e_value AS ${column} FROM (${values})`;
      rows = identity
        ? d.identity(withValue, q.organizationId)
        : `SELECT *, 0 AS i_identified, '' AS i_company, '' AS i_person FROM (${withValue})`;
    } else
      rows = `SELECT * FROM ${d.innerJoin(`SELECT pixel_id, session_id, vday, e_value AS ${column}, m_events, m_pageviews FROM (${values})`, visitRows(), ['pixel_id', 'session_id', 'vday'])}`;
    // A visit has one value row per value: a filter that pins the property to one value leaves one row per visit.
    const onSingle = q.filter?.length === 1 ? (q.filter[0] ?? []).filter((c) => c.property === single) : [];
    const pinned = onSingle.length === 1 && onSingle[0]?.op === 'eq' && onSingle[0].value !== null;
    if (property === single) {
      matched = `SELECT ${carried.join(', ')}, ${column} AS g, m_events, m_pageviews FROM (${rows})${where}`;
    } else if (pinned) {
      const groupValue = property ? `, ${COLUMN[property]} AS g` : '';
      matched = `SELECT ${carried.join(', ')}${groupValue}, m_events, m_pageviews FROM (${rows})${where}`;
    } else {
      const groupValue = property ? `, ${d.any(COLUMN[property])} AS g` : '';
      matched =
        `SELECT pixel_id, session_id, vday${groupValue}, ${carried.map((c) => `${d.any(c)} AS ${c}`).join(', ')}, ` +
        `sum(m_events) AS m_events, sum(m_pageviews) AS m_pageviews FROM (${rows})${where} GROUP BY pixel_id, session_id, vday`;
    }
  } else if (eventProperties.size > 0) {
    const { fromMs, toMs } = eventWindow(q);
    const events =
      `SELECT pixel_id, coalesce(session_id, '') AS session_id, ${d.intDiv('ts_millis', String(DAY_MS))} AS vday, ` +
      `coalesce(path, '') AS e_page, event_type AS e_type FROM (${selectEvents(d.events, eventScope(d, q.organizationId, q.pixelIds, fromMs, toMs))})`;
    const joined = `SELECT * FROM ${d.innerJoin(events, visitRows(), ['pixel_id', 'session_id', 'vday'])}`;
    const groupValue = property
      ? `, ${property && PROPERTY_LEVEL[property] === 'event' ? COLUMN[property] : d.any(COLUMN[property])} AS g`
      : '';
    const groupBy = property && PROPERTY_LEVEL[property] === 'event' ? `, ${COLUMN[property]}` : '';
    matched =
      `SELECT pixel_id, session_id, vday${groupValue}, ${carried.map((c) => `${d.any(c)} AS ${c}`).join(', ')}, ` +
      `count(*) AS m_events, ${d.countIf(`e_type = ${d.constant(PAGE_VIEW)}`)} AS m_pageviews ` +
      `FROM (${joined})${where} GROUP BY pixel_id, session_id, vday${groupBy}`;
  } else {
    const groupValue = property ? `, ${COLUMN[property]} AS g` : '';
    matched = `SELECT ${carried.join(', ')}${groupValue}, v_events AS m_events, v_pageviews AS m_pageviews FROM (${visitRows()})${where}`;
  }

  const metrics =
    `${d.uniq(visitor)} AS visitors, count(*) AS visits, sum(m_pageviews) AS pageviews, sum(m_events) AS events, ` +
    'sum(CASE WHEN v_interactions <= 1 THEN 1 ELSE 0 END) AS bounces, sum(v_end - v_start) AS duration, ' +
    // A second distinct count only when asked for: it costs as much as the first.
    `${q.identified ? d.uniq(`CASE WHEN i_identified = 1 THEN ${visitor} ELSE NULL END`) : '0'} AS identified`;
  switch (plan.grouping.kind) {
    case 'none':
      return `SELECT ${metrics} FROM (${matched})`;
    case 'bucket':
      return `SELECT ${bucketSql(d, 'v_start', plan.grouping.spec)} AS g, ${metrics} FROM (${matched}) GROUP BY g ORDER BY g`;
    case 'property': {
      const page = plan.page ?? { limit: 100, offset: 0 };
      return `SELECT g, ${metrics} FROM (${matched}) GROUP BY g ORDER BY visitors DESC, visits DESC, g ${d.limit(page.limit + 1, page.offset)}`;
    }
  }
}

/** The bucket key of instant column `ts` in the zone the offsets describe. */
export function bucketSql(d: StatsDialect, ts: string, spec: BucketSpec): string {
  const [first, ...rest] = spec.offsets;
  if (!first) throw new Error('bucket spec without offsets');
  let offset = d.int(first.offsetMs);
  if (rest.length > 0) {
    const whens = spec.offsets
      .slice(0, -1)
      .map((piece, i) => `WHEN ${ts} < ${d.int((spec.offsets[i + 1] as { fromMs: number }).fromMs)} THEN ${d.int(piece.offsetMs)}`)
      .join(' ');
    offset = `(CASE ${whens} ELSE ${d.int((spec.offsets[spec.offsets.length - 1] as { offsetMs: number }).offsetMs)} END)`;
  }
  const local = `(${ts} + ${offset})`;
  const day = d.intDiv(local, String(DAY_MS));
  switch (spec.unit) {
    case 'hour':
      return d.intDiv(local, '3600000');
    case 'day':
      return day;
    case 'week':
      return d.intDiv(`${day} + 3`, '7');
    case 'month':
      return d.monthOfDay(day);
  }
}

/** A filter on matched-row columns; a row without a value ('') matches only eq:null / ne:null's absence. */
export function filterSql(d: StatsDialect, filter: readonly (readonly StatsCondition[])[]): string {
  const groups = filter.map((group) => `(${group.map((c) => conditionSql(d, c)).join(' AND ')})`);
  return `(${groups.join(' OR ')})`;
}

/**
 * What a filter asks of `property`'s value rows (column `e_value`), when every row it keeps must
 * meet it: the conditions on that property of a filter of one AND-group. A value rows' source may
 * apply it where it reads them (totalsSql applies the whole filter to those rows later anyway), so
 * an engine that does not push a filter into a subquery (ClickHouse 18.16) reads only the rows
 * that can match; null when nothing can be said.
 */
export function valueRowsConditionSql(d: StatsDialect, q: StatsScope, property: EventProperty): string | null {
  if (q.filter?.length !== 1) return null;
  const own = (q.filter[0] ?? []).filter((c) => c.property === property);
  return own.length === 0 ? null : own.map((c) => conditionSql(d, c, 'e_value')).join(' AND ');
}

function conditionSql(d: StatsDialect, c: StatsCondition, column?: string): string {
  const col = column ?? COLUMN[c.property];
  if (c.op === 'not_null') return `${col} <> ''`;
  if (c.value === null) {
    if (c.op === 'eq') return `${col} = ''`;
    if (c.op === 'ne') return `${col} <> ''`;
    throw new Error(`operator ${c.op} takes a value`);
  }
  if (c.op === 'like') return `(${col} <> '' AND ${d.like(col, c.value)})`;
  // Bound only here: an engine refuses parameters its statement does not use.
  const v = d.text(c.value);
  switch (c.op) {
    case 'eq':
      return `${col} = ${v}`;
    case 'ne':
      return `(${col} <> '' AND ${col} <> ${v})`;
    case 'gt':
      return `(${col} <> '' AND ${col} > ${v})`;
    case 'gte':
      return `(${col} <> '' AND ${col} >= ${v})`;
    case 'lt':
      return `(${col} <> '' AND ${col} < ${v})`;
    case 'lte':
      return `(${col} <> '' AND ${col} <= ${v})`;
  }
}

/** Realtime: distinct visitors with an event in [sinceMs, untilMs]. */
export function realtimeSql(
  d: StatsDialect,
  organizationId: string,
  pixelIds: readonly string[],
  sinceMs: number,
  untilMs: number,
): string {
  return (
    `SELECT ${d.uniq('visitor_id')} AS visitors FROM ${d.events} WHERE organization_id = ${d.text(organizationId)} ` +
    `AND pixel_id IN ${d.textList(pixelIds)} AND ts_millis >= ${d.int(sinceMs)} AND ts_millis <= ${d.int(untilMs)} AND ${d.notBot}`
  );
}

/** A result row (g?, then the seven numbers) as totals; engines hand over cells as numbers or numeric strings. */
export function totalsOf(cells: readonly unknown[], from = 0): StatsTotals {
  const n = (i: number): number => {
    const v = cells[from + i];
    if (v === null || v === undefined) return 0;
    const x = typeof v === 'bigint' ? Number(v) : Number(v);
    if (!Number.isFinite(x)) throw new Error(`stats: non-numeric cell ${String(v)}`);
    return x;
  };
  return {
    visitors: n(0),
    visits: n(1),
    pageviews: n(2),
    events: n(3),
    bounces: n(4),
    durationMs: n(5),
    identifiedVisitors: n(6),
  };
}

/** A breakdown's result rows (g, then the numbers) as one page, and whether more follow (one more row was asked). */
export function breakdownOf(rows: readonly (readonly unknown[])[], limit: number): { rows: BreakdownRow[]; more: boolean } {
  const out = rows.map((r) => ({ value: String(r[0] ?? ''), totals: totalsOf(r, 1) }));
  return { rows: out.slice(0, limit), more: out.length > limit };
}

/** Checks what a scope hands to SQL: pixels present, whole milliseconds, a non-empty range. */
export function scopeIsEmpty(q: Pick<StatsScope, 'pixelIds' | 'startMs' | 'endMs'>): boolean {
  for (const [name, v] of [
    ['startMs', q.startMs],
    ['endMs', q.endMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer number of milliseconds, got ${v}`);
  }
  return q.pixelIds.length === 0 || q.endMs <= q.startMs;
}
