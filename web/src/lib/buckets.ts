// The buckets a chart draws: every hour or day that starts inside the range, empty ones included.

const SIZE = { hour: 3_600_000, day: 86_400_000 } as const;

/** A bucket of the Events API's counts (types.ts Bucket), written out so tests can import this file alone. */
export interface Bucket {
  start_ms: number;
  count: number;
}

/**
 * Every bucket from the one holding `startMs` to the last that starts before the range's end or
 * `nowMs`, whichever comes first, zero where the API returned none (it only returns non-empty ones).
 * Ranges end a minute after now (slack for clocks a little ahead): "the last hour" asked at 05:59
 * ends at 06:00:30, and drawing up to there added a third hour, empty and in the future.
 */
export function fillBuckets(
  buckets: readonly Bucket[],
  interval: 'hour' | 'day',
  startMs: number,
  endMs: number,
  nowMs = Number.POSITIVE_INFINITY,
): Bucket[] {
  const size = SIZE[interval];
  const counts = new Map(buckets.map((b) => [b.start_ms, b.count]));
  const out: Bucket[] = [];
  const first = Math.floor(startMs / size) * size;
  const end = Math.min(endMs, nowMs);
  for (let t = first; t < end && out.length < 2000; t += size) out.push({ start_ms: t, count: counts.get(t) ?? 0 });
  return out;
}
