// The tracker ships on every page of every customer site: its gzipped size as served is a budget
// checked here, on the variant a new pixel gets. tracker/build.mjs holds the budget and prints it
// with every build; each optional tracker a pixel turns on adds its own cost (shown in the dashboard).
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltTracker, loadBuiltTracker, renderTracker, servedSizes } from '../../src/pixels/render.js';
import { DEFAULT_TRACKERS, TRACKER_NAMES, TRACKERS, variantIndex } from '../../src/pixels/trackers.js';
import { buildTracker } from './build-tracker.js';

let report = '';
let built: BuiltTracker;

/** Gzipped as served: real-looking ids and an https endpoint inlined, as GET /pixels/{id}/p.js does. */
const served = (code: string) =>
  gzipSync(
    renderTracker(code, {
      pixelId: randomUUID(),
      organizationId: randomUUID(),
      endpoint: 'https://collect.example.com/pixel/core/api/send-event',
      respectPrivacySignals: true,
    }),
  ).length;

beforeAll(() => {
  report = buildTracker();
  built = loadBuiltTracker();
});

describe('tracker size', () => {
  it('the default tracker, as served, gzips within the budget the build script enforces', () => {
    const budget = Number(/budget (\d+) B/.exec(report)?.[1]);
    expect(budget).toBe(1792);
    // Identity is the product's point: a new pixel captures form emails (as HEMs) by default.
    expect(DEFAULT_TRACKERS).toEqual(['spa', 'forms']);
    const size = served(built.variants[variantIndex(DEFAULT_TRACKERS)] as string);
    expect(size).toBeLessThanOrEqual(budget);
    // Under Umami's tracker (2,239 B gzip), the smallest mainstream peer we measured.
    expect(size).toBeLessThan(2239);
    // The build's report line shows the same measure (random UUIDs gzip differently: within 20 B).
    const reported = Number(/default \([^)]*\): (\d+) B gzip/.exec(report)?.[1]);
    expect(Math.abs(reported - size)).toBeLessThanOrEqual(20);
  });

  it('removes a disabled tracker at build time, so each one costs only where it is on', () => {
    const none = built.variants[0] as string;
    const all = built.variants[variantIndex(TRACKER_NAMES)] as string;
    for (const tracker of TRACKERS) {
      const alone = built.variants[variantIndex([tracker.name])] as string;
      const allBut = built.variants[variantIndex(TRACKER_NAMES.filter((n) => n !== tracker.name))] as string;
      // What only that tracker's code holds: the event type it sends (a click's is also a DOM event
      // name the downloads tracker listens for, so its payload key instead), or spa's history patch.
      const only: Record<string, string[]> = { spa: ['"pushState"'], clicks: ['element:{'] };
      const markers = only[tracker.name] ?? tracker.events.map((e) => (e.startsWith('video_') ? 'video_' : `"${e}"`));
      for (const literal of markers) {
        expect(alone, tracker.name).toContain(literal);
        expect(allBut, tracker.name).not.toContain(literal);
        expect(none, tracker.name).not.toContain(literal);
      }
      expect(alone.length, tracker.name).toBeGreaterThan(none.length);
      expect(allBut.length, tracker.name).toBeLessThan(all.length);
    }
  });

  it('reports each variant’s served size for the dashboard, smallest with no trackers and largest with all', () => {
    const sizes = servedSizes(built);
    expect(sizes).toHaveLength(built.variants.length);
    const full = variantIndex(TRACKER_NAMES);
    expect(Math.abs((sizes[full] ?? 0) - served(built.variants[full] as string))).toBeLessThanOrEqual(20);
    expect(Math.min(...sizes)).toBe(sizes[0]);
    expect(Math.max(...sizes)).toBe(sizes[full]);
  });
});
