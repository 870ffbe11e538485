// Periods and time buckets of the Stats API in a project's time zone: which local days `period` and
// `date` name, the period before it (compare=previous_period), the instants they span, and the
// buckets of a time series with their labels. Days are the project's days: "today" in Tokyo starts
// at its own midnight. Pure functions over platform/time-zone.ts, so they are tested directly.
import type { BucketSpec, BucketUnit } from '../analytics/stats.js';
import { fail } from '../platform/errors.js';
import {
  DAY_MS,
  firstDayOfMonth,
  firstDayOfWeek,
  formatDay,
  HOUR_MS,
  instantOfWall,
  localDay,
  monthOfDay,
  offsetPieces,
  parseDay,
  startOfLocalDay,
  wallClock,
  weekOfDay,
} from '../platform/time-zone.js';
import type { Period, StatsRange } from './schemas.js';

/** Longest custom period, in days. */
export const MAX_DAYS = 400;

export interface DayRange {
  /** First and last local day number, inclusive. */
  first: number;
  last: number;
}

const invalid = (details: string) => fail('invalid_parameters', details);

/** The local days `period` and `date` name, `today` being the current local day. */
export function periodDays(period: Period, date: string | undefined, today: number): DayRange {
  if (period === 'custom') {
    const parts = (date ?? '').split(',');
    const [from, to] = parts.map((p) => parseDay(p.trim()));
    if (parts.length !== 2 || from === null || to === null || from === undefined || to === undefined) {
      throw invalid('period=custom needs date=YYYY-MM-DD,YYYY-MM-DD (the first and the last day)');
    }
    if (to < from) throw invalid('the last day of the custom period is before its first');
    if (to - from + 1 > MAX_DAYS) throw invalid(`a custom period may span at most ${MAX_DAYS} days`);
    return { first: from, last: to };
  }
  let ref = today;
  if (date !== undefined && date !== '') {
    const d = parseDay(date.trim());
    if (d === null) throw invalid('date must be YYYY-MM-DD (or two of them, comma-separated, with period=custom)');
    ref = d;
  }
  switch (period) {
    case 'day':
      return { first: ref, last: ref };
    case '7d':
      return { first: ref - 6, last: ref };
    case '30d':
      return { first: ref - 29, last: ref };
    case 'month':
      return monthsEnding(monthOfDay(ref), 1);
    case '6mo':
      return monthsEnding(monthOfDay(ref), 6);
    case '12mo':
      return monthsEnding(monthOfDay(ref), 12);
  }
}

function monthsEnding(month: number, count: number): DayRange {
  return { first: firstDayOfMonth(month - count + 1), last: firstDayOfMonth(month + 1) - 1 };
}

/** The period just before: the previous day, the same number of days, or the months before. */
export function previousDays(period: Period, r: DayRange): DayRange {
  const months = period === 'month' ? 1 : period === '6mo' ? 6 : period === '12mo' ? 12 : 0;
  if (months > 0) return monthsEnding(monthOfDay(r.first) - 1, months);
  const length = r.last - r.first + 1;
  return { first: r.first - length, last: r.first - 1 };
}

export function rangeOf(r: DayRange, zone: string): StatsRange {
  return {
    time_zone: zone,
    from: formatDay(r.first),
    to: formatDay(r.last),
    start_ms: startOfLocalDay(r.first, zone),
    end_ms: startOfLocalDay(r.last + 1, zone),
  };
}

/** Today in `zone`. */
export const todayIn = (now: number, zone: string): number => localDay(now, zone);

/** The interval a time series uses when none is asked for. */
export function defaultInterval(period: Period, r: DayRange): BucketUnit {
  if (period === 'day') return 'hour';
  if (period === '6mo' || period === '12mo') return 'month';
  const days = r.last - r.first + 1;
  return days <= 1 ? 'hour' : days <= 92 ? 'day' : days <= 370 ? 'week' : 'month';
}

/** Most buckets one series may have (hours: 7 days). */
const MAX_BUCKETS = 1000;

export interface Bucket {
  key: number;
  date: string;
  start_ms: number;
}

/** Every bucket of the range, in order, with its label and first instant (never before the range). */
export function bucketsOf(r: DayRange, unit: BucketUnit, zone: string): Bucket[] {
  const range = rangeOf(r, zone);
  const out: Bucket[] = [];
  const push = (key: number, date: string, start: number) => out.push({ key, date, start_ms: Math.max(start, range.start_ms) });
  switch (unit) {
    case 'hour': {
      if (r.last - r.first + 1 > 7) throw invalid('interval=hour covers at most 7 days');
      for (let h = r.first * 24; h < (r.last + 1) * 24; h++) {
        const start = instantOfWall(h * HOUR_MS, zone);
        // An hour the clocks skip (a daylight-saving change) has no instant of its own.
        if (Math.floor(wallClock(start, zone) / HOUR_MS) !== h) continue;
        push(h, `${formatDay(Math.floor(h / 24))} ${String(h % 24).padStart(2, '0')}:00:00`, start);
      }
      break;
    }
    case 'day':
      for (let d = r.first; d <= r.last; d++) push(d, formatDay(d), startOfLocalDay(d, zone));
      break;
    case 'week':
      for (let w = weekOfDay(r.first); w <= weekOfDay(r.last); w++)
        push(w, formatDay(firstDayOfWeek(w)), startOfLocalDay(firstDayOfWeek(w), zone));
      break;
    case 'month':
      for (let m = monthOfDay(r.first); m <= monthOfDay(r.last); m++)
        push(m, formatDay(firstDayOfMonth(m)), startOfLocalDay(firstDayOfMonth(m), zone));
      break;
  }
  if (out.length > MAX_BUCKETS) throw invalid(`a time series may have at most ${MAX_BUCKETS} points; choose a longer interval`);
  return out;
}

/** What the engines need to put instants of the range into the zone's buckets. */
export function bucketSpec(r: DayRange, unit: BucketUnit, zone: string): BucketSpec {
  const range = rangeOf(r, zone);
  return { unit, offsets: offsetPieces(range.start_ms, range.end_ms + DAY_MS, zone) };
}
