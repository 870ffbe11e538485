// The traffic stats contract every analytics engine implements (statsTotals, statsTimeseries,
// statsBreakdown, statsRealtimeVisitors on AnalyticsStore), and the rules that define the numbers,
// in one place so both engines and the tests read the same definitions (docs/stats.md explains
// them for people):
//
// - Bots are left out, and so are events without a session id (server-side sends): stats count
//   visits, and only the tracker's events belong to one.
// - A visit is one pixel's events with one session id within one UTC day (a session running past
//   midnight UTC continues as a new visit). Its attributes (source, UTM, entry page, location,
//   device, network) are those of its first event by (ts_millis, event_id); entry and exit pages are
//   the paths of its first and last page views.
// - A period, day or hour counts the visits that start in it, with all of their events: visitors
//   are their distinct visitor ids, page views and events are theirs, bounces are visits with at
//   most one interaction (any event but scroll_depth, user_idle and exit_intent), the duration of a
//   visit is its last event's time minus its first's.
// - Filters and event-level breakdowns (page, event type) look at each event together with its
//   visit's attributes: page views and events count the events that match, visits, visitors,
//   bounces and durations those of the visits with at least one matching event.
import type { FilterOp, QueryOptions } from './types.js';

/** Properties a breakdown groups by and a filter names. Values are text; '' stands for "none". */
export const STATS_PROPERTIES = [
  'page',
  'event_type',
  'entry_page',
  'exit_page',
  'source',
  'channel',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'country',
  'region',
  'city',
  'browser',
  'os',
  'device',
  'network',
  'network_type',
  'company',
  'person',
] as const;
export type StatsProperty = (typeof STATS_PROPERTIES)[number];

/** Where a property's value comes from: each event, the visit's first event, or the visitor's identity. */
export type PropertyLevel = 'event' | 'visit' | 'visitor';

export const PROPERTY_LEVEL: Record<StatsProperty, PropertyLevel> = {
  page: 'event',
  event_type: 'event',
  entry_page: 'visit',
  exit_page: 'visit',
  source: 'visit',
  channel: 'visit',
  referrer: 'visit',
  utm_source: 'visit',
  utm_medium: 'visit',
  utm_campaign: 'visit',
  country: 'visit',
  region: 'visit',
  city: 'visit',
  browser: 'visit',
  os: 'visit',
  device: 'visit',
  network: 'visit',
  network_type: 'visit',
  company: 'visitor',
  person: 'visitor',
};

export const isStatsProperty = (name: string): name is StatsProperty => (STATS_PROPERTIES as readonly string[]).includes(name);

/** Event types that are not an interaction: a visit made of one page view and these is a bounce. */
export const PASSIVE_EVENT_TYPES: readonly string[] = ['scroll_depth', 'user_idle', 'exit_intent'];
export const PAGE_VIEW = 'page_view';

export interface StatsCondition {
  property: StatsProperty;
  op: FilterOp;
  /** null: "no value" (eq:null, ne:null); not_null has none either. */
  value: string | null;
}
/** OR of AND-groups, as in the Events API's filter grammar. */
export type StatsFilter = StatsCondition[][];

export interface StatsScope {
  organizationId: string;
  /** Pixels in scope, already checked against the caller's organization. */
  pixelIds: readonly string[];
  /** Visits starting in [startMs, endMs) count. */
  startMs: number;
  endMs: number;
  filter?: StatsFilter;
  /** Also count identified visitors (a join with visitor links). */
  identified?: boolean;
  /**
   * The project's time zone, when the range is whole local days of it: an engine may then answer
   * from rollups kept per local day (DuckDB's day rollups); without it, or for other ranges, it
   * reads visits.
   */
  zone?: string;
}

/** What an engine returns for a period, bucket or breakdown row; rates are derived from these. */
export interface StatsTotals {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  /** Visits with at most one interaction. */
  bounces: number;
  /** Sum of the visits' durations, in milliseconds. */
  durationMs: number;
  /** Visitors linked to a person (0 unless the scope asked for them). */
  identifiedVisitors: number;
}

export type BucketUnit = 'hour' | 'day' | 'week' | 'month';

/** Time buckets in the project's zone: the offsets that turn instants into its wall-clock time. */
export interface BucketSpec {
  unit: BucketUnit;
  /** Offset pieces covering the scope's range (platform/time-zone.ts offsetPieces). */
  offsets: readonly { fromMs: number; offsetMs: number }[];
}

/**
 * A bucket's key: the local hour number (wall-clock ms / 1 h), local day number, ISO week number
 * (weekOfDay) or month number (year * 12 + month index), by the unit.
 */
export interface BucketTotals {
  bucket: number;
  totals: StatsTotals;
}

export interface BreakdownQuery {
  property: StatsProperty;
  limit: number;
  offset: number;
}

export interface BreakdownRow {
  /** '' when the property has no value for these visits. */
  value: string;
  totals: StatsTotals;
}

/** Every read takes QueryOptions last: the query gate's deadline and cancellation (analytics/query-gate.ts). */
export interface StatsStore {
  /** Totals of the visits starting in the scope's range. */
  statsTotals(q: StatsScope, opts?: QueryOptions): Promise<StatsTotals>;
  /** Totals per bucket of visit start, ascending, empty buckets omitted. */
  statsTimeseries(q: StatsScope, buckets: BucketSpec, opts?: QueryOptions): Promise<BucketTotals[]>;
  /**
   * Rows per value of the property, by visitors (then visits) descending and value ascending, one
   * page of them; `more` when rows follow the page.
   */
  statsBreakdown(q: StatsScope, b: BreakdownQuery, opts?: QueryOptions): Promise<{ rows: BreakdownRow[]; more: boolean }>;
  /** Distinct visitors with a (non-bot) event in [sinceMs, untilMs]. */
  statsRealtimeVisitors(
    organizationId: string,
    pixelIds: readonly string[],
    sinceMs: number,
    untilMs: number,
    opts?: QueryOptions,
  ): Promise<number>;
}

/**
 * DuckDB: how long appended events may wait before a fold takes them (they count at once either way). A
 * fold has a fixed cost (a dozen statements, a commit) besides its rows: at 1,500 events/s, folding
 * every second doubled the server's CPU (bench/stats-ack.ts); every 5 s spreads that cost over 5x
 * the rows, while reads group at most those 5 s of raw events into visits.
 */
export const DEFAULT_FOLD_DELAY_MS = 5000;

export const EMPTY_TOTALS: StatsTotals = {
  visitors: 0,
  visits: 0,
  pageviews: 0,
  events: 0,
  bounces: 0,
  durationMs: 0,
  identifiedVisitors: 0,
};
