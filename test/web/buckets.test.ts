// The chart's buckets (web/src/lib/buckets.ts): "Last hour" is two clock hours at any minute, never a
// third, empty one in the future (it was at the last minute of every hour: the range ends a minute
// after now, on the next hour's first instant).
import { describe, expect, it } from 'vitest';
import { fillBuckets } from '../../web/src/lib/buckets.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('fillBuckets', () => {
  it('fills every bucket that starts inside the range, zero where the API returned none', () => {
    const start = at('2026-11-30T02:30:00Z');
    const out = fillBuckets([{ start_ms: at('2026-11-30T03:00:00Z'), count: 4 }], 'hour', start, at('2026-11-30T05:10:00Z'));
    expect(out.map((b) => [new Date(b.start_ms).toISOString(), b.count])).toEqual([
      ['2026-11-30T02:00:00.000Z', 0],
      ['2026-11-30T03:00:00.000Z', 4],
      ['2026-11-30T04:00:00.000Z', 0],
      ['2026-11-30T05:00:00.000Z', 0],
    ]);
  });

  it('gives the last hour (ending a minute after now, as the Events page asks) two buckets at every minute of the hour', () => {
    for (let minute = 0; minute < 60; minute++) {
      const now = at('2026-11-30T05:00:30Z') + minute * 60_000;
      expect(fillBuckets([], 'hour', now - HOUR, now + 60_000, now), `at 05:${String(minute).padStart(2, '0')}:30`).toHaveLength(2);
    }
  });

  it('does not reach into the bucket that starts where the range ends', () => {
    expect(fillBuckets([], 'day', at('2026-11-28T00:00:00Z'), at('2026-11-30T00:00:00Z'))).toHaveLength(2);
  });
});
