// Acknowledgement latency of ingest while the stats rollups are kept (issue 14 on DuckDB): the
// real server (this checkout's dist/) and, with BENCH_BASELINE=<another checkout, built>, that
// build too (main before the stats), each with one project whose DuckDB file is preloaded with
// BENCH_PRELOAD events over 30 days, driven in alternating rounds at the same open-loop rate of
// tracker batches (new and continuing visits, so every fold has visits to merge). Prints ack p50 and
// p99 per round, their medians, and each server's CPU time per round next to the wall time.
//
//   npx tsx bench/stats-ack.ts
//   BENCH_BASELINE=/tmp/delivr-main BENCH_PRELOAD=1000000 BENCH_RATE=300 BENCH_SECONDS=20 BENCH_ROUNDS=5 npx tsx bench/stats-ack.ts
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import type { AnalyticsStore, EventRow } from '../src/analytics/types.js';
import { seededRandom } from '../src/platform/random.js';
import { eventRow } from '../test/support/events.js';
import { onboardOwner, pixelAndKey } from '../test/support/http-tenant.js';
import { buildOnce, type ServerProcess, startServer } from '../test/support/server-process.js';

const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_REQUEST = 5;
const ADMIN = 'bench-admin-token-0123456789';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const DAY_MS = 86_400_000;
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Target {
  name: string;
  root: string;
  dataDir: string;
  server: ServerProcess;
  orgId: string;
  pixelId: string;
  url: string;
}

/** Server CPU time (user + system) in ms, from /proc. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Events of finished visits over the 30 days before now, as the tracker would have sent them. */
function* history(orgId: string, projectId: string, pixelId: string, count: number): Generator<EventRow[]> {
  const rnd = seededRandom(7);
  const now = Date.now();
  let made = 0;
  let batch: EventRow[] = [];
  while (made < count) {
    const session = randomUUID().replaceAll('-', '');
    const visitor = `v${Math.floor(rnd() * count ** 0.8)}`;
    let ts = now - 30 * DAY_MS + Math.floor(rnd() * 30 * DAY_MS) - DAY_MS;
    const n = 1 + Math.floor(rnd() * 8);
    for (let i = 0; i < n; i++) {
      const path = `/p/${Math.floor(rnd() * 200)}`;
      batch.push(
        eventRow({
          event_id: randomUUID(),
          event_type: i % 3 === 2 ? 'click' : 'page_view',
          ts_millis: ts,
          received_millis: ts + 30,
          organization_id: orgId,
          project_id: projectId,
          pixel_id: pixelId,
          visitor_id: visitor,
          session_id: session,
          url: `https://shop.example${path}`,
          path,
          referrer: i === 0 ? 'https://www.google.com/' : 'https://shop.example/',
          title: 'Page',
          user_agent: UA,
          browser: 'Chrome',
          os: 'Linux',
          device_type: 'desktop',
          language: 'en',
          screen_width: 1280,
          screen_height: 800,
          is_bot: false,
          resolved: false,
          country: 'DE',
        }),
      );
      ts += 5000 + Math.floor(rnd() * 60_000);
    }
    made += n;
    if (batch.length >= 100_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Fills the DuckDB file with the checkout's own store code, while its server is stopped. */
async function preload(t: { root: string; dataDir: string; orgId: string; pixelId: string; projectId: string }): Promise<void> {
  const mod = (await import(pathToFileURL(join(t.root, 'src/analytics/duckdb.ts')).href)) as {
    DuckDbAnalyticsStore: new (path: string) => AnalyticsStore & { foldStats?: () => Promise<void> };
  };
  const store = new mod.DuckDbAnalyticsStore(join(t.dataDir, 'analytics.duckdb'));
  await store.init();
  for (const rows of history(t.orgId, t.projectId, t.pixelId, PRELOAD)) await store.appendEvents(rows);
  await store.foldStats?.();
  await store.close();
}

async function start(name: string, root: string): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'delivr-bench-ack-'));
  const env = {
    DATA_DIR: dataDir,
    ADMIN_TOKEN: ADMIN,
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    INGEST_RATE_PER_SOURCE: '1000000',
    INGEST_BURST_PER_SOURCE: '1000000',
    INGEST_RATE_PER_PIXEL: '1000000',
    INGEST_BURST_PER_PIXEL: '1000000',
  };
  let server = await startServer(env, root);
  const owner = await onboardOwner({ operatorBase: server.url, outboxDir: dataDir, adminToken: ADMIN });
  const { pixelId, projectId } = await pixelAndKey(server.url, owner);
  await server.stop();
  const t0 = performance.now();
  await preload({ root, dataDir, orgId: owner.orgId, pixelId, projectId });
  log(`${name}: preloaded ${PRELOAD.toLocaleString('en')} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  server = await startServer(env, root);
  return { name, root, dataDir, server, orgId: owner.orgId, pixelId, url: `${server.url}/pixel/core/api/send-event` };
}

/** A tracker batch: events of a few live visits, some new and some continuing. */
function bodyFor(t: Target, live: { visitor: string; session: string }[]): string {
  const events = Array.from({ length: PER_REQUEST }, () => {
    if (live.length < 50 || Math.random() < 0.2) {
      live.push({ visitor: randomUUID().replaceAll('-', ''), session: randomUUID().replaceAll('-', '') });
      if (live.length > 500) live.shift();
    }
    const v = live[Math.floor(Math.random() * live.length)] as { visitor: string; session: string };
    const path = `/p/${Math.floor(Math.random() * 200)}`;
    return {
      event_type: Math.random() < 0.7 ? 'page_view' : 'click',
      event_data: { url: `https://shop.example${path}`, timestamp: new Date().toISOString(), title: 'Page' },
      pixel_id: t.pixelId,
      organization_id: t.orgId,
      visitor_id: v.visitor,
      session_id: v.session,
      event_url: `https://shop.example${path}`,
      ts: Date.now(),
      screen: [1280, 800],
      lang: 'en-GB',
      title: 'Page',
      referrer: 'https://www.google.com/',
    };
  });
  return JSON.stringify({ events });
}

async function round(t: Target): Promise<{ p50: number; p99: number; rps: number; errors: number; cpu: number }> {
  const live: { visitor: string; session: string }[] = [];
  const cpu0 = cpuMs(t.server.child.pid);
  const r = await autocannon({
    url: t.url,
    connections: 64,
    duration: SECONDS,
    overallRate: RATE,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': UA },
        setupRequest: (req) => ({ ...req, body: bodyFor(t, live) }),
      },
    ],
  });
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    errors: r.non2xx + r.errors + r.timeouts,
    cpu: cpuMs(t.server.child.pid) - cpu0,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  buildOnce();
  const baseline = process.env.BENCH_BASELINE;
  log(
    `stats ack bench: ${RATE} requests/s of ${PER_REQUEST} events for ${SECONDS} s, ${ROUNDS} rounds, ${availableParallelism()} CPUs, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const targets = [await start('branch', resolve(import.meta.dirname, '..'))];
  if (baseline) targets.push(await start('baseline', resolve(baseline)));
  const results = new Map<string, { p50: number; p99: number; cpu: number }[]>();
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first, so drift in the machine's load hits both alike.
      for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
        const r = await round(t);
        log(
          `round ${i + 1} ${t.name.padEnd(8)} ack p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(5)} ms  ` +
            `${r.rps.toFixed(0)} req/s  errors ${r.errors}  server CPU ${(r.cpu / 1000).toFixed(1)} s in ${SECONDS} s  load ${loadavg()[0]?.toFixed(2)}`,
        );
        results.set(t.name, [...(results.get(t.name) ?? []), r]);
      }
    }
  } finally {
    for (const t of targets) {
      await t.server.stop();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  }
  log('\nmedians of the rounds:');
  for (const [name, rs] of results) {
    log(
      `${name.padEnd(8)} ack p50 ${median(rs.map((r) => r.p50))} ms  p99 ${median(rs.map((r) => r.p99))} ms  server CPU ${(median(rs.map((r) => r.cpu)) / 1000).toFixed(1)} s per ${SECONDS} s round`,
    );
  }
}

await main();
