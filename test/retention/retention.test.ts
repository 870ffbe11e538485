// The retention pass, with an injected clock, on the real stores: old and new events stored for
// projects with and without retention (one archived, one in another organization, one pixel
// deleted), one pass, and only the events older than each project keeps are gone, counted in the
// log and in /metrics. Then the lease: two "processes" at once run one pass between them, a pass is
// not repeated within the interval, and a lease lost mid-pass stops it. Runs on DuckDB, and on
// ClickHouse too when CLICKHOUSE_URL is set.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_TASK, RetentionService } from '../../src/retention/service.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { analyticsBackends } from '../support/backends.js';
import { eventRow } from '../support/events.js';
import { dash, json, newTenant, type Tenant } from '../support/tenant.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The events' time line: the first events at T0, the clock of the first pass 45 days later. */
const T0 = Date.UTC(2026, 0, 1);

const backends = analyticsBackends('retention');

describe.each(backends)('retention on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;

  const call = async <T>(who: Tenant, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<T> => {
    const res = await t.app.inject({
      method,
      url: `/dashboard/api/orgs/${who.orgId}${url}`,
      headers: dash(who.session),
      ...(payload ? { payload } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return json<T>(res);
  };
  const project = async (who: Tenant, retention: number | null) =>
    (
      await call<{ project: { project_id: string } }>(who, 'POST', '/projects', {
        name: `p-${randomUUID().slice(0, 6)}`,
        retention_days: retention,
      })
    ).project.project_id;
  const pixel = async (who: Tenant, projectId: string) =>
    (await call<{ pixel: { pixel_id: string } }>(who, 'POST', `/projects/${projectId}/pixels`, { title: 'site' })).pixel.pixel_id;
  /** Stores one event per age (in days before `at`) for the pixel, and returns nothing. */
  const store = (who: Tenant, projectId: string, pixelId: string, times: number[]) =>
    t.services.analytics.appendEvents(
      times.map((ts) => eventRow({ organization_id: who.orgId, project_id: projectId, pixel_id: pixelId, ts_millis: ts })),
    );
  const count = (who: Tenant, pixelIds: string[]) =>
    t.services.analytics.countEvents({ organizationId: who.orgId, pixelIds, startMs: 0, endMs: T0 + 2000 * DAY, raw: true });
  /** A retention service like the server's, on the same stores, with its own clock and name. */
  const service = (clock: { now: number }, holder: string, intervalMs = HOUR) =>
    new RetentionService({
      catalog: t.services.catalog,
      projects: t.services.projects,
      pixels: t.services.pixels,
      analytics: t.services.analytics,
      metrics: t.services.metrics,
      log: t.services.log,
      now: () => clock.now,
      intervalMs,
      holder,
    });

  beforeAll(async () => {
    t = await makeTestApp(env);
    a = await newTenant(t);
    b = await newTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  it('one pass deletes exactly the events older than each project keeps, logs and counts them', async () => {
    // A keeps 30 days; its second pixel is deleted later (its events are still the project's).
    const kept30 = await project(a, 30);
    const [p1, p2] = [await pixel(a, kept30), await pixel(a, kept30)];
    // A keeps forever; A's archived project keeps 10 days; B keeps 30 days with only young events.
    const forever = await project(a, null);
    const pf = await pixel(a, forever);
    const archived = await project(a, 10);
    const pa = await pixel(a, archived);
    const theirs = await project(b, 30);
    const pb = await pixel(b, theirs);

    const clock = { now: T0 + 45 * DAY };
    // 45 and 16 days old (before and after the 30-day line at T0 + 15 days), one just inside it.
    await store(a, kept30, p1, [T0, T0 + 29 * DAY, T0 + 15 * DAY + 1]);
    await store(a, kept30, p2, [T0 + DAY]);
    await store(a, forever, pf, [T0, T0 + DAY]);
    await store(a, archived, pa, [T0, T0 + 34 * DAY, T0 + 36 * DAY]);
    await store(b, theirs, pb, [T0 + 20 * DAY, T0 + 40 * DAY]);
    await call(a, 'DELETE', `/pixels/${p2}`);
    await call(a, 'POST', `/projects/${archived}/archive`);
    const metricBefore = await deletedMetric(t);

    const pass = await service(clock, 'test-1').runOnce();
    expect(pass).not.toBeNull();
    const mine = (pass?.projects ?? []).filter((p) => [kept30, archived, theirs, forever].includes(p.project_id));
    expect(Object.fromEntries(mine.map((p) => [p.project_id, [p.deleted, p.before_ms]]))).toEqual({
      [kept30]: [2, T0 + 15 * DAY],
      [archived]: [2, T0 + 35 * DAY],
      [theirs]: [0, T0 + 15 * DAY],
    });
    expect(await count(a, [p1])).toBe(2);
    expect(await count(a, [p2])).toBe(0);
    expect(await count(a, [pf])).toBe(2);
    expect(await count(a, [pa])).toBe(1);
    expect(await count(b, [pb])).toBe(2);
    const kept = await t.services.analytics.queryEvents({
      organizationId: a.orgId,
      pixelIds: [p1],
      startMs: 0,
      endMs: T0 + DAY * 365,
      raw: true,
      limit: 10,
    });
    expect(kept.map((e) => e.ts_millis)).toEqual([T0 + 15 * DAY + 1, T0 + 29 * DAY]);

    // What it removed, in the log and in /metrics.
    const lines = t.logs.filter((l) => l.includes('retention: deleted events')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.project_id, l.deleted, l.before])).toEqual(
      expect.arrayContaining([
        [kept30, 2, new Date(T0 + 15 * DAY).toISOString()],
        [archived, 2, new Date(T0 + 35 * DAY).toISOString()],
      ]),
    );
    expect((await deletedMetric(t)) - metricBefore).toBe(pass?.deleted);
    expect(pass?.deleted).toBeGreaterThanOrEqual(4);

    // Archiving kept the project's data and settings; unarchiving brings it back as it was.
    const listed = await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/projects`, headers: dash(a.session) });
    expect(json<{ projects: { project_id: string; status: string; retention_days: number | null }[] }>(listed).projects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ project_id: archived, status: 'archived', retention_days: 10 }),
        expect.objectContaining({ project_id: forever, status: 'active', retention_days: null }),
      ]),
    );

    // A later pass, 10 days on: the line moves with the clock.
    clock.now += 10 * DAY;
    const later = await service(clock, 'test-1').runOnce();
    expect(later?.projects.find((p) => p.project_id === kept30)?.deleted).toBe(1);
    expect(await count(a, [p1])).toBe(1);
  });

  it('with several processes, one runs a pass at a time and the fleet runs it once per interval', async () => {
    const p = await project(a, 1);
    const px = await pixel(a, p);
    const clock = { now: T0 + 400 * DAY };
    const [one, two] = [service(clock, 'process-1'), service(clock, 'process-2')];
    // A pass of the first test may have run at an earlier clock; move past any due time.
    await store(a, p, px, [clock.now - 3 * DAY, clock.now - 2 * DAY]);
    const both = await Promise.all([one.runOnce(), two.runOnce()]);
    expect(both.filter((r) => r !== null)).toHaveLength(1);
    expect(await count(a, [px])).toBe(0);
    // Within the interval neither runs again; after it, one does.
    await store(a, p, px, [clock.now - 2 * DAY]);
    clock.now += HOUR / 2;
    expect(await one.runOnce()).toBeNull();
    expect(await two.runOnce()).toBeNull();
    expect(await count(a, [px])).toBe(1);
    clock.now += HOUR / 2;
    expect(await two.runOnce()).not.toBeNull();
    expect(await count(a, [px])).toBe(0);
    // force runs it now (an operator's request), still under the lease.
    await store(a, p, px, [clock.now - 2 * DAY]);
    expect(await one.runOnce({ force: true })).not.toBeNull();
    expect(await count(a, [px])).toBe(0);
  });

  it('a process whose lease ran out mid-pass stops after the current project and leaves the rest to the next pass', async () => {
    await project(a, 5);
    await project(a, 6);
    const clock = { now: T0 + 800 * DAY };
    // Lease of one millisecond and a clock that jumps past it once the pass has started.
    let calls = 0;
    const jumpy = new RetentionService({
      catalog: t.services.catalog,
      projects: t.services.projects,
      pixels: t.services.pixels,
      analytics: t.services.analytics,
      metrics: t.services.metrics,
      log: pino({ level: 'silent' }),
      now: () => clock.now + (calls++ > 0 ? 1000 : 0),
      intervalMs: HOUR,
      leaseMs: 1,
      holder: 'jumpy',
    });
    const pass = await jumpy.runOnce();
    expect(pass?.interrupted).toBe(true);
    expect(pass?.projects).toHaveLength(1);
    // Not holding the lease any more: another process may run the next due pass at once.
    expect((await t.services.catalog.taskLeases.getTask(RETENTION_TASK))?.holder).toBeNull();
    clock.now += HOUR;
    expect(await service(clock, 'next').runOnce()).toMatchObject({ interrupted: false });
  });
});

async function deletedMetric(t: TestApp): Promise<number> {
  const res = await t.app.inject({ url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith('delivr_retention_events_deleted_total '));
  return Number(line?.split(' ')[1] ?? 'NaN');
}
