// Intent scoring speed on a generated organization: people with one to three visitors each, 70 days
// of page views over pages about one to three of 50 topics, companies on the profiles. Measures, on
// DuckDB (and ClickHouse when CLICKHOUSE_URL is set): one person's topics (GET /api/v1/intent's
// work), one explanation, one company's topics, and every person's score on three topics at once
// (the audiences helper), against a plain count of the organization's events over the same 70 days
// (the scan every intent query starts from).
//
//   npx tsx bench/intent.ts                   200,000 page views, 10,000 people
//   BENCH_EVENTS=1000000 BENCH_PEOPLE=50000 npx tsx bench/intent.ts
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import { ClickHouseAnalyticsStore } from '../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../src/analytics/duckdb.js';
import type { AnalyticsStore, EventRow } from '../src/analytics/types.js';
import type { NewLink, ProfilePatch } from '../src/identity/types.js';
import { explainTopic, organizationRates, scoreSubjects, windowsOf } from '../src/intent/signals.js';
import { type ClassifiedPage, DAY_MS } from '../src/intent/types.js';
import { seededRandom } from '../src/platform/random.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
const ROUNDS = 7;
const AS_OF = Math.floor(Date.now() / DAY_MS);

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function fill(s: AnalyticsStore, org: string): Promise<{ hems: string[]; insertMs: number; pixel: string }> {
  const rnd = seededRandom(7);
  const topics = Array.from({ length: 50 }, (_, i) => `topic-${i}`);
  const pages: ClassifiedPage[] = Array.from({ length: 2000 }, (_, i) => ({
    url: `https://bench.example/p${i}`,
    title: `Page ${i}`,
    description: '',
    heading: '',
    topics: [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => topics[Math.floor(rnd() * topics.length)] as string))].map(
      (topic_id) => ({ topic_id, relevance: 20 + Math.floor(rnd() * 81) }),
    ),
    version: 'bench',
    classified_at: 1,
  }));
  const hems = Array.from({ length: PEOPLE }, (_, i) => i.toString(16).padStart(64, '0'));
  const profiles: ProfilePatch[] = hems.map((h, i) => ({
    hem_sha256: h,
    hem_md5: h.slice(0, 32),
    hem_sha1: null,
    company_domain: `company-${i % 500}.example`,
  }));
  const links: NewLink[] = hems.flatMap((h, i) =>
    Array.from({ length: 1 + (i % 3) }, (_, k) => ({ visitor_id: `v-${i}-${k}`, hem_sha256: h, source: 'form' as const, at: 1 })),
  );
  const t0 = performance.now();
  for (let i = 0; i < profiles.length; i += 5000) await s.mergeProfiles(org, profiles.slice(i, i + 5000), 1);
  for (let i = 0; i < links.length; i += 5000) await s.linkVisitors(org, links.slice(i, i + 5000));
  await s.savePages(org, pages);
  const pixel = randomUUID();
  let batch: EventRow[] = [];
  for (let n = 0; n < EVENTS; n++) {
    // A quarter of the views are strangers'; people read unevenly (the first ones more).
    const person = Math.floor(rnd() ** 2 * PEOPLE);
    const visitor =
      rnd() < 0.25
        ? `stranger-${Math.floor(rnd() * PEOPLE)}`
        : `v-${person}-${person % 3 === 0 ? 0 : Math.floor(rnd() * (1 + (person % 3)))}`;
    const ts = (AS_OF - Math.floor(rnd() * 70)) * DAY_MS + Math.floor(rnd() * DAY_MS);
    batch.push(eventRow(org, pixel, `e-${n}`, ts, visitor, (pages[Math.floor(rnd() * pages.length)] as ClassifiedPage).url));
    if (batch.length === 20_000) {
      await s.appendEvents(batch);
      batch = [];
    }
  }
  if (batch.length) await s.appendEvents(batch);
  return { hems, insertMs: performance.now() - t0, pixel };
}

function eventRow(org: string, pixel: string, id: string, ts: number, visitor: string, url: string): EventRow {
  return {
    event_id: id,
    event_type: 'page_view',
    ts_millis: ts,
    received_millis: ts,
    organization_id: org,
    project_id: 'bench',
    pixel_id: pixel,
    visitor_id: visitor,
    session_id: null,
    url,
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
    is_bot: false,
    resolved: false,
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
}

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

async function run(name: string, s: AnalyticsStore): Promise<void> {
  const org = randomUUID();
  await s.init();
  const { hems, insertMs, pixel } = await fill(s, org);
  const w = windowsOf(AS_OF, 7);
  const pick = (i: number) => hems[(i * 7919) % Math.min(hems.length, 2000)] as string;
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
      subject: { kind: 'company', domain: `company-${i++ % 500}.example` },
      asOfDay: AS_OF,
      windowDays: 7,
    }),
  );
  let scored = 0;
  const everyone = await median(async () => {
    const rows = await scoreSubjects(s, {
      organizationId: org,
      subject: { kind: 'people' },
      asOfDay: AS_OF,
      windowDays: 7,
      topicIds: ['topic-1', 'topic-2', 'topic-3'],
    });
    scored = new Set(rows.map((r) => r.subject)).size;
  });
  log(`${name}: ${EVENTS.toLocaleString()} page views, ${PEOPLE.toLocaleString()} people, loaded in ${(insertMs / 1000).toFixed(1)} s`);
  log(`  baseline: count of the organization's events, 70 days   ${scan.toFixed(1)} ms`);
  log(`  one person's topics (GET /api/v1/intent)               ${person.toFixed(1)} ms  (${(person / scan).toFixed(2)}× baseline)`);
  log(`    … with the organization's rates cached (the service) ${cached.toFixed(1)} ms  (${(cached / scan).toFixed(2)}× baseline)`);
  log(`  one explanation (GET /api/v1/intent/explain)           ${explain.toFixed(1)} ms  (${(explain / scan).toFixed(2)}× baseline)`);
  log(`  one company's topics (company_domain=)                 ${company.toFixed(1)} ms  (${(company / scan).toFixed(2)}× baseline)`);
  log(
    `  everyone on 3 topics (audiences): ${scored.toLocaleString()} people scored in ${everyone.toFixed(0)} ms, ` +
      `${Math.round(scored / (everyone / 1000)).toLocaleString()} people/s  (${(everyone / scan).toFixed(2)}× baseline)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'delivr-bench-intent-'));
const duck = new DuckDbAnalyticsStore(join(dir, 'bench.duckdb'));
try {
  await run('duckdb', duck);
} finally {
  await duck.close();
  rmSync(dir, { recursive: true, force: true });
}
const chUrl = process.env.CLICKHOUSE_URL;
if (chUrl) {
  const database = `delivr_bench_intent_${Date.now()}`;
  const url = new URL(chUrl);
  url.pathname = `/${database}`;
  const ch = new ClickHouseAnalyticsStore(url.toString());
  try {
    await run('clickhouse', ch);
  } finally {
    await ch.close();
    url.pathname = '/';
    const admin = createClient({ url: url.toString() });
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await admin.close();
  }
}
