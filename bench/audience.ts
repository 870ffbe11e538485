// Audience build and download speed on a generated organization: people with one to three visitors
// each, 30 days of page views over pages about three topics, profiles with seniority and company
// size. Measures, on DuckDB (and ClickHouse when CLICKHOUSE_URL is set), the median time to build an
// intents audience (every person's score on the three topics, the filter walked with a profile field
// rule, the run's rows written to the analytics store: what a worker does) and the download rate of
// the run (rows read back page by page and written as CSV, as GET .../download streams them).
//
//   npx tsx bench/audience.ts                                 1,000,000 page views, 100,000 profiles
//   BENCH_EVENTS=10000000 BENCH_PEOPLE=1000000 npx tsx bench/audience.ts   (the issue's scale)
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ClickHouseAnalyticsStore } from '../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../src/analytics/duckdb.js';
import type { AnalyticsStore, EventRow } from '../src/analytics/types.js';
import { AudienceEvaluator } from '../src/audiences/evaluate.js';
import type { FilterGroup } from '../src/audiences/filter.js';
import { contactOf, DOWNLOAD_COLUMNS } from '../src/audiences/service.js';
import type { NewLink, ProfilePatch } from '../src/identity/types.js';
import type { PersonTopicScore } from '../src/intent/service.js';
import { scoreSubjects } from '../src/intent/signals.js';
import { type ClassifiedPage, DAY_MS } from '../src/intent/types.js';
import { csvLines } from '../src/platform/csv.js';
import { seededRandom } from '../src/platform/random.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DAYS = 30;
const TOPICS = ['topic-a', 'topic-b', 'topic-c'];
const NOW = Date.now();
const AS_OF = Math.floor(NOW / DAY_MS);
const SENIORITY = ['cxo', 'vp', 'director', 'manager', 'staff'];

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function fill(s: AnalyticsStore, org: string): Promise<{ insertMs: number }> {
  const rnd = seededRandom(11);
  // 600 pages, each about one of the three topics; a third of them unrelated to any.
  const pages: ClassifiedPage[] = Array.from({ length: 600 }, (_, i) => ({
    url: `https://bench.example/p${i}`,
    title: `Page ${i}`,
    description: '',
    heading: '',
    topics: i % 4 === 3 ? [] : [{ topic_id: TOPICS[i % 3] as string, relevance: 40 + Math.floor(rnd() * 61) }],
    version: 'bench',
    classified_at: 1,
  }));
  const t0 = performance.now();
  // 5,000 people (up to 15,000 visitors) per call: ClickHouse 18.16 refuses longer IN lists.
  for (let start = 0; start < PEOPLE; start += 5000) {
    const profiles: ProfilePatch[] = [];
    const links: NewLink[] = [];
    for (let i = start; i < Math.min(PEOPLE, start + 5000); i++) {
      const h = i.toString(16).padStart(64, '0');
      profiles.push({
        hem_sha256: h,
        hem_md5: h.slice(0, 32),
        hem_sha1: null,
        first_name: `First${i}`,
        seniority_level: SENIORITY[i % SENIORITY.length] as string,
        company_employee_count: (i * 37) % 5000,
        company_domain: `company-${i % 5000}.example`,
      });
      for (let k = 0; k < 1 + (i % 3); k++) links.push({ visitor_id: `v-${i}-${k}`, hem_sha256: h, source: 'form', at: 1 });
    }
    await s.mergeProfiles(org, profiles, 1);
    await s.linkVisitors(org, links);
  }
  await s.savePages(org, pages);
  const pixel = randomUUID();
  let batch: EventRow[] = [];
  for (let n = 0; n < EVENTS; n++) {
    // A quarter of the views are strangers'; people read unevenly (the first ones more), recent days more.
    const person = Math.floor(rnd() ** 2 * PEOPLE);
    const visitor = rnd() < 0.25 ? `stranger-${Math.floor(rnd() * PEOPLE)}` : `v-${person}-${Math.floor(rnd() * (1 + (person % 3)))}`;
    const ts = (AS_OF - Math.floor(rnd() ** 1.5 * DAYS)) * DAY_MS + Math.floor(rnd() * DAY_MS);
    batch.push(eventRow(org, pixel, `e-${n}`, Math.min(ts, NOW), visitor, (pages[Math.floor(rnd() * pages.length)] as ClassifiedPage).url));
    if (batch.length === 50_000) {
      await s.appendEvents(batch);
      batch = [];
    }
  }
  if (batch.length) await s.appendEvents(batch);
  return { insertMs: performance.now() - t0 };
}

function eventRow(org: string, pixel: string, id: string, ts: number, visitor: string, url: string): EventRow {
  const nulls = {
    session_id: null,
    path: null,
    referrer: null,
    title: null,
    user_agent: null,
    browser: null,
    os: null,
    device_type: null,
    ip: null,
    language: null,
    screen_width: null,
    screen_height: null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    event_data: null,
    hem_sha256: null,
    country: null,
    region: null,
    city: null,
    asn: null,
    network_org: null,
    network_type: null,
    description: null,
    heading: null,
  };
  return {
    ...nulls,
    event_id: id,
    event_type: 'page_view',
    ts_millis: ts,
    received_millis: ts,
    organization_id: org,
    project_id: 'bench',
    pixel_id: pixel,
    visitor_id: visitor,
    url,
    is_bot: false,
    resolved: false,
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function run(name: string, s: AnalyticsStore): Promise<void> {
  const org = randomUUID();
  await s.init();
  const { insertMs } = await fill(s, org);
  // IntentService.peopleScores without the taxonomy (the pages are classified already).
  const evaluator = new AudienceEvaluator({
    analytics: s,
    intent: {
      peopleScores: async (organizationId, q): Promise<PersonTopicScore[]> =>
        (
          await scoreSubjects(s, {
            organizationId,
            subject: { kind: 'people' },
            asOfDay: AS_OF,
            windowDays: q.windowDays,
            topicIds: q.topicIds,
          })
        )
          .filter((x) => x.intent_score >= q.minScore)
          .map((x) => ({
            hem_sha256: x.subject,
            topic_id: x.topic_id,
            intent_score: x.intent_score,
            intent_frequency: x.intent_frequency,
            surging: x.surging,
          })),
    },
    pixelIdsEver: async () => [],
    now: () => NOW,
  });
  const filter: FilterGroup = {
    op: 'AND',
    rules: [
      { type: 'INTENT', topic_ids: TOPICS, min_score: 50 },
      { field: 'seniority_level', operator: 'in', value: ['cxo', 'vp', 'director', 'manager'] },
    ],
  };
  // Where a build's time goes: the scores alone.
  const scoring = await timed(() =>
    scoreSubjects(s, { organizationId: org, subject: { kind: 'people' }, asOfDay: AS_OF, windowDays: 14, topicIds: TOPICS }),
  );
  const builds: number[] = [];
  let members = 0;
  let runId = '';
  for (let r = 0; r < ROUNDS; r++) {
    runId = `run_${r}`;
    const { ms } = await timed(async () => {
      const e = await evaluator.evaluate({ organizationId: org, projectId: 'bench', type: 'intents', filter, windowDays: 14 });
      for (let i = 0; i < e.members.length; i += 50_000) {
        await s.writeAudienceRows({ organizationId: org, audienceId: 1, runId }, e.members.slice(i, i + 50_000));
      }
      members = e.members.length;
    });
    builds.push(ms);
  }
  const downloads: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 3; r++) {
    const { ms } = await timed(async () => {
      bytes = csvLines([DOWNLOAD_COLUMNS]).length;
      let after = -1;
      for (;;) {
        const rows = await s.readAudienceRows({ organizationId: org, audienceId: 1, runId }, { afterRank: after, limit: 10_000 });
        if (rows.length === 0) break;
        after = rows[rows.length - 1]?.rank ?? after;
        const page = rows.map(contactOf);
        bytes += csvLines(page.map((c) => DOWNLOAD_COLUMNS.map((k) => c[k]))).length;
      }
    });
    downloads.push(ms);
  }
  const dl = median(downloads);
  log(
    `${name}: ${EVENTS.toLocaleString()} page views over ${DAYS} days, ${PEOPLE.toLocaleString()} profiles, ${TOPICS.length} topics, loaded in ${(insertMs / 1000).toFixed(1)} s`,
  );
  log(
    `  audience build (score everyone, filter, write the run), median of ${ROUNDS}: ${(median(builds) / 1000).toFixed(2)} s for ${members.toLocaleString()} people`,
  );
  log(
    `    all builds: ${builds.map((b) => (b / 1000).toFixed(2)).join(', ')} s; of which scoring everyone: ${(scoring.ms / 1000).toFixed(2)} s`,
  );
  log(
    `  download (read the run, CSV), median of 3: ${(dl / 1000).toFixed(2)} s, ${Math.round(members / (dl / 1000)).toLocaleString()} rows/s, ${(bytes / 1e6).toFixed(1)} MB`,
  );
}

async function main(): Promise<void> {
  const duck = new DuckDbAnalyticsStore(':memory:');
  try {
    await run('DuckDB', duck);
  } finally {
    await duck.close();
  }
  const ch = process.env.CLICKHOUSE_URL;
  if (ch) {
    const url = new URL(ch);
    url.pathname = `/bench_audience_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const store = new ClickHouseAnalyticsStore({ url: url.toString(), requestTimeoutMs: 600_000 });
    try {
      await run('ClickHouse', store);
    } finally {
      await store.close();
      await fetch(`${url.origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${url.pathname.slice(1)}`)}`, { method: 'POST' });
    }
  } else {
    log('ClickHouse: skipped (set CLICKHOUSE_URL)');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
