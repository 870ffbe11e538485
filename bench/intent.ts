// Intent scoring speed on a generated organization (bench/generate.ts, kept on disk between runs):
// people with one to three visitors each, 70 days of page views over pages about one to three of 50
// topics, companies on the profiles. Measures, on
// DuckDB (and ClickHouse when CLICKHOUSE_URL is set): one person's topics (GET /api/v1/intent's
// work), one explanation, one company's topics, and every person's score on three topics at once,
// in JavaScript (peopleScores) and staged inside the engine (what an audience build does), against a
// plain count of the organization's events over the same 70 days
// (the scan every intent query starts from).
//
//   npx tsx bench/intent.ts                   200,000 page views, 10,000 people
//   BENCH_EVENTS=1000000 BENCH_PEOPLE=50000 npx tsx bench/intent.ts
//   CLICKHOUSE_URL=... BENCH_CH_DATABASE=delivr_bench (tables kept there), BENCH_CACHE_DIR (DuckDB files)
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnalyticsStore } from '../src/analytics/types.js';
import { explainTopic, organizationRates, scoreSubjects, windowsOf } from '../src/intent/signals.js';
import { DAY_MS } from '../src/intent/types.js';
import { clickhouseWorkload, duckdbWorkload, hemOf, type Workload, type WorkloadSpec } from './generate.js';

const SPEC: WorkloadSpec = {
  name: 'intent',
  seed: 7,
  events: Number(process.env.BENCH_EVENTS ?? 200_000),
  people: Number(process.env.BENCH_PEOPLE ?? 10_000),
  days: 70,
  companies: 500,
  pages: 2000,
  topics: Array.from({ length: 50 }, (_, i) => `topic-${i}`),
  maxTopicsPerPage: 3,
  noTopicShare: 0,
};
const ROUNDS = 7;
const CACHE_DIR = process.env.BENCH_CACHE_DIR ?? join(tmpdir(), 'delivr-bench-cache');

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

async function run(name: string, s: AnalyticsStore, wl: Workload): Promise<void> {
  const org = wl.organizationId;
  const pixel = wl.pixelId;
  const AS_OF = wl.asOfDay;
  const w = windowsOf(AS_OF, 7);
  const pick = (i: number) => hemOf((i * 7919) % Math.min(SPEC.people, 2000));
  let i = 0;
  const scan = await median(() =>
    s.countEvents({ organizationId: org, pixelIds: [pixel], startMs: w.baselineStart * DAY_MS, endMs: (AS_OF + 1) * DAY_MS - 1 }),
  );
  const person = await median(() =>
    scoreSubjects(s, { organizationId: org, subject: { kind: 'person', hem: pick(i++) }, asOfDay: AS_OF, windowDays: 7 }),
  );
  // The service keeps the organization's rates (its baseline-days activity) for ten minutes.
  const rates = await organizationRates(s, org, w);
  const cached = await median(() =>
    scoreSubjects(
      s,
      { organizationId: org, subject: { kind: 'person', hem: pick(i++) }, asOfDay: AS_OF, windowDays: 7 },
      Promise.resolve(rates),
    ),
  );
  const explain = await median(() =>
    explainTopic(s, {
      organizationId: org,
      subject: { kind: 'person', hem: pick(i++) },
      asOfDay: AS_OF,
      windowDays: 7,
      topicId: 'topic-3',
      pageLimit: 100,
    }),
  );
  const company = await median(() =>
    scoreSubjects(s, {
      organizationId: org,
      subject: { kind: 'company', domain: `company-${i++ % SPEC.companies}.example` },
      asOfDay: AS_OF,
      windowDays: 7,
    }),
  );
  const topicIds = ['topic-1', 'topic-2', 'topic-3'];
  let scored = 0;
  const everyone = await median(async () => {
    const rows = await scoreSubjects(s, { organizationId: org, subject: { kind: 'people' }, asOfDay: AS_OF, windowDays: 7, topicIds });
    scored = new Set(rows.map((r) => r.subject)).size;
  });
  let pairs = 0;
  const staged = await median(async () => {
    const st = await s.stageIntentScores({
      organizationId: org,
      topicIds,
      asOfDay: AS_OF,
      windowDays: 7,
      rates: Object.fromEntries(rates),
    });
    pairs = st.pairs;
    await s.dropIntentStage(org, st.stage);
  });
  log(
    `${name}: ${SPEC.events.toLocaleString()} page views, ${SPEC.people.toLocaleString()} people, ` +
      `${wl.cached ? 'reused' : 'generated'} in ${(wl.fillMs / 1000).toFixed(1)} s`,
  );
  log(`  baseline: count of the organization's events, 70 days   ${scan.toFixed(1)} ms`);
  log(`  one person's topics (GET /api/v1/intent)               ${person.toFixed(1)} ms  (${(person / scan).toFixed(2)}× baseline)`);
  log(`    … with the organization's rates cached (the service) ${cached.toFixed(1)} ms  (${(cached / scan).toFixed(2)}× baseline)`);
  log(`  one explanation (GET /api/v1/intent/explain)           ${explain.toFixed(1)} ms  (${(explain / scan).toFixed(2)}× baseline)`);
  log(`  one company's topics (company_domain=)                 ${company.toFixed(1)} ms  (${(company / scan).toFixed(2)}× baseline)`);
  log(
    `  everyone on 3 topics in JavaScript (peopleScores): ${scored.toLocaleString()} people scored in ${everyone.toFixed(0)} ms, ` +
      `${Math.round(scored / (everyone / 1000)).toLocaleString()} people/s  (${(everyone / scan).toFixed(2)}× baseline)`,
  );
  log(
    `  everyone on 3 topics staged in the engine (audiences): ${pairs.toLocaleString()} person-topic scores in ${staged.toFixed(0)} ms ` +
      `(${(staged / scan).toFixed(2)}× baseline)`,
  );
}

const duck = await duckdbWorkload(SPEC, CACHE_DIR);
try {
  await run('duckdb', duck.store, duck.workload);
} finally {
  await duck.store.close();
}
const chUrl = process.env.CLICKHOUSE_URL;
if (chUrl) {
  const ch = await clickhouseWorkload(SPEC, chUrl, process.env.BENCH_CH_DATABASE ?? 'delivr_bench');
  try {
    await run('clickhouse', ch.store, ch.workload);
  } finally {
    await ch.store.close();
    await ch.admin.close();
  }
}
