// The intent score's arithmetic and its edges: no history, one page, a burst, decay inside the
// window, a person's own baseline against the organization's, the window bounds, and bad input.
import { describe, expect, it } from 'vitest';
import { type DailyActivity, EVIDENCE, epochDay, HALF_LIFE_DAYS, intentScore, SURGE_THRESHOLD } from '../../src/intent/score.js';

const TODAY = epochDay(Date.UTC(2026, 5, 15));
const ORG_RATE = 0.05;
const day = (ago: number, views: number, relevance = 0.9): DailyActivity => ({ day: TODAY - ago, views, weighted: views * relevance });
const score = (days: DailyActivity[], extra: Partial<Parameters<typeof intentScore>[0]> = {}) =>
  intentScore({ days, asOfDay: TODAY, windowDays: 7, organizationDailyRate: ORG_RATE, ...extra });
/** A steady reader: one page every day for the 8 weeks before the window. */
const history = (perDay = 1, from = 7): DailyActivity[] => Array.from({ length: 56 }, (_, i) => day(from + i, perDay, 0.5));

describe('intentScore', () => {
  it('no history and no activity: a little below normal, never surging, baseline from the organization', () => {
    const r = score([]);
    expect(r.intent_score).toBeLessThan(50);
    expect(r.intent_score).toBeGreaterThan(40);
    expect(r.surging).toBe(false);
    expect(r.intent_frequency).toBe(0);
    expect(r.baseline_own_share).toBe(0);
    expect(r.baseline_daily).toBeCloseTo(ORG_RATE);
  });

  it('one page from a new person is above normal but not a surge', () => {
    const r = score([day(0, 1)]);
    expect(r.intent_score).toBeGreaterThan(50);
    expect(r.intent_score).toBeLessThan(SURGE_THRESHOLD);
    expect(r.surging).toBe(false);
    expect(r.intent_frequency).toBe(1);
  });

  it('several relevant pages this week from a new person surge, more pages score higher', () => {
    const two = score([day(0, 2)]);
    const five = score([day(0, 3), day(2, 2)]);
    expect(two.surging).toBe(true);
    expect(five.intent_score).toBeGreaterThan(two.intent_score);
    expect(five.intent_frequency).toBe(5);
  });

  it('a steady reader reading as usual stays near 50; a burst surges; a silent week drops', () => {
    const usual = score([...history(), ...Array.from({ length: 7 }, (_, i) => day(i, 1, 0.5))]);
    expect(Math.abs(usual.intent_score - 50)).toBeLessThanOrEqual(2);
    expect(usual.surging).toBe(false);
    expect(usual.baseline_own_share).toBeGreaterThan(0.85);
    const burst = score([...history(), day(0, 10)]);
    expect(burst.surging).toBe(true);
    expect(burst.intent_score).toBeGreaterThan(65);
    const silent = score(history());
    expect(silent.intent_score).toBeLessThan(40);
  });

  it('the same burst means less for someone who always reads that much', () => {
    const heavyReader = score([...history(4), day(0, 10)]);
    const newcomer = score([day(0, 10)]);
    expect(newcomer.intent_score).toBeGreaterThan(heavyReader.intent_score);
  });

  it('decays: the same pages six days ago count less than today, and outside the window not at all', () => {
    const today = score([day(0, 5)]);
    const sixDaysAgo = score([day(6, 5)]);
    const outside = score([day(7, 5)]);
    expect(sixDaysAgo.intent_score).toBeLessThan(today.intent_score);
    expect(sixDaysAgo.observed).toBeCloseTo(today.observed * 0.5 ** (6 / HALF_LIFE_DAYS));
    expect(outside.intent_frequency).toBe(0);
    expect(outside.observed).toBe(0);
  });

  it('relevance weighs: the same views on loosely related pages score lower', () => {
    expect(score([day(0, 4, 0.3)]).intent_score).toBeLessThan(score([day(0, 4, 0.95)]).intent_score);
  });

  it('honours the window: 1 day counts only today, 14 days counts two weeks', () => {
    expect(score([day(1, 5)], { windowDays: 1 }).intent_frequency).toBe(0);
    expect(score([day(13, 5)], { windowDays: 14 }).intent_frequency).toBe(5);
    expect(score([day(13, 5)], { windowDays: 7 }).intent_frequency).toBe(0);
  });

  it('stays within 0-100 at the extremes and is deterministic', () => {
    const huge = score([day(0, 100_000)]);
    expect(huge.intent_score).toBeLessThanOrEqual(100);
    expect(huge.intent_score).toBeGreaterThan(95);
    const gone = score(history(50));
    expect(gone.intent_score).toBeGreaterThanOrEqual(0);
    expect(gone.intent_score).toBeLessThan(10);
    expect(score([day(0, 3)])).toEqual(score([day(0, 3)]));
  });

  it('ignores negative counts and a zero organization rate instead of dividing by zero', () => {
    const r = score([{ day: TODAY, views: -5, weighted: -3 }], { organizationDailyRate: 0 });
    expect(Number.isFinite(r.intent_score)).toBe(true);
    expect(r.intent_frequency).toBe(0);
  });

  it('refuses a window outside 1-14 days', () => {
    for (const w of [0, 15, Number.NaN]) expect(() => score([], { windowDays: w })).toThrow(RangeError);
  });

  it('matches the worked example in docs/intent.md', () => {
    // A new visitor (first seen today) reads 3 pages today (relevance 0.9) and 2 pages 3 days ago (relevance 0.8).
    const r = score([day(0, 3, 0.9), day(3, 2, 0.8)], { firstSeenDay: TODAY - 3 });
    expect(EVIDENCE).toBe(2);
    expect(r.observed).toBeCloseTo(2.7 + 1.6 * 0.5 ** (3 / 7), 3);
    expect(r.intent_score).toBe(72);
    expect(r.surging).toBe(true);
  });
});
