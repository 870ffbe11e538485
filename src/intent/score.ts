// The intent score, as one pure function: how much more (or less) a person is reading about a topic
// in the last 1-14 days than is normal *for that person*, on a 0-100 scale where 50 is normal and 60
// or more is "surging" (the scale of Bombora's Company Surge). Stored signals and the API are built
// around it elsewhere; this file only does the arithmetic, so it is tested on its own and gives the
// same answer on every analytics engine. docs/intent.md explains the formula with a worked example.

/** One day of a person's activity on one topic. */
export interface DailyActivity {
  /** Days since 1970-01-01 (UTC). */
  day: number;
  /** Page views classified into the topic that day. */
  views: number;
  /** The same views, each weighted by its relevance to the topic (0..1) and any engagement factor. */
  weighted: number;
}

export interface IntentInput {
  /** The person's activity on the topic, in any order and over any range (days outside the window and baseline are ignored). */
  days: readonly DailyActivity[];
  /** Last day of the window (usually today). */
  asOfDay: number;
  /** Window length, 1-14 days (`intent_window_days`). */
  windowDays: number;
  /** Days before the window that make the person's baseline; default 56 (8 weeks). */
  baselineDays?: number;
  /**
   * First day the person was seen at all (on any topic). Baseline days before it are unknown, not
   * zero, so a new person is measured against the organization until they have a history.
   * Defaults to the first day of `days`.
   */
  firstSeenDay?: number | null;
  /** The organization's usual weighted views per person per day on this topic: the baseline for new people. */
  organizationDailyRate: number;
}

export interface IntentScore {
  /** 0-100; 50 = the person's normal level; >= 60 surging. */
  intent_score: number;
  /** Matching page views in the window (unweighted). */
  intent_frequency: number;
  surging: boolean;
  /** Decay-weighted activity in the window. */
  observed: number;
  /** What the baseline predicts for the same decay-weighted window. */
  expected: number;
  /** Weighted views per day the person normally has on this topic (blended with the organization's while history is short). */
  baseline_daily: number;
  /** Share of the baseline that comes from the person's own history (0 = all organization, 1 = all own). */
  baseline_own_share: number;
}

export const SURGE_THRESHOLD = 60;
/** Activity loses half its weight every 7 days inside the window: this week matters more than last. */
export const HALF_LIFE_DAYS = 7;
/** Days of the organization's rate mixed into every baseline, so a short history does not swing it. */
export const PRIOR_DAYS = 7;
/** Pseudo-evidence (two fully relevant page views) added to both sides: a single view is not yet a surge. */
export const EVIDENCE = 2;
/** Floor for baselines, in weighted views per day: nobody's normal is exactly zero. */
export const MIN_DAILY_RATE = 0.01;
/** ln(ratio) is divided by this before tanh: a ratio of 1.5 scores 60, 2 scores 67, 4 scores 80. */
export const SPREAD = Math.log(1.5) / Math.atanh(0.2);

/** Weight of a day `age` days before the window's last day (0 = that day). */
export const decay = (age: number): number => 0.5 ** (age / HALF_LIFE_DAYS);

export function intentScore(input: IntentInput): IntentScore {
  const windowDays = Math.trunc(input.windowDays);
  if (!(windowDays >= 1 && windowDays <= 14)) throw new RangeError('windowDays must be 1-14');
  const baselineDays = Math.trunc(input.baselineDays ?? 56);
  if (!(baselineDays >= 1)) throw new RangeError('baselineDays must be at least 1');
  const windowStart = input.asOfDay - windowDays + 1;
  const baselineStart = windowStart - baselineDays;

  let observed = 0;
  let frequency = 0;
  let ownSum = 0;
  let firstActive = Number.POSITIVE_INFINITY;
  for (const d of input.days) {
    const views = Math.max(0, d.views);
    const weighted = Math.max(0, d.weighted);
    if (views > 0 || weighted > 0) firstActive = Math.min(firstActive, d.day);
    if (d.day >= windowStart && d.day <= input.asOfDay) {
      observed += weighted * decay(input.asOfDay - d.day);
      frequency += views;
    } else if (d.day >= baselineStart && d.day < windowStart) {
      ownSum += weighted;
    }
  }
  const window = windowWeight(windowDays);

  // Days of the baseline on which the person already existed (a new person has none).
  const firstSeen = Math.min(input.firstSeenDay ?? firstActive, firstActive);
  const knownDays = Number.isFinite(firstSeen) ? Math.max(0, Math.min(baselineDays, windowStart - Math.max(firstSeen, baselineStart))) : 0;
  const orgRate = Math.max(MIN_DAILY_RATE, input.organizationDailyRate);
  const baselineDaily = Math.max(MIN_DAILY_RATE, (ownSum + PRIOR_DAYS * orgRate) / (knownDays + PRIOR_DAYS));
  const expected = baselineDaily * window;

  const ratio = (observed + EVIDENCE) / (expected + EVIDENCE);
  const raw = 50 + 50 * Math.tanh(Math.log(ratio) / SPREAD);
  const score = Math.round(Math.min(100, Math.max(0, raw)));
  return {
    intent_score: score,
    intent_frequency: frequency,
    surging: score >= SURGE_THRESHOLD,
    observed,
    expected,
    baseline_daily: baselineDaily,
    baseline_own_share: knownDays / (knownDays + PRIOR_DAYS),
  };
}

/** Σ decay(age) over the window's days: what one weighted view a day adds up to, decayed. */
export function windowWeight(windowDays: number): number {
  let window = 0;
  for (let age = 0; age < windowDays; age++) window += decay(age);
  return window;
}

/** Days since 1970-01-01 (UTC) of an epoch-ms time. */
export const epochDay = (ms: number): number => Math.floor(ms / 86_400_000);
