// From stored activity to scores, engine-neutral: reads the daily counts of a subject (a person, a
// company, or all of them) from the IntentStore, the organization's usual rate per topic, and runs
// score.ts on each subject and topic. The engines return integers only (views, Σ relevance in
// percent), and everything after that happens here in a fixed order, so a score is the same number
// on DuckDB and on ClickHouse.
import { type DailyActivity, type IntentScore, intentScore, PRIOR_DAYS } from './score.js';
import type { IntentStore, IntentSubject, TopicDay, TopicPageViews } from './types.js';

/** Days before the window that make a baseline (8 weeks), as score.ts defaults. */
export const BASELINE_DAYS = 56;

export interface ScoreRequest {
  organizationId: string;
  subject: IntentSubject;
  /** Last day of the window (days since 1970-01-01 UTC), usually today. */
  asOfDay: number;
  /** 1-14. */
  windowDays: number;
  /** Only these topics; all the subject read when absent. */
  topicIds?: readonly string[];
}

export interface SubjectTopicScore extends IntentScore {
  /** HEM or company domain. */
  subject: string;
  topic_id: string;
  /** The organization's weighted views per reader per day on the topic before the window. */
  organization_daily_rate: number;
}

export interface Windows {
  windowStart: number;
  baselineStart: number;
}

export const windowsOf = (asOfDay: number, windowDays: number): Windows => {
  const windowStart = asOfDay - windowDays + 1;
  return { windowStart, baselineStart: windowStart - BASELINE_DAYS };
};

/**
 * The organization's usual weighted views per reader per day, per topic, over the baseline days
 * before the window: what a subject with no history of their own is measured against.
 */
export async function organizationRates(
  store: IntentStore,
  organizationId: string,
  w: Windows,
  topicIds?: readonly string[],
): Promise<Map<string, number>> {
  const activity = await store.organizationActivity(organizationId, w.baselineStart, w.windowStart - 1, topicIds);
  const rates = new Map<string, number>();
  if (activity.readers === 0) return rates;
  for (const t of activity.topics) rates.set(t.topic_id, t.weighted / 100 / activity.readers / BASELINE_DAYS);
  return rates;
}

/** Daily activity (relevance back to 0..1) of each subject and topic, days ascending. */
export function groupDays(rows: readonly TopicDay[]): Map<string, Map<string, DailyActivity[]>> {
  const sorted = [...rows].sort((a, b) => cmp(a.subject, b.subject) || cmp(a.topic_id, b.topic_id) || a.day - b.day);
  const out = new Map<string, Map<string, DailyActivity[]>>();
  for (const r of sorted) {
    const topics = out.get(r.subject) ?? new Map<string, DailyActivity[]>();
    out.set(r.subject, topics);
    const days = topics.get(r.topic_id) ?? [];
    topics.set(r.topic_id, days);
    days.push({ day: r.day, views: r.views, weighted: r.weighted / 100 });
  }
  return out;
}

/**
 * Scores every subject and topic with page views in the window, best first (score, then views,
 * then ids). One query each for the activity, the first days and the organization's rates, however
 * many subjects there are.
 */
export async function scoreSubjects(
  store: IntentStore,
  req: ScoreRequest,
  /** The organization's rates for these windows when the caller already has them (a cache); read otherwise. */
  knownRates?: Promise<Map<string, number>>,
): Promise<SubjectTopicScore[]> {
  const w = windowsOf(req.asOfDay, req.windowDays);
  const range = {
    organizationId: req.organizationId,
    subject: req.subject,
    fromDay: w.baselineStart,
    toDay: req.asOfDay,
    ...(req.topicIds ? { topicIds: req.topicIds } : {}),
  };
  const [days, firsts, rates] = await Promise.all([
    store.topicDays(range),
    store.firstDays(range),
    knownRates ?? organizationRates(store, req.organizationId, w, req.topicIds),
  ]);
  const firstSeen = new Map(firsts.map((f) => [f.subject, f.day]));
  const out: SubjectTopicScore[] = [];
  for (const [subject, topics] of groupDays(days)) {
    for (const [topicId, activity] of topics) {
      if (!activity.some((d) => d.day >= w.windowStart && d.views > 0)) continue;
      const rate = rates.get(topicId) ?? 0;
      const score = intentScore({
        days: activity,
        asOfDay: req.asOfDay,
        windowDays: req.windowDays,
        baselineDays: BASELINE_DAYS,
        firstSeenDay: firstSeen.get(subject) ?? null,
        organizationDailyRate: rate,
      });
      out.push({ ...score, subject, topic_id: topicId, organization_daily_rate: rate });
    }
  }
  return out.sort(
    (a, b) =>
      b.intent_score - a.intent_score ||
      b.intent_frequency - a.intent_frequency ||
      cmp(a.subject, b.subject) ||
      cmp(a.topic_id, b.topic_id),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface TopicExplanation {
  score: IntentScore;
  organization_daily_rate: number;
  windows: Windows;
  /** Days of the window with page views on the topic, ascending (relevance-weighted views in 0..n). */
  window_days: DailyActivity[];
  /** Page views and weighted views on the topic in the baseline days before the window. */
  baseline: { views: number; weighted: number };
  /** Days of the baseline the subject existed (0 for someone new), as the score counts them. */
  known_days: number;
  /** The pages viewed in the window that count for the topic, most viewed first. */
  pages: TopicPageViews[];
}

/** One subject's score on one topic with what made it: the same numbers scoreSubjects gives, and their sources. */
export async function explainTopic(
  store: IntentStore,
  req: ScoreRequest & { subject: Extract<IntentSubject, { kind: 'person' | 'company' }>; topicId: string; pageLimit: number },
  knownRates?: Promise<Map<string, number>>,
): Promise<TopicExplanation> {
  const w = windowsOf(req.asOfDay, req.windowDays);
  const range = { organizationId: req.organizationId, subject: req.subject, fromDay: w.baselineStart, toDay: req.asOfDay };
  const [rows, firsts, rates, pages] = await Promise.all([
    store.topicDays({ ...range, topicIds: [req.topicId] }),
    store.firstDays(range),
    knownRates ?? organizationRates(store, req.organizationId, w, [req.topicId]),
    store.topicPages({ ...range, fromDay: w.windowStart, topicId: req.topicId, limit: req.pageLimit }),
  ]);
  const key = req.subject.kind === 'person' ? req.subject.hem : req.subject.domain;
  const activity = groupDays(rows).get(key)?.get(req.topicId) ?? [];
  const rate = rates.get(req.topicId) ?? 0;
  const firstSeenDay = firsts.find((f) => f.subject === key)?.day ?? null;
  const score = intentScore({
    days: activity,
    asOfDay: req.asOfDay,
    windowDays: req.windowDays,
    baselineDays: BASELINE_DAYS,
    firstSeenDay,
    organizationDailyRate: rate,
  });
  const before = activity.filter((d) => d.day < w.windowStart);
  return {
    score,
    organization_daily_rate: rate,
    windows: w,
    window_days: activity.filter((d) => d.day >= w.windowStart && d.day <= req.asOfDay),
    baseline: { views: before.reduce((n, d) => n + d.views, 0), weighted: before.reduce((n, d) => n + d.weighted, 0) },
    known_days: Math.round((score.baseline_own_share * PRIOR_DAYS) / (1 - score.baseline_own_share)),
    pages,
  };
}

/**
 * score.ts's scores of some (person, topic) pairs, one query per person: the few an engine could not
 * round with certainty when it scored everyone in SQL (intent/score-sql.ts). `rates` must be the
 * ones the engine used.
 */
export async function exactPeopleScores(
  store: IntentStore,
  q: { organizationId: string; asOfDay: number; windowDays: number },
  pairs: readonly { hem_sha256: string; topic_id: string }[],
  rates: Map<string, number>,
): Promise<{ hem_sha256: string; topic_id: string; intent_score: number }[]> {
  const byPerson = new Map<string, string[]>();
  for (const p of pairs) byPerson.set(p.hem_sha256, [...(byPerson.get(p.hem_sha256) ?? []), p.topic_id]);
  const out: { hem_sha256: string; topic_id: string; intent_score: number }[] = [];
  for (const [hem, topicIds] of byPerson) {
    const scores = await scoreSubjects(
      store,
      { organizationId: q.organizationId, subject: { kind: 'person', hem }, asOfDay: q.asOfDay, windowDays: q.windowDays, topicIds },
      Promise.resolve(rates),
    );
    for (const topicId of topicIds) {
      const s = scores.find((x) => x.topic_id === topicId);
      if (!s) throw new Error(`intent: no score for person ${hem} on ${topicId}, which the engine scored`);
      out.push({ hem_sha256: hem, topic_id: topicId, intent_score: s.intent_score });
    }
  }
  return out;
}
