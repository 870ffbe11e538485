// Traffic stats on DuckDB: the SQL dialect for the shared builder (analytics/stats-sql.ts) and the
// rollups that keep the numbers fast at tens of millions of events, maintained off the ingest path.
//
// `stats_visits` holds one row per visit (VISIT_COLUMNS); `stats_visit_values` one row per visit
// and page, and per visit and event type, with that value's events and page views and a copy of the
// visit's start, end, interactions and visitor; rows of both carry their pixel's number (`pk`,
// stats_pixels), which reads scope by. Appends only append events, each batch with the next
// ingest sequence number (a column of the events table, in commit order: appends are serialized).
// A background fold, on a connection of its own, takes the events past the watermark (the last
// sequence number folded), merges them into both tables and moves the watermark, all in one
// transaction; it never holds the writer, so acknowledgements do not wait for it. A stats read
// takes one snapshot: the rollups up to the watermark plus the raw events after it, grouped into
// visits and combined with the rolled-up parts of the same visits, so every answer is exactly what
// the acknowledged events say, whether or not the fold has caught up.
//
// Retention deletes (and the fold) run under one maintenance lock; a delete that cuts into a day
// the rollups count rebuilds that day in its own transaction. A version row rebuilds both tables
// from the events when their definition changes. Once a week of data the fold rewrites both tables
// sorted by value within each week (sortRollups), so a clicked page or source reads its own rows.
import { BIGINT, type DuckDBConnection, type DuckDBType, type DuckDBValue, VARCHAR } from '@duckdb/node-api';
import { DAY_MS, localDay, offsetPieces, startOfLocalDay } from '../platform/time-zone.js';
import { Params } from './duckdb-params.js';
import {
  DAYS_DDL,
  DAYS_TABLES,
  DAYS_VERSION,
  type DayInterval,
  type DayRefresh,
  type DayShape,
  dayReadSql,
  dayShape,
  PAGE_CROSSED,
  refreshSql,
  visitRowsOf,
} from './duckdb-stats-days.js';
import { likeToRegex } from './filter.js';
import {
  type BreakdownQuery,
  type BreakdownRow,
  type BucketSpec,
  type BucketTotals,
  DEFAULT_FOLD_DELAY_MS,
  EMPTY_TOTALS,
  PAGE_VIEW,
  PROPERTY_LEVEL,
  STATS_PROPERTIES,
  type StatsScope,
  type StatsTotals,
} from './stats.js';
import {
  breakdownOf,
  bucketSql,
  COLUMN,
  type EventProperty,
  eventScope,
  eventWindow,
  type Grouping,
  partialVisitsSql,
  realtimeSql,
  type StatsDialect,
  scopeIsEmpty,
  totalsOf,
  totalsSql,
  VISIT_COLUMNS,
} from './stats-sql.js';
import type { BackgroundFailure, QueryOptions } from './types.js';

/** The visit's columns the day rollups read with a value row (the crossings' too), as a fold's old rows give them. */
const FOLD_OLD_VISIT_COLUMNS = [
  ...new Set(['v_start', 'v_end', 'v_interactions', 'v_source', 'v_network', 'v_network_type', ...PAGE_CROSSED.map((p) => COLUMN[p])]),
]
  .map((c) => `o.${c}`)
  .join(', ');

/** Bump when VISIT_COLUMNS, the value rows or their derivation change: both are rebuilt from the events at start. */
export const STATS_VERSION = '7';

/**
 * Fewest value rows worth sorting (sortRollups): DuckDB skips by row group of 122,880 rows, so a
 * table within one or two gains nothing, and a new store's first folds stay cheap.
 */
const SORT_MIN_ROWS = 2 * 122_880;

/** The events table's ingest sequence column (DuckDB only; never part of an event). */
export const INGEST_SEQ = 'ingest_seq';

export type Bind = (value: DuckDBValue, type: DuckDBType) => string;

const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

export function duckStatsDialect(bind: Bind): StatsDialect {
  const key = '(ts_millis, event_id)';
  const filtered = (agg: string, cond?: string) => (cond ? `${agg} FILTER (WHERE ${cond})` : agg);
  return {
    text: (v) => bind(v, VARCHAR),
    // Numbers are written as literals (checked integers, never text): DuckDB cannot bind a parameter
    // that ends up inside a GROUP BY expression, and prunes row groups only on constants.
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
    nestedAliases: true,
  };
}

/** A visit's key: every rollup row belongs to one visit (one pixel's session on one UTC day). */
const KEY = ['organization_id', 'pixel_id', 'session_id', 'vday'] as const;
const sameKey = (a: string, b: string): string => KEY.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');

/**
 * The visitor's number (stats_visitors: one per visitor id, NULL without an id): distinct counts
 * over numbers cost a third of those over the 32-character ids at millions of visits.
 */
const VN = 'v_vn';
/**
 * The pixel's number (stats_pixels: one per organization and pixel, the day rollups' `pk` too), on
 * every rollup row: a read's scope is `pk IN (...)`, an integer its zone maps settle per row group,
 * where comparing the two 36-character ids of every row kept cost more than the rest of a clicked
 * row's breakdown.
 */
const PK = 'pk';
/** A stored visit: the visit columns and the visitor's number. */
const STORED_VISIT_COLUMNS = [...VISIT_COLUMNS, VN] as const;
/**
 * The visit's numbers, visitor and visit-level properties copied onto its value rows, so a question
 * about pages needs no join with the visits, also filtered or broken down by a visit's property (a
 * clicked source's top pages, a clicked page's countries).
 */
const COPIED = [
  'v_start',
  'v_end',
  'v_interactions',
  VN,
  'v_visitor',
  ...STATS_PROPERTIES.filter((p) => PROPERTY_LEVEL[p] === 'visit').map((p) => COLUMN[p]),
] as const;
const VALUE_COLUMNS = [...KEY, 'prop', 'e_value', 'm_events', 'm_pageviews', ...COPIED] as const;

/** The rollups' integer columns; every other column is text. */
const INTEGER = new Set<string>([
  PK,
  'vday',
  'v_start',
  'v_end',
  'v_events',
  'v_pageviews',
  'v_interactions',
  'v_entry_ts',
  'v_exit_ts',
  'm_events',
  'm_pageviews',
  VN,
]);

const columnsDdl = (columns: readonly string[]): string => columns.map((c) => `${c} ${INTEGER.has(c) ? 'BIGINT' : 'VARCHAR'}`).join(', ');

export const STATS_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS stats_visits (${columnsDdl([...STORED_VISIT_COLUMNS, PK])})`,
  `CREATE TABLE IF NOT EXISTS stats_visit_values (${columnsDdl([...VALUE_COLUMNS, PK])})`,
  'CREATE TABLE IF NOT EXISTS stats_visitors (visitor_id VARCHAR NOT NULL, n BIGINT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS stats_pixels (organization_id VARCHAR NOT NULL, pixel_id VARCHAR NOT NULL, pk BIGINT NOT NULL)',
  // The staging table of the earlier design (folded at ingest): its rows are in the events too.
  'DROP TABLE IF EXISTS stats_stage',
];

/** Events the stats count: a tracker's (with a session), not a bot's. */
const COUNTED = 'NOT is_bot AND session_id IS NOT NULL';

/** Per visit and value of each event-level property: that value's events and page views. */
function partialValuesSql(d: StatsDialect, where: string): string {
  const one = (prop: EventProperty, value: string) =>
    `SELECT organization_id, pixel_id, coalesce(session_id, '') AS session_id, ${d.intDiv('ts_millis', String(DAY_MS))} AS vday, ` +
    `${d.constant(prop)} AS prop, ${value} AS e_value, event_type FROM events WHERE ${where}`;
  return (
    `SELECT organization_id, pixel_id, session_id, vday, prop, e_value, count(*) AS m_events, ` +
    `${d.countIf(`event_type = ${d.constant(PAGE_VIEW)}`)} AS m_pageviews ` +
    `FROM (${one('page', "coalesce(path, '')")} UNION ALL ${one('event_type', 'event_type')}) ` +
    'GROUP BY organization_id, pixel_id, session_id, vday, prop, e_value'
  );
}

/** The visit columns a visit takes from its first event (everything but its key, counts and pages). */
const FIRST_COLUMNS = VISIT_COLUMNS.filter(
  (c) =>
    !(KEY as readonly string[]).includes(c) &&
    !['v_start', 'v_end', 'v_events', 'v_pageviews', 'v_interactions'].includes(c) &&
    !c.startsWith('v_entry') &&
    !c.startsWith('v_exit'),
);

/**
 * Parts of visits (VISIT_COLUMNS rows, several per visit) combined into one row per visit: counts
 * add up, the first event (by start, then its id) lends its attributes, the entry page is the
 * earliest page view of any part and the exit page the latest. Folding and reading use it alike.
 */
function combineVisitsSql(parts: string): string {
  const first = '(v_start, v_first_id)';
  const entry = '(v_entry_ts, v_entry_id)';
  const exit = '(v_exit_ts, v_exit_id)';
  const onEntry = 'FILTER (WHERE v_entry_ts IS NOT NULL)';
  const onExit = 'FILTER (WHERE v_exit_ts IS NOT NULL)';
  const out: Record<string, string> = {
    v_start: 'min(v_start)',
    v_end: 'max(v_end)',
    v_events: 'CAST(sum(v_events) AS BIGINT)',
    v_pageviews: 'CAST(sum(v_pageviews) AS BIGINT)',
    v_interactions: 'CAST(sum(v_interactions) AS BIGINT)',
    v_entry: `coalesce(arg_min(v_entry, ${entry}) ${onEntry}, '')`,
    v_entry_ts: `min(v_entry_ts)`,
    v_entry_id: `arg_min(v_entry_id, ${entry}) ${onEntry}`,
    v_exit: `coalesce(arg_max(v_exit, ${exit}) ${onExit}, '')`,
    v_exit_ts: `max(v_exit_ts)`,
    v_exit_id: `arg_max(v_exit_id, ${exit}) ${onExit}`,
  };
  for (const c of FIRST_COLUMNS) out[c] = `arg_min(${c}, ${first})`;
  const select = VISIT_COLUMNS.map((c) => ((KEY as readonly string[]).includes(c) ? c : `${out[c]} AS ${c}`));
  return `SELECT ${select.join(', ')} FROM (${parts}) GROUP BY ${KEY.join(', ')}`;
}

const visitColumns = (alias: string): string => VISIT_COLUMNS.map((c) => `${alias}.${c}`).join(', ');
const valueColumns = (alias: string): string =>
  [...KEY, 'prop', 'e_value', 'm_events', 'm_pageviews'].map((c) => `${alias}.${c}`).join(', ');

/**
 * Numbers the keys `from` selects (columns named as `table`'s) that `table` does not hold yet, after
 * its highest number: visitor ids (stats_visitors) and pixels (stats_pixels).
 */
function numberNewSql(table: string, keys: readonly string[], n: string, from: string): string {
  const cols = (alias: string) => keys.map((k) => `${alias}.${k}`).join(', ');
  return (
    `INSERT INTO ${table} (${keys.join(', ')}, ${n}) SELECT ${cols('f')}, (SELECT coalesce(max(${n}), 0) FROM ${table}) + ` +
    `row_number() OVER (ORDER BY ${cols('f')}) FROM (${from}) f ANTI JOIN ${table} t ON ${keys.map((k) => `t.${k} = f.${k}`).join(' AND ')}`
  );
}

/** The pixels of `from` (rows with organization_id and pixel_id) numbered in stats_pixels. */
const numberPixelsSql = (from: string): string =>
  numberNewSql('stats_pixels', ['organization_id', 'pixel_id'], PK, `SELECT DISTINCT organization_id, pixel_id FROM (${from})`);

/**
 * Writes whole visits (VISIT_COLUMNS rows of the temporary table `visits`, one per visit) into the
 * rollups: new visitor ids and pixels get the next numbers, the visits are inserted with theirs, and
 * the value rows (`values`: key, prop, e_value, m_events, m_pageviews, several rows per value
 * allowed) are summed and inserted with their visit's copies.
 */
function writeSql(visits: string, values: string): string[] {
  return [
    numberNewSql('stats_visitors', ['visitor_id'], 'n', `SELECT DISTINCT v_visitor AS visitor_id FROM ${visits} WHERE v_visitor <> ''`),
    numberPixelsSql(`SELECT organization_id, pixel_id FROM ${visits}`),
    `CREATE OR REPLACE TEMP TABLE stats_write AS SELECT ${visitColumns('x')}, s.n AS ${VN}, p.${PK} FROM ${visits} x ` +
      'LEFT JOIN stats_visitors s ON s.visitor_id = x.v_visitor ' +
      'JOIN stats_pixels p ON p.organization_id = x.organization_id AND p.pixel_id = x.pixel_id',
    `INSERT INTO stats_visits (${[...STORED_VISIT_COLUMNS, PK].join(', ')}) SELECT ${[...STORED_VISIT_COLUMNS, PK].join(', ')} FROM stats_write`,
    `INSERT INTO stats_visit_values (${[...VALUE_COLUMNS, PK].join(', ')}) SELECT ${KEY.map((c) => `x.${c}`).join(', ')}, x.prop, x.e_value, ` +
      `CAST(sum(x.m_events) AS BIGINT), CAST(sum(x.m_pageviews) AS BIGINT), ${[...COPIED, PK].map((c) => `any_value(w.${c})`).join(', ')} ` +
      `FROM (${values}) x JOIN stats_write w ON ${sameKey('x', 'w')} GROUP BY ${KEY.map((c) => `x.${c}`).join(', ')}, x.prop, x.e_value`,
    'DROP TABLE stats_write',
  ];
}

/**
 * Statements that fill both tables from the events `where` selects, for visits whose every counted
 * event it selects (whole visits: a rebuild of all, or of whole days).
 */
function fillSql(where: (d: StatsDialect) => string): Statement[] {
  return [
    (d) => `CREATE OR REPLACE TEMP TABLE stats_fill AS ${partialVisitsSql(d, 'events', where(d))}`,
    (d) => `CREATE OR REPLACE TEMP TABLE stats_fill_values AS ${partialValuesSql(d, where(d))}`,
    ...writeSql('stats_fill', 'SELECT * FROM stats_fill_values').map(
      (sql): Statement =>
        () =>
          sql,
    ),
    () => 'DROP TABLE stats_fill',
    () => 'DROP TABLE stats_fill_values',
  ];
}

/** One statement, written with its own parameters. */
type Statement = (d: StatsDialect) => string;

/** The maintenance work needs: a connection of its own, and a reader's snapshot for stats reads. */
export interface StatsHost {
  /** Opens the connection folds and retention deletes use (never the writer). */
  connect(): Promise<DuckDBConnection>;
  /** Runs `work` on a read connection, interrupted when `signal` aborts. */
  withReader<T>(work: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Told when background work (a fold, a sort, a day-rollup build) fails; it is tried again later. */
  failed?: BackgroundFailure;
}

/** Counted events past the watermark that a read's scope covers. */
interface Tail {
  watermark: number;
  fromDay: number;
  toDay: number;
}

const num = (v: DuckDBValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export class DuckDbStats {
  private conn: DuckDBConnection | null = null;
  /** Folds and retention deletes, one at a time (they write the same rows). */
  private lock: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Appends committed since the fold that is running started (it may not have seen them). */
  private dirty = false;
  private folding = false;
  private closed = false;
  /** The last sequence number handed to an append. */
  private seq = 0;
  /** A fold is running on the maintenance connection (close() interrupts it). */
  private inFold = false;
  /** The week (vday // 7) of the newest rollup rows when they were last sorted (null: not since their rebuild). */
  private sortedWeek: number | null = null;

  constructor(
    private readonly host: StatsHost,
    private readonly foldDelayMs: number = DEFAULT_FOLD_DELAY_MS,
    private readonly sortMinRows: number = SORT_MIN_ROWS,
  ) {}

  /**
   * After the events table has its ingest sequence column: creates the tables, rebuilds them when
   * their version changed, and returns where the sequence continues. Events of the earlier design
   * (no sequence number) are counted by the rebuild; a fold takes whatever is past the watermark.
   */
  async init(): Promise<void> {
    const conn = await this.host.connect();
    this.conn = conn;
    await conn.run('CREATE TABLE IF NOT EXISTS stats_meta (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
    const version = (await conn.runAndReadAll(`SELECT value FROM stats_meta WHERE name = 'version'`)).getRows()[0]?.[0];
    // Another definition: the tables go, so their columns follow the code, and are rebuilt below.
    if (version !== STATS_VERSION)
      for (const t of ['stats_visits', 'stats_visit_values', 'stats_visitors', 'stats_pixels']) await conn.run(`DROP TABLE IF EXISTS ${t}`);
    for (const ddl of STATS_DDL) await conn.run(ddl);
    // The day rollups follow the visit rollups: dropped with them, or when their own definition
    // changes; each pixel's are built again in the background when a read asks for them.
    const days = (await conn.runAndReadAll(`SELECT value FROM stats_meta WHERE name = 'days_version'`)).getRows()[0]?.[0];
    if (version !== STATS_VERSION || days !== DAYS_VERSION) for (const t of DAYS_TABLES) await conn.run(`DROP TABLE IF EXISTS ${t}`);
    for (const ddl of DAYS_DDL) await conn.run(ddl);
    await conn.run(`INSERT OR REPLACE INTO stats_meta VALUES ('days_version', ${literal(DAYS_VERSION)})`);
    const [row] = (await conn.runAndReadAll(`SELECT max(${INGEST_SEQ}) FROM events`)).getRows();
    this.seq = num(row?.[0]);
    const [sorted] = (await conn.runAndReadAll(`SELECT value FROM stats_meta WHERE name = 'sorted_week'`)).getRows();
    this.sortedWeek = sorted && version === STATS_VERSION ? Number(sorted[0]) : null;
    if (version !== STATS_VERSION) await this.exclusive((c) => this.rebuildAll(c));
    this.schedule(0);
  }

  /** The sequence number of the next append, taken in the order appends commit. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** An append committed: a fold will take it within the fold delay. */
  appended(): void {
    if (this.folding) this.dirty = true;
    this.schedule(this.foldDelayMs);
  }

  /** Resolves once the maintenance work queued so far (builds of day rollups) is done. */
  async settle(): Promise<void> {
    await this.exclusive(async () => undefined);
  }

  /** Folds everything committed so far (tests and benches; the store does it by itself). */
  async foldNow(): Promise<void> {
    await this.exclusive((c) => this.fold(c));
  }

  /**
   * Stops folding: a fold under way is interrupted (it rolls back; its events stay past the
   * watermark, for the next start), other maintenance work is waited for.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFold) this.conn?.interrupt();
    await this.lock.catch(() => undefined);
    this.conn?.closeSync();
    this.conn = null;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dirty = false;
      this.folding = true;
      this.exclusive((c) => this.fold(c))
        .catch((err: unknown) => {
          // The events are safe and counted by every read; the next fold tries again.
          this.dirty = true;
          if (!this.closed) this.host.failed?.('stats fold', err);
        })
        .finally(() => {
          this.folding = false;
          if (this.dirty) this.schedule(this.foldDelayMs);
        });
    }, delayMs);
    // Folding is never a reason to keep a process alive: what is left is folded at the next start.
    this.timer.unref?.();
  }

  /** Runs `work` on the maintenance connection, after the maintenance work queued before it. */
  exclusive<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const conn = this.conn;
      if (!conn) throw new Error('analytics store is closed');
      return work(conn);
    };
    const result = this.lock.then(run, run);
    this.lock = result.catch(() => undefined);
    return result;
  }

  private async inTransaction<T>(conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
    await conn.run('BEGIN TRANSACTION');
    try {
      const out = await work();
      await conn.run('COMMIT');
      return out;
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Statements in order, each written with parameters of its own. */
  private async run(conn: DuckDBConnection, statements: readonly Statement[]): Promise<void> {
    for (const statement of statements) {
      const p = new Params();
      await conn.run(statement(duckStatsDialect((v, t) => p.add(v, t))), p.values, p.types);
    }
  }

  private async watermark(conn: DuckDBConnection): Promise<number> {
    const [row] = (await conn.runAndReadAll(`SELECT value FROM stats_meta WHERE name = 'watermark'`)).getRows();
    return row ? Number(row[0]) : 0;
  }

  private setWatermark(conn: DuckDBConnection, w: number): Promise<unknown> {
    return conn.run(`INSERT OR REPLACE INTO stats_meta VALUES ('watermark', '${w}')`);
  }

  private async rebuildAll(conn: DuckDBConnection): Promise<void> {
    await this.inTransaction(conn, async () => {
      const [row] = (await conn.runAndReadAll(`SELECT max(${INGEST_SEQ}) FROM events`)).getRows();
      const upTo = num(row?.[0]);
      await conn.run('DELETE FROM stats_visits');
      await conn.run('DELETE FROM stats_visit_values');
      await conn.run('DELETE FROM stats_visitors');
      await conn.run('DELETE FROM stats_pixels');
      await conn.run(`DELETE FROM stats_meta WHERE name = 'sorted_week'`);
      await this.run(
        conn,
        fillSql((d) => `${COUNTED} AND (${INGEST_SEQ} IS NULL OR ${INGEST_SEQ} <= ${d.int(upTo)})`),
      );
      await this.setWatermark(conn, upTo);
      await conn.run(`INSERT OR REPLACE INTO stats_meta VALUES ('version', ${literal(STATS_VERSION)})`);
    });
  }

  /**
   * One fold: the counted events past the watermark, grouped into parts of visits, merged with the
   * rolled-up rows of the same visits (taken out and written back combined), the value rows alike,
   * and the watermark moved to the last sequence number seen, in one transaction.
   */
  private async fold(conn: DuckDBConnection): Promise<void> {
    if (this.closed) return;
    this.inFold = true;
    try {
      const newest = await this.foldAll(conn);
      if (newest !== null || this.sortedWeek === null) await this.sortRollups(conn, newest);
    } finally {
      this.inFold = false;
    }
  }

  /**
   * Rewrites the rollups in the order a clicked row reads them, once the data reaches a new week
   * (vday // 7): each finished week's rows by pixel and then value (value rows by property and
   * value, visits by source), the latest week's by day, as folds append them. A filter on a page
   * (or event type, or source) then reads the row groups that hold its value, their zone maps
   * skipping the rest, instead of every row of the period; within the latest week, folds and reads
   * of recent days still skip by day. The first time, the whole tables (61-95 s at 10M events a
   * month under load 5-7, on the maintenance connection: reads go on from their snapshots, folds
   * wait and reads group the waiting events meanwhile); after that only the weeks finished since
   * the last sort, deleted and appended again in order, so the weekly cost is a week's rows, not the
   * store's (rows a late fold rewrites in an older week stay where the fold appended them). Not below
   * `sortMinRows`. `newest`: the latest day just folded (null: nothing was).
   */
  private async sortRollups(conn: DuckDBConnection, newest: number | null): Promise<void> {
    if (newest !== null && this.sortedWeek !== null && Math.floor(newest / 7) <= this.sortedWeek) return;
    const [row] = (await conn.runAndReadAll('SELECT max(vday), count(*) FROM stats_visit_values')).getRows();
    if (row?.[0] === null || row?.[0] === undefined || num(row[1]) < this.sortMinRows) return;
    const week = Math.floor(Math.max(num(row[0]), newest ?? 0) / 7);
    if (this.sortedWeek !== null && week <= this.sortedWeek) return;
    const key = `CASE WHEN vday >= ${week * 7} THEN vday ELSE (vday // 7) * 7 END`;
    // The weeks finished since the last sort (none sorted yet: everything).
    const from = this.sortedWeek === null ? null : this.sortedWeek * 7;
    const finished = `vday < ${week * 7}${from === null ? '' : ` AND vday >= ${from}`}`;
    // Tried once per week: the order only makes reads faster, and a failed rewrite (rolled back
    // whole) must not rerun with every fold.
    this.sortedWeek = week;
    const orders: [string, string][] = [
      ['stats_visit_values', 'prop, e_value'],
      // The visits by source, the visit-level row clicked most (a page is an event's).
      ['stats_visits', 'v_source'],
    ];
    await this.inTransaction(conn, async () => {
      for (const [table, by] of orders) {
        const order = `ORDER BY ${key}, ${PK}, ${by}, vday`;
        if (from === null) {
          await conn.run(`CREATE OR REPLACE TABLE ${table}_sorted AS SELECT * FROM ${table} ${order}`);
          await conn.run(`DROP TABLE ${table}`);
          await conn.run(`ALTER TABLE ${table}_sorted RENAME TO ${table}`);
        } else {
          await conn.run(`CREATE OR REPLACE TEMP TABLE sort_rows AS SELECT * FROM ${table} WHERE ${finished}`);
          await conn.run(`DELETE FROM ${table} WHERE ${finished}`);
          await conn.run(`INSERT INTO ${table} SELECT * FROM sort_rows ${order}`);
          await conn.run('DROP TABLE sort_rows');
        }
      }
      await conn.run(`INSERT OR REPLACE INTO stats_meta VALUES ('sorted_week', '${week}')`);
    }).catch((err: unknown) => {
      if (!this.closed) this.host.failed?.('stats sort', err);
    });
  }

  /** Folds what is past the watermark; returns the latest UTC day it folded, null when nothing. */
  private async foldAll(conn: DuckDBConnection): Promise<number | null> {
    let newest: number | null = null;
    await this.inTransaction(conn, async () => {
      const from = await this.watermark(conn);
      const [top] = (await conn.runAndReadAll(`SELECT max(${INGEST_SEQ}) FROM events WHERE ${INGEST_SEQ} > ${from}`)).getRows();
      if (top?.[0] === null || top?.[0] === undefined) return;
      const to = num(top[0]);
      const where = `${INGEST_SEQ} > ${from} AND ${INGEST_SEQ} <= ${to} AND ${COUNTED}`;
      await this.run(conn, [
        (d) => `CREATE OR REPLACE TEMP TABLE fold_new AS ${partialVisitsSql(d, 'events', where)}`,
        (d) => `CREATE OR REPLACE TEMP TABLE fold_new_values AS ${partialValuesSql(d, where)}`,
      ]);
      const [range] = (await conn.runAndReadAll('SELECT min(vday), max(vday) FROM fold_new')).getRows();
      if (range?.[0] !== null && range?.[0] !== undefined) {
        const days = (t: string) => `${t}.vday BETWEEN ${num(range[0])} AND ${num(range[1])}`;
        const statements = [
          `CREATE OR REPLACE TEMP TABLE fold_old AS SELECT ${visitColumns('v')} FROM stats_visits v SEMI JOIN fold_new n ON ${sameKey('v', 'n')} WHERE ${days('v')}`,
          `DELETE FROM stats_visits v USING fold_new n WHERE ${days('v')} AND ${sameKey('v', 'n')}`,
          `CREATE OR REPLACE TEMP TABLE fold_merged AS ${combineVisitsSql(`SELECT * FROM fold_old UNION ALL SELECT ${VISIT_COLUMNS.join(', ')} FROM fold_new`)}`,
          `CREATE OR REPLACE TEMP TABLE fold_old_values AS SELECT ${valueColumns('t')} FROM stats_visit_values t SEMI JOIN fold_new n ON ${sameKey('t', 'n')} WHERE ${days('t')}`,
          `DELETE FROM stats_visit_values t USING fold_new n WHERE ${days('t')} AND ${sameKey('t', 'n')}`,
          ...writeSql('fold_merged', `SELECT * FROM fold_old_values UNION ALL SELECT ${valueColumns('n')} FROM fold_new_values n`),
        ];
        for (const sql of statements) await conn.run(sql);
        await this.refreshFolded(conn, num(range[0]), num(range[1]));
        newest = num(range[1]);
      }
      await this.setWatermark(conn, to);
    });
    for (const t of ['fold_new', 'fold_new_values', 'fold_old', 'fold_merged', 'fold_old_values', 'days_target', 'days_touched']) {
      await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    }
    return newest;
  }

  /**
   * A retention delete, with the rollups kept exact in the same transaction: when it removed events
   * the rollups count, the visits of those pixels up to the cut day go and the cut day is refilled
   * from the events left (those up to the watermark; later ones are still raw, read as such).
   */
  deleteBefore(organizationId: string, pixelIds: readonly string[], beforeMs: number, deleteSql: string, p: Params): Promise<number> {
    return this.exclusive((conn) =>
      this.inTransaction(conn, async () => {
        const deleted = (await conn.run(deleteSql, p.values, p.types)).rowsChanged;
        if (deleted === 0) return 0;
        const day = Math.floor(beforeMs / DAY_MS);
        const w = await this.watermark(conn);
        const scope = (d: StatsDialect) => `organization_id = ${d.text(organizationId)} AND pixel_id IN ${d.textList(pixelIds)}`;
        const held = new Params();
        const hd = duckStatsDialect((v, t) => held.add(v, t));
        const counted = await conn.runAndReadAll(
          `SELECT 1 FROM stats_visits WHERE ${scope(hd)} AND vday <= ${day} LIMIT 1`,
          held.values,
          held.types,
        );
        // Nothing the rollups count was cut (bots, events without a session): they still match.
        if (counted.getRows().length === 0) return deleted;
        await this.run(conn, [
          (d) => `DELETE FROM stats_visits WHERE ${scope(d)} AND vday <= ${day}`,
          (d) => `DELETE FROM stats_visit_values WHERE ${scope(d)} AND vday <= ${day}`,
          ...fillSql(
            (d) =>
              `${scope(d)} AND ts_millis >= ${d.int(day * DAY_MS)} AND ts_millis < ${d.int((day + 1) * DAY_MS)} AND ${COUNTED} ` +
              `AND (${INGEST_SEQ} IS NULL OR ${INGEST_SEQ} <= ${d.int(w)})`,
          ),
        ]);
        await this.refreshCut(conn, organizationId, pixelIds, day);
        return deleted;
      }),
    );
  }

  // Day rollups (duckdb-stats-days.ts).

  /** Pixel sets whose day rollups a read asked for in a zone they are not kept in, queued once each. */
  private readonly builds = new Set<string>();

  /** Queues a rebuild of the pixels' day rollups in `zone` on the maintenance connection. */
  private requestBuild(organizationId: string, pixelIds: readonly string[], zone: string): void {
    const key = JSON.stringify([organizationId, zone, [...pixelIds].sort()]);
    if (this.builds.has(key) || this.closed) return;
    this.builds.add(key);
    this.exclusive((conn) => this.inTransaction(conn, () => this.buildDays(conn, organizationId, pixelIds, zone)))
      // A build that failed is asked for again by the next read; reads answer from the visits meanwhile.
      .catch((err: unknown) => {
        if (!this.closed) this.host.failed?.('stats day rollups build', err);
      })
      .finally(() => this.builds.delete(key));
  }

  /** Runs maintenance statements that bind nothing (their numbers are checked literals). */
  private async runLiteral(conn: DuckDBConnection, write: (d: StatsDialect) => string[]): Promise<void> {
    const d = duckStatsDialect(() => {
      throw new Error('maintenance statements bind no parameters');
    });
    for (const sql of write(d)) await conn.run(sql);
  }

  /**
   * Sets `days_target` (organization_id, pixel_id, pk) to the pixels given: those kept in `zone`, or
   * (without it, a build) all of them, with their numbers (stats_pixels; numbered now when new).
   */
  private async target(conn: DuckDBConnection, organizationId: string, pixelIds: readonly string[], zone?: string): Promise<void> {
    if (zone === undefined) {
      const n = new Params();
      const nd = duckStatsDialect((v, t) => n.add(v, t));
      const pixels = `SELECT ${nd.text(organizationId)} AS organization_id, unnest([${pixelIds.map((x) => nd.text(x)).join(', ')}]) AS pixel_id`;
      await conn.run(numberPixelsSql(pixels), n.values, n.types);
    }
    const p = new Params();
    const d = duckStatsDialect((v, t) => p.add(v, t));
    const scope = `organization_id = ${d.text(organizationId)} AND pixel_id IN ${d.textList(pixelIds)}`;
    const sql =
      zone === undefined
        ? `CREATE OR REPLACE TEMP TABLE days_target AS SELECT organization_id, pixel_id, ${PK} FROM stats_pixels WHERE ${scope}`
        : `CREATE OR REPLACE TEMP TABLE days_target AS SELECT DISTINCT organization_id, pixel_id, pk FROM stats_zones WHERE ${scope} AND zone = ${d.text(zone)}`;
    await conn.run(sql, p.values, p.types);
  }

  /** The refresh of local days [first, last] in `zone`, reading the UTC days their visits start on. */
  private refresh(zone: string, first: number, last: number): DayRefresh {
    const fromMs = startOfLocalDay(first, zone);
    const toMs = startOfLocalDay(last + 1, zone);
    const firstVday = Math.floor(fromMs / DAY_MS);
    const lastVday = Math.floor((toMs - 1) / DAY_MS);
    return { offsets: offsetPieces(firstVday * DAY_MS, (lastVday + 1) * DAY_MS, zone), first, last, firstVday, lastVday };
  }

  /** Builds the pixels' day rollups in `zone` from their visits (in the caller's transaction). */
  private async buildDays(conn: DuckDBConnection, organizationId: string, pixelIds: readonly string[], zone: string): Promise<void> {
    await this.target(conn, organizationId, pixelIds);
    for (const t of ['stats_days', 'stats_day_visitors', 'stats_zones'])
      await conn.run(`DELETE FROM ${t} m USING days_target t WHERE t.pk = m.pk`);
    const [span] = (
      await conn.runAndReadAll(
        'SELECT min(vday), max(vday) FROM stats_visits s WHERE EXISTS (SELECT 1 FROM days_target t ' +
          'WHERE t.organization_id = s.organization_id AND t.pixel_id = s.pixel_id)',
      )
    ).getRows();
    if (span?.[0] !== null && span?.[0] !== undefined) {
      const first = localDay(num(span[0]) * DAY_MS, zone);
      const last = localDay((num(span[1]) + 1) * DAY_MS - 1, zone);
      const r = this.refresh(zone, first, last);
      await this.runLiteral(conn, (d) => refreshSql(d, r, VN));
    }
    const p = new Params();
    await conn.run(
      `INSERT INTO stats_zones SELECT organization_id, pixel_id, ${p.add(zone, VARCHAR)}, pk FROM days_target`,
      p.values,
      p.types,
    );
    await conn.run('DROP TABLE days_target');
  }

  /** After a fold wrote the visits of UTC days [firstVday, lastVday]: their local days, per zone kept. */
  private async refreshFolded(conn: DuckDBConnection, firstVday: number, lastVday: number): Promise<void> {
    const zones = (
      await conn.runAndReadAll(
        'SELECT DISTINCT zone FROM stats_zones z WHERE EXISTS (SELECT 1 FROM fold_new n ' +
          'WHERE n.organization_id = z.organization_id AND n.pixel_id = z.pixel_id)',
      )
    )
      .getRows()
      .map((r) => String(r[0]));
    for (const zone of zones) {
      const p = new Params();
      await conn.run(
        'CREATE OR REPLACE TEMP TABLE days_target AS SELECT DISTINCT organization_id, pixel_id, pk FROM stats_zones z ' +
          `WHERE zone = ${p.add(zone, VARCHAR)} AND EXISTS (SELECT 1 FROM fold_new n WHERE n.organization_id = z.organization_id AND n.pixel_id = z.pixel_id)`,
        p.values,
        p.types,
      );
      // The visitors of the visits the fold changed, before and after (a visit's first event may have changed).
      const days = `v.vday BETWEEN ${firstVday} AND ${lastVday}`;
      await conn.run(
        'CREATE OR REPLACE TEMP TABLE days_touched AS SELECT DISTINCT t.pk, x.vn FROM (' +
          `SELECT v.organization_id, v.pixel_id, v.${VN} AS vn FROM stats_visits v SEMI JOIN fold_new n ON ${sameKey('v', 'n')} WHERE ${days} ` +
          'UNION ALL SELECT o.organization_id, o.pixel_id, s.n FROM fold_old o JOIN stats_visitors s ON s.visitor_id = o.v_visitor) x ' +
          'JOIN days_target t ON t.organization_id = x.organization_id AND t.pixel_id = x.pixel_id WHERE x.vn IS NOT NULL',
      );
      const r: DayRefresh = {
        ...this.refresh(zone, localDay(firstVday * DAY_MS, zone), localDay((lastVday + 1) * DAY_MS - 1, zone)),
        changed: {
          before: {
            visits: `(SELECT *, CAST(NULL AS BIGINT) AS ${VN} FROM fold_old) s`,
            values:
              `(SELECT x.*, ${FOLD_OLD_VISIT_COLUMNS}, CAST(NULL AS BIGINT) AS ${VN} FROM fold_old_values x ` +
              `JOIN fold_old o ON ${sameKey('x', 'o')}) s`,
          },
          after: {
            visits: `stats_visits s SEMI JOIN fold_new n ON ${sameKey('s', 'n')}`,
            values: `stats_visit_values s SEMI JOIN fold_new n ON ${sameKey('s', 'n')}`,
          },
        },
      };
      await this.runLiteral(conn, (d) => refreshSql(d, r, VN));
    }
  }

  /** After a retention delete rewrote the visits of UTC days up to `day`: the local days up to its end. */
  private async refreshCut(conn: DuckDBConnection, organizationId: string, pixelIds: readonly string[], day: number): Promise<void> {
    const p = new Params();
    const zones = (
      await conn.runAndReadAll(
        `SELECT DISTINCT zone FROM stats_zones WHERE organization_id = ${p.add(organizationId, VARCHAR)} AND pixel_id IN (${pixelIds.map((x) => p.add(x, VARCHAR)).join(', ')})`,
        p.values,
        p.types,
      )
    )
      .getRows()
      .map((r) => String(r[0]));
    for (const zone of zones) {
      await this.target(conn, organizationId, pixelIds, zone);
      const [min] = (await conn.runAndReadAll('SELECT min(lday) FROM stats_days s SEMI JOIN days_target t ON t.pk = s.pk')).getRows();
      const last = localDay((day + 1) * DAY_MS - 1, zone);
      const first = Math.min(min?.[0] === null || min?.[0] === undefined ? last : num(min[0]), localDay(day * DAY_MS, zone));
      const r = this.refresh(zone, first, last);
      await this.runLiteral(conn, (d) => refreshSql(d, r, VN));
      await conn.run('DROP TABLE days_target');
    }
  }

  // Reads.

  async totals(q: StatsScope, opts: QueryOptions = {}): Promise<StatsTotals> {
    if (scopeIsEmpty(q)) return { ...EMPTY_TOTALS };
    const rows = await this.read(q, opts, { kind: 'none' });
    return totalsOf(rows[0] ?? []);
  }

  async timeseries(q: StatsScope, buckets: BucketSpec, opts: QueryOptions = {}): Promise<BucketTotals[]> {
    if (scopeIsEmpty(q)) return [];
    const rows = await this.read(q, opts, { kind: 'bucket', spec: buckets });
    return rows.map((r) => ({ bucket: Number(r[0]), totals: totalsOf(r, 1) }));
  }

  async breakdown(q: StatsScope, b: BreakdownQuery, opts: QueryOptions = {}): Promise<{ rows: BreakdownRow[]; more: boolean }> {
    if (scopeIsEmpty(q)) return { rows: [], more: false };
    const rows = await this.read(q, opts, { kind: 'property', property: b.property }, { limit: b.limit, offset: b.offset });
    return breakdownOf(rows, b.limit);
  }

  realtime(
    organizationId: string,
    pixelIds: readonly string[],
    sinceMs: number,
    untilMs: number,
    opts: QueryOptions = {},
  ): Promise<number> {
    if (pixelIds.length === 0 || untilMs < sinceMs) return Promise.resolve(0);
    return this.host.withReader(async (conn) => {
      const p = new Params();
      const sql = realtimeSql(
        duckStatsDialect((v, t) => p.add(v, t)),
        organizationId,
        pixelIds,
        sinceMs,
        untilMs,
      );
      return num((await conn.runAndReadAll(sql, p.values, p.types)).getRows()[0]?.[0]);
    }, opts.signal);
  }

  /**
   * One snapshot: the watermark, whether counted events past it fall in the scope's days, then the
   * statement: over the day rollups when they answer the question (and the visits of the days the
   * events past the watermark fall in), else over the visit rollups (and those events).
   */
  private read(q: StatsScope, opts: QueryOptions, grouping: Grouping, page?: { limit: number; offset: number }): Promise<DuckDBValue[][]> {
    return this.host.withReader(async (conn) => {
      await conn.run('BEGIN TRANSACTION');
      try {
        const w = await this.watermark(conn);
        const { fromMs, toMs } = eventWindow(q);
        const probe = new Params();
        const pd = duckStatsDialect((v, t) => probe.add(v, t));
        const [found] = (
          await conn.runAndReadAll(
            `SELECT min(ts_millis), max(ts_millis) FROM events WHERE ${INGEST_SEQ} > ${w} AND ${eventScope(pd, q.organizationId, q.pixelIds, fromMs, toMs)}`,
            probe.values,
            probe.types,
          )
        ).getRows();
        const tail: Tail | null =
          found?.[0] === null || found?.[0] === undefined
            ? null
            : { watermark: w, fromDay: Math.floor(num(found[0]) / DAY_MS), toDay: Math.floor(num(found[1]) / DAY_MS) };
        const p = new Params();
        const d = duckStatsDialect((v, t) => p.add(v, t));
        const days = await this.daysPlan(conn, q, grouping, tail);
        let sql: string;
        if (days) {
          const { shape, pks, rolled, read } = days;
          const sources = read ? new ScopeSources(d, read, pks, tail) : null;
          const visits = sources && read ? this.dayVisitsSql(d, read, shape, grouping, sources) : null;
          const body = dayReadSql(d, q, { shape, pks, grouping, days: rolled, visits, ...(page ? { page } : {}) });
          sql = `${sources?.with() ?? ''}${body}`;
        } else {
          const sources = new ScopeSources(d, q, await this.pixelNumbers(conn, q), tail);
          const body = totalsSql(d, q, {
            visits: () => sources.visits(),
            values: (prop) => sources.values(prop),
            valuesCarryVisits: true,
            grouping,
            ...(page ? { page } : {}),
            visitor: VN,
          });
          sql = `${sources.with()}${body}`;
        }
        const rows = (await conn.runAndReadAll(sql, p.values, p.types)).getRows();
        await conn.run('COMMIT');
        return rows;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }, opts.signal);
  }

  /** The numbers of the scope's pixels that have rollup rows (stats_pixels). */
  private async pixelNumbers(conn: DuckDBConnection, q: StatsScope): Promise<number[]> {
    const p = new Params();
    const d = duckStatsDialect((v, t) => p.add(v, t));
    const sql = `SELECT ${PK} FROM stats_pixels WHERE organization_id = ${d.text(q.organizationId)} AND pixel_id IN ${d.textList(q.pixelIds)}`;
    return (await conn.runAndReadAll(sql, p.values, p.types)).getRows().map((r) => num(r[0]));
  }

  /**
   * Whether the day rollups answer: the question's shape fits, the range is whole local days of the
   * scope's zone, and every pixel's rollups are kept in that zone (else a build is queued). Returns
   * the days they answer for and the scope of the days read from the visits (those the events past
   * the watermark fall in), or null.
   */
  private async daysPlan(
    conn: DuckDBConnection,
    q: StatsScope,
    grouping: Grouping,
    tail: Tail | null,
  ): Promise<{ shape: DayShape; pks: number[]; rolled: DayInterval[]; read: StatsScope | null } | null> {
    const zone = q.zone;
    const shape = dayShape(q, grouping);
    if (!zone || !shape) return null;
    const first = localDay(q.startMs, zone);
    const last = localDay(q.endMs - 1, zone);
    if (startOfLocalDay(first, zone) !== q.startMs || startOfLocalDay(last + 1, zone) !== q.endMs) return null;
    const pixels = [...new Set(q.pixelIds)];
    const p = new Params();
    const pks = (
      await conn.runAndReadAll(
        `SELECT DISTINCT pk FROM stats_zones WHERE organization_id = ${p.add(q.organizationId, VARCHAR)} ` +
          `AND pixel_id IN (${pixels.map((x) => p.add(x, VARCHAR)).join(', ')}) AND zone = ${p.add(zone, VARCHAR)}`,
        p.values,
        p.types,
      )
    )
      .getRows()
      .map((r) => num(r[0]));
    if (pks.length !== pixels.length) {
      this.requestBuild(q.organizationId, pixels, zone);
      return null;
    }
    if (!tail) return { shape, pks, rolled: [[first, last]], read: null };
    // The local days the events past the watermark can start visits on are read from the visits.
    const a = Math.max(first, localDay(tail.fromDay * DAY_MS, zone));
    const b = Math.min(last, localDay((tail.toDay + 1) * DAY_MS - 1, zone));
    if (a > b) return { shape, pks, rolled: [[first, last]], read: null };
    const rolled: DayInterval[] = [];
    if (first < a) rolled.push([first, a - 1]);
    if (b < last) rolled.push([b + 1, last]);
    return { shape, pks, rolled, read: { ...q, startMs: startOfLocalDay(a, zone), endMs: startOfLocalDay(b + 1, zone) } };
  }

  /** The rows dayReadSql wants of the visits of `read` (days the rollups do not answer for). */
  private dayVisitsSql(d: StatsDialect, read: StatsScope, shape: DayShape, grouping: Grouping, sources: ScopeSources): string {
    return visitRowsOf(shape, this.dayVisitRows(d, read, shape, grouping, sources));
  }

  private dayVisitRows(d: StatsDialect, read: StatsScope, shape: DayShape, grouping: Grouping, sources: ScopeSources): string {
    const sums = `${VN} AS vn, CASE WHEN v_interactions <= 1 THEN 1 ELSE 0 END AS bounce, v_end - v_start AS dur`;
    const only = shape.visitsWhere;
    if (grouping.kind === 'property' && PROPERTY_LEVEL[grouping.property] === 'event') {
      // The value rows, which carry the visit's columns; a clicked row's keep its value (of this property or the visit's).
      let where = '';
      if (only) {
        const column = only.property === grouping.property ? 'e_value' : COLUMN[only.property];
        if (column !== 'e_value' && PROPERTY_LEVEL[only.property] !== 'visit')
          throw new Error(`no value rows filtered by ${only.property}`);
        where = ` WHERE ${column} = ${d.text(only.value ?? '')}`;
      }
      return `SELECT e_value AS g, ${sums}, 0 AS i, m_pageviews AS pv, m_events AS ev FROM (${sources.values(grouping.property as EventProperty)})${where}`;
    }
    const identified = read.identified
      ? `CASE WHEN v_visitor IN (SELECT visitor_id FROM visitor_links WHERE organization_id = ${d.text(read.organizationId)}) THEN 1 ELSE 0 END`
      : '0';
    let g = "''";
    let where = '';
    if (grouping.kind === 'bucket') g = bucketSql(d, 'v_start', grouping.spec);
    else if (grouping.kind === 'property') g = COLUMN[grouping.property];
    if (only && PROPERTY_LEVEL[only.property] === 'event') {
      // Visits with a page (or event type): their value rows, which carry the visit's columns, with that
      // value's page views and events, as its rollup rows count them.
      return (
        `SELECT ${g} AS g, ${sums}, ${identified} AS i, m_pageviews AS pv, m_events AS ev ` +
        `FROM (${sources.values(only.property as EventProperty)}) WHERE e_value = ${d.text(only.value ?? '')}` +
        (shape.visitsAlso ? ` AND ${COLUMN[shape.visitsAlso.property]} = ${d.text(shape.visitsAlso.value ?? '')}` : '')
      );
    }
    if (only) where = ` WHERE ${COLUMN[only.property]} = ${d.text(only.value ?? '')}`;
    return `SELECT ${g} AS g, ${sums}, ${identified} AS i, v_pageviews AS pv, v_events AS ev FROM (${sources.visits()})${where}`;
  }
}

/**
 * The visits (V) and value rows of a read's scope: the rollups, and when counted events lie past the
 * watermark, those events' parts of visits combined with the rolled-up parts of the same visits
 * (CTEs the statement is prefixed with; the rollups' other visits are read as they are).
 */
class ScopeSources {
  private readonly firstDay: number;
  private readonly lastDay: number;
  private needTail = false;
  private needTailValues = false;

  constructor(
    private readonly d: StatsDialect,
    private readonly q: StatsScope,
    /** The scope's pixels' numbers (stats_pixels): a pixel without one has no rollup rows. */
    private readonly pks: readonly number[],
    private readonly tail: Tail | null,
  ) {
    this.firstDay = Math.floor(q.startMs / DAY_MS);
    this.lastDay = Math.floor((q.endMs - 1) / DAY_MS);
  }

  private scope(alias: string): string {
    const { d } = this;
    const pixels = this.pks.length > 0 ? `${alias}.${PK} IN (${this.pks.map((k) => d.int(k)).join(', ')})` : 'false';
    return `${pixels} AND ${alias}.vday >= ${d.int(this.firstDay)} AND ${alias}.vday <= ${d.int(this.lastDay)}`;
  }

  private started(alias: string): string {
    return `${alias}.v_start >= ${this.d.int(this.q.startMs)} AND ${alias}.v_start < ${this.d.int(this.q.endMs)}`;
  }

  /** Rollup rows of the scope, without the visits the tail touches when there is one. */
  private rolled(table: string, alias: string, extra: string, columns: string): string {
    const base = `SELECT ${columns} FROM ${table} ${alias} WHERE ${this.scope(alias)}${extra}`;
    if (!this.tail) return `${base} AND ${this.started(alias)}`;
    const { fromDay, toDay } = this.tail;
    // Only the tail's days can hold visits it touches; the other days are read without the join.
    return (
      `${base} AND (${alias}.vday < ${fromDay} OR ${alias}.vday > ${toDay}) AND ${this.started(alias)} UNION ALL ` +
      `SELECT ${columns} FROM ${table} ${alias} ANTI JOIN stats_tail t ON ${sameKey(alias, 't')} ` +
      `WHERE ${this.scope(alias)}${extra} AND ${alias}.vday BETWEEN ${fromDay} AND ${toDay} AND ${this.started(alias)}`
    );
  }

  visits(): string {
    const rolled = this.rolled('stats_visits', 's', '', `${visitColumns('s')}, s.${VN}`);
    if (!this.tail) return rolled;
    this.needTail = true;
    return `${rolled} UNION ALL SELECT ${STORED_VISIT_COLUMNS.join(', ')} FROM stats_tail_visits v WHERE ${this.started('v')}`;
  }

  values(prop: EventProperty): string {
    const columns = ['pixel_id', 'session_id', 'vday', 'e_value', 'm_events', 'm_pageviews', ...COPIED].map((c) => `s.${c}`).join(', ');
    const rolled = this.rolled('stats_visit_values', 's', ` AND s.prop = ${this.d.constant(prop)}`, columns);
    if (!this.tail) return rolled;
    this.needTail = true;
    this.needTailValues = true;
    const { fromDay, toDay } = this.tail;
    const parts =
      `SELECT ${valueColumns('s')} FROM stats_visit_values s SEMI JOIN stats_tail t ON ${sameKey('s', 't')} ` +
      `WHERE ${this.scope('s')} AND s.prop = ${this.d.constant(prop)} AND s.vday BETWEEN ${fromDay} AND ${toDay} ` +
      `UNION ALL SELECT ${valueColumns('n')} FROM stats_tail_values n WHERE n.prop = ${this.d.constant(prop)}`;
    return (
      `${rolled} UNION ALL SELECT x.pixel_id, x.session_id, x.vday, x.e_value, CAST(sum(x.m_events) AS BIGINT) AS m_events, ` +
      `CAST(sum(x.m_pageviews) AS BIGINT) AS m_pageviews, ${COPIED.map((c) => `any_value(v.${c}) AS ${c}`).join(', ')} ` +
      `FROM (${parts}) x JOIN stats_tail_visits v ON ${sameKey('x', 'v')} WHERE ${this.started('v')} ` +
      'GROUP BY x.organization_id, x.pixel_id, x.session_id, x.vday, x.e_value'
    );
  }

  /** The CTEs the statement needs (after visits() and values() were written). */
  with(): string {
    if (!this.tail || !this.needTail) return '';
    const { d, q, tail } = this;
    const { fromMs, toMs } = eventWindow(q);
    const where = `${INGEST_SEQ} > ${tail.watermark} AND ${eventScope(d, q.organizationId, q.pixelIds, fromMs, toMs)}`;
    const combined = combineVisitsSql(
      `SELECT ${visitColumns('s')} FROM stats_visits s SEMI JOIN stats_tail t ON ${sameKey('s', 't')} ` +
        `WHERE ${this.scope('s')} AND s.vday BETWEEN ${tail.fromDay} AND ${tail.toDay} UNION ALL SELECT ${VISIT_COLUMNS.join(', ')} FROM stats_tail`,
    );
    // Visitors not numbered yet (first seen since the last fold) get negative numbers of their own.
    const vn =
      `CASE WHEN c.v_visitor = '' THEN NULL WHEN n.n IS NOT NULL THEN n.n ` +
      'ELSE -dense_rank() OVER (PARTITION BY n.n IS NULL ORDER BY c.v_visitor) END';
    const ctes = [
      `stats_tail AS MATERIALIZED (${partialVisitsSql(d, 'events', where)})`,
      `stats_tail_visits AS MATERIALIZED (SELECT ${visitColumns('c')}, ${vn} AS ${VN} FROM (${combined}) c ` +
        'LEFT JOIN stats_visitors n ON n.visitor_id = c.v_visitor)',
    ];
    if (this.needTailValues) ctes.push(`stats_tail_values AS MATERIALIZED (${partialValuesSql(d, where)})`);
    return `WITH ${ctes.join(', ')} `;
  }
}
