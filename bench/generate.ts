// One generated organization for the intent and audience benches (bench/intent.ts,
// bench/audience.ts), written straight into an analytics engine's tables by SQL that runs inside the
// engine (INSERT ... SELECT over DuckDB's range() or ClickHouse's numbers()), so 10,000,000 page
// views take a minute rather than the better part of an hour through appendEvents. The random
// numbers are an integer mixer (xor-shift-multiply on 31 bits) of the row number, the same
// arithmetic on both engines, so DuckDB and ClickHouse hold the same rows for the same spec.
//
// What it makes: people 0..people-1, each with a profile (a SHA-256 and MD5 of p<i>@bench.example,
// a first name, a seniority, a company size and domain) and 1 + i % 3 visitors linked to them
// (each visitor id the MD5 of a name in hex: 32 characters like the tracker's ids, which DuckDB's
// grouping cannot pack into a 16-byte integer as it did the shorter names, so a build groups by
// them at a real store's cost: the stage took 7 to 12% more CPU with them);
// page views over `days` days up to today, a quarter of them by strangers (unlinked visitors),
// people reading unevenly (the min of two uniform draws: the first people read more) and recent
// days more (the same skew); pages classified into the spec's topics (saved through the store).
//
// A filled store is kept on disk between runs (the DuckDB file and a JSON note beside it; on
// ClickHouse the tables, named after the spec, and a row in `bench_meta`): the next run with the
// same spec reuses it, scored as of the day it was generated.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { PROFILE_SNAPSHOT, profileSnapshotSql } from '../src/analytics/audience-duckdb.js';
import { ClickHouseAnalyticsStore } from '../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../src/analytics/duckdb.js';
import { VISITOR_KEY, visitorKeySql } from '../src/analytics/duckdb-visitor-key.js';
import type { AnalyticsStore } from '../src/analytics/types.js';
import { type ClassifiedPage, DAY_MS } from '../src/intent/types.js';
import { seededRandom } from '../src/platform/random.js';

/** Bump when the generated rows change, so cached stores are generated again. */
const GENERATOR_VERSION = 4;
const SENIORITY = ['cxo', 'vp', 'director', 'manager', 'staff'];

export interface WorkloadSpec {
  /** Names the cache entry (with a hash of the rest). */
  name: string;
  seed: number;
  events: number;
  people: number;
  days: number;
  /** Distinct company domains over the profiles. */
  companies: number;
  pages: number;
  topics: readonly string[];
  /** Each page is about 1..maxTopicsPerPage topics (relevance 40-100), unless it is about none. */
  maxTopicsPerPage: number;
  /** Share of pages about no topic. */
  noTopicShare: number;
}

export interface Workload {
  spec: WorkloadSpec;
  organizationId: string;
  pixelId: string;
  /** When the data was generated: the bench scores as of this time. */
  nowMs: number;
  asOfDay: number;
  pages: ClassifiedPage[];
  /** Generation (or cache read) time; `cached` when an earlier run's store was reused. */
  fillMs: number;
  cached: boolean;
}

/** The SHA-256 HEM of person `i` (as the generated profiles have it). */
export const hemOf = (i: number): string => createHash('sha256').update(`p${i}@bench.example`).digest('hex');

function keyOf(spec: WorkloadSpec): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...spec, v: GENERATOR_VERSION }))
    .digest('hex')
    .slice(0, 10);
  return `${spec.name.replace(/[^a-z0-9]/gi, '_')}_${hash}`;
}

function pagesOf(spec: WorkloadSpec): ClassifiedPage[] {
  const rnd = seededRandom(spec.seed);
  return Array.from({ length: spec.pages }, (_, i) => {
    const none = rnd() < spec.noTopicShare;
    const n = 1 + Math.floor(rnd() * spec.maxTopicsPerPage);
    const topics = none ? [] : [...new Set(Array.from({ length: n }, () => spec.topics[Math.floor(rnd() * spec.topics.length)] as string))];
    return {
      url: `https://bench.example/p${i}`,
      title: `Page ${i}`,
      description: '',
      heading: '',
      topics: topics.map((topic_id) => ({ topic_id, relevance: 40 + Math.floor(rnd() * 61) })),
      version: 'bench',
      classified_at: 1,
    };
  });
}

/** What differs between the engines' SQL. */
interface Dialect {
  /** A row source of n rows with the row number as `i`. */
  rows(n: number): string;
  xor(a: string, b: string): string;
  shr(a: string, n: number): string;
  and(a: string, mask: number): string;
  div(a: string, b: string): string;
  str(x: string): string;
  concat(...parts: string[]): string;
  sha256(s: string): string;
  md5(s: string): string;
}

const DUCK: Dialect = {
  rows: (n) => `(SELECT range AS i FROM range(${n}))`,
  xor: (a, b) => `xor(${a}, ${b})`,
  shr: (a, n) => `(${a} >> ${n})`,
  and: (a, m) => `(${a} & ${m})`,
  div: (a, b) => `(${a} // ${b})`,
  str: (x) => `CAST(${x} AS VARCHAR)`,
  concat: (...p) => `(${p.join(' || ')})`,
  sha256: (s) => `sha256(${s})`,
  md5: (s) => `md5(${s})`,
};

const CLICK: Dialect = {
  rows: (n) => `(SELECT number AS i FROM numbers(${n}))`,
  xor: (a, b) => `bitXor(${a}, ${b})`,
  shr: (a, n) => `bitShiftRight(${a}, ${n})`,
  and: (a, m) => `bitAnd(${a}, ${m})`,
  div: (a, b) => `intDiv(${a}, ${b})`,
  str: (x) => `toString(${x})`,
  concat: (...p) => `concat(${p.join(', ')})`,
  sha256: (s) => `lower(hex(SHA256(${s})))`,
  md5: (s) => `lower(hex(MD5(${s})))`,
};

const MASK = 0x7fffffff;

/**
 * `count` independent uniform integers in [0, 2^31) per row `i`, as columns u0.., from nested
 * SELECTs (each mixing step reads the previous one's column twice, so nesting keeps SQL small).
 */
function uniforms(d: Dialect, source: string, count: number, seed: number, keep: string): string {
  const cols = Array.from({ length: count }, (_, k) => `u${k}`);
  const step = (inner: string, f: (c: string) => string) =>
    `(SELECT ${keep}, ${cols.map((c) => `${f(c)} AS ${c}`).join(', ')} FROM ${inner})`;
  let q = `(SELECT ${keep}, ${cols
    .map((c, k) => `${d.and(`i * 40503 + ${(seed * 97 + k + 1) * 2654435}`, MASK)} AS ${c}`)
    .join(', ')} FROM ${source})`;
  q = step(q, (c) => d.xor(c, d.shr(c, 15)));
  q = step(q, (c) => d.and(`${c} * ${0x2c1b3c6d}`, MASK));
  q = step(q, (c) => d.xor(c, d.shr(c, 12)));
  q = step(q, (c) => d.and(`${c} * ${0x297a2d39}`, MASK));
  q = step(q, (c) => d.xor(c, d.shr(c, 15)));
  return q;
}

const least = (a: string, b: string): string => `least(${a}, ${b})`;
const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** The INSERT ... SELECT statements that fill the events, profiles and links tables. */
function fillSql(
  d: Dialect,
  w: Workload,
  tables: { events: string; profiles: string; links: string },
  engine: 'duckdb' | 'clickhouse',
): string[] {
  const s = w.spec;
  const org = quote(w.organizationId);
  const u = uniforms(d, d.rows(s.events), 8, s.seed, 'i');
  const person = least(`u0 % ${s.people}`, `u1 % ${s.people}`);
  const age = least(`u4 % ${s.days}`, `u5 % ${s.days}`);
  const ts = least(`(${w.asOfDay} - ${age}) * ${DAY_MS} + u6 % ${DAY_MS}`, String(w.nowMs));
  const visitor = d.md5(
    `CASE WHEN u2 % 4 = 0 THEN ${d.concat("'stranger-'", d.str(`u3 % ${s.people}`))} ELSE ${d.concat(
      "'v-'",
      d.str('person'),
      "'-'",
      d.str('u3 % (1 + person % 3)'),
    )} END`,
  );
  const bool = (b: boolean) => (engine === 'duckdb' ? String(b) : b ? '1' : '0');
  // DuckDB's rows carry the visitor's key, as the journal's move writes it (duckdb-visitor-key.ts).
  const key = (id: string) =>
    engine === 'duckdb' ? { column: `, ${VISITOR_KEY}`, value: `, ${visitorKeySql(id)}` } : { column: '', value: '' };
  const events =
    `INSERT INTO ${tables.events} (event_id, event_type, ts_millis, received_millis, organization_id, project_id, pixel_id, visitor_id, url, is_bot, resolved${key('visitor').column}) ` +
    `SELECT ${d.concat("'e-'", d.str('i'))}, 'page_view', ts, ts, ${org}, 'bench', ${quote(w.pixelId)}, visitor, ` +
    `${d.concat("'https://bench.example/p'", d.str(`u7 % ${s.pages}`))}, ${bool(false)}, ${bool(false)}${key('visitor').value} FROM ` +
    `(SELECT i, u7, ${ts} AS ts, ${visitor} AS visitor FROM (SELECT i, u2, u3, u4, u5, u6, u7, ${person} AS person FROM ${u}))` +
    (engine === 'duckdb' ? ' ORDER BY ts' : '');
  const email = d.concat("'p'", d.str('i'), "'@bench.example'");
  // A searched CASE: 18.16's `CASE x WHEN` compares through a type it picks, and answered NULL here.
  const seniority = `CASE ${SENIORITY.map((v, k) => `WHEN i % 5 = ${k} THEN '${v}'`).join(' ')} END`;
  const profileCols =
    'organization_id, hem_sha256, hem_md5, first_name, seniority_level, company_employee_count, company_domain, updated_at';
  const profiles =
    `INSERT INTO ${tables.profiles} (${profileCols}${engine === 'clickhouse' ? ', deleted' : ''}) ` +
    `SELECT ${org}, ${d.sha256(email)}, ${d.md5(email)}, ${d.concat("'First'", d.str('i'))}, ${seniority}, (i * 37) % 5000, ` +
    `${d.concat("'company-'", d.str(`i % ${s.companies}`), "'.example'")}, 1${engine === 'clickhouse' ? ', 0' : ''} FROM ${d.rows(s.people)}`;
  const linkSource =
    engine === 'duckdb'
      ? `(SELECT p.i AS i, k.range AS k FROM ${d.rows(s.people)} p, range(3) k WHERE k.range <= p.i % 3)`
      : `(SELECT i, k FROM ${d.rows(s.people)} ARRAY JOIN range(toUInt64(i % 3 + 1)) AS k)`;
  const linkVisitor = d.md5(d.concat("'v-'", d.str('i'), "'-'", d.str('k')));
  const links =
    `INSERT INTO ${tables.links} (organization_id, visitor_id, hem_sha256, source, first_seen, last_seen${engine === 'clickhouse' ? ', version, deleted' : ''}${key('').column}) ` +
    `SELECT ${org}, ${linkVisitor}, ${d.sha256(email)}, 'form', 1, 1${engine === 'clickhouse' ? ', 1, 0' : ''}${key(linkVisitor).value} FROM ${linkSource}`;
  return [profiles, links, events];
}

function newWorkload(spec: WorkloadSpec): Workload {
  const key = keyOf(spec);
  const nowMs = Date.now();
  return {
    spec,
    organizationId: `bench-${key}`,
    pixelId: `pixel-${key}`,
    nowMs,
    asOfDay: Math.floor(nowMs / DAY_MS),
    pages: pagesOf(spec),
    fillMs: 0,
    cached: false,
  };
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * A DuckDB store holding the workload, from `dir` when an earlier run left it there (the file is
 * `<dir>/<name>_<hash>.duckdb`, its note beside it), opened by `open` (a plain store by default). The caller closes the store.
 */
export async function duckdbWorkload(
  spec: WorkloadSpec,
  dir: string,
  open: (file: string) => AnalyticsStore = (file) => new DuckDbAnalyticsStore(file),
): Promise<{ store: AnalyticsStore; workload: Workload }> {
  mkdirSync(dir, { recursive: true });
  const key = keyOf(spec);
  const file = join(dir, `${key}.duckdb`);
  const note = join(dir, `${key}.json`);
  const t0 = performance.now();
  if (existsSync(file) && existsSync(note)) {
    const saved = JSON.parse(readFileSync(note, 'utf8')) as Omit<Workload, 'pages' | 'fillMs' | 'cached' | 'spec'>;
    const store = open(file);
    await store.init();
    return { store, workload: { ...saved, spec, pages: pagesOf(spec), fillMs: performance.now() - t0, cached: true } };
  }
  rmSync(file, { force: true });
  rmSync(`${file}.wal`, { force: true });
  const w = newWorkload(spec);
  log(`  generating ${spec.events.toLocaleString()} page views of ${spec.people.toLocaleString()} people into ${file} ...`);
  // Tables and pages through the store, rows by SQL on a connection of our own (the store closed).
  const setup = new DuckDbAnalyticsStore(file);
  await setup.init();
  await setup.savePages(w.organizationId, w.pages);
  await setup.close();
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  for (const sql of fillSql(DUCK, w, { events: 'events', profiles: 'profiles', links: 'visitor_links' }, 'duckdb')) await conn.run(sql);
  // The column the store's writes derive from each profile (audience-duckdb.ts), written here as they would.
  await conn.run(`UPDATE profiles SET ${PROFILE_SNAPSHOT} = ${profileSnapshotSql((c) => `"${c}"`)}`);
  await conn.run('CHECKPOINT');
  conn.closeSync();
  instance.closeSync();
  w.fillMs = performance.now() - t0;
  const { pages: _pages, spec: _spec, fillMs: _fill, cached: _cached, ...saved } = w;
  writeFileSync(note, JSON.stringify(saved));
  const store = open(file);
  await store.init();
  return { store, workload: w };
}

/**
 * A ClickHouse store holding the workload in `database` (tables `<name>_<hash>` and its
 * `_profiles`, `_links`, `_pages`...), reused when `bench_meta` says an earlier run filled them.
 */
export async function clickhouseWorkload(
  spec: WorkloadSpec,
  serverUrl: string,
  database: string,
): Promise<{ store: ClickHouseAnalyticsStore; workload: Workload; admin: ClickHouseClient }> {
  const key = keyOf(spec);
  const base = new URL(serverUrl);
  base.pathname = '/';
  const admin = createClient({ url: base.toString(), request_timeout: 1_200_000, log: { level: ClickHouseLogLevel.OFF } });
  const meta = `\`${database}\`.\`bench_meta\``;
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
  await admin.command({ query: `CREATE TABLE IF NOT EXISTS ${meta} (key String, note String) ENGINE = MergeTree ORDER BY key` });
  const url = new URL(base);
  url.pathname = `/${database}`;
  const open = async () => {
    const store = new ClickHouseAnalyticsStore({ url: url.toString(), table: key, requestTimeoutMs: 1_200_000 });
    await store.init();
    return store;
  };
  const t0 = performance.now();
  const found = await (await admin.query({ query: `SELECT note FROM ${meta} WHERE key = '${key}' LIMIT 1`, format: 'JSONEachRow' })).json<{
    note: string;
  }>();
  if (found[0]) {
    const saved = JSON.parse(found[0].note) as Omit<Workload, 'pages' | 'fillMs' | 'cached' | 'spec'>;
    return { store: await open(), workload: { ...saved, spec, pages: pagesOf(spec), fillMs: performance.now() - t0, cached: true }, admin };
  }
  const w = newWorkload(spec);
  log(`  generating ${spec.events.toLocaleString()} page views of ${spec.people.toLocaleString()} people into ${database}.${key} ...`);
  for (const suffix of ['', '_profiles', '_links', '_pages', '_audience_rows', '_audience_scores']) {
    await admin.command({ query: `DROP TABLE IF EXISTS \`${database}\`.\`${key}${suffix}\`` });
  }
  const store = await open();
  await store.savePages(w.organizationId, w.pages);
  const t = (suffix: string) => `\`${database}\`.\`${key}${suffix}\``;
  for (const sql of fillSql(CLICK, w, { events: t(''), profiles: t('_profiles'), links: t('_links') }, 'clickhouse')) {
    await admin.command({ query: sql });
  }
  // Merged once, so FINAL reads of profiles and links start from one part each as a long-lived table would.
  for (const suffix of ['_profiles', '_links']) await admin.command({ query: `OPTIMIZE TABLE ${t(suffix)} FINAL` });
  w.fillMs = performance.now() - t0;
  const { pages: _pages, spec: _spec, fillMs: _fill, cached: _cached, ...saved } = w;
  await admin.insert({ table: meta, values: [{ key, note: JSON.stringify(saved) }], format: 'JSONEachRow' });
  return { store, workload: w, admin };
}
