// Periods and buckets in a project's time zone (src/stats/period.ts) and the zone arithmetic under
// them (src/platform/time-zone.ts), with the days that trip such code: daylight-saving changes, a
// zone that skips midnight, half-hour offsets, month ends and leap days.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/platform/errors.js';
import {
  canonicalTimeZone,
  DAY_MS,
  formatDay,
  localDay,
  offsetAt,
  offsetPieces,
  parseDay,
  startOfLocalDay,
  wallClock,
} from '../../src/platform/time-zone.js';
import { bucketsOf, defaultInterval, periodDays, previousDays, rangeOf } from '../../src/stats/period.js';

const day = (s: string): number => parseDay(s) as number;

describe('time zones', () => {
  it('knows zone names in any case, keeps aliases, refuses the rest', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('Asia/Kolkata')).not.toBeNull();
    for (const bad of ['Mars/Base', '', 'Europe/Berlin; DROP', '../etc/passwd', 'x'.repeat(100)]) expect(canonicalTimeZone(bad)).toBeNull();
  });

  it('starts local days at local midnight, also across daylight-saving changes', () => {
    expect(startOfLocalDay(day('2026-03-08'), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5));
    expect(startOfLocalDay(day('2026-03-09'), 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 4));
    expect(startOfLocalDay(day('2026-01-01'), 'Asia/Kolkata')).toBe(Date.UTC(2025, 11, 31, 18, 30));
    expect(startOfLocalDay(day('2026-01-01'), 'Asia/Kathmandu')).toBe(Date.UTC(2025, 11, 31, 18, 15));
  });

  it('starts a day the clocks enter at 01:00 at its first real instant', () => {
    // Santiago de Chile moves from 00:00 to 01:00 on the first Sunday of September.
    const start = startOfLocalDay(day('2026-09-06'), 'America/Santiago');
    expect(localDay(start, 'America/Santiago')).toBe(day('2026-09-06'));
    expect(localDay(start - 1, 'America/Santiago')).toBe(day('2026-09-05'));
    expect(wallClock(start, 'America/Santiago') % DAY_MS).toBe(3_600_000);
  });

  it('finds the instants where the offset changes, to the millisecond', () => {
    const pieces = offsetPieces(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1), 'Europe/Berlin');
    expect(pieces).toEqual([
      { fromMs: Date.UTC(2026, 0, 1), offsetMs: 3_600_000 },
      { fromMs: Date.UTC(2026, 2, 29, 1), offsetMs: 7_200_000 },
      { fromMs: Date.UTC(2026, 9, 25, 1), offsetMs: 3_600_000 },
    ]);
    expect(offsetPieces(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1), 'UTC')).toHaveLength(1);
    expect(offsetAt(Date.UTC(2026, 5, 1), 'Asia/Kolkata')).toBe(19_800_000);
  });
});

describe('periods', () => {
  const today = day('2026-03-31');

  it('names the local days of each period and the one before it', () => {
    expect(periodDays('day', undefined, today)).toEqual({ first: today, last: today });
    expect(periodDays('7d', undefined, today)).toEqual({ first: today - 6, last: today });
    expect(periodDays('30d', '2026-03-01', today)).toEqual({ first: day('2026-01-31'), last: day('2026-03-01') });
    expect(periodDays('month', undefined, today)).toEqual({ first: day('2026-03-01'), last: day('2026-03-31') });
    expect(periodDays('6mo', '2026-02-10', today)).toEqual({ first: day('2025-09-01'), last: day('2026-02-28') });
    expect(periodDays('12mo', undefined, today)).toEqual({ first: day('2025-04-01'), last: day('2026-03-31') });
    expect(periodDays('custom', '2024-02-28,2024-03-01', today)).toEqual({ first: day('2024-02-28'), last: day('2024-03-01') });

    expect(previousDays('7d', { first: today - 6, last: today })).toEqual({ first: today - 13, last: today - 7 });
    expect(previousDays('month', { first: day('2026-03-01'), last: day('2026-03-31') })).toEqual({
      first: day('2026-02-01'),
      last: day('2026-02-28'),
    });
    expect(previousDays('12mo', { first: day('2025-04-01'), last: day('2026-03-31') })).toEqual({
      first: day('2024-04-01'),
      last: day('2025-03-31'),
    });
  });

  it('refuses what it cannot read, saying why', () => {
    for (const [period, date, why] of [
      ['custom', undefined, /needs date=/],
      ['custom', '2026-01-02', /needs date=/],
      ['custom', '2026-01-02,2026-01-01', /before its first/],
      ['custom', '2020-01-01,2026-01-01', /at most 400 days/],
      ['day', '2026-02-29', /YYYY-MM-DD/],
      ['day', '26-01-01', /YYYY-MM-DD/],
    ] as const) {
      let err: unknown;
      try {
        periodDays(period, date, today);
      } catch (e) {
        err = e;
      }
      expect(err, `${period} ${date}`).toBeInstanceOf(ApiError);
      expect((err as ApiError).details).toMatch(why);
    }
  });

  it('spans the instants of local days: 23 hours on the spring change', () => {
    const r = rangeOf({ first: day('2026-03-29'), last: day('2026-03-29') }, 'Europe/Berlin');
    expect(r).toMatchObject({ from: '2026-03-29', to: '2026-03-29', time_zone: 'Europe/Berlin' });
    expect(r.end_ms - r.start_ms).toBe(23 * 3_600_000);
  });

  it('lists buckets with local labels, skipping the hour the clocks jump over', () => {
    const spring = bucketsOf({ first: day('2026-03-29'), last: day('2026-03-29') }, 'hour', 'Europe/Berlin');
    expect(spring).toHaveLength(23);
    expect(spring.map((b) => b.date.slice(11, 13))).not.toContain('02');
    expect(spring[0]).toMatchObject({ date: '2026-03-29 00:00:00', start_ms: Date.UTC(2026, 2, 28, 23) });
    const weeks = bucketsOf({ first: day('2026-03-04'), last: day('2026-03-17') }, 'week', 'UTC');
    expect(weeks.map((b) => b.date)).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    // A bucket never starts before the period does.
    expect(weeks[0]?.start_ms).toBe(Date.UTC(2026, 2, 4));
    const months = bucketsOf({ first: day('2025-12-15'), last: day('2026-02-02') }, 'month', 'UTC');
    expect(months.map((b) => b.date)).toEqual(['2025-12-01', '2026-01-01', '2026-02-01']);
    expect(formatDay(day('2026-02-28') + 1)).toBe('2026-03-01');
  });

  it('picks an interval for the period, and refuses series too fine to draw', () => {
    expect(defaultInterval('day', { first: 1, last: 1 })).toBe('hour');
    expect(defaultInterval('30d', { first: 1, last: 30 })).toBe('day');
    expect(defaultInterval('12mo', { first: 1, last: 365 })).toBe('month');
    expect(defaultInterval('custom', { first: 1, last: 200 })).toBe('week');
    expect(() => bucketsOf({ first: 1, last: 10 }, 'hour', 'UTC')).toThrow(ApiError);
  });
});
