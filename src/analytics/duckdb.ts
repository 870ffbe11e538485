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
  VARCHAR,
} from '@duckdb/node-api';
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
import type { Erased, PersonSummary } from '../identity/types.js';
import { DAY_MS } from '../platform/time-zone.js';
import {
  duckStatsDialect,
  mergeStagedSql,
  rebuildAfterDeleteSql,
  rebuildAllSql,
  STAGE_DDL,
  STATS_VISITS_VERSION,
  type Statement,
  statsDdl,
  storedValuesSql,
  storedVisitsSql,
} from './duckdb-stats.js';
import { BUCKET_MS, checkFields, checkFilter, isStoredFieldName, operandOf } from './filter.js';
import { defaultFields, IDENTITY_COLUMNS, needsJoin, pagePlan, resolvePage } from './resolution.js';
import {
  type BreakdownQuery,
  type BreakdownRow,
  type BucketSpec,
  type BucketTotals,
  EMPTY_TOTALS,
  type StatsScope,
  type StatsTotals,
} from './stats.js';
import { realtimeSql, scopeIsEmpty, totalsOf, totalsSql } from './stats-sql.js';
import {
  type AnalyticsStore,
  type ArrowType,
  type BucketCount,
  type Condition,
  EVENT_FIELDS,
  type EventIdQuery,
  type EventQuery,
  type EventRecord,
  type EventRow,
  type FilterOp,
  type PageQuery,
  type StoredFieldName,
} from './types.js';

export interface DuckDbStoreOptions {
  /** DuckDB settings (`threads`, `memory_limit`, ...), passed to the instance as given. */
  config?: Record<string, string>;
  /** Most read connections open at once; more concurrent queries wait their turn. */
  readers?: number;
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
 * At DuckDB's 16MB default a checkpoint (which rewrites the table's open row group) runs every few
 * batches and costs ~30% of insert throughput; a larger WAL costs a little replay time at startup.
 */
const DEFAULT_CONFIG: Record<string, string> = { checkpoint_threshold: '128MB' };

/** Two instances on one file in one process would both pass DuckDB's (per-process) file lock. */
const openPaths = new Set<string>();

export class DuckDbAnalyticsStore implements AnalyticsStore {
  readonly engine = 'duckdb' as const;
  private readonly path: string;
  private instance: DuckDBInstance | null = null;
  private opening: Promise<void> | null = null;
  private writer: DuckDBConnection | null = null;
  private readers: ReaderPool | null = null;
  /** The table's column order, which the appender must follow (it may predate EVENT_FIELDS changes). */
  private appendColumns: readonly (StoredFieldName | null)[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    path: string,
    private readonly options: DuckDbStoreOptions = {},
  ) {
    this.path = path === ':memory:' ? path : resolvePath(path);
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
      const table = await readColumns(writer);
      // Columns this code does not know get NULLs in a VARCHAR vector: the appender does not cast.
      const foreign = table.find((c) => !isStoredFieldName(c.name) && (c.type !== 'VARCHAR' || !c.nullable));
      if (foreign) {
        throw new Error(
          `events table has a column this version cannot fill: ${foreign.name} ${foreign.type}${foreign.nullable ? '' : ' NOT NULL'}`,
        );
      }
      this.appendColumns = table.map((c) => (isStoredFieldName(c.name) ? c.name : null));
      // Identity: profiles (one per organization and person) and visitor links (one per visitor).
      for (const ddl of identityDdl()) await writer.run(ddl);
      await this.initStats(writer);
    });
  }

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
    const writer = this.requireWriter();
    if (rows.length === 0) return;
    // Converting first means a malformed row rejects the batch before a transaction is opened.
    const chunks = toChunks(rows, this.appendColumns);
    let staged = false;
    await this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      let appender: DuckDBAppender | null = null;
      try {
        appender = await writer.createAppender('events');
        for (const chunk of chunks) appender.appendDataChunk(chunk);
        const flushing = appender;
        appender = null;
        flushing.closeSync();
        // Staged in the same transaction, merged into the stats tables right after (queueStatsMerge).
        staged = await this.stageStats(writer, rows);
        await writer.run('COMMIT');
      } catch (err) {
        if (appender) {
          try {
            appender.clear();
            appender.closeSync();
          } catch {
            // The append already failed; the rollback below is what matters.
          }
        }
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    if (staged) void this.queueStatsMerge();
  }

  async queryEvents(q: PageQuery): Promise<EventRecord[]> {
    const fields = checkFields(q.select ?? defaultFields(q), 'select');
    if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${q.limit}`);
    const offset = q.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null || q.limit === 0) return [];
    const join = needsJoin(q);
    const plan = join ? { read: [...fields], resolve: false } : pagePlan(fields, q.raw);
    const source = join ? resolvedSource(p, q.organizationId) : 'events';

    const projection = plan.read.map(quoteIdent).join(', ');
    let keyset = '';
    if (q.after) {
      const ts = p.add(toBigInt(q.after.ts_millis, 'after.ts_millis'), BIGINT);
      const id = p.add(q.after.event_id, VARCHAR);
      keyset = `(ts_millis > ${ts} OR (ts_millis = ${ts} AND event_id > ${id}))`;
    }
    const page = `LIMIT ${p.add(BigInt(q.limit), BIGINT)} OFFSET ${p.add(BigInt(offset), BIGINT)}`;
    let sql: string;
    if (q.distinct && q.distinct.length > 0) {
      const keys = checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ');
      // The keyset applies after deduplication, or a page boundary would change which row is first.
      sql =
        `SELECT ${projection} FROM (SELECT *, row_number() OVER (PARTITION BY ${keys} ${ORDER_BY}) AS delivr_rn ` +
        `FROM ${source} WHERE ${where}) WHERE delivr_rn = 1${keyset ? ` AND ${keyset}` : ''} ${ORDER_BY} ${page}`;
    } else {
      sql = `SELECT ${projection} FROM ${source} WHERE ${where}${keyset ? ` AND ${keyset}` : ''} ${ORDER_BY} ${page}`;
    }
    const rows = await this.read(sql, p);
    const records = rows.map((row) => {
      const record: EventRecord = {};
      plan.read.forEach((name, i) => {
        record[name] = fromDuck(row[i] ?? null);
      });
      return record;
    });
    return resolvePage(this, q.organizationId, records, fields, plan);
  }

  async countEvents(q: EventQuery): Promise<number> {
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null) return 0;
    const source = needsJoin(q) ? resolvedSource(p, q.organizationId) : 'events';
    const sql =
      q.distinct && q.distinct.length > 0
        ? `SELECT count(*) FROM (SELECT DISTINCT ${checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ')} FROM ${source} WHERE ${where})`
        : `SELECT count(*) FROM ${source} WHERE ${where}`;
    const rows = await this.read(sql, p);
    return Number(rows[0]?.[0] ?? 0);
  }

  async countByBucket(q: EventQuery, bucket: 'hour' | 'day'): Promise<BucketCount[]> {
    const size = BUCKET_MS[bucket];
    const p = new Params();
    const where = whereClause(q, p);
    if (where === null) return [];
    const source = needsJoin(q) ? resolvedSource(p, q.organizationId) : 'events';
    // Floor to the bucket also for times before 1970 (SQL % keeps the dividend's sign).
    const start = `(ts_millis - ((ts_millis % ${size}) + ${size}) % ${size})`;
    const sql =
      q.distinct && q.distinct.length > 0
        ? `SELECT b, count(*) FROM (SELECT DISTINCT ${start} AS b, ${checkFields(q.distinct, 'distinct').map(quoteIdent).join(', ')} ` +
          `FROM ${source} WHERE ${where}) GROUP BY b ORDER BY b`
        : `SELECT ${start} AS b, count(*) FROM ${source} WHERE ${where} GROUP BY b ORDER BY b`;
    const rows = await this.read(sql, p);
    return rows.map((row) => ({ bucket_start_ms: Number(row[0]), count: Number(row[1]) }));
  }

  // Identity: profiles and visitor links (identity/types.ts has the contract).

  async mergeProfiles(organizationId: string, patches: readonly ProfilePatch[], now: number): Promise<void> {
    const writer = this.requireWriter();
    const rows = mergePatches(patches);
    if (rows.length === 0) return;
    const chunks = profileChunks(organizationId, rows, now);
    const set = PROFILE_COLUMNS.filter((c) => c.name !== 'hem_sha256' && c.name !== 'updated_at');
    const changed = set.map(
      (c) => `COALESCE(excluded.${quoteIdent(c.name)}, profiles.${quoteIdent(c.name)}) IS DISTINCT FROM profiles.${quoteIdent(c.name)}`,
    );
    await this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        const appender = await writer.createAppender('profiles_stage');
        for (const chunk of chunks) appender.appendDataChunk(chunk);
        appender.closeSync();
        // A later non-empty value wins, an empty one never erases; updated_at moves only on a change.
        await writer.run(
          `INSERT INTO profiles SELECT * FROM profiles_stage ON CONFLICT (organization_id, hem_sha256) DO UPDATE SET ` +
            set.map((c) => `${quoteIdent(c.name)} = COALESCE(excluded.${quoteIdent(c.name)}, profiles.${quoteIdent(c.name)})`).join(', ') +
            `, updated_at = CASE WHEN ${changed.join(' OR ')} THEN excluded.updated_at ELSE profiles.updated_at END`,
        );
        await writer.run('DELETE FROM profiles_stage');
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async getProfiles(organizationId: string, hems: readonly string[], kind: HemKind = 'sha256'): Promise<Profile[]> {
    if (hems.length === 0) return [];
    const p = new Params();
    const sql =
      `SELECT ${PROFILE_COLUMNS.map((c) => quoteIdent(c.name)).join(', ')} FROM profiles ` +
      `WHERE organization_id = ${p.add(organizationId, VARCHAR)} AND ${quoteIdent(`hem_${kind}`)} IN (${hems.map((h) => p.add(h, VARCHAR)).join(', ')})`;
    const rows = await this.read(sql, p);
    return rows.map((row) => profileRow(PROFILE_COLUMNS.map((c, i) => [c.name, fromDuck(row[i] ?? null)])));
  }

  async linkVisitors(organizationId: string, links: readonly NewLink[]): Promise<void> {
    const writer = this.requireWriter();
    const merged = mergeLinks(links);
    if (merged.length === 0) return;
    const p = new Params();
    const org = p.add(organizationId, VARCHAR);
    const values = merged
      .map(
        (l) =>
          `(${org}, ${p.add(l.visitor_id, VARCHAR)}, ${p.add(l.hem_sha256, VARCHAR)}, ${p.add(l.source, VARCHAR)}, ` +
          `${p.add(toBigInt(l.first_seen, 'first_seen'), BIGINT)}, ${p.add(toBigInt(l.last_seen, 'last_seen'), BIGINT)})`,
      )
      .join(', ');
    // Same person: widen the seen range. Another person, seen later: the visitor moves to them.
    const moves = 'excluded.hem_sha256 <> visitor_links.hem_sha256 AND excluded.last_seen >= visitor_links.last_seen';
    const same = 'excluded.hem_sha256 = visitor_links.hem_sha256';
    const sql =
      `INSERT INTO visitor_links VALUES ${values} ON CONFLICT (organization_id, visitor_id) DO UPDATE SET ` +
      `hem_sha256 = CASE WHEN ${moves} THEN excluded.hem_sha256 ELSE visitor_links.hem_sha256 END, ` +
      `source = CASE WHEN ${moves} THEN excluded.source ELSE visitor_links.source END, ` +
      `first_seen = CASE WHEN ${moves} THEN excluded.first_seen WHEN ${same} THEN least(visitor_links.first_seen, excluded.first_seen) ELSE visitor_links.first_seen END, ` +
      `last_seen = CASE WHEN ${moves} THEN excluded.last_seen WHEN ${same} THEN greatest(visitor_links.last_seen, excluded.last_seen) ELSE visitor_links.last_seen END`;
    await this.serializeWrite(() => writer.run(sql, p.values, p.types));
  }

  async linksOfVisitors(organizationId: string, visitorIds: readonly string[]): Promise<VisitorLink[]> {
    if (visitorIds.length === 0) return [];
    const p = new Params();
    return this.readLinks(
      `organization_id = ${p.add(organizationId, VARCHAR)} AND visitor_id IN (${visitorIds.map((v) => p.add(v, VARCHAR)).join(', ')})`,
      p,
    );
  }

  async linksOfPerson(organizationId: string, hemSha256: string): Promise<VisitorLink[]> {
    const p = new Params();
    return this.readLinks(`organization_id = ${p.add(organizationId, VARCHAR)} AND hem_sha256 = ${p.add(hemSha256, VARCHAR)}`, p);
  }

  private async readLinks(where: string, p: Params): Promise<VisitorLink[]> {
    const rows = await this.read(
      `SELECT visitor_id, hem_sha256, source, first_seen, last_seen FROM visitor_links WHERE ${where} ORDER BY first_seen, visitor_id`,
      p,
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
    return this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        const count = async (sql: string) => (await writer.runAndReadAll(sql, p.values, p.types)).getRows().length;
        const profiles = await count(`DELETE FROM profiles WHERE ${where} RETURNING hem_sha256`);
        const links = await count(`DELETE FROM visitor_links WHERE ${where} RETURNING visitor_id`);
        const events = await count(`UPDATE events SET hem_sha256 = NULL WHERE ${where} RETURNING event_id`);
        await writer.run('COMMIT');
        return { profiles, links, events };
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async deleteEventsBefore(organizationId: string, pixelIds: readonly string[], beforeMs: number): Promise<number> {
    if (pixelIds.length === 0) return 0;
    const p = new Params();
    const sql =
      `DELETE FROM events WHERE organization_id = ${p.add(organizationId, VARCHAR)} AND pixel_id IN (${pixelIds.map((x) => p.add(x, VARCHAR)).join(', ')}) ` +
      `AND ts_millis < ${p.add(toBigInt(beforeMs, 'beforeMs'), BIGINT)} RETURNING event_id`;
    const writer = this.requireWriter();
    return this.serializeWrite(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        // Staged events first, so the rebuild below starts from stats tables that hold every event.
        await this.mergeStaged(writer);
        const deleted = (await writer.runAndReadAll(sql, p.values, p.types)).getRows().length;
        await this.runStatements(writer, rebuildAfterDeleteSql(organizationId, pixelIds, beforeMs));
        await writer.run('COMMIT');
        return deleted;
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** One statement on the writer, in line with the other writes. */
  private write(sql: string, p: Params): Promise<DuckDBValue[][]> {
    const writer = this.requireWriter();
    return this.serializeWrite(async () => (await writer.runAndReadAll(sql, p.values, p.types)).getRows());
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

  // Traffic stats (analytics/stats.ts), read from the visits table kept in step at ingest (duckdb-stats.ts).

  /** A merge of the staged events is queued or running; reads wait for it (stats are exact at read time). */
  private statsMerge: Promise<void> = Promise.resolve();
  /** Whether the queued merge has not started yet (a later append can count on it). */
  private statsMergeQueued = false;

  private async initStats(writer: DuckDBConnection): Promise<void> {
    for (const ddl of statsDdl()) await writer.run(ddl);
    await writer.run(STAGE_DDL);
    const version = (await writer.runAndReadAll(`SELECT value FROM stats_meta WHERE name = 'visits_version'`)).getRows()[0]?.[0];
    await writer.run('BEGIN TRANSACTION');
    try {
      // A new definition rebuilds from the events (staged ones included); otherwise what a stopped
      // process staged but did not merge is merged now.
      if (version === STATS_VISITS_VERSION) await this.mergeStaged(writer);
      else await this.runStatements(writer, rebuildAllSql());
      await writer.run('COMMIT');
    } catch (err) {
      await writer.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    // The stage follows the events table's columns (it may have gained some since).
    const columns = async (table: string) =>
      (
        await writer.runAndReadAll(
          `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`,
        )
      )
        .getRows()
        .map((r) => String(r[0]))
        .join(',');
    if ((await columns('events')) !== (await columns('stats_stage'))) {
      await writer.run('DROP TABLE stats_stage');
      await writer.run(STAGE_DDL);
    }
  }

  /** Runs statements of duckdb-stats.ts on the writer, each with its own parameters. */
  private async runStatements(writer: DuckDBConnection, statements: readonly Statement[]): Promise<void> {
    for (const statement of statements) {
      const p = new Params();
      await writer.run(
        statement((v, t) => p.add(v, t)),
        p.values,
        p.types,
      );
    }
  }

  /** Inside the append's transaction: the rows stats count go to the durable stage as well. */
  private async stageStats(writer: DuckDBConnection, rows: readonly EventRow[]): Promise<boolean> {
    const counted = rows.filter((r) => !r.is_bot && r.session_id !== null);
    if (counted.length === 0) return false;
    const stage = await writer.createAppender('stats_stage');
    for (const chunk of toChunks(counted, this.appendColumns)) stage.appendDataChunk(chunk);
    stage.closeSync();
    return true;
  }

  /** Inside a transaction: merges every staged event into the stats tables and empties the stage. */
  private async mergeStaged(writer: DuckDBConnection): Promise<void> {
    const [range] = (await writer.runAndReadAll(`SELECT min(ts_millis), max(ts_millis) FROM stats_stage`)).getRows();
    if (range?.[0] === null || range?.[0] === undefined) return;
    const from = Math.floor(Number(range[0]) / DAY_MS);
    const to = Math.floor(Number(range[1]) / DAY_MS);
    await this.runStatements(writer, mergeStagedSql({ from, to }));
    await writer.run('DELETE FROM stats_stage');
  }

  /**
   * Queues a merge of the stage behind the writes already queued, unless one is queued and not yet
   * started (it will take this batch too). Appends return before it runs, so ingest does not wait
   * for the stats; stats reads do.
   */
  private queueStatsMerge(): Promise<void> {
    if (this.statsMergeQueued) return this.statsMerge;
    this.statsMergeQueued = true;
    const writer = this.requireWriter();
    this.statsMerge = this.serializeWrite(async () => {
      this.statsMergeQueued = false;
      await writer.run('BEGIN TRANSACTION');
      try {
        await this.mergeStaged(writer);
        await writer.run('COMMIT');
      } catch (err) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    // A failed merge leaves the stage as it was; the next append or read tries again.
    this.statsMerge.catch(() => undefined);
    return this.statsMerge;
  }

  /** Waits until every acknowledged event is in the stats tables. */
  private async statsSettled(): Promise<void> {
    try {
      await this.statsMerge;
    } catch {
      await this.queueStatsMerge();
    }
  }

  private async statsRead(build: (d: ReturnType<typeof duckStatsDialect>) => string): Promise<DuckDBValue[][]> {
    await this.statsSettled();
    const p = new Params();
    const sql = build(duckStatsDialect((v, t) => p.add(v, t)));
    return this.read(sql, p);
  }

  async statsTotals(q: StatsScope): Promise<StatsTotals> {
    if (scopeIsEmpty(q)) return { ...EMPTY_TOTALS };
    const rows = await this.statsRead((d) =>
      totalsSql(d, q, { visits: () => storedVisitsSql(d, q), values: (p) => storedValuesSql(d, q, p), grouping: { kind: 'none' } }),
    );
    return totalsOf(rows[0] ?? []);
  }

  async statsTimeseries(q: StatsScope, buckets: BucketSpec): Promise<BucketTotals[]> {
    if (scopeIsEmpty(q)) return [];
    const rows = await this.statsRead((d) =>
      totalsSql(d, q, {
        visits: () => storedVisitsSql(d, q),
        values: (p) => storedValuesSql(d, q, p),
        grouping: { kind: 'bucket', spec: buckets },
      }),
    );
    return rows.map((r) => ({ bucket: Number(r[0]), totals: totalsOf(r, 1) }));
  }

  async statsBreakdown(q: StatsScope, b: BreakdownQuery): Promise<{ rows: BreakdownRow[]; more: boolean }> {
    if (scopeIsEmpty(q)) return { rows: [], more: false };
    const rows = await this.statsRead((d) =>
      totalsSql(d, q, {
        visits: () => storedVisitsSql(d, q),
        values: (p) => storedValuesSql(d, q, p),
        grouping: { kind: 'property', property: b.property },
        page: { limit: b.limit, offset: b.offset },
      }),
    );
    const out = rows.map((r) => ({ value: String(r[0] ?? ''), totals: totalsOf(r, 1) }));
    return { rows: out.slice(0, b.limit), more: out.length > b.limit };
  }

  async statsRealtimeVisitors(organizationId: string, pixelIds: readonly string[], sinceMs: number, untilMs: number): Promise<number> {
    if (pixelIds.length === 0 || untilMs < sinceMs) return 0;
    const rows = await this.statsRead((d) => realtimeSql(d, organizationId, pixelIds, sinceMs, untilMs));
    return Number(rows[0]?.[0] ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes.catch(() => undefined);
    await Promise.allSettled([...this.running]);
    this.readers?.closeAll();
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

  private serializeWrite<T>(work: () => Promise<T>): Promise<T> {
    const result = this.writes.then(work, work);
    this.writes = result.catch(() => undefined);
    return this.track(result);
  }

  private read(sql: string, p: Params): Promise<DuckDBValue[][]> {
    this.requireWriter();
    const readers = this.readers;
    if (!readers) throw new Error('analytics store is not initialised; call init() first');
    return this.track(
      readers.use(async (conn) => {
        const reader = await conn.runAndReadAll(sql, p.values, p.types);
        return reader.getRows();
      }),
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

  async use<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    try {
      return await work(conn);
    } finally {
      this.release(conn);
    }
  }

  closeAll(): void {
    for (const conn of this.idle.splice(0)) conn.closeSync();
  }

  private async acquire(): Promise<DuckDBConnection> {
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
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(conn: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }
}

/** Positional parameters with explicit types, so nothing a caller sends is ever spliced into SQL. */
class Params {
  readonly values: DuckDBValue[] = [];
  readonly types: DuckDBType[] = [];

  add(value: DuckDBValue, type: DuckDBType): string {
    this.values.push(value);
    this.types.push(type);
    return `$${this.values.length}`;
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
  if (q.filter && q.filter.length > 0) {
    const checked = checkFilter(q.filter);
    if (!checked.ok) throw new Error(`invalid filter: ${checked.error}`);
    const groups = checked.value.map((group) => `(${group.map((c) => conditionSql(c, p)).join(' AND ')})`);
    sql += ` AND (${groups.join(' OR ')})`;
  }
  return sql;
}

function conditionSql(c: Condition, p: Params): string {
  const column = quoteIdent(c.field);
  const operand = operandOf(c);
  switch (operand.kind) {
    case 'is_null':
      return `${column} IS NULL`;
    case 'is_not_null':
      return `${column} IS NOT NULL`;
    case 'text':
      // ClickHouse treats `\` as LIKE's escape by default; DuckDB has none unless told.
      if (c.op === 'like') return `${column} LIKE ${p.add(operand.value, VARCHAR)} ESCAPE '\\'`;
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

function fromDuck(value: DuckDBValue): string | number | boolean | null {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  return String(value);
}

async function readColumns(conn: DuckDBConnection): Promise<{ name: string; type: string; nullable: boolean }[]> {
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns ` +
      `WHERE table_schema = current_schema() AND table_name = 'events' ORDER BY ordinal_position`,
  );
  return reader.getRows().map((row) => ({ name: String(row[0]), type: String(row[1]), nullable: row[2] === 'YES' }));
}

type ToDuck = (value: EventRow[StoredFieldName], row: number) => DuckDBValue;

const CONVERTERS: ReadonlyMap<string, { type: DuckDBType; convert: ToDuck }> = new Map(
  EVENT_FIELDS.map((f) => [f.name, { type: DUCK_TYPES[f.data_type], convert: converterFor(f.name, f.data_type, f.nullable) }]),
);

function converterFor(name: string, type: ArrowType, nullable: boolean): ToDuck {
  const bad = (value: unknown, row: number, expected: string): never => {
    throw new TypeError(
      `event ${row}: ${name} must be ${expected}${nullable ? ' or null' : ''}, got ${JSON.stringify(value) ?? typeof value}`,
    );
  };
  return (value, row) => {
    if (value === null || value === undefined) return nullable ? null : bad(value, row, expectedFor(type));
    switch (type) {
      case 'Utf8':
        return typeof value === 'string' ? value : bad(value, row, 'a string');
      case 'Boolean':
        return typeof value === 'boolean' ? value : bad(value, row, 'a boolean');
      case 'Int64':
        return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : bad(value, row, 'a safe integer');
      case 'Int32':
        return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647
          ? value
          : bad(value, row, 'a 32-bit integer');
    }
  };
}

function expectedFor(type: ArrowType): string {
  return { Utf8: 'a string', Boolean: 'a boolean', Int64: 'a safe integer', Int32: 'a 32-bit integer' }[type];
}

/** Column-major chunks in the table's column order; columns the code does not know get nulls. */
function toChunks(rows: readonly EventRow[], columns: readonly (StoredFieldName | null)[]): DuckDBDataChunk[] {
  if (columns.length === 0) throw new Error('analytics store is not initialised; call init() first');
  const plan = columns.map((name) => (name ? { name, ...(CONVERTERS.get(name) ?? unreachable(name)) } : null));
  const types = plan.map((c) => c?.type ?? VARCHAR);
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows.length - start);
    const data: DuckDBValue[][] = plan.map(() => new Array<DuckDBValue>(count));
    for (let i = 0; i < count; i++) {
      const row = rows[start + i] as EventRow;
      plan.forEach((column, k) => {
        (data[k] as DuckDBValue[])[i] = column ? column.convert(row[column.name], start + i) : null;
      });
    }
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
function resolvedSource(p: Params, organizationId: string): string {
  const org = p.add(organizationId, VARCHAR);
  const hem = 'CASE WHEN e.visitor_id IS NULL THEN e.hem_sha256 ELSE l.hem_sha256 END';
  const identity = IDENTITY_COLUMNS.map((c) => `pr.${quoteIdent(c)}`).join(', ');
  return (
    `(SELECT e.* REPLACE (${hem} AS hem_sha256, (${hem}) IS NOT NULL AS resolved), ${identity} FROM events e ` +
    `LEFT JOIN visitor_links l ON l.organization_id = ${org} AND l.visitor_id = e.visitor_id ` +
    `LEFT JOIN profiles pr ON pr.organization_id = ${org} AND pr.hem_sha256 = ${hem}) AS events`
  );
}

function identityDdl(): string[] {
  const profileColumns = PROFILE_COLUMNS.map((c) => `${quoteIdent(c.name)} ${SQL_TYPES[c.data_type]}${c.nullable ? '' : ' NOT NULL'}`);
  return [
    `CREATE TABLE IF NOT EXISTS profiles (organization_id VARCHAR NOT NULL, ${profileColumns.join(', ')}, PRIMARY KEY (organization_id, hem_sha256))`,
    `CREATE TABLE IF NOT EXISTS profiles_stage (organization_id VARCHAR NOT NULL, ${profileColumns.join(', ')})`,
    'CREATE INDEX IF NOT EXISTS profiles_md5 ON profiles (organization_id, hem_md5)',
    'CREATE INDEX IF NOT EXISTS profiles_sha1 ON profiles (organization_id, hem_sha1)',
    'CREATE TABLE IF NOT EXISTS visitor_links (organization_id VARCHAR NOT NULL, visitor_id VARCHAR NOT NULL, hem_sha256 VARCHAR NOT NULL, ' +
      'source VARCHAR NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, PRIMARY KEY (organization_id, visitor_id))',
    'CREATE INDEX IF NOT EXISTS visitor_links_hem ON visitor_links (organization_id, hem_sha256)',
  ];
}

/** Profile rows as column-major chunks in profiles_stage's column order. */
function profileChunks(organizationId: string, rows: readonly ProfilePatch[], now: number): DuckDBDataChunk[] {
  const types: DuckDBType[] = [VARCHAR, ...PROFILE_COLUMNS.map((c) => DUCK_TYPES[c.data_type])];
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows.length - start);
    const data: DuckDBValue[][] = types.map(() => new Array<DuckDBValue>(count));
    for (let i = 0; i < count; i++) {
      const row = rows[start + i] as ProfilePatch;
      (data[0] as DuckDBValue[])[i] = organizationId;
      PROFILE_COLUMNS.forEach((c, k) => {
        const v = c.name === 'updated_at' ? now : (row[c.name] ?? null);
        (data[k + 1] as DuckDBValue[])[i] =
          v === null ? null : c.data_type === 'Int64' ? BigInt(v) : c.data_type === 'Int32' ? Number(v) : String(v);
      });
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
