// The pieces of the ingest dedupe that the store contract does not reach: the derived event id
// and the Bloom-filter window (no false negatives, rare false positives, expiry, memory per id).
// The behaviour end to end (copies in one batch, concurrent, after a restart, on both engines) is
// in test/analytics/contract.ts, test/api/ingest-wire.test.ts and test/durability/kill9.test.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derivedEventId, isDerivedEventId, RecentIds } from '../../src/collect/dedupe.js';

const HOUR = 3_600_000;

describe('derivedEventId', () => {
  it('is a version-8 UUID, the same for the same pixel and client id, different otherwise', () => {
    const pixel = randomUUID();
    const id = derivedEventId(pixel, 'abc');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedEventId(pixel, 'abc')).toBe(id);
    expect(derivedEventId(pixel, 'abd')).not.toBe(id);
    expect(derivedEventId(randomUUID(), 'abc')).not.toBe(id);
    // No ambiguity between the two inputs.
    expect(derivedEventId('p', '\nx')).not.toBe(derivedEventId('p\n', 'x'));
    expect(isDerivedEventId(id)).toBe(true);
    expect(isDerivedEventId(randomUUID())).toBe(false);
    expect(isDerivedEventId('order-42')).toBe(false);
  });
});

describe('RecentIds', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => derivedEventId('pixel', `e${i}-${Math.random()}`));

  it('never forgets an id within the window, rarely claims an unseen one, and costs a few bytes per id', () => {
    const recent = new RecentIds();
    const t0 = Date.UTC(2026, 0, 1);
    const seen = ids(300_000);
    // Spread over ~8 hours: two or three six-hour slices.
    seen.forEach((id, i) => {
      recent.add(id, t0 + i * 100);
    });
    const now = t0 + 9 * HOUR;
    const started = performance.now();
    let forgotten = 0;
    for (const id of seen) if (!recent.mightContain(id, now)) forgotten += 1;
    const perCheck = ((performance.now() - started) * 1000) / seen.length;
    expect(forgotten).toBe(0);
    let falsePositives = 0;
    for (const id of ids(100_000)) if (recent.mightContain(id, now)) falsePositives += 1;
    const bytesPerId = recent.bytes / seen.length;
    console.log(
      `[dedupe] ${seen.length} ids: ${(recent.bytes / 1e6).toFixed(2)} MB (${bytesPerId.toFixed(2)} B/id), ` +
        `false positives ${falsePositives}/100000, ${perCheck.toFixed(2)} µs per check`,
    );
    expect(falsePositives).toBeLessThan(500);
    expect(bytesPerId).toBeLessThan(4);
  });

  it('drops ids once their whole slice is older than the window', () => {
    const recent = new RecentIds(24 * HOUR);
    const t0 = Date.UTC(2026, 0, 1);
    const [old, young] = ids(2) as [string, string];
    recent.add(old, t0);
    recent.add(young, t0 + 12 * HOUR);
    expect(recent.mightContain(old, t0 + 24 * HOUR)).toBe(true);
    expect(recent.mightContain(old, t0 + 30 * HOUR + 1)).toBe(false);
    expect(recent.mightContain(young, t0 + 30 * HOUR + 1)).toBe(true);
    expect(recent.mightContain(young, t0 + 42 * HOUR + 1)).toBe(false);
  });
});
