// The set-wise build of an intents audience (stageIntentScores + writeIntentAudience, inside the
// engine) against the JavaScript it replaced, on DuckDB and, with CLICKHOUSE_URL, ClickHouse:
// every score the engine stages is score.ts's for the same person and topic (the engine's
// arithmetic is SQL's, so this is the check that the SQL formula and its rounding margin hold),
// and an audience's rows (who, rank, score, page views, matched topics, profile) are what walking
// the filter person by person in JavaScript gives: nested groups, a field rule alone in an OR (a
// member with no matched topic), people without a profile, text with quotes, backslashes, control
// characters and emoji. Also: overrides replace the engine's scores, a preview counts what a write
// writes, and a stage is gone once dropped. DuckDB several ways: a few topics are staged one row per
// person (a column per topic), many one row per person and topic; packed sums that overflow; visitor
// ids keyed, not, and half and half.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore, type DuckDbStoreOptions } from '../../src/analytics/duckdb.js';
import { VISITOR_KEY } from '../../src/analytics/duckdb-visitor-key.js';
import { matchesFilter } from '../../src/analytics/filter-eval.js';
import type { AnalyticsStore } from '../../src/analytics/types.js';
import {
  type FieldRule,
  type FilterGroup,
  fieldRules,
  filterTopics,
  holds,
  type IntentRule,
  isIntent,
  ruleFilter,
} from '../../src/audiences/filter.js';
import { type AudienceMember, SCORE_BANDS } from '../../src/audiences/results.js';
import { contactOf } from '../../src/audiences/service.js';
import { exactPeopleScores, organizationRates, scoreSubjects, windowsOf } from '../../src/intent/signals.js';
import { fillWorkload, WORKLOAD_AS_OF } from '../intent/workload.js';

const serverUrl = process.env.CLICKHOUSE_URL;
const database = `delivr_build_${Date.now()}_${randomUUID().slice(0, 8)}`;
const AS_OF = WORKLOAD_AS_OF;

const FILTERS: Record<string, FilterGroup> = {
  'intent and a seniority': {
    op: 'AND',
    rules: [
      { type: 'INTENT', topic_ids: ['t-cloud', 't-crm', 't-golf', 't-security', 't-baking'], min_score: 50 },
      { field: 'seniority_level', operator: 'in', value: ['director', 'vp', 'cxo'] },
    ],
  },
  'intent or a company size alone': {
    op: 'OR',
    rules: [
      { type: 'INTENT', topic_ids: ['t-cloud'], min_score: 60 },
      { field: 'company_employee_count', operator: 'gt', value: 1200 },
    ],
  },
  'nested groups, two rules naming one topic': {
    op: 'AND',
    rules: [
      {
        op: 'OR',
        rules: [
          { type: 'INTENT', topic_ids: ['t-crm', 't-golf'], min_score: 0 },
          { type: 'INTENT', topic_ids: ['t-golf'], min_score: 70 },
        ],
      },
      {
        op: 'OR',
        rules: [
          { field: 'seniority_level', operator: 'not_null' },
          { field: 'first_name', operator: 'like', value: '%\\\\%' },
          { field: 'hem_md5', operator: 'ne', value: null },
        ],
      },
    ],
  },
  'one topic, no minimum': { op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['t-security'], min_score: 0 }] },
  'a rule that no one meets, or a missing field': {
    op: 'OR',
    rules: [
      { type: 'INTENT', topic_ids: ['t-baking'], min_score: 100 },
      { field: 'company_employee_count', operator: 'eq', value: null },
    ],
  },
};

interface Row {
  rank: number;
  hem_sha256: string;
  intent_score: number | null;
  intent_frequency: number;
  topics: string[];
  contact: ReturnType<typeof contactOf>;
}

/**
 * The audience as the evaluator computed it before the build moved into the engines: every
 * person's scores from scoreSubjects, their profiles, and the filter walked person by person.
 */
async function reference(s: AnalyticsStore, org: string, filter: FilterGroup, windowDays: number): Promise<Row[]> {
  const topicIds = filterTopics(filter);
  const rates = await organizationRates(s, org, windowsOf(AS_OF, windowDays));
  const scores = await scoreSubjects(
    s,
    { organizationId: org, subject: { kind: 'people' }, asOfDay: AS_OF, windowDays, topicIds },
    Promise.resolve(rates),
  );
  const byPerson = new Map<string, Map<string, { score: number; views: number }>>();
  for (const x of scores) {
    const topics = byPerson.get(x.subject) ?? new Map<string, { score: number; views: number }>();
    byPerson.set(x.subject, topics);
    topics.set(x.topic_id, { score: x.intent_score, views: x.intent_frequency });
  }
  const profiles = new Map((await s.getProfiles(org, [...byPerson.keys()])).map((p) => [p.hem_sha256, p]));
  const members: Omit<AudienceMember, 'rank'>[] = [];
  for (const [hem, topics] of byPerson) {
    const profile = profiles.get(hem) ?? null;
    const matched = new Set<string>();
    const ok = holds(filter, (r: IntentRule | FieldRule) => {
      if (!isIntent(r)) return matchesFilter(profile ?? {}, ruleFilter(r));
      let any = false;
      for (const t of r.topic_ids) {
        if ((topics.get(t)?.score ?? -1) >= r.min_score) {
          matched.add(t);
          any = true;
        }
      }
      return any;
    });
    if (!ok) continue;
    const counted = [...(matched.size > 0 ? matched : topics.keys())].map((t) => ({
      t,
      ...(topics.get(t) as { score: number; views: number }),
    }));
    counted.sort((a, b) => b.score - a.score || b.views - a.views || (a.t < b.t ? -1 : 1));
    members.push({
      hem_sha256: hem,
      intent_score: counted[0]?.score ?? 0,
      intent_frequency: counted.reduce((n, c) => n + c.views, 0),
      topics: counted.map((c) => c.t),
      profile,
    });
  }
  members.sort(
    (a, b) =>
      (b.intent_score ?? 0) - (a.intent_score ?? 0) || b.intent_frequency - a.intent_frequency || (a.hem_sha256 < b.hem_sha256 ? -1 : 1),
  );
  return members.map((m, rank) => rowOf({ ...m, rank }));
}

const rowOf = (m: AudienceMember): Row => ({
  rank: m.rank,
  hem_sha256: m.hem_sha256,
  intent_score: m.intent_score,
  intent_frequency: m.intent_frequency,
  topics: m.topics,
  contact: contactOf(m),
});

/** Stages, writes (or counts) and reads back an audience the way the evaluator does. */
async function build(s: AnalyticsStore, org: string, filter: FilterGroup, windowDays: number, runId: string | null) {
  const rates = await organizationRates(s, org, windowsOf(AS_OF, windowDays));
  const staged = await s.stageIntentScores({
    organizationId: org,
    topicIds: filterTopics(filter),
    asOfDay: AS_OF,
    windowDays,
    rates: Object.fromEntries(rates),
  });
  const overrides = await exactPeopleScores(s, { organizationId: org, asOfDay: AS_OF, windowDays }, staged.ambiguous, rates);
  const target = runId === null ? null : { organizationId: org, audienceId: 1, runId };
  try {
    const counts = await s.writeIntentAudience({ organizationId: org, stage: staged.stage, filter, overrides, target });
    const rows = target ? await s.readAudienceRows(target, { afterRank: -1, limit: 10_000 }) : [];
    return { counts, rows: rows.map(rowOf) };
  } finally {
    await s.dropIntentStage(org, staged.stage);
  }
}

/** Fills the store with the workload and returns the store the suite reads (the same, unless the fill reopened it). */
type Fill = (s: AnalyticsStore, org: string) => Promise<AnalyticsStore>;
const mixedIds: Fill = async (s, org) => {
  await fillWorkload(s, org);
  return s;
};

function engineSuite(name: string, open: () => Promise<AnalyticsStore>, cleanup: () => Promise<void>, fill?: Fill): void {
  describe(`intents audience built in ${name}`, () => {
    const org = randomUUID();
    let s: AnalyticsStore;

    beforeAll(async () => {
      s = await (fill ?? mixedIds)(await open(), org);
    }, 120_000);

    afterAll(cleanup);

    for (const windowDays of [1, 7, 14]) {
      it(`every staged score is score.ts's, window ${windowDays}`, async () => {
        const topicIds = ['t-cloud', 't-crm', 't-golf', 't-security', 't-baking'];
        const rates = await organizationRates(s, org, windowsOf(AS_OF, windowDays));
        const staged = await s.stageIntentScores({
          organizationId: org,
          topicIds,
          asOfDay: AS_OF,
          windowDays,
          rates: Object.fromEntries(rates),
          listAll: true,
        });
        await s.dropIntentStage(org, staged.stage);
        const expected = await scoreSubjects(
          s,
          { organizationId: org, subject: { kind: 'people' }, asOfDay: AS_OF, windowDays, topicIds },
          Promise.resolve(rates),
        );
        expect(staged.pairs).toBe(expected.length);
        expect(expected.length).toBeGreaterThan(20);
        const key = (hem: string, topic: string) => `${hem} ${topic}`;
        expect(new Map(staged.ambiguous.map((a) => [key(a.hem_sha256, a.topic_id), a.intent_score]))).toEqual(
          new Map(expected.map((x) => [key(x.subject, x.topic_id), x.intent_score])),
        );
      });
    }

    for (const [label, filter] of Object.entries(FILTERS)) {
      it(`rows as the JavaScript walk gives them: ${label}`, async () => {
        for (const windowDays of [1, 14]) {
          const expected = await reference(s, org, filter, windowDays);
          const run = `run_${randomUUID()}`;
          const { counts, rows } = await build(s, org, filter, windowDays, run);
          expect(rows).toEqual(expected);
          const bands = Object.fromEntries(
            SCORE_BANDS.map((b) => [
              b.key,
              expected.filter((r) => (r.intent_score ?? 0) >= b.min && (r.intent_score ?? 0) <= b.max).length,
            ]),
          );
          expect(counts).toEqual({
            recordCount: expected.length,
            distinctProfileCount: expected.filter((r) => r.contact.hem_md5 !== null).length,
            bucketCounts: bands,
          });
          // A preview counts the same and writes nothing.
          expect((await build(s, org, filter, windowDays, null)).counts).toEqual(counts);
          await s.deleteAudienceRuns(org, 1, [run]);
        }
      });
    }

    // Of the mixed workload (the others differ from it only in how visitors are keyed).
    if (!fill) {
      it('the workload reaches every kind of member: with and without profile, through a field rule alone', async () => {
        const rows = await reference(s, org, FILTERS['intent or a company size alone'] as FilterGroup, 14);
        expect(rows.some((r) => r.contact.hem_md5 === null)).toBe(true);
        expect(rows.some((r) => r.contact.hem_md5 !== null)).toBe(true);
        const cloud = await reference(s, org, { op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['t-cloud'], min_score: 60 }] }, 14);
        expect(rows.length).toBeGreaterThan(cloud.length);
        expect(fieldRules(FILTERS['nested groups, two rules naming one topic'] as FilterGroup)).toHaveLength(3);
      });
    }

    it('overrides replace the engine’s scores; a dropped stage is gone', async () => {
      const filter: FilterGroup = { op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['t-cloud'], min_score: 0 }] };
      const rates = await organizationRates(s, org, windowsOf(AS_OF, 7));
      const staged = await s.stageIntentScores({
        organizationId: org,
        topicIds: ['t-cloud'],
        asOfDay: AS_OF,
        windowDays: 7,
        rates: {},
        listAll: true,
      });
      expect(rates.size).toBeGreaterThan(0);
      const last = staged.ambiguous.reduce((a, b) => (b.intent_score < a.intent_score ? b : a));
      const target = { organizationId: org, audienceId: 2, runId: `run_${randomUUID()}` };
      await s.writeIntentAudience({
        organizationId: org,
        stage: staged.stage,
        filter,
        overrides: [{ hem_sha256: last.hem_sha256, topic_id: 't-cloud', intent_score: 100 }],
        target,
      });
      const [first] = await s.readAudienceRows(target, { afterRank: -1, limit: 1 });
      expect(first).toMatchObject({ hem_sha256: last.hem_sha256, intent_score: 100, rank: 0 });
      await s.dropIntentStage(org, staged.stage);
      await s.dropIntentStage(org, staged.stage);
      const again = await s
        .writeIntentAudience({ organizationId: org, stage: staged.stage, filter, overrides: [], target: null })
        .then((c) => c.recordCount)
        .catch(() => 'gone');
      expect([0, 'gone']).toContain(again);
    });
  });
}

/**
 * A suite on a DuckDB store of its own (a new file) opened with `options`. `fill` (default: the
 * mixed workload) may close the store and work on its file; it returns the store to read.
 */
function duckSuite(
  name: string,
  options: DuckDbStoreOptions = {},
  fill?: (s: DuckDbAnalyticsStore, org: string, file: string) => Promise<DuckDbAnalyticsStore>,
): void {
  const dir = mkdtempSync(join(tmpdir(), 'delivr-build-'));
  const file = join(dir, 'a.duckdb');
  let store: DuckDbAnalyticsStore | undefined;
  engineSuite(
    name,
    async () => {
      store = new DuckDbAnalyticsStore(file, options);
      await store.init();
      return store;
    },
    async () => {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
    fill &&
      (async (s, org) => {
        store = await fill(s as DuckDbAnalyticsStore, org, file);
        return store;
      }),
  );
}

duckSuite('DuckDB');

// More topics than WIDE_TOPICS are staged one row per person and topic: the same audiences that way.
duckSuite('DuckDB, one row per person and topic', { audienceWideTopics: 0 });

// The wide stage packs each person's views and baseline relevance into one sum (PACKED_VIEWS). With
// a packing this small, people of the workload reach it (views of 2 and more); with one this large,
// their sums pass 2^52 (baseline relevance of 4 and more): the stage must see them and stage per pair.
for (const packing of [2, 2 ** 50]) {
  duckSuite(`DuckDB, views packed by 2^${Math.log2(packing)}, which the workload overflows`, { audiencePackedViews: packing });
}

// Visitor ids in the tracker's form are grouped by their key (duckdb-visitor-key.ts), others by
// their text. Above, half of each (the store takes both ways and adds them up). Here every page view
// is keyed, so the stage reads by key alone; and then a store whose rows were half written before
// the key (NULL), so one visitor's page views come both ways.
/** Page views of a closed store's file with a visitor key, and all of them. */
async function keyedViews(file: string, nullify?: string): Promise<{ keyed: number; all: number }> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    if (nullify) await conn.run(`UPDATE events SET ${VISITOR_KEY} = NULL WHERE ${nullify}`);
    const [row] = (await conn.runAndReadAll(`SELECT count(${VISITOR_KEY}), count(*) FROM events WHERE event_type = 'page_view'`)).getRows();
    return { keyed: Number(row?.[0]), all: Number(row?.[1]) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The workload with every visitor id in the tracker's form, the file's keys checked (and `nullify` applied) with the store closed. */
async function trackerIds(s: DuckDbAnalyticsStore, org: string, file: string, options: DuckDbStoreOptions, nullify?: string) {
  await fillWorkload(s, org, 'tracker');
  await s.close();
  const before = await keyedViews(file);
  // The journal's move keyed every page view.
  expect(before.keyed).toBe(before.all);
  expect(before.all).toBeGreaterThan(500);
  if (nullify) {
    const after = await keyedViews(file, nullify);
    // Both ways hold a good part of the page views.
    expect(after.keyed).toBeGreaterThan(after.all * 0.3);
    expect(after.keyed).toBeLessThan(after.all * 0.7);
  }
  const reopened = new DuckDbAnalyticsStore(file, options);
  await reopened.init();
  return reopened;
}

// Both forms of stage, wide and per pair, read by key.
for (const [form, options] of [
  ['', {}],
  [', one row per person and topic', { audienceWideTopics: 0 }],
] as const) {
  duckSuite(`DuckDB${form}, every page view with a visitor key`, options, (s, org, file) => trackerIds(s, org, file, options));
  duckSuite(`DuckDB${form}, half the page views stored before visitor keys`, options, (s, org, file) =>
    trackerIds(s, org, file, options, 'hash(event_id) % 2 = 0'),
  );
}

if (serverUrl) {
  let ch: ClickHouseAnalyticsStore;
  engineSuite(
    'ClickHouse',
    async () => {
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      ch = new ClickHouseAnalyticsStore(url.toString());
      await ch.init();
      return ch;
    },
    async () => {
      await ch?.close();
      const url = new URL(serverUrl);
      url.pathname = '/';
      const admin = createClient({ url: url.toString() });
      await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
      await admin.close();
    },
  );
} else {
  console.log('[audience build] ClickHouse skipped, set CLICKHOUSE_URL (see scripts/clickhouse-start.sh)');
}
