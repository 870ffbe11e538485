// The analytics store contract: what every engine (DuckDB embedded, ClickHouse scale-out) must do
// for events. Routes and services depend only on this file, never on an engine's SQL.

import type { AudienceResultsStore } from '../audiences/results.js';
import { IDENTITY_FIELDS, type IdentityFieldKey } from '../identity/fields.js';
import type { IdentityStore } from '../identity/types.js';
import type { IntentStore } from '../intent/types.js';
import type { StatsStore } from './stats.js';

/** Arrow/DataFusion type names, as Delivr's events_schema reports them. */
export type ArrowType = 'Utf8' | 'Int64' | 'Int32' | 'Boolean';

export interface FieldDef {
  readonly name: string;
  readonly data_type: ArrowType;
  readonly nullable: boolean;
}

/** One stored event. Column names are Delivr's wire names (spec section 16). */
export interface EventRow {
  event_id: string;
  event_type: string;
  ts_millis: number;
  received_millis: number;
  organization_id: string;
  project_id: string;
  pixel_id: string;
  visitor_id: string | null;
  session_id: string | null;
  url: string | null;
  path: string | null;
  referrer: string | null;
  title: string | null;
  user_agent: string | null;
  browser: string | null;
  os: string | null;
  device_type: string | null;
  ip: string | null;
  language: string | null;
  screen_width: number | null;
  screen_height: number | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  /** The event's own data as JSON text. */
  event_data: string | null;
  is_bot: boolean;
  resolved: boolean | null;
  hem_sha256: string | null;
  /** Location and network of the visitor's IP, looked up at ingest before IP_MODE applies. */
  country: string | null;
  region: string | null;
  city: string | null;
  asn: number | null;
  network_org: string | null;
  /** `isp`, `hosting` or `business` (src/geo/network-type.ts). */
  network_type: string | null;
  /** What the page says about itself, sent with a page view (meta description, first h1): page classification reads them. */
  description: string | null;
  heading: string | null;
}

/** Stored column order; the single source for DDL, events_schema and inserts. */
export const EVENT_FIELDS: readonly FieldDef[] = [
  { name: 'event_id', data_type: 'Utf8', nullable: false },
  { name: 'event_type', data_type: 'Utf8', nullable: false },
  { name: 'ts_millis', data_type: 'Int64', nullable: false },
  { name: 'received_millis', data_type: 'Int64', nullable: false },
  { name: 'organization_id', data_type: 'Utf8', nullable: false },
  { name: 'project_id', data_type: 'Utf8', nullable: false },
  { name: 'pixel_id', data_type: 'Utf8', nullable: false },
  { name: 'visitor_id', data_type: 'Utf8', nullable: true },
  { name: 'session_id', data_type: 'Utf8', nullable: true },
  { name: 'url', data_type: 'Utf8', nullable: true },
  { name: 'path', data_type: 'Utf8', nullable: true },
  { name: 'referrer', data_type: 'Utf8', nullable: true },
  { name: 'title', data_type: 'Utf8', nullable: true },
  { name: 'user_agent', data_type: 'Utf8', nullable: true },
  { name: 'browser', data_type: 'Utf8', nullable: true },
  { name: 'os', data_type: 'Utf8', nullable: true },
  { name: 'device_type', data_type: 'Utf8', nullable: true },
  { name: 'ip', data_type: 'Utf8', nullable: true },
  { name: 'language', data_type: 'Utf8', nullable: true },
  { name: 'screen_width', data_type: 'Int32', nullable: true },
  { name: 'screen_height', data_type: 'Int32', nullable: true },
  { name: 'utm_source', data_type: 'Utf8', nullable: true },
  { name: 'utm_medium', data_type: 'Utf8', nullable: true },
  { name: 'utm_campaign', data_type: 'Utf8', nullable: true },
  { name: 'utm_term', data_type: 'Utf8', nullable: true },
  { name: 'utm_content', data_type: 'Utf8', nullable: true },
  { name: 'event_data', data_type: 'Utf8', nullable: true },
  { name: 'is_bot', data_type: 'Boolean', nullable: false },
  { name: 'resolved', data_type: 'Boolean', nullable: true },
  { name: 'hem_sha256', data_type: 'Utf8', nullable: true },
  { name: 'country', data_type: 'Utf8', nullable: true },
  { name: 'region', data_type: 'Utf8', nullable: true },
  { name: 'city', data_type: 'Utf8', nullable: true },
  { name: 'asn', data_type: 'Int64', nullable: true },
  { name: 'network_org', data_type: 'Utf8', nullable: true },
  { name: 'network_type', data_type: 'Utf8', nullable: true },
  { name: 'description', data_type: 'Utf8', nullable: true },
  { name: 'heading', data_type: 'Utf8', nullable: true },
];

/** The identity fields a resolved event carries (identity/fields.ts), typed for the query grammar. */
export const IDENTITY_EVENT_FIELDS: readonly FieldDef[] = IDENTITY_FIELDS.map((f) => ({
  name: f.key,
  data_type: f.data_type,
  nullable: true,
}));

/**
 * Everything an events query can select, filter or deduplicate on, in events_schema order: the stored
 * columns, then the identity fields that resolution adds.
 */
export const QUERY_FIELDS: readonly FieldDef[] = [...EVENT_FIELDS, ...IDENTITY_EVENT_FIELDS];

/** Fields whose value comes from resolution (visitor links and profiles), not from the stored row alone. */
export const RESOLVED_FIELDS: ReadonlySet<string> = new Set(['resolved', 'hem_sha256', ...IDENTITY_FIELDS.map((f) => f.key)]);

export type StoredFieldName = keyof EventRow;
export type FieldName = StoredFieldName | IdentityFieldKey;

/** `filter` grammar: `<field>:<op>:<value>`, `,` = AND, `|` = OR (OR of AND-groups). */
export type FilterOp = 'eq' | 'ne' | 'like' | 'not_null' | 'gt' | 'gte' | 'lt' | 'lte';
export interface Condition {
  field: FieldName;
  op: FilterOp;
  /** null means the literal `null` (eq:null → IS NULL, ne:null → IS NOT NULL). */
  value: string | null;
}
/** Disjunction of conjunctions: [[a, b], [c]] = (a AND b) OR c. */
export type Filter = Condition[][];

export interface EventQuery {
  organizationId: string;
  /** Pixels the caller may read, already resolved from pixel_id / project_id by the catalog. */
  pixelIds: readonly string[];
  /** Inclusive bounds, epoch ms. */
  startMs: number;
  endMs: number;
  filter?: Filter;
  /** Projection; all QUERY_FIELDS when absent. */
  select?: readonly FieldName[];
  /**
   * Stored rows as they are, without resolution (legacy user-JWT callers without x-organization-id):
   * `resolved` and `hem_sha256` as stored, no identity fields.
   */
  raw?: boolean;
  /** Deduplicate rows on these fields (first row per distinct tuple, ordered by ts_millis, event_id). */
  distinct?: readonly FieldName[];
}

export interface PageQuery extends EventQuery {
  limit: number;
  offset?: number;
  /** Keyset cursor: rows strictly after (ts_millis, event_id). */
  after?: { ts_millis: number; event_id: string };
}

export type EventRecord = Partial<Record<FieldName, string | number | boolean | null>>;

export interface ValueCount {
  value: string | number | boolean | null;
  count: number;
}

export interface BucketCount {
  bucket_start_ms: number;
  count: number;
}

/** Looks up stored event ids for the ingest dedupe (src/collect/dedupe.ts). */
export interface EventIdQuery {
  organizationId: string;
  pixelIds: readonly string[];
  eventIds: readonly string[];
  /** Inclusive ts_millis bounds the stored copies must fall in (narrows the scan). */
  startMs: number;
  endMs: number;
  /** Only rows received at or after this time count. */
  receivedSinceMs: number;
}

/**
 * How an events read may be stopped (analytics/query-gate.ts): when `signal` aborts, the engine stops
 * the query (DuckDB interrupts its connection, ClickHouse aborts the request and kills the query)
 * and the promise rejects. `timeoutMs` is also sent to engines that enforce it server-side
 * (ClickHouse's max_execution_time), so the work stops even if the abort is lost.
 */
export interface QueryOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Told of work a store does in the background that failed (a stats fold, a day-rollup build, a sort):
 * nothing waits for that work, reads stay exact without it and the store tries again later, so it
 * would otherwise fail unseen, and reads get slower each day it keeps failing. `task` names the work.
 */
export type BackgroundFailure = (task: string, err: unknown) => void;

/** The DuckDB ingest journal's state (duckdb-journal.ts): what is acknowledged and not yet in DuckDB. */
export interface JournalStats {
  /** Bytes of acknowledged rows waiting to be moved into DuckDB, and the segment files holding them. */
  pendingBytes: number;
  segments: number;
  /** How long the last move took, and moves failed in a row (0 when the last succeeded). */
  lastMoveMs: number;
  failedMoves: number;
}

export interface AnalyticsStore extends IdentityStore, IntentStore, AudienceResultsStore, StatsStore {
  readonly engine: 'duckdb' | 'clickhouse';
  /** Creates tables if missing. Idempotent, safe from several processes. */
  init(): Promise<void>;
  /** Appends rows. Resolves only when the rows are durable (survive a kill -9 of this process). */
  appendEvents(rows: readonly EventRow[]): Promise<void>;
  /** DuckDB: how far its ingest journal is behind (null without one); /metrics reports it. */
  journalStats?(): Promise<JournalStats | null>;
  /**
   * Rows ordered by (ts_millis, event_id) ascending, resolved: `resolved`, `hem_sha256` and the
   * identity fields come from the visitor's current link (or, for an event without a visitor id,
   * its own HEM) and that person's profile, whenever the link was made.
   */
  queryEvents(q: PageQuery, opts?: QueryOptions): Promise<EventRecord[]>;
  /** Number of matching rows, or of distinct tuples when q.distinct is set. */
  countEvents(q: EventQuery, opts?: QueryOptions): Promise<number>;
  /**
   * Counts per UTC hour or day bucket, ascending, empty buckets omitted. With q.distinct, the count
   * of distinct tuples within each bucket (daily unique visitors), so buckets need not sum to countEvents.
   */
  countByBucket(q: EventQuery, bucket: 'hour' | 'day', opts?: QueryOptions): Promise<BucketCount[]>;
  /**
   * Counts per value of one field (resolved, as queryEvents returns it, unless q.raw), most
   * frequent first, then by value; NULL is a value of its own. With q.distinct, distinct tuples
   * within each value. One pass where a count per value would be one query each (the People page
   * counts each person's events at once).
   */
  countByValue(q: EventQuery, field: FieldName, opts?: QueryOptions): Promise<ValueCount[]>;
  /** The ids among q.eventIds stored for q's organization and pixels within its bounds. */
  findEventIds(q: EventIdQuery): Promise<Set<string>>;
  /**
   * Calls `each` for every stored event id derived from a client's id (a UUID with version 8)
   * received at or after `receivedSinceMs`, so a restarted process knows what it already stored.
   */
  scanDerivedEventIds(receivedSinceMs: number, each: (eventId: string, receivedMs: number) => void): Promise<void>;
  close(): Promise<void>;
}
