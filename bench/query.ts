// Benchmark of the embedded analytics store at a realistic size: bulk insert rate through
// appendEvents, bytes on disk per event, and the latency of the two queries the product runs most
// (a 100-row page of one pixel's day, and a pixel's 30 daily counts for the dashboard chart).
//
//   npx tsx bench/query.ts                  10,000,000 events
//   BENCH_EVENTS=1000000 npx tsx bench/query.ts
//   BENCH_BATCH=245760 BENCH_RUNS=20 BENCH_KEEP=1 (keep the database file and print its path)
//   DUCKDB_THREADS=2 (DuckDB's threads; by default the server's: every core but one)
//   CLICKHOUSE_URL=http://127.0.0.1:8123 npx tsx bench/query.ts   also runs the same on ClickHouse
//     (in a scratch database it drops afterwards) and prints the two engines side by side

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseAnalyticsStore } from '../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../src/analytics/duckdb.js';
import { parseFilter } from '../src/analytics/filter.js';
import type { AnalyticsStore, EventQuery, EventRow } from '../src/analytics/types.js';
import { defaultDuckDbThreads } from '../src/platform/config.js';

const EVENTS = intEnv('BENCH_EVENTS', 10_000_000);
// Two DuckDB row groups (122,880 rows each): batches this large are written straight to the data
// file as compressed row groups instead of through the WAL, about twice as fast as 100,000 rows.
const BATCH_DEFAULT = intEnv('BENCH_BATCH', 245_760);
const RUNS = intEnv('BENCH_RUNS', 20);
/** DuckDB's threads, as the server sets them (DUCKDB_THREADS). */
const DUCKDB_THREADS = intEnv('DUCKDB_THREADS', defaultDuckDbThreads());
const DAYS = 60;
const DAY = 86_400_000;
const END = Date.UTC(2026, 3, 1);
const START = END - DAYS * DAY;

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

// A few organizations with pixels of uneven traffic, as real sites are.
interface Pixel {
  org: string;
  project: string;
  pixel: string;
  weight: number;
  visitors: Visitor[];
  pages: Page[];
}

interface Visitor {
  id: string;
  ip: string;
  /** A known email's hash for the eighth of visitors that get identified. */
  hem: string | null;
}

interface Page {
  url: string;
  path: string;
  title: string;
}

const pixels: Pixel[] = [];
for (let o = 0; o < 3; o++) {
  const org = randomUUID();
  const project = randomUUID();
  for (let p = 0; p < 4; p++) {
    const site = `https://site${o}-${p}.example.com`;
    pixels.push({
      org,
      project,
      pixel: randomUUID(),
      weight: 1 / (1 + o * 4 + p),
      visitors: Array.from({ length: 50_000 }, (_, i) => ({
        id: randomUUID(),
        ip: `${10 + (i % 200)}.${i % 251}.${(i * 7) % 253}.${(i * 13) % 254}`,
        hem: i % 8 === 0 ? randomBytes(32).toString('hex') : null,
      })),
      pages: Array.from({ length: 400 }, (_, i) => {
        const path = `/${['products', 'blog', 'docs', 'pricing'][i % 4]}/${i}`;
        return { url: `${site}${path}`, path, title: `Page ${i} | Example` };
      }),
    });
  }
}
const totalWeight = pixels.reduce((a, p) => a + p.weight, 0);
const cumulative: number[] = [];
for (const p of pixels) cumulative.push((cumulative[cumulative.length - 1] ?? 0) + p.weight / totalWeight);
const USER_AGENTS = [
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    'Chrome',
    'macOS',
    'desktop',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36',
    'Chrome',
    'Windows',
    'desktop',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    'Safari',
    'iOS',
    'mobile',
  ],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'Firefox', 'Linux', 'desktop'],
  [
    'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
    'Chrome',
    'Android',
    'mobile',
  ],
] as const;
const REFERRERS = [null, null, 'https://www.google.com/', 'https://www.bing.com/', 'https://news.ycombinator.com/', 'https://t.co/abc'];
const EVENT_TYPES = ['page_view', 'page_view', 'page_view', 'page_view', 'click', 'scroll', 'form_submit', 'identify'];
const UTM_SOURCES = [null, null, null, 'newsletter', 'google', 'linkedin'];

function pickPixel(r: number): Pixel {
  const i = cumulative.findIndex((c) => r <= c);
  return pixels[i === -1 ? pixels.length - 1 : i] as Pixel;
}

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)] as T;
}

/** Events k..k+n-1, spread evenly over the 60 days so inserts arrive in time order, as ingest does. */
function generate(k: number, n: number): EventRow[] {
  const out: EventRow[] = new Array(n);
  const step = (DAYS * DAY) / EVENTS;
  for (let i = 0; i < n; i++) {
    const p = pickPixel(Math.random());
    const ts = Math.floor(START + (k + i) * step);
    const visitor = pick(p.visitors);
    const page = pick(p.pages);
    const [ua, browser, os, device] = pick(USER_AGENTS);
    const utm = pick(UTM_SOURCES);
    out[i] = {
      event_id: randomUUID(),
      event_type: pick(EVENT_TYPES),
      ts_millis: ts,
      received_millis: ts + 40 + Math.floor(Math.random() * 200),
      organization_id: p.org,
      project_id: p.project,
      pixel_id: p.pixel,
      visitor_id: visitor.id,
      session_id: `${visitor.id.slice(0, 8)}-${Math.floor(ts / 1_800_000)}`,
      url: page.url,
      path: page.path,
      referrer: pick(REFERRERS),
      title: page.title,
      user_agent: ua,
      browser,
      os,
      device_type: device,
      ip: visitor.ip,
      language: 'en-US',
      screen_width: device === 'mobile' ? 390 : 1440,
      screen_height: device === 'mobile' ? 844 : 900,
      utm_source: utm,
      utm_medium: utm ? 'email' : null,
      utm_campaign: utm ? 'spring' : null,
      utm_term: null,
      utm_content: null,
      event_data: `{"scroll":${Math.floor(Math.random() * 100)}}`,
      is_bot: Math.random() < 0.02,
      resolved: visitor.hem !== null,
      hem_sha256: visitor.hem,
      // What IP enrichment fills in at ingest (src/geo/service.ts).
      country: 'US',
      region: 'California',
      city: 'San Francisco',
      asn: 7922,
      network_org: 'Comcast Cable Communications, LLC',
      network_type: 'isp',
      description: null,
      heading: null,
    };
  }
  return out;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const medians = new Map<string, Map<string, number>>();
let currentEngine = 'duckdb';

async function time(label: string, runs: number, once: (run: number) => Promise<number>): Promise<void> {
  await once(-1);
  await once(-2);
  const ms: number[] = [];
  let rows = 0;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    rows += await once(r);
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  const byEngine = medians.get(label) ?? new Map<string, number>();
  byEngine.set(currentEngine, percentile(ms, 0.5));
  medians.set(label, byEngine);
  log(
    `${label.padEnd(46)} p50 ${percentile(ms, 0.5).toFixed(1).padStart(7)} ms   p90 ${percentile(ms, 0.9).toFixed(1).padStart(7)} ms   ` +
      `max ${(ms[ms.length - 1] ?? 0).toFixed(1).padStart(7)} ms   (avg ${Math.round(rows / runs)} rows)`,
  );
}

function fileBytes(path: string): number {
  return [path, `${path}.wal`].filter((p) => existsSync(p)).reduce((a, p) => a + statSync(p).size, 0);
}

interface Engine {
  name: string;
  batch: number;
  open(): AnalyticsStore;
  /** Bytes on disk after the insert, once the store is closed. */
  bytes(): Promise<number>;
  cleanup(): Promise<void>;
}

async function runEngine(engine: Engine): Promise<void> {
  currentEngine = engine.name;
  const BATCH = engine.batch;
  log(`\n== ${engine.name}: batches of ${BATCH.toLocaleString('en')}, ${availableParallelism()} CPUs`);
  let store = engine.open();
  await store.init();
  const started = performance.now();
  let appendMs = 0;
  let lastReport = started;
  for (let k = 0; k < EVENTS; k += BATCH) {
    const rows = generate(k, Math.min(BATCH, EVENTS - k));
    const t = performance.now();
    await store.appendEvents(rows);
    appendMs += performance.now() - t;
    const done = k + rows.length;
    if (performance.now() - lastReport > 5000 || done === EVENTS) {
      lastReport = performance.now();
      const wall = (lastReport - started) / 1000;
      log(
        `  inserted ${done.toLocaleString('en').padStart(12)} (${Math.round((100 * done) / EVENTS)}%)  ${Math.round(done / (appendMs / 1000)).toLocaleString('en')} rows/s in appendEvents, ${wall.toFixed(0)} s elapsed`,
      );
    }
  }
  const wall = (performance.now() - started) / 1000;
  log(
    `insert: ${Math.round(EVENTS / (appendMs / 1000)).toLocaleString('en')} rows/s in appendEvents (durable commits), ${Math.round(EVENTS / wall).toLocaleString('en')} rows/s including generation, ${wall.toFixed(1)} s`,
  );

  const beforeClose = performance.now();
  await store.close();
  const bytes = await engine.bytes();
  log(
    `close (final checkpoint) ${((performance.now() - beforeClose) / 1000).toFixed(1)} s; on disk ${(bytes / 1024 / 1024).toFixed(1)} MiB = ${(bytes / EVENTS).toFixed(1)} bytes/event`,
  );

  store = engine.open();
  await store.init();
  const busiest = pixels[0] as Pixel;
  const scope = (startMs: number, endMs: number): EventQuery => ({
    organizationId: busiest.org,
    pixelIds: [busiest.pixel],
    startMs,
    endMs,
  });
  const busiestCount = await store.countEvents(scope(START, END));
  log(
    `queries on the busiest pixel (${busiestCount.toLocaleString('en')} events, ~${Math.round(busiestCount / DAYS).toLocaleString('en')}/day), ${RUNS} runs each after 2 warm-ups`,
  );

  // A different day each run, so no run profits from the previous one's cache more than a real client would.
  const dayStart = (run: number): number => START + (Math.abs(run * 7919) % (DAYS - 1)) * DAY + 3_600_000 * (Math.abs(run) % 24);
  await time('(a) 100-row page, one pixel, 24 h window', RUNS, async (run) => {
    const s = dayStart(run);
    return (await store.queryEvents({ ...scope(s, s + DAY - 1), limit: 100 })).length;
  });
  await time('(a2) same, 10th page (offset 900)', RUNS, async (run) => {
    const s = dayStart(run);
    return (await store.queryEvents({ ...scope(s, s + DAY - 1), limit: 100, offset: 900 })).length;
  });
  const filter = parseFilter('event_type:eq:click,url:like:%/products/%|resolved:eq:true');
  if (!filter.ok) throw new Error(filter.error);
  await time('(a3) same, filtered, select 4 fields', RUNS, async (run) => {
    const s = dayStart(run);
    return (
      await store.queryEvents({
        ...scope(s, s + DAY - 1),
        limit: 100,
        filter: filter.value,
        select: ['event_id', 'ts_millis', 'url', 'visitor_id'],
      })
    ).length;
  });
  await time('(b) 30 daily counts, one pixel (countByBucket)', RUNS, async (run) => {
    const s = START + (Math.abs(run) % (DAYS - 30)) * DAY;
    return (await store.countByBucket(scope(s, s + 30 * DAY - 1), 'day')).length;
  });
  await time('(b2) 30 days of daily unique visitors', RUNS, async (run) => {
    const s = START + (Math.abs(run) % (DAYS - 30)) * DAY;
    return (await store.countByBucket({ ...scope(s, s + 30 * DAY - 1), distinct: ['visitor_id'] }, 'day')).length;
  });
  await time('(c) count, one pixel, 24 h', RUNS, async (run) => {
    const s = dayStart(run);
    await store.countEvents(scope(s, s + DAY - 1));
    return 1;
  });
  await store.close();
  await engine.cleanup();
}

async function main(): Promise<void> {
  log(
    `delivr analytics bench: ${EVENTS.toLocaleString('en')} events, ${pixels.length} pixels in 3 organizations, ${DAYS} days; ` +
      `DuckDB on ${DUCKDB_THREADS} threads`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'delivr-bench-'));
  const path = join(dir, 'analytics.duckdb');
  const engines: Engine[] = [
    {
      name: 'duckdb',
      batch: BATCH_DEFAULT,
      open: () => new DuckDbAnalyticsStore(path, { config: { threads: String(DUCKDB_THREADS) } }),
      bytes: async () => fileBytes(path),
      cleanup: async () => {
        if (process.env.BENCH_KEEP) log(`kept ${path}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    },
  ];
  const ch = process.env.CLICKHOUSE_URL;
  if (ch) {
    const db = `delivr_bench_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const url = new URL(ch);
    url.pathname = `/${db}`;
    const sql = async (query: string): Promise<string> => {
      const res = await fetch(`${url.origin}/?query=${encodeURIComponent(query)}`, { method: 'POST' });
      return res.text();
    };
    engines.push({
      name: 'clickhouse',
      // One JSONEachRow insert per 50,000 rows keeps each request a few tens of MB.
      batch: Math.min(BATCH_DEFAULT, 50_000),
      open: () => new ClickHouseAnalyticsStore({ url: url.toString() }),
      bytes: async () => {
        await sql(`OPTIMIZE TABLE ${db}.events FINAL`);
        return Number((await sql(`SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '${db}' AND active`)).trim());
      },
      cleanup: async () => {
        await sql(`DROP DATABASE IF EXISTS ${db}`);
      },
    });
  } else {
    log('(CLICKHOUSE_URL is not set: DuckDB only)');
  }
  for (const e of engines) await runEngine(e);
  if (engines.length > 1) {
    log('\n== p50 side by side (ms)           duckdb   clickhouse   clickhouse/duckdb');
    for (const [label, byEngine] of medians) {
      const d = byEngine.get('duckdb') ?? Number.NaN;
      const c = byEngine.get('clickhouse') ?? Number.NaN;
      log(`${label.padEnd(46)} ${d.toFixed(1).padStart(8)} ${c.toFixed(1).padStart(10)} ${(c / d).toFixed(2).padStart(10)}`);
    }
  }
}

await main();
