// The scale-out analytics store: events in one ClickHouse MergeTree table, shared by any number of
// stateless server processes. It speaks HTTP through @clickhouse/client and must work on Debian's
// ClickHouse 18.16 as well as on current releases, so it uses only what both have: no server-side
// query parameters (every value goes through clickhouse-sql.ts), no DateTime64, no TTL, booleans as
// UInt8, timestamps as Int64 epoch milliseconds with time buckets computed by integer arithmetic.
//
// An insert is acknowledged by ClickHouse once its parts are written, so `appendEvents` resolves
// after a synchronous insert (never an async one); a kill -9 of this process loses nothing it
// acknowledged.

import { randomUUID } from 'node:crypto';
import {
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from '@clickhouse/client';
import type { AudienceResultsStore } from '../audiences/results.js';
import type { Profile } from '../identity/fields.js';
import {
  applyPatch,
  type HemKind,
  mergeLinks,
  mergePatches,
  type NewLink,
  PROFILE_COLUMNS,
  type ProfilePatch,
  profileRow,
  type VisitorLink,
} from '../identity/store-shared.js';
import type { Erased, PersonSummary } from '../identity/types.js';
import type { IntentStore } from '../intent/types.js';
import { DAY_MS, startOfLocalDay } from '../platform/time-zone.js';
import { audienceRowsCells, audienceRowsDdl, audienceScoresDdl, ClickHouseAudiences } from './audience-clickhouse.js';
import { sqlBool, sqlConfiguredIdentifier, sqlIdentifier, sqlNumber, sqlString, sqlStringList, toWellFormed } from './clickhouse-sql.js';
import {
  type ClickHouseRollupTables,
  clickHouseStatsDialect,
  copySumsSql,
  daysViewSql,
  FOLD_TABLES_VERSION,
  type FoldedDay,
  foldSql,
  foldStateSql,
  type PixelDay,
  pixelDaysWhere,
  ROLLUP_VERSION,
  refillSql,
  rolledValuesSql,
  rolledVisitsSql,
  rollupDdl,
  scopeDaysWhere,
  scopePixelDays,
  valuesViewSql,
  visitsViewSql,
} from './clickhouse-stats.js';
import {
  buildSql,
  type ClickHouseDayTables,
  DAY_TABLES_VERSION,
  dayDdl,
  dayReadSql,
  dayVisitsSql,
  type LocalDays,
  localDaysOf,
  type PixelBuild,
  utcDaysOf,
  windowOfPeriod,
  windowUtcDays,
} from './clickhouse-stats-days.js';
import { dayShape } from './duckdb-stats-days.js';
import { BUCKET_MS, checkFields, checkFilter, fieldName, operandOf } from './filter.js';
import { ClickHouseIntent, pagesDdl } from './intent-clickhouse.js';
import {
  defaultFields,
  IDENTITY_COLUMNS,
  linkPlanRead,
  needsJoin,
  needsProfiles,
  pagePlan,
  profilesOfPage,
  resolvePage,
  STORED_FIELDS,
} from './resolution.js';
import {
  type BreakdownQuery,
  type BreakdownRow,
  type BucketSpec,
  type BucketTotals,
  EMPTY_TOTALS,
  type StatsScope,
  type StatsTotals,
} from './stats.js';
import { breakdownOf, realtimeSql, scopeIsEmpty, type TotalsPlan, totalsOf, totalsSql } from './stats-sql.js';
import {
  type AnalyticsStore,
  type ArrowType,
  type BackgroundFailure,
  type BucketCount,
  type Condition,
  EVENT_FIELDS,
  type EventIdQuery,
  type EventQuery,
  type EventRecord,
  type EventRow,
  type FieldName,
  type Filter,
  type FilterOp,
  type PageQuery,
  QUERY_FIELDS,
  type QueryOptions,
  RESOLVED_FIELDS,
  type StoredFieldName,
  type ValueCount,
} from './types.js';

export interface ClickHouseStoreOptions {
  /**
   * `http[s]://[user:password@]host:port/database`; the database is created when missing
   * (default `delivr`). Credentials and the client's own URL parameters pass through.
   */
  url: string;
  /** Table name inside the database (default `events`). */
  table?: string;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Most HTTP connections open at once (default 10). */
  maxOpenConnections?: number;
  /**
   * A connection to use instead of HTTP (the client's `connection` hook). The tests pass chdb's
   * in-process engine here to run the contract suite on a current ClickHouse release; `url` then
   * only names the database.
   */
  connection?: ClickHouseClientConfigOptions['connection'];
  /**
   * How long after a UTC day ends its stats rollups are folded into plain copies (default an hour):
   * events keep arriving for a while, and each change after a fold means a new copy of the day.
   */
  statsFoldLagMs?: number;
  /** Told of background work that failed (types.ts BackgroundFailure): a stats fold or day-rollup build. */
  onBackgroundFailure?: BackgroundFailure;
}

/** Days folded per statement: a bounded amount of merging per request. */
const FOLD_CHUNK_DAYS = 4;

const DEFAULT_DATABASE = 'delivr';
const CH_TYPES: Record<ArrowType, string> = { Utf8: 'String', Int64: 'Int64', Int32: 'Int32', Boolean: 'UInt8' };
const FIELD_NAMES: ReadonlySet<FieldName> = new Set(QUERY_FIELDS.map((f) => fieldName(f.name)));
const FIELD_TYPES: ReadonlyMap<FieldName, ArrowType> = new Map(QUERY_FIELDS.map((f) => [fieldName(f.name), f.data_type]));
const ALL_FIELDS: readonly FieldName[] = STORED_FIELDS;
/** Stored columns that resolution replaces (the join plan computes them). */
const UNRESOLVED_FIELDS: readonly FieldName[] = STORED_FIELDS.filter((f) => f !== 'hem_sha256' && f !== 'resolved');
/** Identity tables' column names, for identifier checks. */
const IDENTITY_NAMES: ReadonlySet<string> = new Set([
  ...PROFILE_COLUMNS.map((c) => c.name),
  'organization_id',
  'visitor_id',
  'source',
  'first_seen',
  'last_seen',
  'version',
  'deleted',
  'link_hem',
  'own_hem',
  'r_hem',
]);
/** The profile fields an audience rule may name (updated_at is bookkeeping). */
const PROFILE_NAMES: ReadonlySet<string> = new Set(PROFILE_COLUMNS.map((c) => c.name).filter((n) => n !== 'updated_at'));
/** Columns an insert names; the table may hold more (added by a newer version), filled by defaults. */
const INSERT_COLUMNS = nonEmpty(ALL_FIELDS.map((name) => sqlIdentifier(name, FIELD_NAMES)));
const COMPARISON: Record<Exclude<FilterOp, 'like' | 'not_null'>, string> = {
  eq: '=',
  ne: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};
const ORDER_BY = 'ORDER BY `ts_millis`, `event_id`';
/** Room for long filter values and IN lists; 18.16's default is 256 KiB. */
const MAX_QUERY_SIZE = String(16 * 1024 * 1024);

// ClickHouse error codes (ErrorCodes.cpp) that mean another process got there first.
const DATABASE_ALREADY_EXISTS = 82;
const TABLE_ALREADY_EXISTS = 57;
/** 18.16 reports a duplicate ADD COLUMN as ILLEGAL_COLUMN (44), newer servers as DUPLICATE_COLUMN (15). */
const COLUMN_ALREADY_EXISTS = [15, 44];

type JsonCell = string | number | boolean | null;
type JsonRow = Record<string, JsonCell>;

export class ClickHouseAnalyticsStore implements AnalyticsStore {
  readonly engine = 'clickhouse' as const;
  readonly database: string;
  private readonly tableName: string;
  /** `database`.`table`, both checked plain identifiers. */
  private readonly table: string;
  private readonly client: ClickHouseClient;
  private insertSettings: ClickHouseSettings = {};
  /** Settings every read sends: only those the server knows (see createSchema). */
  private readSettings: ClickHouseSettings = {};
  /** `database`.`<table>_profiles` and `_links`: identity lives beside its events table. */
  private readonly profiles: string;
  private readonly links: string;
  /** `database`.`<table>_pages`: classified pages for intent (intent-clickhouse.ts). */
  private readonly pages: string;
  private readonly intent: ClickHouseIntent;
  readonly savePages: IntentStore['savePages'] = (...a) => this.ready(() => this.intent.savePages(...a));
  readonly pagesNotAt: IntentStore['pagesNotAt'] = (...a) => this.ready(() => this.intent.pagesNotAt(...a));
  readonly topicDays: IntentStore['topicDays'] = (...a) => this.ready(() => this.intent.topicDays(...a));
  readonly firstDays: IntentStore['firstDays'] = (...a) => this.ready(() => this.intent.firstDays(...a));
  readonly organizationActivity: IntentStore['organizationActivity'] = (...a) => this.ready(() => this.intent.organizationActivity(...a));
  readonly topicPages: IntentStore['topicPages'] = (...a) => this.ready(() => this.intent.topicPages(...a));
  readonly companyPeople: IntentStore['companyPeople'] = (...a) => this.ready(() => this.intent.companyPeople(...a));
  /** `database`.`<table>_audience_rows`: the rows of each audience run (audience-clickhouse.ts). */
  private readonly audienceRows: string;
  /** Traffic stats rollups, fed by materialized views on the events table (clickhouse-stats.ts). */
  private readonly rollups: ClickHouseRollupTables;
  /** Day rollups built from the fold's copies per pixel, zone and window (clickhouse-stats-days.ts). */
  private readonly dayTables: ClickHouseDayTables;
  /** `database`.`<table>_audience_scores`: the staged scores of intents audience builds. */
  private readonly audienceScores: string;
  private readonly audiences: ClickHouseAudiences;
  readonly writeAudienceRows: AudienceResultsStore['writeAudienceRows'] = (...a) =>
    this.ready(() => this.audiences.writeAudienceRows(...a));
  readonly readAudienceRows: AudienceResultsStore['readAudienceRows'] = (...a) => this.ready(() => this.audiences.readAudienceRows(...a));
  readonly deleteAudienceRuns: AudienceResultsStore['deleteAudienceRuns'] = (...a) =>
    this.ready(() => this.audiences.deleteAudienceRuns(...a));
  readonly deleteAudienceMembers: AudienceResultsStore['deleteAudienceMembers'] = (...a) =>
    this.ready(() => this.audiences.deleteAudienceMembers(...a));
  readonly stageIntentScores: AudienceResultsStore['stageIntentScores'] = (...a) =>
    this.ready(() => this.audiences.stageIntentScores(...a));
  readonly writeIntentAudience: AudienceResultsStore['writeIntentAudience'] = (...a) =>
    this.ready(() => this.audiences.writeIntentAudience(...a));
  readonly dropIntentStage: AudienceResultsStore['dropIntentStage'] = (...a) => this.ready(() => this.audiences.dropIntentStage(...a));
  private version = 0;
  private readonly foldLagMs: number;
  private readonly onBackgroundFailure: BackgroundFailure | undefined;
  /** Folds and retention deletes run one at a time, in this order (a fold must not record sums a delete is changing). */
  private foldChain: Promise<unknown> = Promise.resolve();
  /** Pixel days reads found not folded (or changed since), per organization, for the next background fold. */
  private readonly foldQueue = new Map<string, Map<string, PixelDay>>();
  private foldQueued = false;
  private foldSeq = 0;
  /** Windows of pixels whose day rollups reads found missing or behind the copies, for the next background build. */
  private readonly buildQueue = new Map<string, { organizationId: string; pixelId: string; zone: string; w: number }>();
  private buildQueued = false;
  private readonly running = new Set<Promise<unknown>>();
  private initialized = false;
  private closed = false;

  constructor(options: ClickHouseStoreOptions | string) {
    const opts = typeof options === 'string' ? { url: options } : options;
    const { clientUrl, database } = splitUrl(opts.url);
    this.database = database;
    this.tableName = opts.table ?? 'events';
    this.foldLagMs = opts.statsFoldLagMs ?? 3_600_000;
    this.onBackgroundFailure = opts.onBackgroundFailure;
    this.table = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(this.tableName)}`;
    this.profiles = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(`${this.tableName}_profiles`)}`;
    this.links = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(`${this.tableName}_links`)}`;
    this.pages = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(`${this.tableName}_pages`)}`;
    this.audienceRows = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(`${this.tableName}_audience_rows`)}`;
    this.rollups = rollupTables(database, this.tableName, this.table, ROLLUP_VERSION);
    this.dayTables = dayTables(database, this.tableName, ROLLUP_VERSION);
    this.audienceScores = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(`${this.tableName}_audience_scores`)}`;
    this.client = createClient({
      url: clientUrl,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      max_open_connections: opts.maxOpenConnections ?? 10,
      // Failures are thrown to the caller, which logs them with its own context.
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: { max_query_size: MAX_QUERY_SIZE },
      ...(opts.connection ? { connection: opts.connection } : {}),
    });
    this.intent = new ClickHouseIntent({
      tables: { events: this.table, links: this.links, profiles: this.profiles, pages: this.pages },
      select: (sql, joins) => this.select(sql, joins),
      insert: async (table, values) => {
        await this.track(this.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: this.insertSettings }));
      },
    });
    this.audiences = new ClickHouseAudiences({
      table: this.audienceRows,
      scores: { table: this.audienceScores, database, name: `${this.tableName}_audience_scores` },
      events: this.table,
      links: this.links,
      profiles: this.profiles,
      pages: this.pages,
      select: (sql, joins) => this.select(sql, joins),
      insert: async (table, values) => {
        await this.track(this.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: this.insertSettings }));
      },
      command: async (sql, joins) => {
        await this.track(this.client.command({ query: sql, ...(joins ? { clickhouse_settings: { join_use_nulls: 1 } } : {}) }));
      },
      profileFilterSql: (filter) => profileFilterSql(filter),
      mutate: (table, mutation) => this.mutate(table, mutation),
    });
  }

  private ready<T>(work: () => Promise<T>): Promise<T> {
    this.requireReady();
    return work();
  }

  /** Creates the database and table if missing. Idempotent and safe from several processes at once. */
  async init(): Promise<void> {
    if (this.closed) throw new Error('analytics store is closed');
    await this.track(this.createSchema());
    this.initialized = true;
  }

  private async createSchema(): Promise<void> {
    await this.commandTolerant(`CREATE DATABASE IF NOT EXISTS ${sqlConfiguredIdentifier(this.database)}`, [DATABASE_ALREADY_EXISTS]);

    const [serverSettings, treeSettings] = await Promise.all([
      this.names(
        `SELECT name FROM system.settings WHERE name IN ${sqlStringList(['async_insert', 'optimize_injective_functions_inside_uniq'])}`,
      ),
      this.names(
        `SELECT name FROM system.merge_tree_settings WHERE name IN ${sqlStringList(['fsync_after_insert', 'fsync_part_directory'])}`,
      ),
    ]);
    // Servers with async inserts could have them switched on in a profile; ours must be synchronous.
    // 18.16 rejects unknown settings, so the setting is only sent where it exists.
    this.insertSettings = serverSettings.has('async_insert') ? { async_insert: 0 } : {};
    // Newer servers rewrite uniqExact(tuple(x)) to uniqExact(x), which skips NULL: a distinct count
    // would then lose the NULL group that SQL DISTINCT (and DuckDB) keep.
    this.readSettings = serverSettings.has('optimize_injective_functions_inside_uniq')
      ? { optimize_injective_functions_inside_uniq: 0 }
      : {};
    // Where the server can fsync new parts, do so: "acknowledged" then survives a power cut as well.
    const tableSettings = [...treeSettings].sort().map((name) => `${name} = 1`);

    const columns = EVENT_FIELDS.map((f) => `${sqlIdentifier(f.name, FIELD_NAMES)} ${columnType(f.data_type, f.nullable)}`);
    await this.commandTolerant(
      `CREATE TABLE IF NOT EXISTS ${this.table} (${columns.join(', ')}) ENGINE = MergeTree ` +
        'PARTITION BY toYYYYMM(toDateTime(intDiv(`ts_millis`, 1000))) ' +
        'ORDER BY (`organization_id`, `pixel_id`, `ts_millis`, `event_id`)' +
        (tableSettings.length > 0 ? ` SETTINGS ${tableSettings.join(', ')}` : ''),
      [TABLE_ALREADY_EXISTS],
    );

    // Fields added to EVENT_FIELDS after the table was created arrive as Nullable columns at the end.
    const existing = await this.names(
      `SELECT name FROM system.columns WHERE database = ${sqlString(this.database)} AND table = ${sqlString(this.tableName)}`,
    );
    for (const f of EVENT_FIELDS) {
      if (!existing.has(f.name)) {
        await this.commandTolerant(
          `ALTER TABLE ${this.table} ADD COLUMN ${sqlIdentifier(f.name, FIELD_NAMES)} ${columnType(f.data_type, true)}`,
          COLUMN_ALREADY_EXISTS,
        );
      }
    }

    // Identity: latest row per key wins (ReplacingMergeTree + FINAL); deletions are tombstone rows.
    const profileColumns = PROFILE_COLUMNS.map((c) => `${sqlIdentifier(c.name, IDENTITY_NAMES)} ${columnType(c.data_type, c.nullable)}`);
    await this.commandTolerant(
      `CREATE TABLE IF NOT EXISTS ${this.profiles} (\`organization_id\` String, ${profileColumns.join(', ')}, \`deleted\` UInt8) ` +
        'ENGINE = ReplacingMergeTree(`updated_at`) ORDER BY (`organization_id`, `hem_sha256`)',
      [TABLE_ALREADY_EXISTS],
    );
    await this.commandTolerant(
      `CREATE TABLE IF NOT EXISTS ${this.links} (\`organization_id\` String, \`visitor_id\` String, \`hem_sha256\` String, ` +
        '`source` String, `first_seen` Int64, `last_seen` Int64, `version` Int64, `deleted` UInt8) ' +
        'ENGINE = ReplacingMergeTree(`version`) ORDER BY (`organization_id`, `visitor_id`)',
      [TABLE_ALREADY_EXISTS],
    );
    // Intent: one row per organization and page URL, the latest classification winning.
    await this.commandTolerant(pagesDdl(this.pages), [TABLE_ALREADY_EXISTS]);
    // Audiences: the rows of each run, by audience, run and rank (profile_cells added to older tables),
    // and the scores staged by builds.
    await this.commandTolerant(audienceRowsDdl(this.audienceRows), [TABLE_ALREADY_EXISTS]);
    const rowColumns = await this.names(
      `SELECT name FROM system.columns WHERE database = ${sqlString(this.database)} AND table = ${sqlString(`${this.tableName}_audience_rows`)}`,
    );
    if (!rowColumns.has('profile_cells')) await this.commandTolerant(audienceRowsCells(this.audienceRows), COLUMN_ALREADY_EXISTS);
    await this.commandTolerant(audienceScoresDdl(this.audienceScores), [TABLE_ALREADY_EXISTS]);
    await this.createRollups();
  }

  /**
   * The stats rollups and the views that feed them. The process whose CREATE made a view fills its
   * table from the events stored before it (none on a new install), a day at a time, before it
   * starts; the others find it made. An event inserted while that process fills (the first start
   * after an upgrade) may be counted twice: upgrade with ingest stopped to be exact from the first
   * minute.
   */
  private async createRollups(): Promise<void> {
    // Earlier versions' views first (nothing feeds them any more), then their tables.
    for (let v = 1; v < ROLLUP_VERSION; v++) {
      const old = rollupTables(this.database, this.tableName, this.table, v, 1);
      for (const table of [
        old.visitsView,
        old.valuesView,
        old.daysView,
        old.visits,
        old.values,
        old.days,
        old.foldedVisits,
        old.foldedValues,
        old.folds,
        ...Object.values(dayTables(this.database, this.tableName, v, 1)),
      ]) {
        await this.track(this.client.command({ query: `DROP TABLE IF EXISTS ${table}` }));
      }
    }
    // Day tables and fold copies of an earlier layout: reads queue folds and builds of the new ones
    // (answering from the rollups meanwhile, exact and slower).
    const earlier: string[] = [];
    for (let layout = 1; layout < DAY_TABLES_VERSION; layout++) {
      earlier.push(...Object.values(dayTables(this.database, this.tableName, ROLLUP_VERSION, layout)));
    }
    for (let layout = 1; layout < FOLD_TABLES_VERSION; layout++) {
      const old = rollupTables(this.database, this.tableName, this.table, ROLLUP_VERSION, layout);
      earlier.push(old.foldedVisits, old.foldedValues, old.folds);
    }
    for (const table of earlier) await this.track(this.client.command({ query: `DROP TABLE IF EXISTS ${table}` }));
    for (const ddl of [...rollupDdl(this.rollups), ...dayDdl(this.dayTables)]) await this.commandTolerant(ddl, [TABLE_ALREADY_EXISTS]);
    const made = async (sql: string): Promise<boolean> => {
      try {
        await this.track(this.client.command({ query: sql }));
        return true;
      } catch (err) {
        if (errorCode(err) === TABLE_ALREADY_EXISTS) return false;
        throw err;
      }
    };
    const news = [await made(visitsViewSql(this.rollups)), await made(valuesViewSql(this.rollups)), await made(daysViewSql(this.rollups))];
    if (!news.includes(true)) return;
    const [range] = await this.select(`SELECT count() AS c, min(ts_millis) AS first, max(ts_millis) AS last FROM ${this.table}`);
    if (toNumber(range?.c ?? 0, 'count') === 0) return;
    // A day at a time: each insert stays well within the request timeout however many events there are.
    const last = Math.floor(toNumber(range?.last ?? 0, 'last') / DAY_MS);
    for (let day = Math.floor(toNumber(range?.first ?? 0, 'first') / DAY_MS); day <= last; day++) {
      const fills = refillSql(this.rollups, `ts_millis >= ${sqlNumber(day * DAY_MS)} AND ts_millis < ${sqlNumber((day + 1) * DAY_MS)}`);
      for (const [i, sql] of fills.entries()) if (news[i]) await this.track(this.client.command({ query: sql }));
    }
  }

  async appendEvents(rows: readonly EventRow[]): Promise<void> {
    this.requireReady();
    if (rows.length === 0) return;
    // Converting first means a malformed row rejects the batch before anything is sent.
    const values = rows.map(toInsertRow);
    await this.track(
      this.client.insert({
        table: this.table,
        values,
        format: 'JSONEachRow',
        columns: INSERT_COLUMNS,
        clickhouse_settings: this.insertSettings,
      }),
    );
  }

  async queryEvents(q: PageQuery, opts: QueryOptions = {}): Promise<EventRecord[]> {
    this.requireReady();
    const fields = checkFields(q.select ?? defaultFields(q), 'select');
    if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${q.limit}`);
    const offset = q.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const where = whereClause(q);
    if (where === null || q.limit === 0) return [];
    const join = needsJoin(q);
    const withProfiles = join && needsProfiles(q);
    const plan = join ? { read: withProfiles ? [...fields] : linkPlanRead(fields), resolve: false } : pagePlan(fields, q.raw);
    const source = join ? this.resolvedSource(q, withProfiles) : this.table;

    let keyset = '';
    if (q.after) {
      const ts = sqlNumber(checkMillis(q.after.ts_millis, 'after.ts_millis'));
      const id = sqlString(q.after.event_id);
      keyset = `(\`ts_millis\` > ${ts} OR (\`ts_millis\` = ${ts} AND \`event_id\` > ${id}))`;
    }
    const projection = plan.read.map(ident).join(', ');
    const page = `LIMIT ${sqlNumber(offset)}, ${sqlNumber(q.limit)}`;
    let sql: string;
    if (q.distinct && q.distinct.length > 0) {
      const keys = checkFields(q.distinct, 'distinct');
      const inner = unique<FieldName>([...plan.read, ...keys, 'ts_millis', 'event_id'])
        .map(ident)
        .join(', ');
      // First row per tuple over the whole range, then the keyset: a page boundary must not change
      // which row of a tuple comes first.
      sql =
        `SELECT ${projection} FROM (SELECT ${inner} FROM ${source} WHERE ${where} ${ORDER_BY} ` +
        `LIMIT 1 BY ${keys.map(ident).join(', ')})${keyset ? ` WHERE ${keyset}` : ''} ${ORDER_BY} ${page}`;
    } else {
      sql = `SELECT ${projection} FROM ${source} WHERE ${where}${keyset ? ` AND ${keyset}` : ''} ${ORDER_BY} ${page}`;
    }
    const rows = await this.select(sql, join, opts);
    const records = rows.map((row) => {
      const record: EventRecord = {};
      for (const name of plan.read) record[name] = fromJson(name, row[name] ?? null);
      return record;
    });
    if (join && !withProfiles) return profilesOfPage(this, q.organizationId, records, fields);
    return resolvePage(this, q.organizationId, records, fields, plan);
  }

  async countEvents(q: EventQuery, opts: QueryOptions = {}): Promise<number> {
    this.requireReady();
    const where = whereClause(q);
    if (where === null) return 0;
    const join = needsJoin(q);
    const rows = await this.select(
      `SELECT ${countExpression(q)} AS c FROM ${join ? this.resolvedSource(q, needsProfiles(q)) : this.table} WHERE ${where}`,
      join,
      opts,
    );
    return toNumber(rows[0]?.c ?? 0, 'count');
  }

  async countByBucket(q: EventQuery, bucket: 'hour' | 'day', opts: QueryOptions = {}): Promise<BucketCount[]> {
    this.requireReady();
    const where = whereClause(q);
    if (where === null) return [];
    const size = sqlNumber(BUCKET_MS[bucket]);
    // Floor to the bucket also before 1970 (% keeps the dividend's sign). UTC by construction.
    const start = `(\`ts_millis\` - ((\`ts_millis\` % ${size}) + ${size}) % ${size})`;
    const join = needsJoin(q);
    const rows = await this.select(
      `SELECT ${start} AS b, ${countExpression(q)} AS c FROM ${join ? this.resolvedSource(q, needsProfiles(q)) : this.table} WHERE ${where} GROUP BY b ORDER BY b`,
      join,
      opts,
    );
    return rows.map((row) => ({ bucket_start_ms: toNumber(row.b ?? null, 'bucket'), count: toNumber(row.c ?? null, 'count') }));
  }

  async countByValue(q: EventQuery, field: FieldName, opts: QueryOptions = {}): Promise<ValueCount[]> {
    this.requireReady();
    const [key] = checkFields([field], 'field');
    const where = whereClause(q);
    if (where === null || key === undefined) return [];
    // Grouping by a resolved field needs its resolved value, even when the filter names none.
    const join = needsJoin(q) || (!q.raw && RESOLVED_FIELDS.has(key));
    const rows = await this.select(
      `SELECT ${ident(key)} AS v, ${countExpression(q)} AS c FROM ${join ? this.resolvedSource(q, needsProfiles(q, key)) : this.table} WHERE ${where} ` +
        'GROUP BY v ORDER BY c DESC, v',
      join,
      opts,
    );
    return rows.map((row) => ({ value: fromJson(key, row.v ?? null), count: toNumber(row.c ?? null, 'count') }));
  }

  /**
   * Events with resolution applied in SQL (the join plan of analytics/resolution.ts): the visitor's
   * current link, or the event's own HEM when it has no visitor id, and that person's profile. 18.16
   * joins once per SELECT, hence the nesting; the scope narrows the events before any join.
   */
  private resolvedSource(q: EventQuery, withProfiles: boolean): string {
    const scope = whereClause({ ...q, filter: [] });
    if (scope === null) throw new Error('resolvedSource needs a scope');
    const org = sqlString(q.organizationId);
    const rest = UNRESOLVED_FIELDS.map(ident).join(', ');
    const linked =
      `(SELECT ${rest}, if(isNull(\`visitor_id\`), \`own_hem\`, \`link_hem\`) AS \`r_hem\` FROM ` +
      `(SELECT ${rest}, \`hem_sha256\` AS \`own_hem\` FROM ${this.table} WHERE ${scope}) AS \`ev\` ` +
      `ANY LEFT JOIN (SELECT toNullable(\`visitor_id\`) AS \`visitor_id\`, \`hem_sha256\` AS \`link_hem\` FROM ${this.links} FINAL ` +
      `WHERE \`organization_id\` = ${org} AND \`deleted\` = 0) AS \`ln\` USING \`visitor_id\`) AS \`lev\``;
    const resolved = `${rest}, \`r_hem\` AS \`hem_sha256\`, toUInt8(isNotNull(\`r_hem\`)) AS \`resolved\``;
    // Without profiles when the question names none of their fields (the page's are looked up for
    // its own rows): the join would read every profile of the organization into memory.
    if (!withProfiles) return `(SELECT ${resolved} FROM ${linked})`;
    const identity = IDENTITY_COLUMNS.map(ident).join(', ');
    return (
      `(SELECT ${resolved}, ${identity} FROM ${linked} ` +
      `ANY LEFT JOIN (SELECT toNullable(\`hem_sha256\`) AS \`r_hem\`, ${identity} FROM ${this.profiles} FINAL ` +
      `WHERE \`organization_id\` = ${org} AND \`deleted\` = 0) AS \`pr\` USING \`r_hem\`)`
    );
  }

  // Identity: profiles and visitor links (identity/types.ts has the contract).

  /** Row versions for ReplacingMergeTree: increasing within this process, above the clock's milliseconds. */
  private nextVersion(now: number): number {
    this.version = Math.max(this.version + 1, now * 1000);
    return this.version;
  }

  async mergeProfiles(organizationId: string, patches: readonly ProfilePatch[], now: number): Promise<void> {
    this.requireReady();
    const merged = mergePatches(patches);
    if (merged.length === 0) return;
    const stored = new Map(
      (
        await this.getProfiles(
          organizationId,
          merged.map((m) => m.hem_sha256),
        )
      ).map((x) => [x.hem_sha256, x]),
    );
    const rows: Record<string, InsertCell>[] = [];
    for (const patch of merged) {
      const before = stored.get(patch.hem_sha256);
      const after = applyPatch(before, patch);
      // Importing the same rows again changes nothing: no new version for an unchanged profile.
      if (before && PROFILE_COLUMNS.every((c) => c.name === 'updated_at' || (before[c.name] ?? null) === (after[c.name] ?? null))) continue;
      const row: Record<string, InsertCell> = { organization_id: organizationId, deleted: 0 };
      for (const c of PROFILE_COLUMNS) {
        const v = c.name === 'updated_at' ? this.nextVersion(now) : (after[c.name] ?? null);
        row[c.name] = typeof v === 'string' ? toWellFormed(v) : v;
      }
      rows.push(row);
    }
    if (rows.length === 0) return;
    await this.track(
      this.client.insert({ table: this.profiles, values: rows, format: 'JSONEachRow', clickhouse_settings: this.insertSettings }),
    );
  }

  async getProfiles(organizationId: string, hems: readonly string[], kind: HemKind = 'sha256'): Promise<Profile[]> {
    this.requireReady();
    if (hems.length === 0) return [];
    const columns = PROFILE_COLUMNS.map((c) => sqlIdentifier(c.name, IDENTITY_NAMES)).join(', ');
    const rows = await this.select(
      `SELECT ${columns} FROM ${this.profiles} FINAL WHERE \`organization_id\` = ${sqlString(organizationId)} ` +
        `AND ${sqlIdentifier(`hem_${kind}`, IDENTITY_NAMES)} IN ${sqlStringList(hems)} AND \`deleted\` = 0`,
    );
    const types = new Map(PROFILE_COLUMNS.map((c) => [c.name, c.data_type]));
    return rows.map((row) => profileRow(PROFILE_COLUMNS.map((c) => [c.name, cellOf(types.get(c.name), row[c.name] ?? null)])));
  }

  async linkVisitors(organizationId: string, links: readonly NewLink[]): Promise<void> {
    this.requireReady();
    const merged = mergeLinks(links);
    if (merged.length === 0) return;
    const stored = new Map(
      (
        await this.linksOfVisitors(
          organizationId,
          merged.map((l) => l.visitor_id),
        )
      ).map((l) => [l.visitor_id, l]),
    );
    const now = Date.now();
    const rows = merged.map((l) => {
      const prev = stored.get(l.visitor_id);
      let next: VisitorLink = l;
      if (prev && prev.hem_sha256 === l.hem_sha256) {
        next = { ...prev, first_seen: Math.min(prev.first_seen, l.first_seen), last_seen: Math.max(prev.last_seen, l.last_seen) };
      } else if (prev && l.last_seen < prev.last_seen) {
        next = prev;
      }
      return { organization_id: organizationId, ...next, version: this.nextVersion(now), deleted: 0 };
    });
    await this.track(
      this.client.insert({ table: this.links, values: rows, format: 'JSONEachRow', clickhouse_settings: this.insertSettings }),
    );
  }

  async linksOfVisitors(organizationId: string, visitorIds: readonly string[]): Promise<VisitorLink[]> {
    if (visitorIds.length === 0) return [];
    return this.readLinks(`\`organization_id\` = ${sqlString(organizationId)} AND \`visitor_id\` IN ${sqlStringList(visitorIds)}`);
  }

  async linksOfPerson(organizationId: string, hemSha256: string): Promise<VisitorLink[]> {
    return this.readLinks(`\`organization_id\` = ${sqlString(organizationId)} AND \`hem_sha256\` = ${sqlString(hemSha256)}`);
  }

  private async readLinks(where: string): Promise<VisitorLink[]> {
    this.requireReady();
    // FINAL first, then the condition: a visitor that moved to another person must not show its old link.
    const rows = await this.select(
      `SELECT \`visitor_id\`, \`hem_sha256\`, \`source\`, \`first_seen\`, \`last_seen\` FROM ` +
        `(SELECT * FROM ${this.links} FINAL WHERE \`organization_id\` IN (SELECT \`organization_id\` FROM ${this.links} WHERE ${where})) ` +
        `WHERE ${where} AND \`deleted\` = 0 ORDER BY \`first_seen\`, \`visitor_id\``,
    );
    return rows.map((r) => ({
      visitor_id: String(r.visitor_id),
      hem_sha256: String(r.hem_sha256),
      source: String(r.source) as VisitorLink['source'],
      first_seen: toNumber(r.first_seen ?? null, 'first_seen'),
      last_seen: toNumber(r.last_seen ?? null, 'last_seen'),
    }));
  }

  async unlink(organizationId: string, hemSha256: string, visitorId: string): Promise<boolean> {
    const [link] = (await this.linksOfVisitors(organizationId, [visitorId])).filter((l) => l.hem_sha256 === hemSha256);
    if (!link) return false;
    const row = { organization_id: organizationId, ...link, version: this.nextVersion(Date.now()), deleted: 1 };
    await this.track(
      this.client.insert({ table: this.links, values: [row], format: 'JSONEachRow', clickhouse_settings: this.insertSettings }),
    );
    return true;
  }

  async listPeople(organizationId: string, page: { limit: number; offset: number }): Promise<{ people: PersonSummary[]; total: number }> {
    this.requireReady();
    const live = `(SELECT * FROM ${this.links} FINAL WHERE \`organization_id\` = ${sqlString(organizationId)}) WHERE \`deleted\` = 0`;
    const [rows, totals] = await Promise.all([
      this.select(
        `SELECT \`hem_sha256\`, count() AS n, max(\`last_seen\`) AS seen FROM ${live} GROUP BY \`hem_sha256\` ` +
          `ORDER BY seen DESC, \`hem_sha256\` LIMIT ${sqlNumber(page.offset)}, ${sqlNumber(page.limit)}`,
      ),
      this.select(`SELECT uniqExact(\`hem_sha256\`) AS c FROM ${live}`),
    ]);
    const profiles = new Map(
      (
        await this.getProfiles(
          organizationId,
          rows.map((r) => String(r.hem_sha256)),
        )
      ).map((x) => [x.hem_sha256, x]),
    );
    return {
      total: toNumber(totals[0]?.c ?? 0, 'count'),
      people: rows.map((r) => ({
        hem_sha256: String(r.hem_sha256),
        visitors: toNumber(r.n ?? null, 'visitors'),
        last_seen: toNumber(r.seen ?? null, 'last_seen'),
        profile: profiles.get(String(r.hem_sha256)) ?? null,
      })),
    };
  }

  async erasePerson(organizationId: string, hemSha256: string): Promise<Erased> {
    this.requireReady();
    const org = sqlString(organizationId);
    const hem = sqlString(hemSha256);
    const count = (table: string): Promise<number> =>
      this.select(`SELECT count() AS c FROM ${table} WHERE \`organization_id\` = ${org} AND \`hem_sha256\` = ${hem}`).then((r) =>
        toNumber(r[0]?.c ?? 0, 'count'),
      );
    const [profiles, links, events, audienceRows] = await Promise.all([
      this.getProfiles(organizationId, [hemSha256]).then((p) => p.length),
      this.linksOfPerson(organizationId, hemSha256).then((l) => l.length),
      count(this.table),
      count(this.audienceRows),
    ]);
    // Mutations rewrite the parts that hold the person; wait for them so nothing is left when we answer.
    const where = `\`organization_id\` = ${org} AND \`hem_sha256\` = ${hem}`;
    await this.mutate(this.profiles, `DELETE WHERE ${where}`);
    await this.mutate(this.links, `DELETE WHERE ${where}`);
    if (events > 0) await this.mutate(this.table, `UPDATE \`hem_sha256\` = NULL WHERE ${where}`);
    // A run keeps each person's profile as it was (a snapshot): the person's rows go with it.
    if (audienceRows > 0) await this.mutate(this.audienceRows, `DELETE WHERE ${where}`);
    return { profiles, links, events, audienceRows };
  }

  async deleteEventsBefore(organizationId: string, pixelIds: readonly string[], beforeMs: number): Promise<number> {
    this.requireReady();
    if (pixelIds.length === 0) return 0;
    const where =
      `\`organization_id\` = ${sqlString(organizationId)} AND \`pixel_id\` IN ${sqlStringList(pixelIds)} ` +
      `AND \`ts_millis\` < ${sqlNumber(checkMillis(beforeMs, 'beforeMs'))}`;
    const [row] = await this.select(`SELECT count() AS c FROM ${this.table} WHERE ${where}`);
    const n = toNumber(row?.c ?? 0, 'count');
    if (n === 0) return 0;
    // After any fold under way, and before the next: a fold must not record sums of a day being cut.
    return this.serially(async () => {
      // The stats rollups: the days up to the cut go, and the cut day is filled again from the events
      // left (a visit lies in one UTC day, so no other day changes). Their folded copies go first, so
      // no read takes a copy of a day whose sums are about to drop and grow back.
      const day = Math.floor(beforeMs / DAY_MS);
      const scope = `organization_id = ${sqlString(organizationId)} AND pixel_id IN ${sqlStringList(pixelIds)}`;
      for (const table of [this.rollups.folds, this.rollups.foldedVisits, this.rollups.foldedValues]) {
        await this.mutate(table, `DELETE WHERE ${scope} AND vday <= ${sqlNumber(day)}`);
      }
      // The day rollups of every window that holds a local day the cut reaches, in any zone (a
      // local day starts at most 14 hours before its UTC day): builds first, so no read takes them.
      const windows = `${scope} AND win <= ${sqlNumber(windowOfPeriod(day + 1))}`;
      for (const table of [this.dayTables.builds, this.dayTables.sums, this.dayTables.masks]) {
        await this.mutate(table, `DELETE WHERE ${windows}`);
      }
      await this.mutate(this.table, `DELETE WHERE ${where}`);
      await this.mutate(this.rollups.visits, `DELETE WHERE ${scope} AND vday <= ${sqlNumber(day)}`);
      await this.mutate(this.rollups.values, `DELETE WHERE ${scope} AND vday <= ${sqlNumber(day)}`);
      await this.mutate(this.rollups.days, `DELETE WHERE ${scope} AND vday <= ${sqlNumber(day)}`);
      const cutDay = `${scope} AND ts_millis >= ${sqlNumber(day * DAY_MS)} AND ts_millis < ${sqlNumber((day + 1) * DAY_MS)}`;
      for (const sql of refillSql(this.rollups, cutDay)) await this.track(this.client.command({ query: sql }));
      return n;
    });
  }

  /** ALTER TABLE ... DELETE/UPDATE, then waits until every mutation of the table is done (18.16 has no mutations_sync). */
  private async mutate(table: string, mutation: string, timeoutMs = 60_000): Promise<void> {
    await this.startMutation(table, mutation);
    const [db, name] = table.split('.').map((x) => x.replaceAll('`', ''));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await this.select(
        `SELECT count() AS c FROM system.mutations WHERE database = ${sqlString(db ?? '')} AND table = ${sqlString(name ?? '')} AND is_done = 0`,
      );
      if (toNumber(row?.c ?? 0, 'count') === 0) return;
      if (Date.now() > deadline) throw new Error(`mutation on ${table} did not finish within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async findEventIds(q: EventIdQuery): Promise<Set<string>> {
    this.requireReady();
    if (q.pixelIds.length === 0 || q.eventIds.length === 0 || q.startMs > q.endMs) return new Set();
    // organization_id, pixel_id and ts_millis lead the sort key: the server reads only those ranges.
    const rows = await this.select(
      `SELECT DISTINCT \`event_id\` FROM ${this.table} WHERE \`organization_id\` = ${sqlString(q.organizationId)} ` +
        `AND \`pixel_id\` IN ${sqlStringList(q.pixelIds)} ` +
        `AND \`ts_millis\` >= ${sqlNumber(checkMillis(q.startMs, 'startMs'))} AND \`ts_millis\` <= ${sqlNumber(checkMillis(q.endMs, 'endMs'))} ` +
        `AND \`event_id\` IN ${sqlStringList(q.eventIds)} ` +
        `AND \`received_millis\` >= ${sqlNumber(checkMillis(q.receivedSinceMs, 'receivedSinceMs'))}`,
    );
    return new Set(rows.map((row) => String(row.event_id)));
  }

  async scanDerivedEventIds(receivedSinceMs: number, each: (eventId: string, receivedMs: number) => void): Promise<void> {
    this.requireReady();
    const since = sqlNumber(checkMillis(receivedSinceMs, 'receivedSinceMs'));
    await this.track(
      (async () => {
        const result = await this.client.query({
          query: `SELECT \`event_id\`, \`received_millis\` FROM ${this.table} WHERE \`received_millis\` >= ${since} AND substring(\`event_id\`, 15, 1) = '8'`,
          format: 'JSONEachRow',
        });
        // Streamed: a busy day holds tens of millions of ids.
        for await (const rows of result.stream<JsonRow>()) {
          for (const row of rows) {
            const r = row.json();
            each(String(r.event_id), toNumber(r.received_millis ?? null, 'received_millis'));
          }
        }
      })(),
    );
  }

  // Traffic stats (analytics/stats.ts): visits grouped from the events at query time (clickhouse-stats.ts).

  private statsDialect() {
    return clickHouseStatsDialect({ events: this.table, links: this.links, profiles: this.profiles });
  }

  private async statsRows(q: StatsScope, shape: Pick<TotalsPlan, 'grouping' | 'page'>, opts: QueryOptions): Promise<unknown[][]> {
    const d = this.statsDialect();
    const days = this.dayCandidate(q, shape.grouping);
    const [folded, builds] = await Promise.all([
      this.foldedDays(q, opts),
      days ? this.latestBuilds(q.organizationId, days.pixels, days.zone, days.w, opts) : null,
    ]);
    const plan = days && builds ? this.dayPlan(q, days, folded, builds) : null;
    let sql: string;
    if (days && plan) {
      const identifiedSet = q.identified ? this.linkedVisitorsSql(q.organizationId) : null;
      let visits: string | null = null;
      if (plan.rest) {
        const rest = plan.rest;
        const restDays = new Set(scopePixelDays(rest).map((x) => `${x.pixelId}\u0000${x.vday}`));
        const own = folded.filter((x) => restDays.has(`${x.pixelId}\u0000${x.vday}`));
        visits = dayVisitsSql(
          d,
          { identifiedSet, shape: days.shape, grouping: shape.grouping },
          () => rolledVisitsSql(d, this.rollups, rest, own),
          (property) => rolledValuesSql(d, this.rollups, rest, property, own),
        );
      }
      sql = dayReadSql(d, this.dayTables, q, {
        shape: days.shape,
        grouping: shape.grouping,
        zone: days.zone,
        w: days.w,
        builds: plan.builds,
        days: plan.days,
        visits,
        identifiedSet,
        ...(shape.page ? { page: shape.page } : {}),
      });
    } else {
      sql = totalsSql(d, q, {
        ...shape,
        visits: () => rolledVisitsSql(d, this.rollups, q, folded),
        values: (property) => rolledValuesSql(d, this.rollups, q, property, folded),
        valuesCarryVisits: true,
      });
    }
    const rows = await this.select(sql, true, opts);
    return rows.map((r) =>
      ['g', 'visitors', 'visits', 'pageviews', 'events', 'bounces', 'duration', 'identified'].map((k) => r[k] ?? null),
    );
  }

  /**
   * The scope's pixel days whose folded copies are exact now (the day's event count is still the
   * one the fold recorded), and days without events (generation 0: no copy rows, nothing to merge).
   * The others are read through -Merge and queued for a fold once they are old enough.
   */
  private async foldedDays(q: StatsScope, opts: QueryOptions): Promise<FoldedDay[]> {
    const days = scopePixelDays(q);
    const { current, latest } = await this.foldState(scopeDaysWhere(q), opts);
    const folded: FoldedDay[] = [];
    const stale: PixelDay[] = [];
    for (const day of days) {
      const key = dayKey(q.organizationId, day.pixelId, day.vday);
      const now = current.get(key);
      const fold = latest.get(key);
      if (!now) folded.push({ ...day, gen: 0 });
      else if (fold && fold.nEvents === now.nEvents) folded.push({ ...day, gen: fold.gen });
      else if (this.foldable(day.vday)) stale.push(day);
    }
    if (stale.length > 0) this.queueFold(q.organizationId, stale);
    return folded;
  }

  /** The organization's visitor ids linked to a person (identified visitors). */
  private linkedVisitorsSql(organizationId: string): string {
    return `SELECT visitor_id FROM ${this.links} FINAL WHERE organization_id = ${sqlString(organizationId)} AND deleted = 0`;
  }

  /**
   * Whether the day rollups could answer: a shape they hold (dayShape), whole local days of the
   * scope's zone, at most 33 of them (one window).
   */
  private dayCandidate(
    q: StatsScope,
    grouping: TotalsPlan['grouping'],
  ): { shape: NonNullable<ReturnType<typeof dayShape>>; zone: string; w: number; local: LocalDays; pixels: string[] } | null {
    const shape = dayShape(q, grouping);
    const local = localDaysOf(q);
    if (!shape || !local || !q.zone || local[1] - local[0] > 32) return null;
    return { shape, zone: q.zone, w: windowOfPeriod(local[0]), local, pixels: [...new Set(q.pixelIds)] };
  }

  /** Per pixel, its latest build of window `w` in `zone`: its generation and the copy generation of each UTC day it read. */
  private async latestBuilds(
    organizationId: string,
    pixelIds: readonly string[],
    zone: string,
    w: number,
    opts: QueryOptions = {},
  ): Promise<Map<string, { gen: number; days: Map<number, number> }>> {
    const rows = await this.select(
      `SELECT pixel_id, max(gen) AS b_gen, argMax(days, gen) AS b_days FROM ${this.dayTables.builds} ` +
        `WHERE organization_id = ${sqlString(organizationId)} AND pixel_id IN ${sqlStringList(pixelIds)} AND zone = ${sqlString(zone)} ` +
        `AND win = ${sqlNumber(w)} GROUP BY pixel_id`,
      false,
      opts,
    );
    return new Map(
      rows.map((r) => [
        String(r.pixel_id),
        {
          gen: toNumber(r.b_gen ?? 0, 'gen'),
          days: new Map((JSON.parse(String(r.b_days)) as [number, number][]).map(([v, g]) => [v, g])),
        },
      ]),
    );
  }

  /**
   * The local days the builds answer for: those whose every UTC day still has, for every pixel,
   * the copy the build read (the fold's exact one). The other days, as one interval, are read from
   * the visits (`rest`); null when no build answers (a build is queued).
   */
  private dayPlan(
    q: StatsScope,
    c: NonNullable<ReturnType<ClickHouseAnalyticsStore['dayCandidate']>>,
    folded: readonly FoldedDay[],
    builds: Map<string, { gen: number; days: Map<number, number> }>,
  ): { builds: PixelBuild[]; days: LocalDays[]; rest: StatsScope | null } | null {
    const current = new Map(folded.map((x) => [`${x.pixelId}\u0000${x.vday}`, x.gen]));
    const [first, last] = c.local;
    let missing = false;
    for (const pixelId of c.pixels) {
      if (!builds.has(pixelId)) {
        this.queueBuild(q.organizationId, pixelId, c.zone, c.w);
        missing = true;
      }
    }
    if (missing) return null;
    let a: number | null = null;
    let b: number | null = null;
    for (let day = first; day <= last; day++) {
      const utc = utcDaysOf(day, c.zone);
      let valid = true;
      for (const pixelId of c.pixels) {
        const build = builds.get(pixelId);
        const stale = utc.filter((v) => {
          const gen = current.get(`${pixelId}\u0000${v}`);
          return gen === undefined || build?.days.get(v) !== gen;
        });
        if (stale.length === 0) continue;
        valid = false;
        // A rebuild helps once every such day is folded, or can be (the build folds it first).
        if (stale.every((v) => current.has(`${pixelId}\u0000${v}`) || this.foldable(v))) {
          this.queueBuild(q.organizationId, pixelId, c.zone, c.w);
        }
      }
      if (valid) continue;
      a ??= day;
      b = day;
    }
    const pixelBuilds = c.pixels.map((pixelId) => ({ pixelId, gen: builds.get(pixelId)?.gen ?? 0 }));
    if (a === null || b === null) return { builds: pixelBuilds, days: [[first, last]], rest: null };
    if (a === first && b === last) return null;
    const days: LocalDays[] = [];
    if (first < a) days.push([first, a - 1]);
    if (b < last) days.push([b + 1, last]);
    const zone = c.zone;
    return { builds: pixelBuilds, days, rest: { ...q, startMs: startOfLocalDay(a, zone), endMs: startOfLocalDay(b + 1, zone) } };
  }

  private queueBuild(organizationId: string, pixelId: string, zone: string, w: number): void {
    this.buildQueue.set(JSON.stringify([organizationId, pixelId, zone, w]), { organizationId, pixelId, zone, w });
    if (this.buildQueued) return;
    this.buildQueued = true;
    // In the background, after the folds queued before it: reads answer from the visits meanwhile.
    void this.track(
      this.serially(async () => {
        this.buildQueued = false;
        const work = [...this.buildQueue.values()];
        this.buildQueue.clear();
        for (const x of work) {
          if (this.closed) return;
          await this.buildDays(x.organizationId, x.pixelId, x.zone, x.w);
        }
      }).catch((err: unknown) => this.backgroundFailed('stats day rollups build', err)),
    );
  }

  /**
   * Builds one pixel's day rollups of window `w` in `zone` from the copies of its UTC days: folds
   * the days that are stale and old enough first, then reads every day's exact copy (a day whose
   * copy is not exact is left out: reads take it from the visits) and records the build with the
   * generations it read. Nothing is done when the latest build read the same copies.
   */
  private async buildDays(organizationId: string, pixelId: string, zone: string, w: number): Promise<boolean> {
    const [v0, v1] = windowUtcDays(w, zone);
    const all: PixelDay[] = [];
    for (let vday = v0; vday <= v1; vday++) all.push({ pixelId, vday });
    const where = pixelDaysWhere(organizationId, [pixelId], all);
    const before = await this.foldState(where);
    const stale = all.filter((day) => {
      const key = dayKey(organizationId, pixelId, day.vday);
      const count = before.current.get(key)?.nEvents;
      return count !== undefined && count > 0 && this.foldable(day.vday) && before.latest.get(key)?.nEvents !== count;
    });
    if (stale.length > 0) await this.foldDays(organizationId, stale);
    const state = stale.length > 0 ? await this.foldState(where) : before;
    const days: FoldedDay[] = [];
    for (const day of all) {
      const key = dayKey(organizationId, pixelId, day.vday);
      const count = state.current.get(key)?.nEvents;
      const fold = state.latest.get(key);
      if (count === undefined || count === 0) days.push({ ...day, gen: 0 });
      else if (fold && fold.nEvents === count) days.push({ ...day, gen: fold.gen });
    }
    const latest = (await this.latestBuilds(organizationId, [pixelId], zone, w)).get(pixelId);
    if (latest && latest.days.size === days.length && days.every((x) => latest.days.get(x.vday) === x.gen)) return false;
    const gen = Date.now() * 1000 + (this.foldSeq++ % 1000);
    for (const sql of buildSql(this.statsDialect(), { ...this.rollups, ...this.dayTables }, organizationId, pixelId, zone, w, days, gen)) {
      await this.track(this.client.command({ query: sql }));
    }
    await this.track(
      this.client.insert({
        table: this.dayTables.builds,
        values: [
          { organization_id: organizationId, pixel_id: pixelId, zone, win: w, gen, days: JSON.stringify(days.map((x) => [x.vday, x.gen])) },
        ],
        format: 'JSONEachRow',
        clickhouse_settings: this.insertSettings,
      }),
    );
    // The rows of builds two generations back (the one just superseded stays for reads planned before).
    if (latest) {
      const where =
        `organization_id = ${sqlString(organizationId)} AND pixel_id = ${sqlString(pixelId)} AND zone = ${sqlString(zone)} ` +
        `AND win = ${sqlNumber(w)} AND gen < ${sqlNumber(latest.gen)}`;
      for (const table of [this.dayTables.sums, this.dayTables.masks, this.dayTables.builds])
        await this.startMutation(table, `DELETE WHERE ${where}`);
    }
    return true;
  }

  /**
   * Submits a mutation and does not wait for it (mutate waits). Superseded rows are deleted so, in
   * the background: 18.16 rewrites only the parts holding such rows and links the others unchanged.
   */
  private async startMutation(table: string, mutation: string): Promise<void> {
    await this.track(this.client.command({ query: `ALTER TABLE ${table} ${mutation}` }));
  }

  /** Waits for the background folds and day builds queued so far (tests, benches). */
  async settleStats(): Promise<void> {
    this.requireReady();
    await this.serially(async () => undefined);
    // A build queued by a read that ran while the chain drained.
    await this.serially(async () => undefined);
  }

  /** Per pixel day `where` selects: the events the rollups count now, and the latest fold's generation and count. */
  private async foldState(
    where: string,
    opts: QueryOptions = {},
  ): Promise<{
    current: Map<string, DayEvents & { org: string; pixelId: string; vday: number }>;
    latest: Map<string, DayEvents & { gen: number }>;
  }> {
    const rows = await this.select(foldStateSql(this.rollups, where), false, opts);
    const current = new Map<string, DayEvents & { org: string; pixelId: string; vday: number }>();
    const latest = new Map<string, DayEvents & { gen: number }>();
    for (const r of rows) {
      const org = String(r.organization_id);
      const pixelId = String(r.pixel_id);
      const vday = toNumber(r.vday ?? 0, 'vday');
      const key = dayKey(org, pixelId, vday);
      if (r.kind === 'n') current.set(key, { nEvents: toNumber(r.a ?? 0, 'a'), org, pixelId, vday });
      else latest.set(key, { gen: toNumber(r.a ?? 0, 'a'), nEvents: toNumber(r.b ?? 0, 'b') });
    }
    return { current, latest };
  }

  private foldable(vday: number): boolean {
    return (vday + 1) * DAY_MS <= Date.now() - this.foldLagMs;
  }

  private queueFold(organizationId: string, days: readonly PixelDay[]): void {
    const queued = this.foldQueue.get(organizationId) ?? new Map<string, PixelDay>();
    for (const day of days) queued.set(dayKey(organizationId, day.pixelId, day.vday), day);
    this.foldQueue.set(organizationId, queued);
    if (this.foldQueued) return;
    this.foldQueued = true;
    // In the background: the read that found them answers from the rollups meanwhile. A failure is
    // left for the next read to queue again (the reads stay exact either way).
    void this.track(
      this.serially(async () => {
        this.foldQueued = false;
        const work = [...this.foldQueue];
        this.foldQueue.clear();
        for (const [org, queuedDays] of work) {
          if (this.closed) return;
          await this.foldDays(org, [...queuedDays.values()]);
        }
      }).catch((err: unknown) => this.backgroundFailed('stats fold', err)),
    );
  }

  /** Background work failed: it is queued again by the next read that needs it; the operator is told. */
  private backgroundFailed(task: string, err: unknown): void {
    if (!this.closed) this.onBackgroundFailure?.(task, err);
  }

  /** Runs `work` after every fold and retention delete before it. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.foldChain.then(work);
    this.foldChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Folds one organization's pixel days whose copies are missing or stale: reads the days' counts,
   * copies their merged rows, and records each day whose copy holds exactly the count (its visits'
   * events and its page value rows' events), the count unchanged after the copy. A day an insert
   * touched meanwhile is left for the next fold.
   */
  private async foldDays(organizationId: string, days: readonly PixelDay[]): Promise<number> {
    const pixelIds = [...new Set(days.map((x) => x.pixelId))];
    let folded = 0;
    for (let i = 0; i < days.length; i += FOLD_CHUNK_DAYS * pixelIds.length) {
      const chunk = days.slice(i, i + FOLD_CHUNK_DAYS * pixelIds.length);
      const where = pixelDaysWhere(organizationId, pixelIds, chunk);
      const before = await this.foldState(where);
      const countOf = (state: typeof before, day: PixelDay) => state.current.get(dayKey(organizationId, day.pixelId, day.vday))?.nEvents;
      const todo = chunk.filter((day) => {
        const count = countOf(before, day);
        const fold = before.latest.get(dayKey(organizationId, day.pixelId, day.vday));
        return count !== undefined && count > 0 && this.foldable(day.vday) && fold?.nEvents !== count;
      });
      if (todo.length === 0) continue;
      const gen = Date.now() * 1000 + (this.foldSeq++ % 1000);
      for (const sql of foldSql(this.rollups, organizationId, todo, gen)) await this.track(this.client.command({ query: sql }));
      const [sums, after] = await Promise.all([
        this.select(copySumsSql(this.rollups, organizationId, todo, gen)),
        this.foldState(pixelDaysWhere(organizationId, pixelIds, todo)),
      ]);
      const held = new Map(
        sums.map((r) => [
          dayKey(organizationId, String(r.pixel_id), toNumber(r.vday ?? 0, 'vday')),
          [toNumber(r.s_visits ?? 0, 's_visits'), toNumber(r.s_values ?? 0, 's_values')],
        ]),
      );
      const values = todo.flatMap((day) => {
        const count = countOf(before, day);
        const [visits, pages] = held.get(dayKey(organizationId, day.pixelId, day.vday)) ?? [];
        if (count === undefined || countOf(after, day) !== count || visits !== count || pages !== count) return [];
        return [{ organization_id: organizationId, pixel_id: day.pixelId, vday: day.vday, gen, n_events: count }];
      });
      if (values.length === 0) continue;
      await this.track(
        this.client.insert({ table: this.rollups.folds, values, format: 'JSONEachRow', clickhouse_settings: this.insertSettings }),
      );
      folded += values.length;
      // The copies two generations back of the days copied again (the one just superseded stays for
      // reads planned before this record; a day whose copy failed its check keeps its rows too).
      const older = values.flatMap((x) => {
        const previous = before.latest.get(dayKey(organizationId, x.pixel_id, x.vday))?.gen;
        return previous === undefined
          ? []
          : [`(pixel_id = ${sqlString(x.pixel_id)} AND vday = ${sqlNumber(x.vday)} AND gen < ${sqlNumber(previous)})`];
      });
      if (older.length > 0) {
        const where = `organization_id = ${sqlString(organizationId)} AND (${older.join(' OR ')})`;
        for (const table of [this.rollups.foldedVisits, this.rollups.foldedValues])
          await this.startMutation(table, `DELETE WHERE ${where}`);
      }
    }
    return folded;
  }

  /**
   * Folds every pixel day whose UTC day ended at least the fold lag ago and whose copy is missing or
   * stale (reads queue the days they need on their own; this is for tests, benches and operators).
   * Returns the number of pixel days folded.
   */
  async foldStats(): Promise<number> {
    this.requireReady();
    return this.serially(async () => {
      const lastDay = Math.floor((Date.now() - this.foldLagMs) / DAY_MS) - 1;
      const { current } = await this.foldState(`vday <= ${sqlNumber(lastDay)}`);
      const byOrg = new Map<string, PixelDay[]>();
      for (const day of current.values()) {
        const days = byOrg.get(day.org) ?? [];
        days.push({ pixelId: day.pixelId, vday: day.vday });
        byOrg.set(day.org, days);
      }
      let folded = 0;
      for (const [org, days] of byOrg) folded += await this.foldDays(org, days);
      return folded;
    });
  }

  async statsTotals(q: StatsScope, opts: QueryOptions = {}): Promise<StatsTotals> {
    this.requireReady();
    if (scopeIsEmpty(q)) return { ...EMPTY_TOTALS };
    const rows = await this.statsRows(q, { grouping: { kind: 'none' } }, opts);
    return totalsOf(rows[0] ?? [], 1);
  }

  async statsTimeseries(q: StatsScope, buckets: BucketSpec, opts: QueryOptions = {}): Promise<BucketTotals[]> {
    this.requireReady();
    if (scopeIsEmpty(q)) return [];
    const rows = await this.statsRows(q, { grouping: { kind: 'bucket', spec: buckets } }, opts);
    return rows.map((r) => ({ bucket: Number(r[0]), totals: totalsOf(r, 1) }));
  }

  async statsBreakdown(q: StatsScope, b: BreakdownQuery, opts: QueryOptions = {}): Promise<{ rows: BreakdownRow[]; more: boolean }> {
    this.requireReady();
    if (scopeIsEmpty(q)) return { rows: [], more: false };
    const rows = await this.statsRows(
      q,
      { grouping: { kind: 'property', property: b.property }, page: { limit: b.limit, offset: b.offset } },
      opts,
    );
    return breakdownOf(rows, b.limit);
  }

  async statsRealtimeVisitors(
    organizationId: string,
    pixelIds: readonly string[],
    sinceMs: number,
    untilMs: number,
    opts: QueryOptions = {},
  ): Promise<number> {
    this.requireReady();
    if (pixelIds.length === 0 || untilMs < sinceMs) return 0;
    const [row] = await this.select(realtimeSql(this.statsDialect(), organizationId, pixelIds, sinceMs, untilMs), false, opts);
    return toNumber(row?.visitors ?? 0, 'visitors');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    await this.client.close();
  }

  private requireReady(): void {
    if (this.closed) throw new Error('analytics store is closed');
    if (!this.initialized) throw new Error('analytics store is not initialised; call init() first');
  }

  /**
   * `joins`: the query joins links or profiles, whose missing rows must read as NULL (not '').
   * `opts`: the server stops the query after timeoutMs (max_execution_time, whole seconds); an abort
   * drops the request and kills the query by its id, since closing the connection alone does not
   * stop a query on the server.
   */
  private async select(sql: string, joins = false, opts: QueryOptions = {}): Promise<JsonRow[]> {
    const { signal, timeoutMs } = opts;
    const settings: ClickHouseSettings = {
      ...this.readSettings,
      ...(joins ? { join_use_nulls: 1 } : {}),
      ...(timeoutMs === undefined ? {} : { max_execution_time: Math.max(1, Math.ceil(timeoutMs / 1000)) }),
    };
    const queryId = randomUUID();
    const kill = () => {
      void this.client.command({ query: `KILL QUERY WHERE query_id = ${sqlString(queryId)} ASYNC` }).catch(() => undefined);
    };
    signal?.throwIfAborted();
    signal?.addEventListener('abort', kill, { once: true });
    return this.track(
      (async () => {
        try {
          const result = await this.client.query({
            query: sql,
            format: 'JSONEachRow',
            query_id: queryId,
            ...(Object.keys(settings).length > 0 ? { clickhouse_settings: settings } : {}),
            ...(signal ? { abort_signal: signal } : {}),
          });
          return await result.json<JsonRow>();
        } finally {
          signal?.removeEventListener('abort', kill);
        }
      })(),
    );
  }

  private async names(sql: string): Promise<Set<string>> {
    const rows = await this.select(sql);
    return new Set(rows.map((row) => String(row.name)));
  }

  /** DDL that tolerates losing a race to another process doing the same. */
  private async commandTolerant(sql: string, tolerated: readonly number[]): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (err) {
      if (!tolerated.includes(errorCode(err) ?? -1)) throw err;
    }
  }

  /** Lets close() wait for work already started instead of closing sockets under it. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = (): void => {
      this.running.delete(work);
    };
    work.then(forget, forget);
    return work;
  }
}

/** Splits `http://host:8123/db` into the client's URL (no path) and the database name. */
function splitUrl(raw: string): { clientUrl: string; database: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`ClickHouse URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`ClickHouse URL must be http or https, got ${url.protocol}`);
  }
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (path.includes('/')) throw new Error(`ClickHouse URL path must be one database name, got ${JSON.stringify(path)}`);
  const database = path === '' ? DEFAULT_DATABASE : path;
  sqlConfiguredIdentifier(database);
  url.pathname = '/';
  return { clientUrl: url.toString(), database };
}

function columnType(type: ArrowType, nullable: boolean): string {
  return nullable ? `Nullable(${CH_TYPES[type]})` : CH_TYPES[type];
}

/** Scope, time range and filter; null when nothing can match (no pixels, or an empty range). */
function whereClause(q: EventQuery): string | null {
  const start = checkMillis(q.startMs, 'startMs');
  const end = checkMillis(q.endMs, 'endMs');
  if (q.pixelIds.length === 0 || start > end) return null;
  let sql =
    `\`organization_id\` = ${sqlString(q.organizationId)} AND \`pixel_id\` IN ${sqlStringList(q.pixelIds)} ` +
    `AND \`ts_millis\` >= ${sqlNumber(start)} AND \`ts_millis\` <= ${sqlNumber(end)}`;
  if (q.filter && q.filter.length > 0) sql += ` AND (${filterConditionSql(q.filter)})`;
  return sql;
}

/** A filter (OR of AND-groups) as SQL over columns named like its fields. */
function filterConditionSql(filter: Filter): string {
  const checked = checkFilter(filter);
  if (!checked.ok) throw new Error(`invalid filter: ${checked.error}`);
  return checked.value.map((group) => `(${group.map((c) => conditionSql(c)).join(' AND ')})`).join(' OR ');
}

/**
 * An audience's field rule (checked against the field catalog already) as SQL over the profiles
 * table's columns: the hashes are profile columns the Events API does not filter on.
 */
function profileFilterSql(filter: Filter): string {
  const condition = (c: Condition): string => conditionSql(c, sqlIdentifier(c.field, PROFILE_NAMES));
  return filter.map((group) => `(${group.map(condition).join(' AND ')})`).join(' OR ');
}

function conditionSql(c: Condition, column: string = ident(c.field)): string {
  const operand = operandOf(c);
  switch (operand.kind) {
    case 'is_null':
      return `${column} IS NULL`;
    case 'is_not_null':
      return `${column} IS NOT NULL`;
    case 'text':
      // ClickHouse's LIKE: `%`, `_`, and `\` escaping them, as the filter grammar documents.
      if (c.op === 'like') return `${column} LIKE ${sqlString(operand.value)}`;
      return `${column} ${comparison(c.op)} ${sqlString(operand.value)}`;
    case 'int':
      return `${column} ${comparison(c.op)} ${sqlNumber(operand.value)}`;
    case 'bool':
      return `${column} ${comparison(c.op)} ${sqlBool(operand.value)}`;
  }
}

/** `uniqExact` over a tuple, so NULL is one value of its own as with SQL DISTINCT. */
function countExpression(q: EventQuery): string {
  if (!q.distinct || q.distinct.length === 0) return 'count()';
  return `uniqExact(tuple(${checkFields(q.distinct, 'distinct').map(ident).join(', ')}))`;
}

function comparison(op: FilterOp): string {
  if (op === 'like' || op === 'not_null') throw new Error(`operator ${op} has no comparison form`);
  return COMPARISON[op];
}

function ident(name: FieldName): string {
  return sqlIdentifier(name, FIELD_NAMES);
}

function nonEmpty<T>(items: readonly T[]): [T, ...T[]] {
  const [first, ...rest] = items;
  if (first === undefined) throw new Error('expected at least one item');
  return [first, ...rest];
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function checkMillis(n: number, what: string): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be an integer number of milliseconds, got ${n}`);
  return n;
}

/** Int64 and UInt64 arrive as JSON strings (output_format_json_quote_64bit_integers), others as numbers. */
function toNumber(value: JsonCell, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`ClickHouse returned a non-numeric ${what}: ${JSON.stringify(value)}`);
  return n;
}

function fromJson(name: FieldName, value: JsonCell): string | number | boolean | null {
  if (value === null) return null;
  switch (FIELD_TYPES.get(name)) {
    case 'Int64':
    case 'Int32':
      return toNumber(value, name);
    case 'Boolean':
      return toNumber(value, name) !== 0;
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

type InsertCell = string | number | null;

/** A profile cell read back as JSON: numbers for integer columns. */
function cellOf(type: ArrowType | undefined, value: JsonCell): string | number | null {
  if (value === null) return null;
  if (type === 'Int64' || type === 'Int32') return toNumber(value, 'profile');
  return typeof value === 'string' ? value : String(value);
}

/** One JSONEachRow object: booleans as 0/1, strings valid UTF-8 (ClickHouse refuses lone surrogates). */
function toInsertRow(row: EventRow, index: number): Record<string, InsertCell> {
  const out: Record<string, InsertCell> = {};
  for (const f of EVENT_FIELDS) {
    const name = f.name as StoredFieldName;
    const value: unknown = row[name];
    const bad = (expected: string): never => {
      throw new TypeError(
        `event ${index}: ${name} must be ${expected}${f.nullable ? ' or null' : ''}, got ${JSON.stringify(value) ?? typeof value}`,
      );
    };
    if (value === null || value === undefined) {
      out[name] = f.nullable ? null : bad(expectedFor(f.data_type));
      continue;
    }
    switch (f.data_type) {
      case 'Utf8':
        out[name] = typeof value === 'string' ? toWellFormed(value) : bad('a string');
        break;
      case 'Boolean':
        out[name] = typeof value === 'boolean' ? (value ? 1 : 0) : bad('a boolean');
        break;
      case 'Int64':
        out[name] = typeof value === 'number' && Number.isSafeInteger(value) ? value : bad('a safe integer');
        break;
      case 'Int32':
        out[name] =
          typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647
            ? value
            : bad('a 32-bit integer');
        break;
    }
  }
  return out;
}

function expectedFor(type: ArrowType): string {
  return { Utf8: 'a string', Boolean: 'a boolean', Int64: 'a safe integer', Int32: 'a 32-bit integer' }[type];
}

/**
 * `database`.`<events>_stats_<suffix>_v<version>`, and a layout tag after it for tables whose layout
 * changes apart from the rollup version (`d2`, `f2`; layout 1 had none).
 */
function statsTable(database: string, tableName: string, suffix: string, version: number, layout = ''): string {
  return `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(`${tableName}_stats_${suffix}_v${version}${layout}`)}`;
}

/** A layout tag: none for the first layout. */
const layoutTag = (letter: string, layout: number): string => (layout > 1 ? `${letter}${layout}` : '');

/** The day rollups' tables of a rollup version and a layout (DAY_TABLES_VERSION) (clickhouse-stats-days.ts). */
function dayTables(database: string, tableName: string, version: number, layout: number = DAY_TABLES_VERSION): ClickHouseDayTables {
  const named = (suffix: string) => statsTable(database, tableName, suffix, version, layoutTag('d', layout));
  return { sums: named('day_sums'), masks: named('day_masks'), builds: named('day_builds') };
}

/** The stats rollups of an events table at one rollup version (clickhouse-stats.ts). */
function rollupTables(
  database: string,
  tableName: string,
  events: string,
  version: number,
  foldLayout: number = FOLD_TABLES_VERSION,
): ClickHouseRollupTables {
  const named = (suffix: string) => statsTable(database, tableName, suffix, version);
  // The fold's copies and their record have a layout of their own (FOLD_TABLES_VERSION).
  const folded = (suffix: string) => statsTable(database, tableName, suffix, version, layoutTag('f', foldLayout));
  return {
    events,
    visits: named('visits'),
    values: named('values'),
    visitsView: named('visits_view'),
    valuesView: named('values_view'),
    foldedVisits: folded('folded_visits'),
    foldedValues: folded('folded_values'),
    folds: folded('folds'),
    days: named('days'),
    daysView: named('days_view'),
  };
}

/** The events the rollups count for a pixel day. */
interface DayEvents {
  nEvents: number;
}

const dayKey = (organizationId: string, pixelId: string, vday: number): string => `${organizationId}\u0000${pixelId}\u0000${vday}`;

/** The numeric code of a ClickHouse error, from the client's parse or 18.16's "Code: N, ..." text. */
function errorCode(err: unknown): number | null {
  if (!(err instanceof Error)) return null;
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const match = /Code: (\d+)/.exec(err.message);
  return match?.[1] ? Number(match[1]) : null;
}
