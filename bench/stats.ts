// Benchmark of the traffic stats: one project's 10M events over 30 days (visits of a few page views
// each, with clicks, scrolls and form events between them, from a few hundred thousand returning
// visitors), then the calls the dashboard's overview makes, each timed alone (p50, p90) and all
// together as the page sends them (in parallel, through the query gate with the server's default
// share of queries at once per organization, QUERY_CONCURRENCY_PER_ORG), on DuckDB (the threaded
// store the server runs, on its default threads, DUCKDB_THREADS, its rollups folded) and, with
// CLICKHOUSE_URL, on ClickHouse. Each line has the process's CPU time per call (all threads) next to
// the wall time, and the load average when the run started. ClickHouse folds its completed days first (foldStats).
//
//   npm run bench:stats                     10,000,000 events
//   BENCH_EVENTS=1000000 npm run bench:stats
//   BENCH_RUNS=20 BENCH_KEEP=1              runs per call; keep the DuckDB file and print its path
//   BENCH_CLICKHOUSE_RUNS=3                 fewer runs on ClickHouse, whose calls take seconds at 10M
//   CLICKHOUSE_URL=http://127.0.0.1:8123 npm run bench:stats   also ClickHouse (a scratch database,
//                                           dropped afterwards), and the medians side by side
//   BENCH_ENGINES=clickhouse                only these engines (comma-separated; default both)
//   BENCH_DUCKDB_FILE=/path/analytics.duckdb   time a file kept by BENCH_KEEP instead of inserting again
//                                           (same BENCH_EVENTS; rollups of another version are rebuilt)
//   BENCH_CLICKHOUSE_DB=name                the same for a ClickHouse database kept by BENCH_KEEP
//   BENCH_CHDB=1                            also a current ClickHouse release (the engine chdb embeds,
//                                           26.x, in this process: `npm install --no-save chdb`), as
//                                           engine `clickhouse-current`; BENCH_CHDB_DIR keeps its data
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseAnalyticsStore } from '../src/analytics/clickhouse.js';
import { ThreadedDuckDbStore } from '../src/analytics/duckdb-threaded.js';
import { QueryGate } from '../src/analytics/query-gate.js';
import type { BreakdownQuery, BucketSpec, StatsScope } from '../src/analytics/stats.js';
import type { AnalyticsStore, EventRow, QueryOptions } from '../src/analytics/types.js';

import { defaultDuckDbThreads } from '../src/platform/config.js';
import { seededRandom } from '../src/platform/random.js';
import { DAY_MS, localDay, offsetPieces, startOfLocalDay } from '../src/platform/time-zone.js';
import { loadChdb } from '../test/support/chdb.js';
import { eventRow } from '../test/support/events.js';

const EVENTS = intEnv('BENCH_EVENTS', 10_000_000);
/** DuckDB's threads and the queries one organization runs at once, as the server sets them by default. */
const DUCKDB_THREADS = intEnv('DUCKDB_THREADS', defaultDuckDbThreads());
const PER_ORGANIZATION = intEnv('QUERY_CONCURRENCY_PER_ORG', 1);
const RUNS = intEnv('BENCH_RUNS', 15);
const BATCH = intEnv('BENCH_BATCH', 245_760);
const ZONE = 'America/New_York';
const DAYS = 30;
const END = startOfLocalDay(localDay(Date.UTC(2026, 3, 1), ZONE), ZONE);
const START = END - DAYS * DAY_MS;
/** Visits per visitor over the month follow a long tail; this many visitors share them. */
const VISITORS = Math.max(1000, Math.round(EVENTS / 28));

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

// Deterministic data: the same events on every engine and every run.
let rnd = seededRandom(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
/** Zipf-like: index 0 most often. */
const zipf = (n: number): number => Math.min(n - 1, Math.floor(n ** rnd()) - 1);

// Fixed ids, so a kept file (BENCH_KEEP, BENCH_DUCKDB_FILE) is found again.
const ORG = '0b0b0b0b-0000-4000-8000-000000000001';
const PROJECT = '0b0b0b0b-0000-4000-8000-000000000002';
const PIXEL = '0b0b0b0b-0000-4000-8000-000000000003';
const SITE = 'https://www.acme-saas.example';
const PATHS = Array.from({ length: 500 }, (_, i) =>
  i === 0 ? '/' : `/${['pricing', 'docs', 'blog', 'features', 'customers', 'careers'][i % 6]}/${i}`,
);
const REFERRERS = [
  null,
  null,
  null,
  'https://www.google.com/',
  'https://www.google.de/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://www.linkedin.com/',
  'https://t.co/x',
  'https://news.ycombinator.com/',
  'https://www.reddit.com/r/saas/',
  'https://partner-blog.example/post',
  'https://github.com/acme',
];
const UTMS: [string | null, string | null, string | null][] = [
  [null, null, null],
  [null, null, null],
  [null, null, null],
  [null, null, null],
  ['newsletter', 'email', 'april-digest'],
  ['google', 'cpc', 'brand-search'],
  ['linkedin', 'paid_social', 'launch-week'],
  ['partner', 'referral', 'co-marketing'],
];
const PLACES = Array.from({ length: 120 }, (_, i) => [
  ['US', 'DE', 'GB', 'FR', 'IN', 'CA', 'BR', 'NL', 'JP', 'AU'][i % 10] as string,
  `Region ${i % 40}`,
  `City ${i}`,
]);
const AGENTS: [string, string, string][] = [
  ['Chrome', 'macOS', 'desktop'],
  ['Chrome', 'Windows', 'desktop'],
  ['Safari', 'iOS', 'mobile'],
  ['Firefox', 'Linux', 'desktop'],
  ['Chrome', 'Android', 'mobile'],
  ['Edge', 'Windows', 'desktop'],
  ['Safari', 'iPadOS', 'tablet'],
];
const NETWORKS: [string, string][] = [
  ['Comcast Cable Communications, LLC', 'isp'],
  ['Deutsche Telekom AG', 'isp'],
  ['Amazon.com, Inc.', 'hosting'],
  ...Array.from({ length: 60 }, (_, i): [string, string] => [`Customer Corp ${i}`, 'business']),
];
const OTHER_TYPES = ['click', 'click', 'scroll_depth', 'scroll_depth', 'user_idle', 'form_submission', 'copy', 'file_download'];

const visitorIds = Array.from({ length: VISITORS }, () => randomBytes(16).toString('hex'));

/** Visits in start order, each a handful of page views with other events between them. */
function* visits(): Generator<EventRow[]> {
  let made = 0;
  const meanEventsPerVisit = 7.5;
  const step = (DAYS * DAY_MS) / (EVENTS / meanEventsPerVisit);
  let t = START;
  while (made < EVENTS) {
    t += Math.floor(step * 2 * rnd());
    if (t >= END) t = START + Math.floor(rnd() * DAYS * DAY_MS);
    const visitor = visitorIds[zipf(VISITORS)] as string;
    const session = randomBytes(16).toString('hex');
    const [utmSource, utmMedium, utmCampaign] = pick(UTMS);
    const referrer = pick(REFERRERS);
    const [country, region, city] = pick(PLACES) as [string, string, string];
    const [browser, os, device] = pick(AGENTS);
    const [network, networkType] = NETWORKS[zipf(NETWORKS.length)] as [string, string];
    const bot = rnd() < 0.02;
    const views = 1 + Math.floor(-Math.log(1 - rnd()) * 2.2);
    const rows: EventRow[] = [];
    let ts = t;
    for (let v = 0; v < views && made + rows.length < EVENTS; v++) {
      const path = PATHS[zipf(PATHS.length)] as string;
      const url = `${SITE}${path}${v === 0 && utmSource ? `?utm_source=${utmSource}` : ''}`;
      const row = (type: string): EventRow =>
        eventRow({
          event_type: type,
          ts_millis: ts,
          received_millis: ts + 40,
          organization_id: ORG,
          project_id: PROJECT,
          pixel_id: PIXEL,
          visitor_id: visitor,
          session_id: session,
          url,
          path,
          referrer: v === 0 ? referrer : SITE,
          title: `Acme ${path}`,
          browser,
          os,
          device_type: device,
          language: 'en-US',
          screen_width: device === 'mobile' ? 390 : 1440,
          screen_height: device === 'mobile' ? 844 : 900,
          utm_source: v === 0 ? utmSource : null,
          utm_medium: v === 0 ? utmMedium : null,
          utm_campaign: v === 0 ? utmCampaign : null,
          is_bot: bot,
          resolved: false,
          country,
          region,
          city,
          asn: 7922,
          network_org: network,
          network_type: networkType,
        });
      rows.push(row('page_view'));
      const others = Math.floor(rnd() * 3.2);
      for (let k = 0; k < others && made + rows.length < EVENTS; k++) {
        ts += 2000 + Math.floor(rnd() * 40_000);
        rows.push(row(pick(OTHER_TYPES)));
      }
      ts += 5000 + Math.floor(rnd() * 120_000);
    }
    made += rows.length;
    yield rows;
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const medians = new Map<string, Map<string, number>>();

async function time(engine: string, label: string, once: () => Promise<unknown>): Promise<void> {
  await once();
  await once();
  const ms: number[] = [];
  const cpu: number[] = [];
  const runs = engine.startsWith('clickhouse') ? intEnv('BENCH_CLICKHOUSE_RUNS', RUNS) : RUNS;
  for (let r = 0; r < runs; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await once();
    ms.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const byEngine = medians.get(label) ?? new Map<string, number>();
  byEngine.set(engine, percentile(ms, 0.5));
  medians.set(label, byEngine);
  log(
    `${label.padEnd(44)} p50 ${percentile(ms, 0.5).toFixed(1).padStart(7)} ms   p90 ${percentile(ms, 0.9).toFixed(1).padStart(7)} ms   ` +
      `CPU p50 ${percentile(cpu, 0.5).toFixed(1).padStart(7)} ms`,
  );
}

/** The calls the overview page makes for a period (src/stats/service.ts turns each into these). */
function overviewCalls(s: AnalyticsStore, days: number, filter?: StatsScope['filter']): [string, () => Promise<unknown>][] {
  // As src/stats/service.ts runs them: each call one turn of the organization's share.
  const gate = new QueryGate({ timeoutMs: 120_000, perOrganization: PER_ORGANIZATION, queuePerOrganization: 64 });
  const gated = (work: (o: QueryOptions) => Promise<unknown>) => () => gate.run(ORG, undefined, work);
  const endDay = localDay(END - 1, ZONE) + 1;
  const startMs = startOfLocalDay(endDay - days, ZONE);
  const prevStartMs = startOfLocalDay(endDay - 2 * days, ZONE);
  const scope: StatsScope = {
    organizationId: ORG,
    pixelIds: [PIXEL],
    startMs,
    endMs: END,
    ...(filter ? { filter } : {}),
    zone: ZONE,
  };
  const previous: StatsScope = { ...scope, startMs: prevStartMs, endMs: startMs, identified: true };
  const spec: BucketSpec = { unit: 'day', offsets: offsetPieces(startMs, END, ZONE) };
  const breakdown = (property: BreakdownQuery['property'], extra?: StatsScope['filter']) =>
    gated((o) =>
      s.statsBreakdown(
        extra ? { ...scope, filter: [...(scope.filter ?? [[]])].map((g) => [...g, ...(extra[0] ?? [])]) } : scope,
        { property, limit: 10, offset: 0 },
        o,
      ),
    );
  return [
    // The headline asks for every metric, identified visitors included; the chart and panels do not.
    [
      'aggregate (with previous period)',
      gated((o) => Promise.all([s.statsTotals({ ...scope, identified: true }, o), s.statsTotals(previous, o)])),
    ],
    ['timeseries per day', gated((o) => s.statsTimeseries(scope, spec, o))],
    ['breakdown page', breakdown('page')],
    ['breakdown source', breakdown('source')],
    // As the dashboard's campaign panel asks: the campaigns there are (utm_campaign:not_null).
    ['breakdown utm_campaign (not_null)', breakdown('utm_campaign', [[{ property: 'utm_campaign', op: 'not_null', value: null }]])],
    ['breakdown country', breakdown('country')],
    ['breakdown device', breakdown('device')],
    ['breakdown network (business)', breakdown('network', [[{ property: 'network_type', op: 'eq', value: 'business' }]])],
    ['breakdown company (identified)', breakdown('company', [[{ property: 'company', op: 'not_null', value: null }]])],
    ['realtime visitors', gated((o) => s.statsRealtimeVisitors(ORG, [PIXEL], END - 5 * 60_000, END, o))],
  ];
}

/** ClickHouse's fold copies the month's merged visits before the timings, and builds the day rollups reads asked for, as reads would have it done in the background. */
async function foldClickHouse(store: AnalyticsStore): Promise<void> {
  const t = performance.now();
  const days = await (store as ClickHouseAnalyticsStore).foldStats();
  // And the day rollups reads queued.
  await (store as ClickHouseAnalyticsStore).settleStats();
  log(`clickhouse fold: ${days} pixel days in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

interface Engine {
  name: string;
  batch: number;
  /** The events are there already (a kept file): skip the insert. */
  loaded?: boolean;
  open(): AnalyticsStore;
  /** Brings the engine's rollups up to date before the timings (DuckDB and ClickHouse fold). */
  settle?(store: AnalyticsStore): Promise<void>;
  cleanup(): Promise<void>;
}

async function runEngine(engine: Engine): Promise<void> {
  rnd = seededRandom(42);
  log(
    `\n== ${engine.name}: ${EVENTS.toLocaleString('en')} events, batches of ${engine.batch.toLocaleString('en')}, ${availableParallelism()} CPUs`,
  );
  let store = engine.open();
  const opening = performance.now();
  await store.init();
  if (engine.loaded)
    log(`opened the kept data in ${((performance.now() - opening) / 1000).toFixed(1)} s (rollups rebuilt if their version changed)`);
  const started = performance.now();
  let pending: EventRow[] = [];
  let appendMs = 0;
  let total = 0;
  for (const visit of engine.loaded ? [] : visits()) {
    pending.push(...visit);
    if (pending.length >= engine.batch) {
      const t = performance.now();
      await store.appendEvents(pending);
      appendMs += performance.now() - t;
      total += pending.length;
      pending = [];
    }
  }
  if (pending.length > 0) {
    const t = performance.now();
    await store.appendEvents(pending);
    appendMs += performance.now() - t;
    total += pending.length;
  }
  if (!engine.loaded)
    log(
      `insert: ${total.toLocaleString('en')} events, ${Math.round(total / (appendMs / 1000)).toLocaleString('en')} rows/s in appendEvents, ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
    );
  const settling = performance.now();
  await engine.settle?.(store);
  if (engine.settle) log(`rollups folded ${((performance.now() - settling) / 1000).toFixed(1)} s after the last append`);
  await store.close();
  store = engine.open();
  await store.init();
  // The project's zone, as the service names it: DuckDB builds its day rollups in it (on the
  // maintenance connection, behind this read; the fold after it waits for them).
  const building = performance.now();
  // Whole local days (START is 30 times 24 hours before END, an hour off across the clock change).
  const firstDay = startOfLocalDay(localDay(END - 1, ZONE) - DAYS + 1, ZONE);
  await store.statsTotals({ organizationId: ORG, pixelIds: [PIXEL], startMs: firstDay, endMs: END, zone: ZONE });
  // Every period the timings read, and the ones before them (ClickHouse builds its day rollups per
  // window of 64 days, each when first asked for).
  const endDay = localDay(END - 1, ZONE) + 1;
  for (const days of [30, 7]) {
    for (const k of [1, 2]) {
      const scope = { organizationId: ORG, pixelIds: [PIXEL], zone: ZONE };
      await store.statsTotals({
        ...scope,
        startMs: startOfLocalDay(endDay - k * days, ZONE),
        endMs: startOfLocalDay(endDay - (k - 1) * days, ZONE),
      });
    }
  }
  const month = await store.statsTotals({ organizationId: ORG, pixelIds: [PIXEL], startMs: START, endMs: END });
  if (engine.settle) {
    await engine.settle(store);
    log(`day rollups in ${ZONE} built in ${((performance.now() - building) / 1000).toFixed(1)} s`);
  }
  log(
    `the month: ${month.visitors.toLocaleString('en')} visitors, ${month.visits.toLocaleString('en')} visits, ${month.pageviews.toLocaleString('en')} page views, ${month.events.toLocaleString('en')} events`,
  );

  for (const [days, label] of [
    [30, '30d'],
    [7, '7d'],
  ] as const) {
    log(`-- period ${label} (p50 and p90 of the runs after 2 warm-ups)`);
    const calls = overviewCalls(store, days);
    for (const [name, call] of calls) await time(engine.name, `${label} ${name}`, call);
    await time(engine.name, `${label} whole overview, in parallel`, () => Promise.all(calls.map(([, call]) => call())));
  }
  const clicked: [string, StatsScope['filter']][] = [
    // The second page of the breakdown (index 1 of PATHS), as a user clicks one of the top rows.
    ['30d page filter', [[{ property: 'page', op: 'eq', value: '/docs/1' }]]],
    ['30d source filter', [[{ property: 'source', op: 'eq', value: 'Google' }]]],
  ];
  for (const [label, filter] of clicked) {
    log(`-- ${label} (a row clicked)`);
    const calls = overviewCalls(store, 30, filter);
    for (const [name, call] of calls) await time(engine.name, `${label}: ${name}`, call);
    await time(engine.name, `${label}: whole overview, in parallel`, () => Promise.all(calls.map(([, call]) => call())));
  }
  await store.close();
  await engine.cleanup();
}

async function main(): Promise<void> {
  log(
    `delivr stats bench: one project, ${DAYS} days in ${ZONE}; DuckDB on ${DUCKDB_THREADS} threads, ${PER_ORGANIZATION} queries of an organization at once; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const kept = process.env.BENCH_DUCKDB_FILE;
  const dir = kept ? '' : mkdtempSync(join(tmpdir(), 'delivr-stats-bench-'));
  const path = kept ?? join(dir, 'analytics.duckdb');
  const engines: Engine[] = [
    {
      name: 'duckdb',
      batch: BATCH,
      loaded: Boolean(kept),
      open: () => new ThreadedDuckDbStore(path, { config: { threads: String(DUCKDB_THREADS) } }),
      settle: (store) => (store as ThreadedDuckDbStore).foldStats(),
      cleanup: async () => {
        if (process.env.BENCH_KEEP || kept) log(`kept ${path}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    },
  ];
  const ch = process.env.CLICKHOUSE_URL;
  if (ch) {
    const keptDb = process.env.BENCH_CLICKHOUSE_DB;
    const db = keptDb ?? `delivr_stats_bench_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const url = new URL(ch);
    url.pathname = `/${db}`;
    engines.push({
      name: 'clickhouse',
      batch: Math.min(BATCH, 50_000),
      loaded: Boolean(keptDb),
      open: () => new ClickHouseAnalyticsStore({ url: url.toString(), requestTimeoutMs: 120_000 }),
      settle: foldClickHouse,
      cleanup: async () => {
        if (process.env.BENCH_KEEP || keptDb) log(`kept ClickHouse database ${db}`);
        else await fetch(`${url.origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${db}`)}`, { method: 'POST' });
      },
    });
  } else {
    log('(CLICKHOUSE_URL is not set: DuckDB only)');
  }
  if (process.env.BENCH_CHDB === '1') {
    const chdb = await loadChdb();
    if (!chdb) throw new Error('BENCH_CHDB=1 needs chdb, which is not a dependency: npm install --no-save chdb');
    const keptDir = process.env.BENCH_CHDB_DIR;
    const dataDir = keptDir ?? mkdtempSync(join(tmpdir(), 'delivr-stats-chdb-'));
    engines.push({
      name: 'clickhouse-current',
      batch: Math.min(BATCH, 50_000),
      loaded: Boolean(keptDir),
      // A connection per store: closing the store closes it.
      open: () =>
        new ClickHouseAnalyticsStore({
          url: 'http://chdb.invalid/delivr_stats_bench',
          connection: chdb.createChdbConnection({ path: dataDir }),
          requestTimeoutMs: 120_000,
        }),
      settle: foldClickHouse,
      cleanup: async () => {
        if (process.env.BENCH_KEEP || keptDir) log(`kept chdb data in ${dataDir}`);
        else rmSync(dataDir, { recursive: true, force: true });
      },
    });
  }
  const only = process.env.BENCH_ENGINES?.split(',');
  for (const e of engines) if (!only || only.includes(e.name)) await runEngine(e);
  log(`\n== p50 (ms)${' '.repeat(36)}${engines.map((e) => e.name.padStart(11)).join('')}`);
  for (const [label, byEngine] of medians) {
    log(`${label.padEnd(46)}${engines.map((e) => (byEngine.get(e.name) ?? Number.NaN).toFixed(1).padStart(11)).join('')}`);
  }
}

await main();
