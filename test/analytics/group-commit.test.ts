// Group commit against a real DuckDB store: batching, the one-flush-at-a-time rule, that a
// caller hears back only after its rows are committed, and that one bad submission fails alone.

import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { GroupCommitOverloadedError, GroupCommitter } from '../../src/analytics/group-commit.js';
import type { EventQuery, EventRow } from '../../src/analytics/types.js';

const T0 = Date.UTC(2026, 0, 15);
let store: DuckDbAnalyticsStore;

beforeAll(async () => {
  store = new DuckDbAnalyticsStore(join(mkdtempSync(join(tmpdir(), 'delivr-group-commit-')), 'analytics.duckdb'));
  await store.init();
});
afterAll(async () => {
  await store.close();
});

interface Tenant {
  org: string;
  pixel: string;
  q: EventQuery;
  next: number;
}

function tenant(): Tenant {
  const org = randomUUID();
  const pixel = randomUUID();
  return { org, pixel, q: { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + 86_400_000 }, next: 0 };
}

function rows(t: Tenant, n: number): EventRow[] {
  return Array.from({ length: n }, () => {
    const i = t.next++;
    return {
      event_id: `${t.pixel}-${i}`,
      event_type: 'page_view',
      ts_millis: T0 + i,
      received_millis: T0 + i,
      organization_id: t.org,
      project_id: 'project',
      pixel_id: t.pixel,
      visitor_id: null,
      session_id: null,
      url: null,
      path: null,
      referrer: null,
      title: null,
      user_agent: null,
      browser: null,
      os: null,
      device_type: null,
      ip: null,
      language: null,
      screen_width: null,
      screen_height: null,
      utm_source: null,
      utm_medium: null,
      utm_campaign: null,
      utm_term: null,
      utm_content: null,
      event_data: null,
      is_bot: false,
      resolved: null,
      hem_sha256: null,
      country: null,
      region: null,
      city: null,
      asn: null,
      network_org: null,
      network_type: null,
      description: null,
      heading: null,
    };
  });
}

/** The real store, watched: records each batch and how many appends overlap. */
function watched() {
  const batches: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const target = {
    async appendEvents(r: readonly EventRow[]): Promise<void> {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await store.appendEvents(r);
        batches.push(r.length);
      } finally {
        inFlight -= 1;
      }
    },
  };
  return { target, batches, maxInFlight: () => maxInFlight };
}

describe('GroupCommitter', () => {
  it('gathers many concurrent callers into a few flushes', async () => {
    const t = tenant();
    const flushed: number[] = [];
    const gc = new GroupCommitter(store, {
      onFlush: (n, ms) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        flushed.push(n);
      },
    });
    await Promise.all(Array.from({ length: 300 }, () => gc.submit(rows(t, 3))));
    expect(await store.countEvents(t.q)).toBe(900);
    const stats = gc.stats();
    expect(stats.rows).toBe(900);
    expect(stats.flushes).toBe(flushed.length);
    expect(stats.flushes).toBeLessThan(30);
    expect(stats.pendingRows).toBe(0);
    expect(stats.lastFlushMs).toBeGreaterThan(0);
    expect(flushed.reduce((a, b) => a + b, 0)).toBe(900);
    await gc.close();
  });

  it('resolves a caller only once its rows are committed and readable', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store);
    const seen = await Promise.all(
      Array.from({ length: 20 }, async (_, k) => {
        const mine = rows(t, 5);
        await gc.submit(mine);
        const back = await store.queryEvents({
          ...t.q,
          limit: 10,
          select: ['event_id'],
          filter: [[{ field: 'event_id', op: 'eq', value: mine[0]?.event_id ?? '' }]],
        });
        return { k, found: back.length };
      }),
    );
    expect(seen.every((s) => s.found === 1)).toBe(true);
    await gc.close();
  });

  it('flushes at once when maxRows are waiting, without waiting for the delay', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store, { maxDelayMs: 60_000, maxRows: 100 });
    const started = performance.now();
    await gc.submit(rows(t, 100));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await store.countEvents(t.q)).toBe(100);

    // Below maxRows the rows wait for the delay (here: for close).
    let done = false;
    const small = gc.submit(rows(t, 10)).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    expect(gc.stats().pendingRows).toBe(10);
    await gc.close();
    await small;
    expect(done).toBe(true);
    expect(await store.countEvents(t.q)).toBe(110);
  });

  it('flushes after maxDelayMs when few rows arrive', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store, { maxDelayMs: 20, maxRows: 1_000_000 });
    const started = performance.now();
    await gc.submit(rows(t, 1));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(15);
    expect(waited).toBeLessThan(5_000);
    await gc.close();
  });

  it('adaptive (maxDelayMs 0): flushes at once when idle, and grows the batch while a flush runs', async () => {
    const t = tenant();
    const w = watched();
    const gc = new GroupCommitter(w.target, { maxDelayMs: 0 });
    // Idle: submissions of one I/O turn share a flush that starts without a timer.
    await Promise.all([gc.submit(rows(t, 1)), gc.submit(rows(t, 1))]);
    expect(w.batches).toEqual([2]);
    // Busy: what arrives during a flush goes in one next flush, however many callers.
    const first = gc.submit(rows(t, 3000));
    await new Promise((r) => setImmediate(r));
    const during = Array.from({ length: 50 }, () => gc.submit(rows(t, 2)));
    await Promise.all([first, ...during]);
    expect(w.batches.slice(1)).toEqual([3000, 100]);
    expect(w.maxInFlight()).toBe(1);
    expect(await store.countEvents(t.q)).toBe(3102);
    await gc.close();
  });

  it('runs one flush at a time, never splits a submission and keeps flushes within maxRows', async () => {
    const t = tenant();
    const w = watched();
    const gc = new GroupCommitter(w.target, { maxDelayMs: 1, maxRows: 100 });
    const submissions: Promise<void>[] = [];
    for (let wave = 0; wave < 10; wave++) {
      for (let k = 0; k < 7; k++) submissions.push(gc.submit(rows(t, 15 + k)));
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(submissions);
    const total = 10 * (15 + 16 + 17 + 18 + 19 + 20 + 21);
    expect(w.maxInFlight()).toBe(1);
    expect(w.batches.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...w.batches)).toBeLessThanOrEqual(100);
    expect(await store.countEvents(t.q)).toBe(total);
    await gc.close();
  });

  it('with maxInFlight 2, starts the next flush while one runs, and never a third', async () => {
    const t = tenant();
    const w = watched();
    const gc = new GroupCommitter(w.target, { maxDelayMs: 0, maxRows: 50, maxInFlight: 2 });
    const submissions: Promise<void>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let k = 0; k < 5; k++) submissions.push(gc.submit(rows(t, 10 + k)));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(submissions);
    const total = 20 * (10 + 11 + 12 + 13 + 14);
    expect(w.maxInFlight()).toBe(2);
    expect(w.batches.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...w.batches)).toBeLessThanOrEqual(50);
    expect(await store.countEvents(t.q)).toBe(total);
    await gc.close();
  });

  it('puts rows that arrive during a flush into the next one', async () => {
    const t = tenant();
    const w = watched();
    const gc = new GroupCommitter(w.target, { maxDelayMs: 1 });
    const first = gc.submit(rows(t, 2000));
    await new Promise((r) => setTimeout(r, 3));
    // The first flush is now running; these must wait for it and go together afterwards.
    const later = Array.from({ length: 10 }, () => gc.submit(rows(t, 1)));
    await Promise.all([first, ...later]);
    expect(w.batches).toEqual([2000, 10]);
    await gc.close();
  });

  it('rejects only the caller whose rows the store refused', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store, { maxDelayMs: 5 });
    const bad = [{ ...rows(t, 1)[0], ts_millis: Number.NaN } as EventRow];
    const results = await Promise.allSettled([gc.submit(rows(t, 3)), gc.submit(bad), gc.submit(rows(t, 4))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.countEvents(t.q)).toBe(7);
    expect(gc.stats().failedFlushes).toBeGreaterThanOrEqual(1);
    // Later flushes are unaffected.
    await gc.submit(rows(t, 2));
    expect(await store.countEvents(t.q)).toBe(9);
    await gc.close();
  });

  it('keeps a commit committed when the onFlush hook throws', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store, {
      onFlush: () => {
        throw new Error('metrics are down');
      },
    });
    await gc.submit(rows(t, 3));
    expect(await store.countEvents(t.q)).toBe(3);
    expect(gc.stats().failedFlushes).toBe(0);
    await gc.close();
  });

  it('refuses rows beyond maxPendingRows', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store, { maxDelayMs: 60_000, maxRows: 1000, maxPendingRows: 10 });
    const accepted = gc.submit(rows(t, 8));
    await expect(gc.submit(rows(t, 5))).rejects.toBeInstanceOf(GroupCommitOverloadedError);
    await gc.close();
    await accepted;
    expect(await store.countEvents(t.q)).toBe(8);
  });

  it('close flushes what waits, then refuses new rows; empty submissions resolve at once', async () => {
    const t = tenant();
    const gc = new GroupCommitter(store, { maxDelayMs: 60_000 });
    await gc.submit([]);
    const pending = Promise.all([gc.submit(rows(t, 2)), gc.submit(rows(t, 3))]);
    await gc.close();
    await pending;
    expect(await store.countEvents(t.q)).toBe(5);
    await expect(gc.submit(rows(t, 1))).rejects.toThrow(/closed/);
    await gc.close();
  });
});
