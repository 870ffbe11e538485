// The scale-out analytics store: events in one ClickHouse MergeTree table, shared by any number of
// stateless server processes. It speaks HTTP through @clickhouse/client and must work on Debian's
// ClickHouse 18.16 as well as on current releases, so it uses only what both have: no server-side
// query parameters (every value goes through clickhouse-sql.ts), no DateTime64, no TTL, booleans as
// UInt8, timestamps as Int64 epoch milliseconds with time buckets computed by integer arithmetic.
//
// An insert is acknowledged by ClickHouse once its parts are written, so `appendEvents` resolves
// after a synchronous insert (never an async one); a kill -9 of this process loses nothing it
// acknowledged.

import { type ClickHouseClient, ClickHouseLogLevel, type ClickHouseSettings, createClient } from '@clickhouse/client';
import { sqlBool, sqlConfiguredIdentifier, sqlIdentifier, sqlNumber, sqlString, sqlStringList, toWellFormed } from './clickhouse-sql.js';
import { BUCKET_MS, checkFields, checkFilter, fieldName, operandOf } from './filter.js';
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
  type FieldName,
  type FilterOp,
  type PageQuery,
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
}

const DEFAULT_DATABASE = 'delivr';
const CH_TYPES: Record<ArrowType, string> = { Utf8: 'String', Int64: 'Int64', Int32: 'Int32', Boolean: 'UInt8' };
const FIELD_NAMES: ReadonlySet<FieldName> = new Set(EVENT_FIELDS.map((f) => fieldName(f.name)));
const FIELD_TYPES: ReadonlyMap<FieldName, ArrowType> = new Map(EVENT_FIELDS.map((f) => [fieldName(f.name), f.data_type]));
const ALL_FIELDS: readonly FieldName[] = EVENT_FIELDS.map((f) => fieldName(f.name));
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
  private readonly running = new Set<Promise<unknown>>();
  private initialized = false;
  private closed = false;

  constructor(options: ClickHouseStoreOptions | string) {
    const opts = typeof options === 'string' ? { url: options } : options;
    const { clientUrl, database } = splitUrl(opts.url);
    this.database = database;
    this.tableName = opts.table ?? 'events';
    this.table = `${sqlConfiguredIdentifier(database)}.${sqlConfiguredIdentifier(this.tableName)}`;
    this.client = createClient({
      url: clientUrl,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      max_open_connections: opts.maxOpenConnections ?? 10,
      // Failures are thrown to the caller, which logs them with its own context.
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: { max_query_size: MAX_QUERY_SIZE },
    });
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
      this.names(`SELECT name FROM system.settings WHERE name IN ${sqlStringList(['async_insert'])}`),
      this.names(
        `SELECT name FROM system.merge_tree_settings WHERE name IN ${sqlStringList(['fsync_after_insert', 'fsync_part_directory'])}`,
      ),
    ]);
    // Servers with async inserts could have them switched on in a profile; ours must be synchronous.
    // 18.16 rejects unknown settings, so the setting is only sent where it exists.
    this.insertSettings = serverSettings.has('async_insert') ? { async_insert: 0 } : {};
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

  async queryEvents(q: PageQuery): Promise<EventRecord[]> {
    this.requireReady();
    const fields = checkFields(q.select ?? ALL_FIELDS, 'select');
    if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${q.limit}`);
    const offset = q.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    const where = whereClause(q);
    if (where === null || q.limit === 0) return [];

    let keyset = '';
    if (q.after) {
      const ts = sqlNumber(checkMillis(q.after.ts_millis, 'after.ts_millis'));
      const id = sqlString(q.after.event_id);
      keyset = `(\`ts_millis\` > ${ts} OR (\`ts_millis\` = ${ts} AND \`event_id\` > ${id}))`;
    }
    const projection = fields.map(ident).join(', ');
    const page = `LIMIT ${sqlNumber(offset)}, ${sqlNumber(q.limit)}`;
    let sql: string;
    if (q.distinct && q.distinct.length > 0) {
      const keys = checkFields(q.distinct, 'distinct');
      const inner = unique<FieldName>([...fields, ...keys, 'ts_millis', 'event_id'])
        .map(ident)
        .join(', ');
      // First row per tuple over the whole range, then the keyset: a page boundary must not change
      // which row of a tuple comes first.
      sql =
        `SELECT ${projection} FROM (SELECT ${inner} FROM ${this.table} WHERE ${where} ${ORDER_BY} ` +
        `LIMIT 1 BY ${keys.map(ident).join(', ')})${keyset ? ` WHERE ${keyset}` : ''} ${ORDER_BY} ${page}`;
    } else {
      sql = `SELECT ${projection} FROM ${this.table} WHERE ${where}${keyset ? ` AND ${keyset}` : ''} ${ORDER_BY} ${page}`;
    }
    const rows = await this.select(sql);
    return rows.map((row) => {
      const record: EventRecord = {};
      for (const name of fields) record[name] = fromJson(name, row[name] ?? null);
      return record;
    });
  }

  async countEvents(q: EventQuery): Promise<number> {
    this.requireReady();
    const where = whereClause(q);
    if (where === null) return 0;
    const rows = await this.select(`SELECT ${countExpression(q)} AS c FROM ${this.table} WHERE ${where}`);
    return toNumber(rows[0]?.c ?? 0, 'count');
  }

  async countByBucket(q: EventQuery, bucket: 'hour' | 'day'): Promise<BucketCount[]> {
    this.requireReady();
    const where = whereClause(q);
    if (where === null) return [];
    const size = sqlNumber(BUCKET_MS[bucket]);
    // Floor to the bucket also before 1970 (% keeps the dividend's sign). UTC by construction.
    const start = `(\`ts_millis\` - ((\`ts_millis\` % ${size}) + ${size}) % ${size})`;
    const rows = await this.select(
      `SELECT ${start} AS b, ${countExpression(q)} AS c FROM ${this.table} WHERE ${where} GROUP BY b ORDER BY b`,
    );
    return rows.map((row) => ({ bucket_start_ms: toNumber(row.b ?? null, 'bucket'), count: toNumber(row.c ?? null, 'count') }));
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

  private async select(sql: string): Promise<JsonRow[]> {
    return this.track(
      (async () => {
        const result = await this.client.query({ query: sql, format: 'JSONEachRow' });
        return result.json<JsonRow>();
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
  if (q.filter && q.filter.length > 0) {
    const checked = checkFilter(q.filter);
    if (!checked.ok) throw new Error(`invalid filter: ${checked.error}`);
    const groups = checked.value.map((group) => `(${group.map(conditionSql).join(' AND ')})`);
    sql += ` AND (${groups.join(' OR ')})`;
  }
  return sql;
}

function conditionSql(c: Condition): string {
  const column = ident(c.field);
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

/** One JSONEachRow object: booleans as 0/1, strings valid UTF-8 (ClickHouse refuses lone surrogates). */
function toInsertRow(row: EventRow, index: number): Record<string, InsertCell> {
  const out: Record<string, InsertCell> = {};
  for (const f of EVENT_FIELDS) {
    const name = fieldName(f.name);
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

/** The numeric code of a ClickHouse error, from the client's parse or 18.16's "Code: N, ..." text. */
function errorCode(err: unknown): number | null {
  if (!(err instanceof Error)) return null;
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const match = /Code: (\d+)/.exec(err.message);
  return match?.[1] ? Number(match[1]) : null;
}
