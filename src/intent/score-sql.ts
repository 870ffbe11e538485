// The intent score (score.ts) as a SQL expression, so that an audience scores everyone inside the
// analytics engine instead of shipping each person's daily activity to JavaScript. The expression is
// the same formula, written so DuckDB and ClickHouse 18.16 both run it (no tanh there:
// 50 + 50·tanh(x/S) = 100·q/(q + 1) with q = ratio^(2/S)), in the engine's floating point. That is
// close to score.ts's arithmetic but not always bit-identical (the order of a sum, pow against
// Math.log and Math.tanh), so the engine also says which scores it cannot round with certainty: a
// raw score within the error bound of a rounding boundary (x.5). The caller scores those few again
// with score.ts (IntentService.stageScores), so every score an audience uses is score.ts's.
//
// Error bound. The engine's observed sum adds `views` terms in any order: relative error at most
// (views + a few) × 2^-53; the rest of the arithmetic adds a few dozen roundings on each side, and
// the raw score moves at most 25 points per unit of ln(ratio). So |raw_sql − raw_js| stays below
// 3e-15 × (views + 50): the margin below (1e-9 + 1e-14 × views) is more than a thousand times that.

import { EVIDENCE, HALF_LIFE_DAYS, MIN_DAILY_RATE, PRIOR_DAYS, SPREAD, windowWeight } from './score.js';
import { BASELINE_DAYS, windowsOf } from './signals.js';
import { DAY_MS } from './types.js';

/** A float literal both engines read as a double, exactly as JavaScript holds it (DuckDB would read 0.5 as a DECIMAL). */
export const sqlFloat = (x: number): string => {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  return x.toExponential();
};

export interface ScoreSqlInput {
  /** Last day of the window and its length (1-14). */
  asOfDay: number;
  windowDays: number;
  /** Column of the day (days since 1970-01-01) of a page view, for the per-view terms. */
  day: string;
  /** Column of a page view's relevance to the topic, in whole percent. */
  relevance: string;
}

/**
 * Per page view, what the aggregates sum: its decayed relevance in the window (for `observed`) and its
 * relevance in the baseline days; the window test for `views`.
 */
export function scoreTermsSql(i: ScoreSqlInput): { inWindow: string; observedTerm: string; baselineTerm: string } {
  const w = windowsOf(i.asOfDay, i.windowDays);
  return {
    inWindow: `${i.day} >= ${w.windowStart}`,
    observedTerm: `${i.relevance} * pow(${sqlFloat(0.5)}, (${i.asOfDay} - ${i.day}) / ${sqlFloat(HALF_LIFE_DAYS)})`,
    baselineTerm: `${i.relevance}`,
  };
}

export interface RawScoreInput {
  asOfDay: number;
  windowDays: number;
  /** Σ over the window's views of relevance (percent) × decay(age). */
  observedPercent: string;
  /** Σ over the baseline days' views of relevance (percent): an integer. */
  baselinePercent: string;
  /** The subject's first day with any page view in the range (firstDays). */
  firstDay: string;
  /** The organization's weighted views per reader per day on the row's topic (0 when unknown). */
  rate: string;
}

/** The raw score (0..100, before rounding) of score.ts as an expression of the aggregates. */
export function rawScoreSql(i: RawScoreInput): string {
  const w = windowsOf(i.asOfDay, i.windowDays);
  const f = sqlFloat;
  const known = `greatest(0, least(${BASELINE_DAYS}, ${w.windowStart} - greatest(${i.firstDay}, ${w.baselineStart})))`;
  const orgRate = `greatest(${f(MIN_DAILY_RATE)}, ${i.rate})`;
  const baseline = `greatest(${f(MIN_DAILY_RATE)}, (${i.baselinePercent} / ${f(100)} + ${f(PRIOR_DAYS)} * ${orgRate}) / (${known} + ${f(PRIOR_DAYS)}))`;
  const ratio = `((${i.observedPercent} / ${f(100)} + ${f(EVIDENCE)}) / (${baseline} * ${f(windowWeight(i.windowDays))} + ${f(EVIDENCE)}))`;
  // ratio^(2/S), and 2/S is exactly 1 (S = ln 1.5 / atanh 0.2 comes out as 2 in doubles): pow(x, 1)
  // is x, so the power is left out then (two pow calls per person and topic in an audience's stage).
  const q = 2 / SPREAD === 1 ? ratio : `pow(${ratio}, ${f(2 / SPREAD)})`;
  return `(${f(100)} * ${q} / (${q} + ${f(1)}))`;
}

/** The rounded score (as a float: callers cast it to their integer type). */
export const roundedScoreSql = (raw: string): string => `floor(${raw} + ${sqlFloat(0.5)})`;

/** True when the engine's rounding of `raw` may differ from score.ts's (see the error bound above). */
export const ambiguousScoreSql = (raw: string, views: string): string =>
  `abs(${raw} - floor(${raw}) - ${sqlFloat(0.5)}) < ${sqlFloat(1e-9)} + ${sqlFloat(1e-14)} * ${views}`;

/** Inclusive range of event times (epoch ms) that an audience's scores read: the baseline's first day to the window's last. */
export function scoreRangeMs(asOfDay: number, windowDays: number): { fromMs: number; toMs: number } {
  const w = windowsOf(asOfDay, windowDays);
  return { fromMs: w.baselineStart * DAY_MS, toMs: (asOfDay + 1) * DAY_MS - 1 };
}
