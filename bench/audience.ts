// Audience build and download speed at the issue's scale (issue 12): 10,000,000 page views over 30
// days of 1,000,000 people with profiles, pages about three topics (bench/generate.ts makes them
// inside the engine and keeps them on disk for the next run). Measures, on DuckDB and (with
// CLICKHOUSE_URL) ClickHouse, what a worker does for an intents audience on the three topics with a
// profile rule: prepare (every person's score staged in the engine, the few uncertain ones scored
// again by score.ts) and write (filter, rank and write the run's rows in one statement), median of
// BENCH_ROUNDS, wall and CPU time; and the download: the run read back page by page and written as
// CSV, as GET .../download streams it. The baseline, measured in the same run: a count of the
// distinct visitors among the organization's page views over the 70 days the scores read.
//
//   npx tsx bench/audience.ts                                           the issue's scale
//   BENCH_EVENTS=1000000 BENCH_PEOPLE=100000 npx tsx bench/audience.ts  a tenth of it
//   CLICKHOUSE_URL=http://127.0.0.1:8123 BENCH_CH_DATABASE=delivr_bench  also ClickHouse (tables kept there)
//   BENCH_CACHE_DIR=/tmp/delivr-bench-cache                             where the DuckDB files stay
//   DUCKDB_THREADS=2 DUCKDB_THREAD=false                                the server's settings, read as it reads them
//
// DuckDB is opened as the server opens it (services.ts openDuckDb: on a thread of its own unless
// DUCKDB_THREAD=false, DUCKDB_THREADS threads per query, by default every core but one), because
// the audience worker runs in the server's process on that same instance: the build measured is a
// worker's build, and the line says how many threads it had.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnalyticsStore } from '../src/analytics/types.js';
import { AudienceEvaluator } from '../src/audiences/evaluate.js';
import type { FilterGroup } from '../src/audiences/filter.js';
import { contactOf, DOWNLOAD_COLUMNS } from '../src/audiences/service.js';
import { scoreRangeMs } from '../src/intent/score-sql.js';
import { IntentService } from '../src/intent/service.js';
import { loadConfig } from '../src/platform/config.js';
import { csvLines } from '../src/platform/csv.js';
import { openDuckDb } from '../src/services.js';
import type { TaxonomyService } from '../src/taxonomy/service.js';
import { clickhouseWorkload, duckdbWorkload, type Workload, type WorkloadSpec } from './generate.js';

const SPEC: WorkloadSpec = {
  name: 'audience',
  seed: 11,
  events: Number(process.env.BENCH_EVENTS ?? 10_000_000),
  people: Number(process.env.BENCH_PEOPLE ?? 1_000_000),
  days: 30,
  companies: 5000,
  pages: 600,
  topics: ['topic-a', 'topic-b', 'topic-c'],
  maxTopicsPerPage: 1,
  noTopicShare: 0.25,
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WINDOW_DAYS = 14;
const CACHE_DIR = process.env.BENCH_CACHE_DIR ?? join(tmpdir(), 'delivr-bench-cache');
const FILTER: FilterGroup = {
  op: 'AND',
  rules: [
    { type: 'INTENT', topic_ids: [...SPEC.topics], min_score: 50 },
    { field: 'seniority_level', operator: 'in', value: ['cxo', 'vp', 'director', 'manager'] },
  ],
};

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const s = (ms: number): string => (ms / 1000).toFixed(2);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** CPU seconds of a local process (user + system), from /proc; null when it cannot be read. */
function processCpu(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The local ClickHouse server's pid (the one listening on the URL's port), for its CPU time. */
function clickhousePid(url: string): number | null {
  try {
    const port = new URL(url).port || '8123';
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const m = /pid=([0-9]+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

interface Timed {
  wallMs: number;
  cpuMs: number;
  serverCpuS: number | null;
}

async function timed<T>(fn: () => Promise<T>, serverPid: number | null): Promise<Timed & { value: T }> {
  const cpu = process.cpuUsage();
  const server = processCpu(serverPid);
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const serverAfter = processCpu(serverPid);
  return {
    value,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    serverCpuS: server === null || serverAfter === null ? null : serverAfter - server,
  };
}

async function run(name: string, store: AnalyticsStore, w: Workload, serverPid: number | null): Promise<void> {
  const org = w.organizationId;
  log(
    `${name}: ${SPEC.events.toLocaleString()} page views over ${SPEC.days} days, ${SPEC.people.toLocaleString()} profiles, ` +
      `${SPEC.topics.length} topics; ${w.cached ? 'reused from an earlier run' : 'generated'} in ${s(w.fillMs)} s; load ${load()}`,
  );
  // The pages are classified already (version 'bench'): the service's reclassification finds nothing to do.
  const taxonomy = { classifierVersion: async () => 'bench' } as unknown as TaxonomyService;
  const intent = new IntentService(store, taxonomy, () => w.nowMs);
  const evaluator = new AudienceEvaluator({ analytics: store, intent, pixelIdsEver: async () => [w.pixelId], now: () => w.nowMs });
  const question = { organizationId: org, projectId: 'bench', type: 'intents' as const, filter: FILTER, windowDays: WINDOW_DAYS };
  const range = scoreRangeMs(w.asOfDay, WINDOW_DAYS);
  const scans: number[] = [];
  for (let r = 0; r < 3; r++) {
    scans.push(
      (
        await timed(
          () =>
            store.countEvents({
              organizationId: org,
              pixelIds: [w.pixelId],
              startMs: range.fromMs,
              endMs: range.toMs,
              distinct: ['visitor_id'],
            }),
          null,
        )
      ).wallMs,
    );
  }
  const builds: (Timed & { prepareMs: number; writeMs: number; people: number })[] = [];
  let runId = '';
  for (let r = 0; r < ROUNDS; r++) {
    const previous = runId;
    runId = `run_${Date.now()}_${r}`;
    let prepareMs = 0;
    const t = await timed(async () => {
      const t0 = performance.now();
      const prepared = await evaluator.prepare(question);
      prepareMs = performance.now() - t0;
      return prepared.write({ organizationId: org, audienceId: 1, runId });
    }, serverPid);
    builds.push({ ...t, prepareMs, writeMs: t.wallMs - prepareMs, people: t.value.recordCount });
    if (previous) await store.deleteAudienceRuns(org, 1, [previous]);
  }
  const mid = [...builds].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(builds.length / 2)] as (typeof builds)[number];
  const people = mid.people;
  const downloads: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 3; r++) {
    const t = await timed(async () => {
      bytes = csvLines([DOWNLOAD_COLUMNS]).length;
      let after = -1;
      for (;;) {
        const rows = await store.readAudienceRows({ organizationId: org, audienceId: 1, runId }, { afterRank: after, limit: 10_000 });
        if (rows.length === 0) break;
        after = rows[rows.length - 1]?.rank ?? after;
        bytes += csvLines(rows.map(contactOf).map((c) => DOWNLOAD_COLUMNS.map((k) => c[k]))).length;
      }
    }, null);
    downloads.push(t.wallMs);
  }
  await store.deleteAudienceRuns(org, 1, 'all');
  const scan = median(scans);
  const dl = median(downloads);
  log(`  baseline: distinct visitors among the organization's page views over the 70 days scored, median of 3: ${s(scan)} s`);
  log(
    `  audience build (prepare + write), median of ${ROUNDS}: ${s(mid.wallMs)} s wall (${(mid.wallMs / scan).toFixed(1)}x baseline), ` +
      `${s(mid.cpuMs)} s CPU in this process${mid.serverCpuS === null ? '' : `, ${mid.serverCpuS.toFixed(2)} s CPU in the ClickHouse server (all its clients)`}; ` +
      `${people.toLocaleString()} people`,
  );
  log(`    of which prepare (stage the scores) ${s(mid.prepareMs)} s, write (filter, rank, write the rows) ${s(mid.writeMs)} s`);
  log(`    all builds (wall / CPU): ${builds.map((b) => `${s(b.wallMs)}/${s(b.cpuMs)}`).join(', ')} s`);
  log(
    `  download (read the run, CSV), median of 3: ${s(dl)} s, ${Math.round(people / (dl / 1000)).toLocaleString()} rows/s, ` +
      `${(bytes / 1e6).toFixed(1)} MB; load ${load()}`,
  );
}

async function main(): Promise<void> {
  // Only the DuckDB settings are read: the rest of the server's configuration does not matter here.
  const env = process.env;
  const config = loadConfig({
    DUCKDB_THREADS: env.DUCKDB_THREADS,
    DUCKDB_THREAD: env.DUCKDB_THREAD,
    STATS_FOLD_DELAY_MS: env.STATS_FOLD_DELAY_MS,
  });
  const duck = await duckdbWorkload(SPEC, CACHE_DIR, (file) => openDuckDb(file, config));
  try {
    const how = `${config.duckdbThreads} DuckDB thread${config.duckdbThreads === 1 ? '' : 's'} (DUCKDB_THREADS), ${config.duckdbThread ? 'store on its own thread' : 'store on the main thread'}`;
    await run(`DuckDB, ${how}`, duck.store, duck.workload, null);
  } finally {
    await duck.store.close();
  }
  const url = process.env.CLICKHOUSE_URL;
  if (!url) {
    log('ClickHouse: skipped (set CLICKHOUSE_URL)');
    return;
  }
  const ch = await clickhouseWorkload(SPEC, url, process.env.BENCH_CH_DATABASE ?? 'delivr_bench');
  try {
    await run('ClickHouse', ch.store, ch.workload, clickhousePid(url));
  } finally {
    await ch.store.close();
    await ch.admin.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
