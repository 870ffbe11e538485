// The embedded analytics store: events in one DuckDB file under DATA_DIR, so `delivr` runs on a
// laptop with no server. DuckDB is columnar and prunes row groups by min/max, which suits an
// append-mostly table scanned by time range; it allows one read-write process per file, which is
// exactly the embedded mode (several processes means ClickHouse).
//
// Writes go through one connection, one transaction per batch (appender inside BEGIN/COMMIT), so a
// batch is all-or-nothing and durable once COMMIT returns: DuckDB writes and fsyncs its WAL on commit.
// Reads use a small pool of other connections and see only committed batches.

import { resolve as resolvePath } from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  UBIGINT,
  UUID,
  VARCHAR,
} from '@duckdb/node-api';
import type { AudienceResultsStore } from '../audiences/results.js';
import type { Profile } from '../identity/fields.js';
import {
  type HemKind,
  mergeLinks,
  mergePatches,
  type NewLink,
  PROFILE_COLUMNS,
  type ProfilePatch,
  profileRow,
  type VisitorLink,
} from '../identity/store-shared.js';
import type { CsvRows, Erased, ImportedRow, PersonSummary, StagedRows } from '../identity/types.js';
import type { IntentStore } from '../intent/types.js';
import { AUDIENCE_DDL, DuckDbAudiences, PACKED_VIEWS, PROFILE_SNAPSHOT, profileSnapshotSql, WIDE_TOPICS } from './audience-duckdb.js';
import { hemKey, hemKeySql } from './duckdb-hem-keys.js';
import { IngestJournal } from './duckdb-journal.js';
import { Params } from './duckdb-params.js';
import { DuckDbStats, INGEST_SEQ } from './duckdb-stats.js';
import { VISITOR_KEY, visitorKeySql } from './duckdb-visitor-key.js';
import { BUCKET_MS, checkFields, checkFilter, isStoredFieldName, likeToRegex, operandOf } from './filter.js';
import { CONVERTED_COLUMNS, convertSql, dedupeSql, linksSql, peopleSql, readCsvSql, repeatedSql } from './identity-import-duckdb.js';
import { DuckDbIntent, INTENT_DDL } from './intent-duckdb.js';
import {
  defaultFields,
  IDENTITY_COLUMNS,
  linkPlanRead,
  needsJoin,
  needsProfiles,
  type PagePeople,
  pagePlan,
  profilesOfPage,
  resolvePage,
} from './resolution.js';
import {
  type BreakdownQuery,
  type BreakdownRow,
  type BucketSpec,
  type BucketTotals,
  DEFAULT_FOLD_DELAY_MS,
  type StatsScope,
  type StatsTotals,
} from './stats.js';
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
  type JournalStats,
  type PageQuery,
  type QueryOptions,
  RESOLVED_FIELDS,
  type StoredFieldName,
  type ValueCount,
} from './types.js';

export interface DuckDbStoreOptions {
  /** DuckDB settings (`threads`, `memory_limit`, ...), passed to the instance as given. */
  config?: Record<string, string>;
  /** Most read connections open at once; more concurrent queries wait their turn. */
  readers?: number;
  /** How long appended events wait before the stats rollups fold them in (duckdb-stats.ts). */
  statsFoldDelayMs?: number;
  /** Fewest value rows the stats rollups are sorted at (duckdb-stats.ts SORT_MIN_ROWS; tests pass 0). */
  statsSortMinRows?: number;
  /** Most topics an intents audience stages one row per person (audience-duckdb.ts WIDE_TOPICS; tests pass 0). */
  audienceWideTopics?: number;
  /** How an intents audience's wide stage packs views and baseline relevance (audience-duckdb.ts PACKED_VIEWS; tests pass others). */
  audiencePackedViews?: number;
  /** Told of background work that failed (types.ts BackgroundFailure); not passed to a store on its own thread. */
  onBackgroundFailure?: BackgroundFailure;
}

const SQL_TYPES: Record<ArrowType, string> = { Utf8: 'VARCHAR', Int64: 'BIGINT', Int32: 'INTEGER', Boolean: 'BOOLEAN' };
const DUCK_TYPES: Record<ArrowType, DuckDBType> = { Utf8: VARCHAR, Int64: BIGINT, Int32: INTEGER, Boolean: BOOLEAN };
const COMPARISON: Record<Exclude<FilterOp, 'like' | 'not_null'>, string> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};
/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;
const ORDER_BY = 'ORDER BY ts_millis, event_id';
/**
 * Appends of at most this many rows commit when the appender closes, in one transaction of their
 * own. DuckDB's appender flushes by itself at 100 chunks (204,800 rows), which would commit a
 * larger batch in parts; those (with a margin) run inside BEGIN/COMMIT instead.
 */
const AUTOCOMMIT_ROWS = 50 * CHUNK_ROWS;
/**
 * Longest the journal's lines wait to be moved into DuckDB when nothing reads: long enough for a move
 * to carry thousands of rows under load, short enough that a crash leaves little to move at start.
 */
const MOVE_INTERVAL_MS = 250;
/**
 * A page's first tries read these prefixes of its time range, shortest first (see firstRows). A
 * page through the join plan tries the hour alone: each of its tries reads every link and profile
 * of the organization, whatever the prefix (a second try doubled `resolved:eq:true` at 10M events).
 */
const NARROW_MS: readonly number[] = [300_000, 3_600_000];
const JOINED_NARROW_MS: readonly number[] = [3_600_000];

/**
 * The most values a hash join hands its probe side's scan as an `IN` filter (DuckDB's
 * `dynamic_or_filter_threshold`, 50 by default). With one, a scan of an indexed column becomes an
 * index scan: pagePeople relies on it to find a page's profiles by their keys in the statement
 * that finds its links. More values than this and that scan reads every profile.
 */
const JOIN_FILTER_VALUES = 1000;

/**
 * At DuckDB's 16MB default a checkpoint (which rewrites the table's open row group) runs every few
 * batches and costs ~30% of insert throughput; a larger WAL costs a little replay time at startup.
 */
const DEFAULT_CONFIG: Record<string, string> = {
  checkpoint_threshold: '128MB',
  dynamic_or_filter_threshold: String(JOIN_FILTER_VALUES),
};

/** Two instances on one file in one process would both pass DuckDB's (per-process) file lock. */
export const openPaths = new Set<string>();

export class DuckDbAnalyticsStore implements AnalyticsStore {
  readonly engine = 'duckdb' as const;
  private readonly path: string;
  private instance: DuckDBInstance | null = null;
  private opening: Promise<void> | null = null;
  private writer: DuckDBConnection | null = null;
  private readers: ReaderPool | null = null;
  /** The table's column order, which the appender must follow (it may predate EVENT_FIELDS changes). */
  private appendColumns: readonly AppendColumn[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  /** Import stages made so far (their tables are numbered), the connection that makes them, and the last one under way. */
  private stages = 0;
  private stager: DuckDBConnection | null = null;
  private stagings: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  /** Intent: classified pages and activity per person, company and topic (intent-duckdb.ts). */
  private readonly intent = new DuckDbIntent({
    read: (sql, values, types) => this.read(sql, { values, types }),
    transaction: (statements) => this.transaction(statements),
  });
  readonly savePages: IntentStore['savePages'] = (...a) => this.intent.savePages(...a);
  readonly pagesNotAt: IntentStore['pagesNotAt'] = (...a) => this.intent.pagesNotAt(...a);
  readonly topicDays: IntentStore['topicDays'] = (...a) => this.intent.topicDays(...a);
  readonly firstDays: IntentStore['firstDays'] = (...a) => this.intent.firstDays(...a);
  readonly organizationActivity: IntentStore['organizationActivity'] = (...a) => this.intent.organizationActivity(...a);
  readonly topicPages: IntentStore['topicPages'] = (...a) => this.intent.topicPages(...a);
  readonly companyPeople: IntentStore['companyPeople'] = (...a) => this.intent.companyPeople(...a);
  /** Audiences: the rows of each run (audience-duckdb.ts). */
  private readonly audiences = new DuckDbAudiences(
    {
      read: (sql, values, types) => this.read(sql, { values, types }),
      transaction: (statements) => this.transaction(statements),
      append: (table, chunks) => this.appendChunks(table, chunks),
      profileFilterSql: (filter, p) => profileFilterSql(filter, p),
    },
    () => this.options.audienceWideTopics ?? WIDE_TOPICS,
    () => this.options.audiencePackedViews ?? PACKED_VIEWS,
  );
  readonly writeAudienceRows: AudienceResultsStore['writeAudienceRows'] = (...a) => this.audiences.writeAudienceRows(...a);
  readonly readAudienceRows: AudienceResultsStore['readAudienceRows'] = (...a) => this.audiences.readAudienceRows(...a);
  readonly deleteAudienceRuns: AudienceResultsStore['deleteAudienceRuns'] = (...a) => this.audiences.deleteAudienceRuns(...a);
  readonly deleteAudienceMembers: AudienceResultsStore['deleteAudienceMembers'] = (...a) => this.audiences.deleteAudienceMembers(...a);
  /** Traffic stats: rollups folded in the background behind a watermark (duckdb-stats.ts). */
  private readonly stats: DuckDbStats;
  readonly stageIntentScores: AudienceResultsStore['stageIntentScores'] = (...a) => this.audiences.stageIntentScores(...a);
  readonly writeIntentAudience: AudienceResultsStore['writeIntentAudience'] = (...a) => this.audiences.writeIntentAudience(...a);
  readonly dropIntentStage: AudienceResultsStore['dropIntentStage'] = (...a) => this.audiences.dropIntentStage(...a);

  constructor(
    path: string,
    private readonly options: DuckDbStoreOptions = {},
  ) {
    this.path = path === ':memory:' ? path : resolvePath(path);
    this.stats = new DuckDbStats(
      {
        connect: () => {
          if (!this.instance) throw new Error('analytics store is not initialised; call init() first');
          return this.instance.connect();
        },
        withReader: (work, signal) => this.withReader(work, signal),
        failed: (task, err) => this.options.onBackgroundFailure?.(task, err),
      },
      options.statsFoldDelayMs ?? DEFAULT_FOLD_DELAY_MS,
      options.statsSortMinRows,
    );
  }

  async init(): Promise<void> {
    if (this.closed) throw new Error('analytics store is closed');
    // Concurrent first calls share one open: a second instance on the file would be refused.
    this.opening ??= this.open().catch((err: unknown) => {
      this.opening = null;
      throw err;
    });
    await this.opening;
    const writer = this.requireWriter();
    await this.serializeWrite(async () => {
      const columns = EVENT_FIELDS.map((f) => `${quoteIdent(f.name)} ${SQL_TYPES[f.data_type]}${f.nullable ? '' : ' NOT NULL'}`);
      await writer.run(`CREATE TABLE IF NOT EXISTS events (${columns.join(', ')})`);
      // Fields added to EVENT_FIELDS after a file was created arrive as nullable columns at the end.
      const existing = await readColumns(writer);
      for (const f of EVENT_FIELDS) {
        if (!existing.some((c) => c.name === f.name)) {
          await writer.run(`ALTER TABLE events ADD COLUMN ${quoteIdent(f.name)} ${SQL_TYPES[f.data_type]}`);
        }
      }
      // The ingest sequence (duckdb-stats.ts): each append's number, in commit order, which the stats
      // fold follows. Rows from before it read NULL and are counted by the rebuild.
      if (!existing.some((c) => c.name === INGEST_SEQ)) await writer.run(`ALTER TABLE events ADD COLUMN ${INGEST_SEQ} BIGINT`);
      // The visitor's key (duckdb-visitor-key.ts), written by the journal's move. Rows from before it
      // keep NULL, and readers take them by the id's text.
      if (!existing.some((c) => c.name === VISITOR_KEY)) await writer.run(`ALTER TABLE events ADD COLUMN ${VISITOR_KEY} UUID`);
      const table = await readColumns(writer);
      // Columns this code does not know get NULLs in a VARCHAR vector: the appender does not cast.
      const foreign = table.find(
        (c) => !isStoredFieldName(c.name) && c.name !== INGEST_SEQ && c.name !== VISITOR_KEY && (c.type !== 'VARCHAR' || !c.nullable),
      );
      if (foreign) {
        throw new Error(
          `events table has a column this version cannot fill: ${foreign.name} ${foreign.type}${foreign.nullable ? '' : ' NOT NULL'}`,
        );
      }
      this.appendColumns = table.map((c) => (isStoredFieldName(c.name) || c.name === INGEST_SEQ || c.name === VISITOR_KEY ? c.name : null));
      // Identity: profiles (one per organization and person) and visitor links (one per visitor).
      await rebuildProfiles(writer);
      for (const ddl of identityDdl()) await writer.run(ddl);
      // Links of files from before the visitor's key get theirs once (there are far fewer links than events).
      if (!(await readColumns(writer, 'visitor_links')).some((c) => c.name === VISITOR_KEY)) {
        await writer.run(`ALTER TABLE visitor_links ADD COLUMN ${VISITOR_KEY} UUID`);
        await writer.run(`UPDATE visitor_links SET ${VISITOR_KEY} = ${visitorKeySql('visitor_id')}`);
      }
      await writer.run(`ATTACH IF NOT EXISTS ':memory:' AS ${IMPORT_DB}`);
      // Intent: classified pages and their topics (intent-duckdb.ts).
      for (const ddl of INTENT_DDL) await writer.run(ddl);
      // Audiences: the rows of each run (audience-duckdb.ts).
      for (const ddl of AUDIENCE_DDL) await writer.run(ddl);
    });
    // Stats rollups on their own connection: created, rebuilt if their definition changed, and
    // whatever was appended since the last fold is folded in the background.
    // Concurrent calls share one stats init, as they share the open (its DDL would conflict).
    this.statsInit ??= this.stats.init().catch((err: unknown) => {
      this.statsInit = null;
      throw err;
    });
    await this.statsInit;
    // A store on a file acknowledges appends from its ingest journal (duckdb-journal.ts); `:memory:` commits them.
    if (!this.journal && this.path !== ':memory:') await this.openJournal();
  }

  /** Opens the ingest journal and moves what a crash left in it into DuckDB before anything reads. */
  private async openJournal(): Promise<void> {
    const writer = this.requireWriter();
    const applied = await this.serializeWrite(async () => {
      await writer.run('CREATE TABLE IF NOT EXISTS ingest_journal (applied BIGINT NOT NULL)');
      const rows = (await writer.runAndReadAll('SELECT max(applied) FROM ingest_journal')).getRows();
      if (rows[0]?.[0] === null || rows[0]?.[0] === undefined) await writer.run('INSERT INTO ingest_journal VALUES (0)');
      return Number(rows[0]?.[0] ?? 0);
    });
    const journal = new IngestJournal(`${this.path}.journal`);
    journal.recover(applied);
    await this.serializeRaw(() => this.moveJournal(journal));
    this.journal = journal;
  }

  /**
   * Moves every sealed segment (sealing the open one first) into DuckDB, a transaction each, with
   * the segment's number recorded in it. Runs in line with the other writes on the writer.
   */
  private async moveJournal(journal: IngestJournal): Promise<void> {
    journal.seal();
    const writer = this.writer;
    if (!writer) throw new Error('analytics store is closed');
    for (let next = journal.next(); next; next = journal.next()) {
      await atomically(writer, [
        { sql: moveSql(this.appendColumns, next.file, this.stats.nextSeq()), values: [], types: [] },
        { sql: `UPDATE ingest_journal SET applied = ${next.segment}`, values: [], types: [] },
      ]);
      journal.moved(next.segment);
      this.stats.appended();
    }
  }

  /**
   * Starts a move in the background unless one runs: at once when a read or write waits for it,
   * otherwise at most every MOVE_INTERVAL_MS, so a move carries many flushes (a DuckDB transaction
   * costs about 0.2 ms of CPU per column whatever its size: 8 ms for the events table).
   */
  private kickJournal(): void {
    const journal = this.journal;
    if (!journal || this.moving || this.closed || !journal.hasPending()) return;
    const wait = journal.waited() ? 0 : this.lastMove + MOVE_INTERVAL_MS - performance.now();
    if (wait > 0) {
      this.moveTimer ??= setTimeout(() => {
        this.moveTimer = null;
        this.kickJournal();
      }, wait);
      this.moveTimer.unref();
      return;
    }
    if (this.moveTimer) clearTimeout(this.moveTimer);
    this.moveTimer = null;
    this.moving = true;
    this.lastMove = performance.now();
    this.serializeRaw(() => this.moveOrRetry(journal)).then(
      () => {
        this.moving = false;
        this.kickJournal();
      },
      () => {
        this.moving = false;
      },
    );
  }

  /** A move; when it fails, the reads waiting for it get its error and another is tried later, with backoff. */
  private async moveOrRetry(journal: IngestJournal): Promise<void> {
    const started = performance.now();
    try {
      await this.moveJournal(journal);
      this.moveRetryMs = 0;
      this.moves.lastMs = performance.now() - started;
      this.moves.failedInRow = 0;
    } catch (err) {
      this.moves.failedInRow += 1;
      journal.failed(err);
      this.moveRetryMs = Math.min(60_000, Math.max(100, this.moveRetryMs * 2));
      setTimeout(() => this.kickJournal(), this.moveRetryMs).unref();
      throw err;
    }
  }

  async journalStats(): Promise<JournalStats | null> {
    const journal = this.journal;
    if (!journal) return null;
    const { bytes, segments } = journal.pending();
    return { pendingBytes: bytes, segments, lastMoveMs: this.moves.lastMs, failedMoves: this.moves.failedInRow };
  }

  /** `work` once everything acknowledged before this call is in DuckDB. */
  private after<T>(work: () => Promise<T>): Promise<T> {
    const behind = this.caughtUp();
    return behind ? behind.then(work) : work();
  }

  /** Resolves once everything acknowledged so far is in DuckDB (every read and write waits for it). */
  private caughtUp(): Promise<void> | null {
    const journal = this.journal;
    if (!journal?.hasPending()) return null;
    const done = journal.drained();
    this.kickJournal();
    return done;
  }

  private statsInit: Promise<void> | null = null;
  /** The ingest journal (null: appends commit straight to DuckDB), and whether a move is under way. */
  private journal: IngestJournal | null = null;
  private moving = false;
  /** Wait before retrying a move that failed; doubles per failure up to a minute. */
  private moveRetryMs = 0;
  /** For /metrics: the last move's duration, failures in a row. */
  private readonly moves = { lastMs: 0, failedInRow: 0 };
  /** When the last move started (performance.now()), and the timer of the next when none is due yet. */
  private lastMove = Number.NEGATIVE_INFINITY;
  private moveTimer: ReturnType<typeof setTimeout> | null = null;

  private async open(): Promise<void> {
    const key = this.path;
    if (key !== ':memory:' && openPaths.has(key)) {
      throw new Error(`analytics store ${key} is already open in this process; share one DuckDbAnalyticsStore`);
    }
    // Claimed before the await, so two stores opening the same path at once cannot both get in.
    if (key !== ':memory:') openPaths.add(key);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(this.path, { ...DEFAULT_CONFIG, ...this.options.config });
    } catch (err) {
      openPaths.delete(key);
      const message = err instanceof Error ? err.message : String(err);
      if (/lock/i.test(message)) {
        throw new Error(
          `analytics store ${key} is in use by another process. DuckDB allows one process per file: ` +
            `stop the other process, give this one its own DATA_DIR, or use ClickHouse for several processes. (${message})`,
        );
      }
      throw err;
    }
    this.instance = instance;
    this.writer = await instance.connect();
    this.readers = new ReaderPool(instance, Math.max(1, this.options.readers ?? 4));
  }

  async appendEvents(rows: readonly EventRow[]): Promise<void> {
    this.requireWriter();
    if (rows.length === 0) return;
    const journal = this.journal;
    if (!journal) return this.appendRows(rows);
    await journal.append(encodeEventLines(rows));
    this.kickJournal();
  }

  /** Rows straight into DuckDB through the appender, committed before this resolves (no journal). */
  private async appendRows(rows: readonly EventRow[]): Promise<void> {
    const writer = this.requireWriter();
    // Converting first means a malformed row rejects the batch before a transaction is opened.
    // The batch's sequence number is taken here, in the order serializeWrite runs the appends: the
    // stats fold relies on numbers committing in order.
    const chunks = toChunks(rows, this.appendColumns, this.stats.nextSeq());
    await this.serializeWrite(async () => {
      // A batch the appender holds whole commits as its own transaction when the appender closes:
      // no BEGIN and COMMIT statements, each a trip through the thread pool (two of the three waits
      // of a group commit). Larger ones would be flushed in parts, so they get an explicit transaction.
      const explicit = rows.length > AUTOCOMMIT_ROWS;
      if (explicit) await writer.run('BEGIN TRANSACTION');
      let appender: DuckDBAppender | null = null;
      try {
        appender = await writer.createAppender('events');
        for (const chunk of chunks) appender.appendDataChunk(chunk);
        const flushing = appender;
        appender = null;
        flushing.closeSync();
        if (explicit) await writer.run('COMMIT');
      } catch (err) {
        if (appender) {
          try {
            appender.clear();
            appender.closeSync();
          } catch {
            // The append already failed; the rollback below is what matters.
          }
        }
        if (explicit) await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    this.stats.appended();
  }

  async queryEvents(q: PageQuery, opts: QueryOptions = {}): Promise<EventRecord[]> {
    const fields = checkFields(q.select ?? defaultFields(q), 'select');
    if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${q.limit}`);
    const offset = q.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null || q.limit === 0) return [];
    const join = needsJoin(q);
    const withProfiles = join && needsProfiles(q);
    const plan = join ? { read: withProfiles ? [...fields] : linkPlanRead(fields), resolve: false } : pagePlan(fields, q.raw);
    const source = join ? resolvedSource(p, q.organizationId, withProfiles) : 'events';

    // Each row as one JSON array: the binding reads one string per row instead of a value per column
    // (a 100-row page of 39 columns: 0.2 ms to parse against 1.3-1.9 ms to read the columns).
    const projection = `json_array(${plan.read.map(quoteIdent).join(', ')})::VARCHAR`;
    let keyset = '';
    if (q.after) {
      const ts = p.add(toBigInt(q.after.ts_millis, 'after.ts_millis'), BIGINT);
      const id = p.add(q.after.event_id, VARCHAR);
      keyset = `(ts_millis > ${ts} OR (ts_millis = ${ts} AND event_id > ${id}))`;
    }
    const page = `LIMIT ${p.add(BigInt(q.limit), BIGINT)} OFFSET ${p.add(BigInt(offset), BIGINT)}`;
    let rows: JsonValue[][];
    if (q.distinct && q.distinct.length > 0) {
      const keys = checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ');
      // The keyset applies after deduplication, or a page boundary would change which row is first.
      const sql =
        `SELECT ${projection} FROM (SELECT *, row_number() OVER (PARTITION BY ${keys} ${ORDER_BY}) AS delivr_rn ` +
        `FROM ${source} WHERE ${where}) WHERE delivr_rn = 1${keyset ? ` AND ${keyset}` : ''} ${ORDER_BY} ${page}`;
      rows = await this.readJson(sql, p, opts.signal);
    } else {
      const select = `SELECT ${projection} FROM ${source} WHERE ${where}${keyset ? ` AND ${keyset}` : ''}`;
      rows = await this.firstRows(select, page, p, q, join ? JOINED_NARROW_MS : NARROW_MS, opts.signal);
    }
    const records = toRecords(rows, plan.read);
    if (join && !withProfiles) return profilesOfPage(this, q.organizationId, records, fields);
    return resolvePage(this, q.organizationId, records, fields, plan);
  }

  /**
   * The first rows of `select` in time order (a page): tried first on prefixes of the range
   * (`spans`: its first five minutes, then its first hour), which zone maps let DuckDB read alone,
   * and on the whole range only when those hold fewer rows than the page (the first rows of a
   * prefix of the range are the range's first rows). At 10M events, a page over a day of the
   * busiest pixel read its 91,000 rows to sort them; the first hour holds about 3,800, every one
   * read in all its columns before the sort kept 100, and the first five minutes about 320.
   */
  private async firstRows(
    select: string,
    page: string,
    p: Params,
    q: Pick<PageQuery, 'startMs' | 'endMs' | 'after' | 'limit'>,
    spans: readonly number[],
    signal: AbortSignal | undefined,
  ): Promise<JsonValue[][]> {
    const from = Math.max(q.startMs, q.after?.ts_millis ?? q.startMs);
    for (const span of spans) {
      if (q.endMs - from <= span) break;
      const narrow = pick(p, p.values.length);
      const cut = narrow.add(toBigInt(from + span, 'startMs'), BIGINT);
      const rows = await this.readJson(`${select} AND ts_millis < ${cut} ${ORDER_BY} ${page}`, narrow, signal);
      if (rows.length >= q.limit) return rows;
    }
    return this.readJson(`${select} ${ORDER_BY} ${page}`, p, signal);
  }

  async countEvents(q: EventQuery, opts: QueryOptions = {}): Promise<number> {
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null) return 0;
    const source = needsJoin(q) ? resolvedSource(p, q.organizationId, needsProfiles(q)) : 'events';
    const sql =
      q.distinct && q.distinct.length > 0
        ? `SELECT count(*) FROM (SELECT DISTINCT ${checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ')} FROM ${source} WHERE ${where})`
        : `SELECT count(*) FROM ${source} WHERE ${where}`;
    const rows = await this.read(sql, p, opts.signal);
    return Number(rows[0]?.[0] ?? 0);
  }

  async countByBucket(q: EventQuery, bucket: 'hour' | 'day', opts: QueryOptions = {}): Promise<BucketCount[]> {
    const size = BUCKET_MS[bucket];
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null) return [];
    const source = needsJoin(q) ? resolvedSource(p, q.organizationId, needsProfiles(q)) : 'events';
    // Floor to the bucket also for times before 1970 (SQL % keeps the dividend's sign).
    const start = `(ts_millis - ((ts_millis % ${size}) + ${size}) % ${size})`;
    const sql =
      q.distinct && q.distinct.length > 0
        ? `SELECT b, count(*) FROM (SELECT DISTINCT ${start} AS b, ${checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ')} ` +
          `FROM ${source} WHERE ${where}) GROUP BY b ORDER BY b`
        : `SELECT ${start} AS b, count(*) FROM ${source} WHERE ${where} GROUP BY b ORDER BY b`;
    const rows = await this.read(sql, p, opts.signal);
    return rows.map((row) => ({ bucket_start_ms: Number(row[0]), count: Number(row[1]) }));
  }

  // Identity: profiles and visitor links (identity/types.ts has the contract).

  async mergeProfiles(organizationId: string, patches: readonly ProfilePatch[], now: number): Promise<void> {
    const writer = this.requireWriter();
    const rows = mergePatches(patches);
    if (rows.length === 0) return;
    const chunks = profileChunks(organizationId, rows, now);
    await this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        // Staged in a temporary table (memory, no WAL), then merged set-wise: an UPDATE of the rows
        // that change (a later non-empty value wins, an empty one never erases; updated_at moves
        // only on a change) and an INSERT of the people not stored yet. INSERT ... ON CONFLICT DO
        // UPDATE did the same a row at a time: 30 times slower on a batch of 10,000 new profiles,
        // and it rewrote every row of a re-imported file (minutes for 300,000 unchanged rows).
        const appender = await writer.createAppender(PROFILES_STAGE);
        for (const chunk of chunks) appender.appendDataChunk(chunk);
        appender.closeSync();
        await mergeStagedProfiles(writer, rows.length);
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  // Identity import of CSV inside DuckDB (identity-import-duckdb.ts; identity/types.ts has the contract).

  async stageCsv(organizationId: string, rows: CsvRows): Promise<StagedRows | null> {
    void organizationId;
    const instance = this.instance;
    this.requireWriter();
    if (!instance) throw new Error('analytics store is not initialised; call init() first');
    const stage = `${IMPORT_DB}.stage_${++this.stages}`;
    const raw = `${stage}_raw`;
    // On a connection of its own, into an in-memory database that every connection sees: a piece is
    // read and checked while the writer writes the one before it (two cores busy instead of one).
    const work = this.stagings.then(async () => {
      this.stager ??= await instance.connect();
      const conn = this.stager;
      try {
        // A table keeps the file's order in its rowid (DuckDB preserves insertion order).
        await conn.run(`CREATE TABLE ${raw} AS SELECT * FROM ${readCsvSql(rows.columns, rows.newline)}`, [rows.path]);
        const read = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${raw}`)).getRows()[0]?.[0] ?? -1);
        if (read !== rows.rows) {
          await conn.run(`DROP TABLE ${raw}`);
          return null;
        }
      } catch {
        // The strict reader refused the file (a row of the wrong width, bytes that are not UTF-8):
        // csv-parse reads it, and says which rows are wrong.
        await conn.run(`DROP TABLE IF EXISTS ${raw}`).catch(() => undefined);
        return null;
      }
      try {
        await conn.run(`CREATE TABLE ${stage} AS ${convertSql(rows.columns, raw)}`);
        const slow = await conn.runAndReadAll(
          `SELECT rowid, * FROM ${raw} WHERE rowid IN (SELECT idx FROM ${stage} WHERE NOT ok) ORDER BY rowid`,
        );
        return {
          stage,
          slow: slow.getRows().map((r) => ({ index: Number(r[0]), cells: r.slice(1).map((v) => (v === null ? '' : String(v))) })),
        };
      } catch (err) {
        await conn.run(`DROP TABLE IF EXISTS ${stage}`).catch(() => undefined);
        throw err;
      } finally {
        await conn.run(`DROP TABLE IF EXISTS ${raw}`);
      }
    });
    this.stagings = work.catch(() => undefined);
    return this.track(work);
  }

  async commitCsv(organizationId: string, stage: string, more: readonly ImportedRow[], at: number): Promise<void> {
    const writer = this.requireWriter();
    checkStage(stage);
    const chunks = convertedChunks(more);
    const values = [organizationId, toBigInt(at, 'at')];
    const types = [VARCHAR, BIGINT];
    await this.serializeWrite(async () => {
      try {
        // Before the transaction: one transaction writes to one database, and this one writes profiles.
        if (chunks.length > 0) {
          const appender = await writer.createAppender(stage.slice(IMPORT_DB.length + 1), null, IMPORT_DB);
          for (const chunk of chunks) appender.appendDataChunk(chunk);
          appender.closeSync();
        }
        await writer.run('BEGIN TRANSACTION');
        try {
          const [twice, accepted] = (await writer.runAndReadAll(repeatedSql(stage))).getRows()[0] ?? [];
          if (Number(twice) > 0) {
            const people = (await writer.run(`INSERT INTO ${PROFILES_STAGE} ${dedupeSql(stage, PROFILE_COLUMNS_NAMES)}`, values, types))
              .rowsChanged;
            if (people > 0) await mergeStagedProfiles(writer, people);
          } else if (Number(accepted) > 0) {
            // Nobody named twice (the usual file): merged straight from the stage, without copying it first.
            await mergeProfilesFrom(writer, profileMerge(`(${peopleSql(stage, PROFILE_COLUMNS_NAMES)})`), Number(accepted), {
              values,
              types,
            });
          }
          const links = (await writer.run(`INSERT INTO ${LINKS_STAGE} ${linksSql(stage)}`, values, types)).rowsChanged;
          if (links > 0) {
            // A visitor already linked to the same person keeps its link and seen times.
            await writer.run(
              `DELETE FROM ${LINKS_STAGE} s USING visitor_links l WHERE l.organization_id = s.organization_id ` +
                'AND l.visitor_id = s.visitor_id AND l.hem_sha256 = s.hem_sha256',
            );
            await mergeStagedLinks(writer);
          }
          await writer.run('COMMIT');
        } catch (err) {
          await writer.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      } finally {
        await writer.run(`DROP TABLE IF EXISTS ${stage}`).catch(() => undefined);
      }
    });
  }

  async discardCsv(stage: string): Promise<void> {
    const writer = this.requireWriter();
    checkStage(stage);
    await this.serializeWrite(() => writer.run(`DROP TABLE IF EXISTS ${stage}`));
  }

  async getProfiles(organizationId: string, hems: readonly string[], kind: HemKind = 'sha256'): Promise<Profile[]> {
    if (hems.length === 0) return [];
    const wanted = new Set(hems);
    // By the HEMs' integer keys (duckdb-hem-keys.ts), through their index; a HEM without a key by its
    // text, and SHA-1 (not looked up by the API, so not indexed) always by its text.
    const keyOf = (h: string): bigint | null => (kind === 'sha1' ? null : hemKey(h));
    const keys = [...new Set(hems.map(keyOf).filter((k): k is bigint => k !== null))];
    const unkeyed = [...wanted].filter((h) => keyOf(h) === null);
    const found = await Promise.all([
      keys.length > 0 ? this.profilesWhere(`${kind}_key`, keys, UBIGINT, organizationId) : [],
      unkeyed.length > 0 ? this.profilesWhere(`hem_${kind}`, unkeyed, VARCHAR, organizationId) : [],
    ]);
    const at = PROFILE_COLUMNS.findIndex((c) => c.name === `hem_${kind}`);
    return found
      .flat()
      .filter((row) => wanted.has(String(row[at])))
      .map((row) => profileRow(PROFILE_COLUMNS.map((c, i) => [c.name, fromDuck(row[i] ?? null)])));
  }

  /** The organization's profiles whose `column` is one of `values` (PROFILE_COLUMNS in order). */
  private profilesWhere(column: string, values: readonly (string | bigint)[], type: DuckDBType, organizationId: string) {
    const p = new Params();
    const columns = PROFILE_COLUMNS.map((c) => quoteIdent(c.name)).join(', ');
    const hit = `${quoteIdent(column)} IN (${values.map((v) => p.add(v, type)).join(', ')})`;
    return this.byIndex(`SELECT organization_id, ${columns} FROM profiles WHERE ${hit}`, p, organizationId);
  }

  async linkVisitors(organizationId: string, links: readonly NewLink[]): Promise<void> {
    const writer = this.requireWriter();
    const merged = mergeLinks(links);
    if (merged.length === 0) return;
    const chunks = linkChunks(organizationId, merged);
    await this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        // Staged and merged set-wise, like profiles: one statement per batch, not six parameters per link.
        const appender = await writer.createAppender(LINKS_STAGE);
        for (const chunk of chunks) appender.appendDataChunk(chunk);
        appender.closeSync();
        await mergeStagedLinks(writer);
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * A page's people in one statement (resolution.ts PeopleLookup): the links of its visitors, each
   * joined with its person's profile, and the profiles of the HEMs of its rows without a visitor.
   * Both tables are read through their indexes: the links by the `IN` list, the profiles by the
   * join's filter on their keys (JOIN_FILTER_VALUES). Two statements, links then profiles, cost
   * about a quarter more (each pays DuckDB's planning and a trip through the read pool). Other
   * organizations' rows, which the indexes find too (byIndex), are dropped here; so are profiles
   * whose key matched but whose HEM is another's.
   */
  async pagePeople(organizationId: string, visitors: readonly string[], hems: readonly string[]): Promise<PagePeople | null> {
    const keys = hems.map(hemKey);
    if (visitors.length + hems.length > JOIN_FILTER_VALUES || keys.some((k) => k === null)) return null;
    const p = new Params();
    const columns = PROFILE_COLUMNS.map((c) => `pr.${quoteIdent(c.name)}`).join(', ');
    const parts: string[] = [];
    let links = '';
    if (visitors.length > 0) {
      links =
        'WITH delivr_page_links AS MATERIALIZED (SELECT organization_id, visitor_id, hem_sha256 FROM visitor_links ' +
        `WHERE visitor_id IN (${visitors.map((v) => p.add(v, VARCHAR)).join(', ')})) `;
      parts.push(
        `SELECT l.organization_id, l.visitor_id, l.hem_sha256, pr.organization_id, ${columns} FROM delivr_page_links l ` +
          `LEFT JOIN profiles pr ON pr.sha256_key = ${hemKeySql('l.hem_sha256')}`,
      );
    }
    if (keys.length > 0) {
      const hit = keys.map((k) => p.add(k, UBIGINT)).join(', ');
      parts.push(`SELECT NULL, NULL, NULL, pr.organization_id, ${columns} FROM profiles pr WHERE pr.sha256_key IN (${hit})`);
    }
    const found = { links: new Map<string, string>(), profiles: new Map<string, Profile>() };
    if (parts.length === 0) return found;
    for (const r of await this.read(`${links}${parts.join(' UNION ALL ')}`, p)) {
      if (r[0] === organizationId) found.links.set(String(r[1]), String(r[2]));
      if (r[3] !== organizationId) continue;
      const profile = profileRow(PROFILE_COLUMNS.map((c, i) => [c.name, fromDuck(r[4 + i] ?? null)]));
      found.profiles.set(profile.hem_sha256, profile);
    }
    // A linked HEM without a key found no profile through the join: getProfiles finds it by its text.
    if ([...found.links.values()].some((h) => hemKey(h) === null)) return null;
    return found;
  }

  async linksOfVisitors(organizationId: string, visitorIds: readonly string[]): Promise<VisitorLink[]> {
    if (visitorIds.length === 0) return [];
    const p = new Params();
    return this.readLinks(`visitor_id IN (${visitorIds.map((v) => p.add(v, VARCHAR)).join(', ')})`, organizationId, p);
  }

  async linksOfPerson(organizationId: string, hemSha256: string): Promise<VisitorLink[]> {
    const p = new Params();
    return this.readLinks(`hem_sha256 = ${p.add(hemSha256, VARCHAR)}`, organizationId, p);
  }

  /**
   * A point lookup through a single-column index, then the organization: DuckDB uses the index only
   * when the scan's one filter is on the indexed column, so `sql` filters on that column alone,
   * selects organization_id first, and the organization is checked here on what the index found
   * (rows without that first column come back). The same check in SQL, on a materialized CTE of
   * the hits, cost twice the CPU of the lookup itself (4.7 ms against 2.4 ms a point lookup).
   */
  private async byIndex(sql: string, p: Params, organizationId: string): Promise<DuckDBValue[][]> {
    const rows = await this.read(sql, p);
    return rows.filter((r) => r[0] === organizationId).map((r) => r.slice(1));
  }

  /** Links found by `hit` (a filter on one single-column index), of one organization. */
  private async readLinks(hit: string, organizationId: string, p: Params): Promise<VisitorLink[]> {
    const columns = 'visitor_id, hem_sha256, source, first_seen, last_seen';
    const rows = await this.byIndex(
      `SELECT organization_id, ${columns} FROM visitor_links WHERE ${hit} ORDER BY first_seen, visitor_id`,
      p,
      organizationId,
    );
    return rows.map((r) => ({
      visitor_id: String(r[0]),
      hem_sha256: String(r[1]),
      source: String(r[2]) as VisitorLink['source'],
      first_seen: Number(r[3]),
      last_seen: Number(r[4]),
    }));
  }

  async unlink(organizationId: string, hemSha256: string, visitorId: string): Promise<boolean> {
    const p = new Params();
    const sql =
      `DELETE FROM visitor_links WHERE organization_id = ${p.add(organizationId, VARCHAR)} AND hem_sha256 = ${p.add(hemSha256, VARCHAR)} ` +
      `AND visitor_id = ${p.add(visitorId, VARCHAR)} RETURNING visitor_id`;
    const rows = await this.write(sql, p);
    return rows.length > 0;
  }

  async listPeople(organizationId: string, page: { limit: number; offset: number }): Promise<{ people: PersonSummary[]; total: number }> {
    const p = new Params();
    const org = p.add(organizationId, VARCHAR);
    const [rows, totals] = await Promise.all([
      this.read(
        `SELECT hem_sha256, count(*), max(last_seen) FROM visitor_links WHERE organization_id = ${org} GROUP BY hem_sha256 ` +
          `ORDER BY max(last_seen) DESC, hem_sha256 LIMIT ${p.add(BigInt(page.limit), BIGINT)} OFFSET ${p.add(BigInt(page.offset), BIGINT)}`,
        p,
      ),
      this.read(`SELECT count(DISTINCT hem_sha256) FROM visitor_links WHERE organization_id = $1`, pick(p, 1)),
    ]);
    const profiles = new Map(
      (
        await this.getProfiles(
          organizationId,
          rows.map((r) => String(r[0])),
        )
      ).map((x) => [x.hem_sha256, x]),
    );
    return {
      total: Number(totals[0]?.[0] ?? 0),
      people: rows.map((r) => ({
        hem_sha256: String(r[0]),
        visitors: Number(r[1]),
        last_seen: Number(r[2]),
        profile: profiles.get(String(r[0])) ?? null,
      })),
    };
  }

  async erasePerson(organizationId: string, hemSha256: string): Promise<Erased> {
    const writer = this.requireWriter();
    const p = new Params();
    const where = `organization_id = ${p.add(organizationId, VARCHAR)} AND hem_sha256 = ${p.add(hemSha256, VARCHAR)}`;
    // Under the stats' maintenance lock too: a retention delete on that connection must not touch
    // the same event rows at the same time (DuckDB would refuse one of the two).
    return this.stats.exclusive(() =>
      this.serializeWrite(async () => {
        await writer.run('BEGIN TRANSACTION');
        try {
          const count = async (sql: string) => (await writer.runAndReadAll(sql, p.values, p.types)).getRows().length;
          const profiles = await count(`DELETE FROM profiles WHERE ${where} RETURNING hem_sha256`);
          const links = await count(`DELETE FROM visitor_links WHERE ${where} RETURNING visitor_id`);
          const events = await count(`UPDATE events SET hem_sha256 = NULL WHERE ${where} RETURNING event_id`);
          // A run keeps each person's profile as it was (a snapshot): the person's rows go with it.
          const audienceRows = await count(`DELETE FROM audience_rows WHERE ${where} RETURNING "rank"`);
          await writer.run('COMMIT');
          return { profiles, links, events, audienceRows };
        } catch (err) {
          await writer.run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    );
  }

  async deleteEventsBefore(organizationId: string, pixelIds: readonly string[], beforeMs: number): Promise<number> {
    if (pixelIds.length === 0) return 0;
    const p = new Params();
    const sql =
      `DELETE FROM events WHERE organization_id = ${p.add(organizationId, VARCHAR)} AND pixel_id IN (${pixelIds.map((x) => p.add(x, VARCHAR)).join(', ')}) ` +
      `AND ts_millis < ${p.add(toBigInt(beforeMs, 'beforeMs'), BIGINT)}`;
    this.requireWriter();
    // On the stats' maintenance connection, not the writer: appends go on while it deletes, and the
    // rollups are corrected in the same transaction (duckdb-stats.ts).
    return this.after(() => this.stats.deleteBefore(organizationId, pixelIds, beforeMs, sql, p));
  }

  /** One statement on the writer, in line with the other writes. */
  private write(sql: string, p: Params): Promise<DuckDBValue[][]> {
    const writer = this.requireWriter();
    return this.serializeWrite(async () => (await writer.runAndReadAll(sql, p.values, p.types)).getRows());
  }

  async countByValue(q: EventQuery, field: FieldName, opts: QueryOptions = {}): Promise<ValueCount[]> {
    const [key] = checkFields([field], 'field');
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null || key === undefined) return [];
    // Grouping by a resolved field needs its resolved value, even when the filter names none.
    const join = needsJoin(q) || (!q.raw && RESOLVED_FIELDS.has(key));
    const source = join ? resolvedSource(p, q.organizationId, needsProfiles(q, key)) : 'events';
    const column = quoteIdent(key);
    const sql =
      q.distinct && q.distinct.length > 0
        ? `SELECT v, count(*) AS c FROM (SELECT DISTINCT ${column} AS v, ${checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ')} ` +
          `FROM ${source} WHERE ${where}) GROUP BY v ORDER BY c DESC, v NULLS LAST`
        : `SELECT ${column} AS v, count(*) AS c FROM ${source} WHERE ${where} GROUP BY v ORDER BY c DESC, v NULLS LAST`;
    const rows = await this.read(sql, p, opts.signal);
    return rows.map((row) => ({ value: fromDuck(row[0] ?? null), count: Number(row[1]) }));
  }

  async findEventIds(q: EventIdQuery): Promise<Set<string>> {
    if (q.pixelIds.length === 0 || q.eventIds.length === 0 || q.startMs > q.endMs) return new Set();
    const p = new Params();
    const list = (values: readonly string[]) => values.map((v) => p.add(v, VARCHAR)).join(', ');
    // ts_millis and received_millis bound the scan through DuckDB's per-row-group min/max.
    const sql =
      `SELECT DISTINCT event_id FROM events WHERE organization_id = ${p.add(q.organizationId, VARCHAR)} ` +
      `AND pixel_id IN (${list(q.pixelIds)}) AND event_id IN (${list(q.eventIds)}) ` +
      `AND ts_millis BETWEEN ${p.add(toBigInt(q.startMs, 'startMs'), BIGINT)} AND ${p.add(toBigInt(q.endMs, 'endMs'), BIGINT)} ` +
      `AND received_millis >= ${p.add(toBigInt(q.receivedSinceMs, 'receivedSinceMs'), BIGINT)}`;
    const rows = await this.read(sql, p);
    return new Set(rows.map((row) => String(row[0])));
  }

  async scanDerivedEventIds(receivedSinceMs: number, each: (eventId: string, receivedMs: number) => void): Promise<void> {
    this.requireWriter();
    const readers = this.readers;
    if (!readers) throw new Error('analytics store is not initialised; call init() first');
    const since = toBigInt(receivedSinceMs, 'receivedSinceMs');
    await this.caughtUp();
    await this.track(
      readers.use(async (conn) => {
        // Streamed chunk by chunk: a busy day holds tens of millions of ids.
        const result = await conn.stream(
          `SELECT event_id, received_millis FROM events WHERE received_millis >= $1 AND substr(event_id, 15, 1) = '8'`,
          [since],
          [BIGINT],
        );
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          for (const row of chunk.getRows()) each(String(row[0]), Number(row[1]));
        }
      }),
    );
  }

  // Traffic stats (analytics/stats.ts): the rollups up to the watermark and the raw events after it (duckdb-stats.ts).
  // Their reads go through withReader, which waits for the journal; folds, settles and retention
  // deletes run on the stats' own connection, so they wait here.

  statsTotals(q: StatsScope, opts?: QueryOptions): Promise<StatsTotals> {
    this.requireWriter();
    return this.track(this.stats.totals(q, opts));
  }

  statsTimeseries(q: StatsScope, buckets: BucketSpec, opts?: QueryOptions): Promise<BucketTotals[]> {
    this.requireWriter();
    return this.track(this.stats.timeseries(q, buckets, opts));
  }

  statsBreakdown(q: StatsScope, b: BreakdownQuery, opts?: QueryOptions): Promise<{ rows: BreakdownRow[]; more: boolean }> {
    this.requireWriter();
    return this.track(this.stats.breakdown(q, b, opts));
  }

  statsRealtimeVisitors(
    organizationId: string,
    pixelIds: readonly string[],
    sinceMs: number,
    untilMs: number,
    opts?: QueryOptions,
  ): Promise<number> {
    this.requireWriter();
    return this.track(this.stats.realtime(organizationId, pixelIds, sinceMs, untilMs, opts));
  }

  /**
   * Waits for the stats maintenance queued so far (day rollups a read asked for), without folding
   * (tests; it happens by itself).
   */
  settleStats(): Promise<void> {
    this.requireWriter();
    return this.track(this.after(() => this.stats.settle()));
  }

  /** Folds every committed event into the stats rollups now (tests and benches; it happens by itself). */
  foldStats(): Promise<void> {
    this.requireWriter();
    return this.track(this.after(() => this.stats.foldNow()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.moveTimer) clearTimeout(this.moveTimer);
    const journal = this.journal;
    if (journal) {
      // What was acknowledged goes into DuckDB now; if that fails it stays for the next open.
      journal.stop();
      await this.serializeRaw(() => this.moveJournal(journal)).catch(() => undefined);
      journal.close();
      await journal.settled();
    }
    await this.writes.catch(() => undefined);
    await Promise.allSettled([...this.running]);
    await this.stagings;
    await this.stats.close();
    this.readers?.closeAll();
    this.stager?.closeSync();
    this.stager = null;
    this.writer?.closeSync();
    // Closing the last handle checkpoints the WAL into the database file.
    this.instance?.closeSync();
    openPaths.delete(this.path);
    this.readers = null;
    this.writer = null;
    this.instance = null;
  }

  private requireWriter(): DuckDBConnection {
    if (this.closed) throw new Error('analytics store is closed');
    if (!this.writer) throw new Error('analytics store is not initialised; call init() first');
    return this.writer;
  }

  /** `work` on the writer after the writes before it; what the journal holds is moved into DuckDB first. */
  private serializeWrite<T>(work: () => Promise<T>): Promise<T> {
    return this.serializeRaw(async () => {
      const journal = this.journal;
      if (journal?.hasPending()) await this.moveOrRetry(journal);
      return work();
    });
  }

  private serializeRaw<T>(work: () => Promise<T>): Promise<T> {
    const result = this.writes.then(work, work);
    this.writes = result.catch(() => undefined);
    return this.track(result);
  }

  /** Chunks appended to a table in one transaction on the writer, in line with the other writes. */
  private appendChunks(table: string, chunks: readonly DuckDBDataChunk[]): Promise<void> {
    const writer = this.requireWriter();
    return this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        const appender = await writer.createAppender(table);
        for (const chunk of chunks) appender.appendDataChunk(chunk);
        appender.closeSync();
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Statements in one transaction on the writer, in line with the other writes. */
  private transaction(statements: readonly Statement[]): Promise<void> {
    const writer = this.requireWriter();
    return this.serializeWrite(() => atomically(writer, statements));
  }

  /**
   * One statement on a read connection. When `signal` aborts, a query still waiting for a connection
   * leaves the queue, and a running one is interrupted (DuckDB stops it between vectors).
   */
  private read(sql: string, p: Pick<Params, 'values' | 'types'>, signal?: AbortSignal): Promise<DuckDBValue[][]> {
    return this.withReader(async (conn) => (await conn.runAndReadAll(sql, p.values, p.types)).getRows(), signal);
  }

  /** Rows of a statement whose one column is each row as a JSON array (queryEvents' projection). */
  private readJson(sql: string, p: Pick<Params, 'values' | 'types'>, signal?: AbortSignal): Promise<JsonValue[][]> {
    return this.read(sql, p, signal).then((rows) => rows.map((row) => JSON.parse(String(row[0])) as JsonValue[]));
  }

  /** `work` on a read connection, interrupted when `signal` aborts (as read() says). */
  private withReader<T>(work: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.requireWriter();
    const readers = this.readers;
    if (!readers) throw new Error('analytics store is not initialised; call init() first');
    // Reads see every event acknowledged before they started (waiting once, so ingest cannot starve them).
    const behind = this.caughtUp();
    if (behind) return this.track(behind.then(() => this.readNow(readers, work, signal)));
    return this.readNow(readers, work, signal);
  }

  private readNow<T>(readers: ReaderPool, work: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.track(
      readers.use(async (conn) => {
        signal?.throwIfAborted();
        const interrupt = () => conn.interrupt();
        signal?.addEventListener('abort', interrupt, { once: true });
        try {
          const out = await work(conn);
          signal?.throwIfAborted();
          return out;
        } finally {
          // Removed before the connection goes back to the pool: a late abort must not stop the
          // next query to use it.
          signal?.removeEventListener('abort', interrupt);
        }
      }, signal),
    );
  }

  /** Lets close() wait for work already started instead of pulling the instance from under it. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = (): void => {
      this.running.delete(work);
    };
    work.then(forget, forget);
    return work;
  }
}

/** Hands out read connections; a DuckDB connection runs one statement at a time. */
class ReaderPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((conn: DuckDBConnection) => void)[] = [];
  private size = 0;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly max: number,
  ) {}

  async use<T>(work: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const conn = await this.acquire(signal);
    try {
      return await work(conn);
    } finally {
      this.release(conn);
    }
  }

  closeAll(): void {
    for (const conn of this.idle.splice(0)) conn.closeSync();
  }

  private async acquire(signal?: AbortSignal): Promise<DuckDBConnection> {
    signal?.throwIfAborted();
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.size < this.max) {
      this.size += 1;
      try {
        return await this.instance.connect();
      } catch (err) {
        this.size -= 1;
        throw err;
      }
    }
    return new Promise((resolve, reject) => {
      const take = (conn: DuckDBConnection) => {
        signal?.removeEventListener('abort', leave);
        resolve(conn);
      };
      const leave = () => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(take);
    });
  }

  private release(conn: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }
}

/** Scope, time range and filter; null when nothing can match (no pixels, or an empty range). */
function whereClause(q: EventQuery, p: Params): string | null {
  const start = toBigInt(q.startMs, 'startMs');
  const end = toBigInt(q.endMs, 'endMs');
  if (q.pixelIds.length === 0 || start > end) return null;
  const pixels = q.pixelIds.map((id) => p.add(id, VARCHAR)).join(', ');
  let sql =
    `organization_id = ${p.add(q.organizationId, VARCHAR)} AND pixel_id IN (${pixels}) ` +
    `AND ts_millis BETWEEN ${p.add(start, BIGINT)} AND ${p.add(end, BIGINT)}`;
  if (q.filter && q.filter.length > 0) sql += ` AND (${filterConditionSql(q.filter, p)})`;
  return sql;
}

/** A filter (OR of AND-groups) as SQL over columns named like its fields, values bound through `p`. */
function filterConditionSql(filter: Filter, p: Pick<Params, 'add'>): string {
  const checked = checkFilter(filter);
  if (!checked.ok) throw new Error(`invalid filter: ${checked.error}`);
  return checked.value.map((group) => `(${group.map((c) => conditionSql(c, p)).join(' AND ')})`).join(' OR ');
}

/** The profile fields a rule may name (updated_at is bookkeeping). */
const PROFILE_NAMES: ReadonlySet<string> = new Set(PROFILE_COLUMNS.map((c) => c.name).filter((n) => n !== 'updated_at'));

/**
 * An audience's field rule (checked against the field catalog already) as SQL over the profiles
 * table's columns: the hashes are profile columns the Events API does not filter on.
 */
function profileFilterSql(filter: Filter, p: Pick<Params, 'add'>): string {
  const condition = (c: Condition): string => {
    if (!PROFILE_NAMES.has(c.field)) throw new Error(`not a profile field: ${c.field}`);
    return conditionSql(c, p);
  };
  return filter.map((group) => `(${group.map(condition).join(' AND ')})`).join(' OR ');
}

function conditionSql(c: Condition, p: Pick<Params, 'add'>): string {
  const column = quoteIdent(c.field);
  const operand = operandOf(c);
  switch (operand.kind) {
    case 'is_null':
      return `${column} IS NULL`;
    case 'is_not_null':
      return `${column} IS NOT NULL`;
    case 'text':
      // DuckDB's LIKE backtracks (`%_%_zz` took seconds on 20,000 rows): the pattern runs as RE2,
      // which is linear in the text, with ClickHouse's meaning of `%`, `_` and `\`.
      if (c.op === 'like') return `regexp_full_match(${column}, ${p.add(likeToRegex(operand.value), VARCHAR)})`;
      return `${column} ${comparison(c.op)} ${p.add(operand.value, VARCHAR)}`;
    case 'int':
      return `${column} ${comparison(c.op)} ${p.add(BigInt(operand.value), BIGINT)}`;
    case 'bool':
      return `${column} ${comparison(c.op)} ${p.add(operand.value, BOOLEAN)}`;
  }
}

function comparison(op: FilterOp): string {
  if (op === 'like' || op === 'not_null') throw new Error(`operator ${op} has no comparison form`);
  return COMPARISON[op];
}

/** Field names come only from EVENT_FIELDS; quoting keeps words like `path` from meaning anything. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function toBigInt(n: number, what: string): bigint {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be an integer number of milliseconds, got ${n}`);
  return BigInt(n);
}

/** A value of a row read as JSON: the event and profile columns are text, integers and booleans. */
type JsonValue = string | number | boolean | null;

/** Result rows as records of `names`, in order (later columns of a row are ignored). */
function toRecords(rows: readonly (readonly JsonValue[])[], names: readonly FieldName[]): EventRecord[] {
  return rows.map((row) => {
    const record: EventRecord = {};
    names.forEach((name, i) => {
      record[name] = row[i] ?? null;
    });
    return record;
  });
}

function fromDuck(value: DuckDBValue): string | number | boolean | null {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  return String(value);
}

async function readColumns(conn: DuckDBConnection, table = 'events'): Promise<{ name: string; type: string; nullable: boolean }[]> {
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns ` +
      `WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return reader.getRows().map((row) => ({ name: String(row[0]), type: String(row[1]), nullable: row[2] === 'YES' }));
}

type ToDuck = (value: EventRow[StoredFieldName], row: number) => DuckDBValue;
/** Throws the store's TypeError unless `value` fits the column. */
type Check = (value: unknown, row: number) => void;

const CHECKS: readonly { name: StoredFieldName; check: Check }[] = EVENT_FIELDS.map((f) => ({
  name: f.name as StoredFieldName,
  check: checkFor(f.name, f.data_type, f.nullable),
}));
const CONVERTERS: ReadonlyMap<string, { type: DuckDBType; convert: ToDuck }> = new Map(
  EVENT_FIELDS.map((f) => [f.name, { type: DUCK_TYPES[f.data_type], convert: converterFor(f.name, f.data_type, f.nullable) }]),
);

/** One check per column, specialised to its type when the plan is made (no per-value switch). */
function checkFor(name: string, type: ArrowType, nullable: boolean): Check {
  const bad = (value: unknown, row: number, expected: string): never => {
    throw new TypeError(
      `event ${row}: ${name} must be ${expected}${nullable ? ' or null' : ''}, got ${JSON.stringify(value) ?? typeof value}`,
    );
  };
  const ok = (v: unknown, row: number, valid: boolean, expected: string): void => {
    if (valid) return;
    if (v !== null && v !== undefined) bad(v, row, expected);
    else if (!nullable) bad(v, row, expectedFor(type));
  };
  switch (type) {
    case 'Utf8':
      return (v, row) => ok(v, row, typeof v === 'string', 'a string');
    case 'Boolean':
      return (v, row) => ok(v, row, typeof v === 'boolean', 'a boolean');
    case 'Int64':
      return (v, row) => ok(v, row, typeof v === 'number' && Number.isSafeInteger(v), 'a safe integer');
    case 'Int32':
      return (v, row) =>
        ok(v, row, typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647, 'a 32-bit integer');
  }
}

/** ES2024's String.prototype.toWellFormed (Node 20+), which the ES2023 lib does not declare. */
type WellFormed = string & { toWellFormed(): string };

/** The appender's value for a column, checked as the journal checks it. */
function converterFor(name: string, type: ArrowType, nullable: boolean): ToDuck {
  const check = checkFor(name, type, nullable);
  return (v, row) => {
    check(v, row);
    if (v === null || v === undefined) return null;
    if (type === 'Int64') return BigInt(v as number);
    return v as DuckDBValue;
  };
}

/**
 * Rows as the journal keeps them: one JSON object per line. Every row is checked first, so a batch
 * with a bad row is refused whole before anything is written. Keys the table does not have are
 * written and ignored by the move (a replacer list to leave them out doubled the cost: 4.8 against
 * 2.0 µs a row). A lone surrogate, which DuckDB's JSON reader refuses, is made U+FFFD as the
 * appender does; JSON.stringify writes one as a `\udXXX` escape, so only lines with that text are
 * looked at again.
 */
export function encodeEventLines(rows: readonly EventRow[]): string {
  const lines = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as EventRow;
    for (const { name, check } of CHECKS) check(row[name], i);
    const line = JSON.stringify(row);
    lines[i] = line.includes('\\ud') ? JSON.stringify(wellFormed(row)) : line;
  }
  return `${lines.join('\n')}\n`;
}

function wellFormed(row: EventRow): EventRow {
  const copy: Record<string, unknown> = { ...row };
  for (const [k, v] of Object.entries(copy)) if (typeof v === 'string') copy[k] = (v as WellFormed).toWellFormed();
  return copy as unknown as EventRow;
}

type Statement = { sql: string; values: DuckDBValue[]; types: DuckDBType[] };

/** `statements` in one transaction on `conn`, rolled back if one fails (the caller serializes the writer). */
async function atomically(conn: DuckDBConnection, statements: readonly Statement[]): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const st of statements) await conn.run(st.sql, st.values, st.types);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The statement that moves a journal segment into events: DuckDB reads the file itself, the batch's sequence number as a constant. */
function moveSql(columns: readonly AppendColumn[], file: string, seq: number): string {
  const names = columns.filter((c): c is StoredFieldName => c !== null && c !== INGEST_SEQ && c !== VISITOR_KEY);
  const types = names.map((n) => `${literalString(n)}: ${literalString(SQL_TYPES[(FIELD_TYPES.get(n) ?? unreachable(n)) as ArrowType])}`);
  const target = [...names.map(quoteIdent), INGEST_SEQ, VISITOR_KEY].join(', ');
  const source = [...names.map(quoteIdent), String(seq), visitorKeySql('visitor_id')].join(', ');
  return (
    `INSERT INTO events (${target}) SELECT ${source} FROM read_ndjson(${literalString(file)}, ` +
    `columns = {${types.join(', ')}}, format = 'newline_delimited', maximum_object_size = ${MAX_LINE_BYTES})`
  );
}

const FIELD_TYPES: ReadonlyMap<string, ArrowType> = new Map(EVENT_FIELDS.map((f) => [f.name, f.data_type]));
/** read_ndjson's limit on one line: far above any event the edge accepts (its body limit is smaller). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const literalString = (v: string): string => `'${v.replaceAll("'", "''")}'`;

function expectedFor(type: ArrowType): string {
  return { Utf8: 'a string', Boolean: 'a boolean', Int64: 'a safe integer', Int32: 'a 32-bit integer' }[type];
}

/** A column of the events table as the appender fills it: an event field, the ingest sequence, the visitor's key (NULL), or NULLs. */
type AppendColumn = StoredFieldName | typeof INGEST_SEQ | typeof VISITOR_KEY | null;

/** Column-major chunks in the table's column order; columns the code does not know get nulls, and so does the visitor's key. */
function toChunks(rows: readonly EventRow[], columns: readonly AppendColumn[], seq: number): DuckDBDataChunk[] {
  if (columns.length === 0) throw new Error('analytics store is not initialised; call init() first');
  const batch = BigInt(seq);
  const plan = columns.map((name) =>
    name === INGEST_SEQ || name === VISITOR_KEY ? name : name ? { name, ...(CONVERTERS.get(name) ?? unreachable(name)) } : null,
  );
  const types = plan.map((c) => (c === INGEST_SEQ ? BIGINT : c === VISITOR_KEY ? UUID : (c?.type ?? VARCHAR)));
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows.length - start);
    // Column by column: one converter and one field name per loop, rather than a closure call per value.
    const data: DuckDBValue[][] = plan.map((column) => {
      const out = new Array<DuckDBValue>(count);
      if (!column || column === VISITOR_KEY) return out.fill(null);
      if (column === INGEST_SEQ) return out.fill(batch);
      const { name, convert } = column;
      for (let i = 0; i < count; i++) out[i] = convert((rows[start + i] as EventRow)[name], start + i);
      return out;
    });
    const chunk = DuckDBDataChunk.create(types, count);
    chunk.setColumns(data);
    chunks.push(chunk);
  }
  return chunks;
}

function unreachable(name: string): never {
  throw new Error(`no converter for field ${name}`);
}

/**
 * Events with resolution applied in SQL (the join plan of analytics/resolution.ts): the visitor's
 * current link, or the event's own HEM when it has no visitor id, and that person's profile.
 * Aliased `events`, so every other clause reads it like the table.
 */
function resolvedSource(p: Params, organizationId: string, withProfiles: boolean): string {
  const org = p.add(organizationId, VARCHAR);
  const hem = 'CASE WHEN e.visitor_id IS NULL THEN e.hem_sha256 ELSE l.hem_sha256 END';
  const resolved = `e.* REPLACE (${hem} AS hem_sha256, (${hem}) IS NOT NULL AS resolved)`;
  const links = `FROM events e LEFT JOIN visitor_links l ON l.organization_id = ${org} AND l.visitor_id = e.visitor_id`;
  // Without profiles when the question names none of their fields: a LEFT JOIN builds its hash
  // table from its right side, here every profile of the organization (at 1M profiles about half a
  // second per statement, whatever the range holds).
  if (!withProfiles) return `(SELECT ${resolved} ${links}) AS events`;
  const identity = IDENTITY_COLUMNS.map((c) => `pr.${quoteIdent(c)}`).join(', ');
  return `(SELECT ${resolved}, ${identity} ${links} LEFT JOIN profiles pr ON pr.organization_id = ${org} AND pr.hem_sha256 = ${hem}) AS events`;
}

function identityDdl(): string[] {
  return [
    // No primary key: one row per (organization, person) is kept by the merge (writes are serialized,
    // and a batch is merged per person), and the key's index cost a third of an import's CPU.
    `CREATE TABLE IF NOT EXISTS profiles (${PROFILES_TABLE_COLUMNS}, ${PROFILE_DERIVED_COLUMNS})`,
    'CREATE TABLE IF NOT EXISTS visitor_links (organization_id VARCHAR NOT NULL, visitor_id VARCHAR NOT NULL, hem_sha256 VARCHAR NOT NULL, ' +
      `source VARCHAR NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, ${VISITOR_KEY} UUID, PRIMARY KEY (organization_id, visitor_id))`,
    // DuckDB scans an ART index only for a filter on a single-column index (a composite primary
    // key serves uniqueness, never lookups): one index per column that lookups and resolution use.
    // Earlier files had composite (organization_id, ...) indexes, which cost writes and served nothing.
    'DROP INDEX IF EXISTS profiles_md5',
    'DROP INDEX IF EXISTS profiles_sha1',
    'DROP INDEX IF EXISTS visitor_links_hem',
    // No SHA-1 index: the API looks people up by SHA-256 and MD5 only (SHA-1 lookup is a 501), and
    // every index is paid on each imported row.
    'DROP INDEX IF EXISTS profiles_by_sha1',
    // Profiles are found by integer keys of their HEMs (duckdb-hem-keys.ts), not by the HEMs' text.
    'DROP INDEX IF EXISTS profiles_by_sha256',
    'DROP INDEX IF EXISTS profiles_by_md5',
    'CREATE INDEX IF NOT EXISTS profiles_by_sha256_key ON profiles (sha256_key)',
    'CREATE INDEX IF NOT EXISTS profiles_by_md5_key ON profiles (md5_key)',
    'CREATE INDEX IF NOT EXISTS visitor_links_by_visitor ON visitor_links (visitor_id)',
    'CREATE INDEX IF NOT EXISTS visitor_links_by_hem ON visitor_links (hem_sha256)',
    // Write staging lives in temporary tables of the writer connection: memory only, never logged.
    'DROP TABLE IF EXISTS profiles_stage',
    `CREATE TEMPORARY TABLE IF NOT EXISTS ${PROFILES_STAGE} (${PROFILES_TABLE_COLUMNS})`,
    `CREATE TEMPORARY TABLE IF NOT EXISTS ${KNOWN_STAGE} (hem_sha256 VARCHAR NOT NULL)`,
    `CREATE TEMPORARY TABLE IF NOT EXISTS ${LINKS_STAGE} (organization_id VARCHAR NOT NULL, visitor_id VARCHAR NOT NULL, ` +
      'hem_sha256 VARCHAR NOT NULL, source VARCHAR NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL)',
  ];
}

/** The profiles table's columns (also its write stage's), without the derived ones (PROFILE_DERIVED_COLUMNS). */
const PROFILES_TABLE_COLUMNS: string = `organization_id VARCHAR NOT NULL, ${PROFILE_COLUMNS.map((c) => `${quoteIdent(c.name)} ${SQL_TYPES[c.data_type]}${c.nullable ? '' : ' NOT NULL'}`).join(', ')}`;
/**
 * The profiles table's last columns, derived from the others by every write of a row: the lookup
 * keys of its HEMs (duckdb-hem-keys.ts), each indexed, and the profile as an intents audience's run
 * stores it (PROFILE_SNAPSHOT, audience-duckdb.ts).
 */
const PROFILE_DERIVED_COLUMNS = `sha256_key UBIGINT, md5_key UBIGINT, ${PROFILE_SNAPSHOT} VARCHAR`;
/** The derived columns' values for a row `r` of the profiles table or its stage. */
const profileDerived = (r: string): string =>
  `${hemKeySql(`${r}.hem_sha256`)}, ${hemKeySql(`${r}.hem_md5`)}, ${profileSnapshotSql((c) => `${r}.${quoteIdent(c)}`)}`;

/**
 * Files made before the profiles table lost its primary key (DuckDB cannot drop a key), or before
 * it had the lookup keys or the snapshot (DuckDB cannot add a column to a table with indexes):
 * rebuilt once as it is now, in one transaction; the lookup indexes are created again by identityDdl.
 */
async function rebuildProfiles(writer: DuckDBConnection): Promise<void> {
  const old = await writer.runAndReadAll(
    `SELECT 1 FROM duckdb_constraints() WHERE schema_name = current_schema() AND table_name = 'profiles' AND constraint_type = 'PRIMARY KEY' ` +
      `UNION ALL SELECT 1 FROM duckdb_tables() WHERE schema_name = current_schema() AND table_name = 'profiles' AND NOT EXISTS ` +
      `(SELECT 1 FROM duckdb_columns() WHERE schema_name = current_schema() AND table_name = 'profiles' AND column_name = '${PROFILE_SNAPSHOT}')`,
  );
  if (old.getRows().length === 0) return;
  const columns = PROFILE_COLUMNS.map((c) => quoteIdent(c.name)).join(', ');
  const statement = (sql: string): Statement => ({ sql, values: [], types: [] });
  await atomically(writer, [
    statement(`CREATE TABLE delivr_profiles_rebuilt (${PROFILES_TABLE_COLUMNS}, ${PROFILE_DERIVED_COLUMNS})`),
    statement(`INSERT INTO delivr_profiles_rebuilt SELECT organization_id, ${columns}, ${profileDerived('p')} FROM profiles p`),
    statement('DROP TABLE profiles'),
    statement('ALTER TABLE delivr_profiles_rebuilt RENAME TO profiles'),
  ]);
}

const PROFILES_STAGE = 'delivr_profiles_stage';
const KNOWN_STAGE = 'delivr_profiles_known';
const LINKS_STAGE = 'delivr_links_stage';

/**
 * Merges profiles into `profiles` from `source` (a table or a subquery: rows in the profiles
 * stage's column order, one per person), in three steps: note which of its people are stored
 * already (one join with the table); UPDATE those whose values change, when there are any (only
 * changed rows are written, so re-importing a file writes nothing); INSERT the others, checked
 * against the small list of known people rather than joined with the whole table again.
 */
function profileMerge(source: string) {
  const key = 'p.organization_id = s.organization_id AND p.hem_sha256 = s.hem_sha256';
  const set = PROFILE_COLUMNS.filter((c) => c.name !== 'hem_sha256' && c.name !== 'updated_at').map((c) => quoteIdent(c.name));
  return {
    known: `INSERT INTO ${KNOWN_STAGE} SELECT s.hem_sha256 FROM ${source} s JOIN profiles p ON ${key}`,
    update:
      `UPDATE profiles p SET ${set.map((c) => `${c} = COALESCE(s.${c}, p.${c})`).join(', ')}, updated_at = s.updated_at, ` +
      `md5_key = ${hemKeySql('COALESCE(s.hem_md5, p.hem_md5)')}, ` +
      `${PROFILE_SNAPSHOT} = ${profileSnapshotSql((c) => `COALESCE(s.${quoteIdent(c)}, p.${quoteIdent(c)})`)} ` +
      `FROM ${source} s WHERE ${key} AND (${set.map((c) => `(s.${c} IS NOT NULL AND s.${c} IS DISTINCT FROM p.${c})`).join(' OR ')})`,
    insert: `INSERT INTO profiles SELECT s.*, ${profileDerived('s')} FROM ${source} s ANTI JOIN ${KNOWN_STAGE} k ON k.hem_sha256 = s.hem_sha256`,
  };
}

const PROFILE_MERGE = profileMerge(PROFILES_STAGE);

/**
 * Merges `source` (`rows` people; profileMerge) into `profiles` inside the caller's transaction,
 * with `params` for the source's placeholders, and empties the list of known people.
 */
async function mergeProfilesFrom(
  writer: DuckDBConnection,
  merge: ReturnType<typeof profileMerge>,
  rows: number,
  params: { values: DuckDBValue[]; types: DuckDBType[] } = { values: [], types: [] },
): Promise<void> {
  const run = (sql: string) => writer.run(sql, params.values, params.types);
  const known = (await run(merge.known)).rowsChanged;
  if (known > 0) await run(merge.update);
  if (known < rows) await run(merge.insert);
  await writer.run(`DELETE FROM ${KNOWN_STAGE}`);
}

/**
 * Merges what PROFILES_STAGE holds (`staged` rows, one per person) into `profiles`, and empties the
 * stage, inside the caller's transaction.
 */
async function mergeStagedProfiles(writer: DuckDBConnection, staged: number): Promise<void> {
  await mergeProfilesFrom(writer, PROFILE_MERGE, staged);
  await writer.run(`DELETE FROM ${PROFILES_STAGE}`);
}

/** Merges what LINKS_STAGE holds into `visitor_links` (LINK_MERGE), and empties the stage. */
async function mergeStagedLinks(writer: DuckDBConnection): Promise<void> {
  for (const sql of LINK_MERGE) await writer.run(sql);
  await writer.run(`DELETE FROM ${LINKS_STAGE}`);
}

const PROFILE_COLUMNS_NAMES: readonly string[] = PROFILE_COLUMNS.map((c) => c.name);

/** The in-memory database holding import stages (stageCsv): every connection sees it, nothing of it is logged. */
const IMPORT_DB = 'delivr_import';

/** Stage names come from stageCsv; anything else is refused before it reaches SQL. */
function checkStage(stage: string): void {
  if (!/^delivr_import\.stage_\d+$/.test(stage)) throw new Error(`not an import stage: ${stage}`);
}

/** Rows that rows.ts accepted, as chunks in a conversion table's column order (CONVERTED_COLUMNS). */
function convertedChunks(rows: readonly ImportedRow[]): DuckDBDataChunk[] {
  const types: DuckDBType[] = CONVERTED_COLUMNS.map((c) => (c.type === 'BIGINT' ? BIGINT : c.type === 'BOOLEAN' ? BOOLEAN : VARCHAR));
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows.length - start);
    const data: DuckDBValue[][] = CONVERTED_COLUMNS.map((column) => {
      const out = new Array<DuckDBValue>(count);
      for (let i = 0; i < count; i++) {
        const row = rows[start + i] as ImportedRow;
        const v =
          column.name === 'idx'
            ? BigInt(row.index)
            : column.name === 'ok'
              ? true
              : column.name === 'visitor_id'
                ? row.visitorId
                : (row.patch[column.name] ?? null);
        out[i] = v === null || typeof v === 'boolean' || typeof v === 'bigint' ? v : column.type === 'BIGINT' ? BigInt(v) : String(v);
      }
      return out;
    });
    const chunk = DuckDBDataChunk.create(types, count);
    chunk.setColumns(data);
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * Merges the staged links (one per visitor) into `visitor_links`: the same person widens the seen
 * range; another person seen as late or later moves the visitor to them; an older signal for another
 * person changes nothing.
 */
const LINK_MERGE: readonly string[] = (() => {
  const key = 'l.organization_id = s.organization_id AND l.visitor_id = s.visitor_id';
  const same = 's.hem_sha256 = l.hem_sha256';
  const moves = 's.hem_sha256 <> l.hem_sha256 AND s.last_seen >= l.last_seen';
  return [
    `UPDATE visitor_links l SET first_seen = least(l.first_seen, s.first_seen), last_seen = greatest(l.last_seen, s.last_seen) ` +
      `FROM ${LINKS_STAGE} s WHERE ${key} AND ${same} AND (s.first_seen < l.first_seen OR s.last_seen > l.last_seen)`,
    `UPDATE visitor_links l SET hem_sha256 = s.hem_sha256, source = s.source, first_seen = s.first_seen, last_seen = s.last_seen ` +
      `FROM ${LINKS_STAGE} s WHERE ${key} AND ${moves}`,
    `INSERT INTO visitor_links (organization_id, visitor_id, hem_sha256, source, first_seen, last_seen, ${VISITOR_KEY}) ` +
      `SELECT s.*, ${visitorKeySql('s.visitor_id')} FROM ${LINKS_STAGE} s WHERE NOT EXISTS (SELECT 1 FROM visitor_links l WHERE ${key})`,
  ];
})();

/** Links as column-major chunks in the links stage's column order. */
function linkChunks(organizationId: string, links: readonly VisitorLink[]): DuckDBDataChunk[] {
  const types: DuckDBType[] = [VARCHAR, VARCHAR, VARCHAR, VARCHAR, BIGINT, BIGINT];
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < links.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, links.length - start);
    const data: DuckDBValue[][] = types.map(() => new Array<DuckDBValue>(count));
    for (let i = 0; i < count; i++) {
      const l = links[start + i] as VisitorLink;
      (data[0] as DuckDBValue[])[i] = organizationId;
      (data[1] as DuckDBValue[])[i] = l.visitor_id;
      (data[2] as DuckDBValue[])[i] = l.hem_sha256;
      (data[3] as DuckDBValue[])[i] = l.source;
      (data[4] as DuckDBValue[])[i] = toBigInt(l.first_seen, 'first_seen');
      (data[5] as DuckDBValue[])[i] = toBigInt(l.last_seen, 'last_seen');
    }
    const chunk = DuckDBDataChunk.create(types, count);
    chunk.setColumns(data);
    chunks.push(chunk);
  }
  return chunks;
}

/** Stage column of each profile field (after organization_id), and its type. */
const PROFILE_SLOTS: ReadonlyMap<string, { column: number; type: ArrowType }> = new Map(
  PROFILE_COLUMNS.map((c, k) => [c.name, { column: k + 1, type: c.data_type }]),
);
const UPDATED_AT_SLOT = (PROFILE_SLOTS.get('updated_at') as { column: number }).column;

/**
 * Profile rows as column-major chunks in the profiles stage's column order ('' and absent are NULL).
 * Each row's own keys are walked (a patch names a few fields), not every column of every row.
 */
function profileChunks(organizationId: string, rows: readonly ProfilePatch[], now: number): DuckDBDataChunk[] {
  const types: DuckDBType[] = [VARCHAR, ...PROFILE_COLUMNS.map((c) => DUCK_TYPES[c.data_type])];
  const stamp = BigInt(now);
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows.length - start);
    const data: DuckDBValue[][] = types.map(() => new Array<DuckDBValue>(count).fill(null));
    (data[0] as DuckDBValue[]).fill(organizationId);
    (data[UPDATED_AT_SLOT] as DuckDBValue[]).fill(stamp);
    for (let i = 0; i < count; i++) {
      const row = rows[start + i] as ProfilePatch;
      for (const name in row) {
        const slot = PROFILE_SLOTS.get(name);
        const v = row[name];
        if (!slot || slot.column === UPDATED_AT_SLOT || v === null || v === undefined || v === '') continue;
        (data[slot.column] as DuckDBValue[])[i] = slot.type === 'Int64' ? BigInt(v) : slot.type === 'Int32' ? Number(v) : String(v);
      }
    }
    const chunk = DuckDBDataChunk.create(types, count);
    chunk.setColumns(data);
    chunks.push(chunk);
  }
  return chunks;
}

/** A Params holding only the first `n` values of `p` (for a second statement reusing them). */
function pick(p: Params, n: number): Params {
  const out = new Params();
  for (let i = 0; i < n; i++) out.add(p.values[i] as DuckDBValue, p.types[i] as DuckDBType);
  return out;
}
