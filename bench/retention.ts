// Benchmark of what a retention pass costs the analytics store (src/retention/service.ts calls
// deleteEventsBefore once per project): the first pass on a project that just got a 30-day
// retention (half of its 60 days go), the steady-state hourly pass (one hour's slice goes), and a
// pass with nothing to delete. Baseline: counting the same project's events (one scan), in the
// same run.
//
//   npx tsx bench/retention.ts                          2,000,000 events on DuckDB
//   BENCH_EVENTS=500000 npx tsx bench/retention.ts
//   CLICKHOUSE_URL=http://127.0.0.1:8123 npx tsx bench/retention.ts   also on ClickHouse (scratch database, dropped)

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { ClickHouseAnalyticsStore } from '../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../src/analytics/duckdb.js';
import { type AnalyticsStore, EVENT_FIELDS, type EventRow } from '../src/analytics/types.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const BATCH = 245_760;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const END = Date.UTC(2026, 3, 1);
const START = END - 60 * DAY;
const ORG = randomUUID();
/** Five projects of two pixels each; every project gets the same retention. */
const PROJECTS = Array.from({ length: 5 }, () => ({ id: randomUUID(), pixels: [randomUUID(), randomUUID()] }));
const ALL_PIXELS = PROJECTS.flatMap((p) => p.pixels);
const NULLS = Object.fromEntries(EVENT_FIELDS.filter((f) => f.nullable).map((f) => [f.name, null])) as Partial<EventRow>;

function rows(k: number, n: number): EventRow[] {
  const step = (END - START) / EVENTS;
  return Array.from({ length: n }, (_, i) => {
    const j = k + i;
    const project = PROJECTS[j % PROJECTS.length] as (typeof PROJECTS)[number];
    const ts = Math.floor(START + j * step);
    return {
      ...NULLS,
      event_id: randomUUID(),
      event_type: 'page_view',
      ts_millis: ts,
      received_millis: ts + 50,
      organization_id: ORG,
      project_id: project.id,
      pixel_id: project.pixels[j % 2] as string,
      visitor_id: `v${j % 50_000}`,
      url: `https://site.example/p/${j % 400}`,
      path: `/p/${j % 400}`,
      is_bot: false,
      resolved: false,
    } as EventRow;
  });
}

const ms = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

async function pass(store: AnalyticsStore, before: number): Promise<{ ms: number; deleted: number }> {
  let deleted = 0;
  const took = await ms(async () => {
    for (const p of PROJECTS) deleted += await store.deleteEventsBefore(ORG, p.pixels, before);
  });
  return { ms: took, deleted };
}

async function run(name: string, store: AnalyticsStore): Promise<void> {
  await store.init();
  const insert = await ms(async () => {
    for (let k = 0; k < EVENTS; k += BATCH) await store.appendEvents(rows(k, Math.min(BATCH, EVENTS - k)));
  });
  const q = { organizationId: ORG, pixelIds: ALL_PIXELS, startMs: 0, endMs: END + DAY, raw: true as const };
  const scans: number[] = [];
  for (let r = 0; r < 5; r++) scans.push(await ms(() => store.countEvents(q)));
  const scan = scans.sort((a, b) => a - b)[2] as number;
  const cut = END - 30 * DAY;
  const first = await pass(store, cut);
  const hourly = await pass(store, cut + HOUR);
  const idle = await pass(store, cut + HOUR);
  const left = await store.countEvents(q);
  const line = (label: string, r: { ms: number; deleted: number }) =>
    `  ${label.padEnd(34)} ${r.deleted.toLocaleString('en').padStart(10)} deleted  ${r.ms.toFixed(0).padStart(7)} ms  ${(r.ms / scan).toFixed(1).padStart(6)} × scan`;
  process.stdout.write(
    [
      `${name}: ${EVENTS.toLocaleString('en')} events over 60 days, 5 projects × 2 pixels, inserted in ${(insert / 1000).toFixed(1)} s`,
      `  baseline: count the pixels' events   ${scan.toFixed(1)} ms (median of 5)`,
      line('first pass (30 of 60 days go)', first),
      line('hourly pass (one hour goes)', hourly),
      line('pass with nothing to delete', idle),
      `  events left: ${left.toLocaleString('en')}`,
      '',
    ].join('\n'),
  );
  await store.close();
}

const dir = mkdtempSync(join(tmpdir(), 'delivr-bench-retention-'));
try {
  await run('duckdb', new DuckDbAnalyticsStore(join(dir, 'analytics.duckdb')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const chUrl = process.env.CLICKHOUSE_URL;
if (chUrl) {
  const db = `delivr_bench_retention_${Date.now()}`;
  const url = new URL(chUrl);
  url.pathname = `/${db}`;
  try {
    await run('clickhouse', new ClickHouseAnalyticsStore(url.toString()));
  } finally {
    url.pathname = '/';
    const admin = createClient({ url: url.toString() });
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
    await admin.close();
  }
}
