// Audience jobs with an injected clock (issue 12, acceptance 4): daily audiences re-run at 09:00 UTC
// and weekly ones on Saturdays at 18:00 UTC, manual ones never by themselves, paused ones not at all,
// and resume restores the schedule; a failed run records its error and is retried with backoff,
// then is Failed; a worker whose lease ran out is replaced by another that finishes the run, and the
// first can no longer write. The real app and stores (SQLite + DuckDB); only the clock is ours.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { nextRunAfter } from '../../src/audiences/schedule.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createServices } from '../../src/services.js';
import type { AudienceView } from '../../src/wire.js';
import { ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { workerWith } from '../support/audiences.js';
import { createKey, dash, json, newTenant } from '../support/tenant.js';

/** Wednesday 2 December 2026, 10:00 UTC. */
const T0 = Date.parse('2026-12-02T10:00:00Z');
const at = (iso: string) => Date.parse(iso);
const FILTER = { op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['iab_ct_620'], min_score: 0 }] };

describe('schedule times', () => {
  it('daily is the next 09:00 UTC, weekly the next Saturday 18:00 UTC, manual never; always strictly later', () => {
    expect(nextRunAfter('daily', T0)).toBe(at('2026-12-03T09:00:00Z'));
    expect(nextRunAfter('daily', at('2026-12-03T08:59:59.999Z'))).toBe(at('2026-12-03T09:00:00Z'));
    expect(nextRunAfter('daily', at('2026-12-03T09:00:00Z'))).toBe(at('2026-12-04T09:00:00Z'));
    expect(nextRunAfter('weekly', T0)).toBe(at('2026-12-05T18:00:00Z'));
    expect(nextRunAfter('weekly', at('2026-12-05T17:59:59Z'))).toBe(at('2026-12-05T18:00:00Z'));
    expect(nextRunAfter('weekly', at('2026-12-05T18:00:00Z'))).toBe(at('2026-12-12T18:00:00Z'));
    expect(nextRunAfter('weekly', at('2026-12-06T00:00:00Z'))).toBe(at('2026-12-12T18:00:00Z'));
    expect(nextRunAfter('manual', T0)).toBeNull();
  });
});

describe('audience jobs on an injected clock', () => {
  let clock = T0;
  let t: TestApp;
  let headers: Record<string, string>;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'delivr-aud-jobs-'));
    const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test', ADMIN_TOKEN, LOG_LEVEL: 'warn' });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const services = await createServices(config, createLogger(config.logLevel, sink), { now: () => clock });
    const app = await buildApp(services);
    await app.ready();
    t = {
      app,
      services,
      dataDir,
      logs: [],
      async close() {
        await app.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    const owner = await newTenant(t);
    const key = await createKey(t, owner);
    const project = json<{ project: { project_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects`,
        headers: dash(owner.session),
        payload: { name: 'p' },
      }),
    ).project.project_id;
    headers = { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret, 'x-project-id': project };
  });
  afterAll(async () => t?.close());

  const create = async (name: string, extra: Record<string, unknown> = {}): Promise<AudienceView> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/audiences',
      headers,
      payload: { name, type: 'intents', filter: FILTER, ...extra },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ audience: AudienceView }>(res).audience;
  };
  const get = async (id: number): Promise<AudienceView> =>
    json<{ audience: AudienceView }>(await t.app.inject({ url: `/api/v1/audiences/${id}`, headers })).audience;
  const post = (id: number, action: string) => t.app.inject({ method: 'POST', url: `/api/v1/audiences/${id}/${action}`, headers });
  const ran = async (): Promise<number[]> => (await t.services.audienceJobs.runPending()).map((r) => r.audienceId).sort((x, y) => x - y);
  const iso = (ms: number) => new Date(ms).toISOString();

  it('re-runs daily and weekly audiences at their times, never manual or paused ones; resume restores the schedule', async () => {
    clock = T0;
    const daily = await create('daily');
    const weekly = await create('weekly', { refresh_schedule: 'weekly' });
    const manual = await create('manual', { refresh_schedule: 'manual' });
    const paused = await create('paused');
    expect([daily, weekly, manual, paused].map((a) => a.renew_time)).toEqual([
      '2026-12-03T09:00:00.000Z',
      '2026-12-05T18:00:00.000Z',
      null,
      '2026-12-03T09:00:00.000Z',
    ]);
    // Every new audience runs at once, whatever its schedule.
    expect(await ran()).toEqual([daily, weekly, manual, paused].map((a) => a.audience_id));
    expect((await post(paused.audience_id, 'pause')).statusCode).toBe(200);

    clock = at('2026-12-03T08:59:59Z');
    expect(await t.services.audienceJobs.schedule()).toBe(0);
    expect(await ran()).toEqual([]);

    clock = at('2026-12-03T09:00:00Z');
    expect(await t.services.audienceJobs.schedule()).toBe(1);
    expect(await t.services.audienceJobs.schedule()).toBe(0);
    expect(await get(daily.audience_id)).toMatchObject({ status: 'Pending', task_id: null, renew_time: '2026-12-04T09:00:00.000Z' });
    expect(await ran()).toEqual([daily.audience_id]);
    expect(await get(daily.audience_id)).toMatchObject({ status: 'Completed', completed_at: iso(clock) });
    expect(await get(paused.audience_id)).toMatchObject({ renew_time: null, previous_renew_time: '2026-12-03T09:00:00.000Z' });

    // Saturday 18:00: the daily one (due since Friday 09:00) and the weekly one.
    clock = at('2026-12-05T18:00:00Z');
    expect(await t.services.audienceJobs.schedule()).toBe(2);
    expect(await ran()).toEqual([daily.audience_id, weekly.audience_id]);
    expect(await get(weekly.audience_id)).toMatchObject({
      status: 'Completed',
      renew_time: '2026-12-12T18:00:00.000Z',
      completed_at: iso(clock),
    });
    expect(await get(daily.audience_id)).toMatchObject({ renew_time: '2026-12-06T09:00:00.000Z' });
    expect(await get(manual.audience_id)).toMatchObject({ renew_time: null, completed_at: iso(T0) });
    expect(await get(paused.audience_id)).toMatchObject({ completed_at: iso(T0) });

    // Resume: the stashed time has passed, so the next 09:00 (missed runs are not made up).
    clock = at('2026-12-05T18:00:01Z');
    const resumed = json<{ audience: AudienceView }>(await post(paused.audience_id, 'resume')).audience;
    expect(resumed).toMatchObject({ paused_at: null, renew_time: '2026-12-06T09:00:00.000Z' });
    clock = at('2026-12-06T09:00:00Z');
    expect(await t.services.audienceJobs.schedule()).toBe(2);
    expect(await ran()).toEqual([daily.audience_id, paused.audience_id]);
    // A resume before the stashed time keeps it.
    expect((await post(weekly.audience_id, 'pause')).statusCode).toBe(200);
    expect(json<{ audience: AudienceView }>(await post(weekly.audience_id, 'resume')).audience.renew_time).toBe('2026-12-12T18:00:00.000Z');
    expect(await get(manual.audience_id)).toMatchObject({ completed_at: iso(T0) });
  });

  it('pauses a due audience whose project was archived, with pause_reason project_inactive', async () => {
    clock = at('2026-12-07T10:00:00Z');
    const aud = await create('archived later');
    await ran();
    const owner = await t.services.catalog.audiences.get(aud.organization_id, aud.audience_id);
    await t.services.projects.archive(aud.organization_id, owner?.project_id as string);
    clock = at('2026-12-08T09:00:00Z');
    await t.services.audienceJobs.schedule();
    expect(await get(aud.audience_id)).toMatchObject({
      pause_reason: 'project_inactive',
      renew_time: null,
      previous_renew_time: '2026-12-08T09:00:00.000Z',
    });
    const refused = await post(aud.audience_id, 'resume');
    expect(refused.statusCode).toBe(409);
    expect(json(refused)).toMatchObject({ code: 'project_inactive' });
    await t.services.projects.unarchive(aud.organization_id, owner?.project_id as string);
    expect((await post(aud.audience_id, 'resume')).statusCode).toBe(200);
  });

  it('a failed run records its error, is retried with backoff, and is Failed after the last attempt', async () => {
    clock = at('2026-12-09T10:00:00Z');
    let failures = 5;
    const flaky = workerWith(
      t.services,
      {
        prepare: async () => {
          if (failures > 0) {
            failures -= 1;
            throw new Error('analytics store unavailable');
          }
          return {
            write: async () => ({ recordCount: 0, distinctProfileCount: 0, bucketCounts: {} }),
            discard: async () => undefined,
          };
        },
      },
      { now: () => clock, backoffMs: 1000 },
    );
    const aud = await create('flaky', { refresh_schedule: 'manual' });
    expect(await flaky.runNext()).toEqual({ audienceId: aud.audience_id, outcome: 'retry' });
    expect(await get(aud.audience_id)).toMatchObject({ status: 'Pending', error: 'analytics store unavailable' });
    // Not before the backoff has passed: 1 s, then 4 s.
    expect(await flaky.runNext()).toBeNull();
    clock += 1000;
    expect(await flaky.runNext()).toEqual({ audienceId: aud.audience_id, outcome: 'retry' });
    clock += 3999;
    expect(await flaky.runNext()).toBeNull();
    clock += 1;
    expect(await flaky.runNext()).toEqual({ audienceId: aud.audience_id, outcome: 'failed' });
    expect(await get(aud.audience_id)).toMatchObject({ status: 'Failed', error: 'analytics store unavailable' });
    clock += 60_000;
    expect(await flaky.runNext()).toBeNull();
    // A refresh starts over; this time it completes and the error is cleared.
    failures = 0;
    expect((await post(aud.audience_id, 'refresh')).statusCode).toBe(200);
    expect(await flaky.runNext()).toEqual({ audienceId: aud.audience_id, outcome: 'completed' });
    expect(await get(aud.audience_id)).toMatchObject({ status: 'Completed', error: null });
  });

  it('a worker that stops mid-run loses its lease; another claims the run and finishes it; the first can no longer write', async () => {
    clock = at('2026-12-10T10:00:00Z');
    const aud = await create('taken over', { refresh_schedule: 'manual' });
    const store = t.services.catalog.audiences;
    const dead = await store.claim({ holder: 'dead-worker', now: clock, ttlMs: 60_000, newTaskId: () => 'run_dead' });
    expect(dead).toMatchObject({ id: aud.audience_id, status: 'Processing', lease_holder: 'dead-worker', task_id: 'run_dead' });
    expect(await get(aud.audience_id)).toMatchObject({ status: 'Processing', task_id: 'run_dead' });
    // While the lease holds, nobody else gets it.
    expect(await t.services.audienceJobs.runNext()).toBeNull();
    clock += 60_000;
    expect(await t.services.audienceJobs.runNext()).toEqual({ audienceId: aud.audience_id, outcome: 'completed' });
    const done = await get(aud.audience_id);
    expect(done.status).toBe('Completed');
    expect(done.task_id).not.toBe('run_dead');
    const claim = { id: aud.audience_id, taskId: 'run_dead', holder: 'dead-worker' };
    expect(await store.renew(claim, clock, 60_000)).toBe(false);
    expect(await store.syncing(claim, clock, 60_000)).toBe(false);
    expect(
      await store.complete(claim, { resultRun: 'run_dead', recordCount: 9, distinctProfileCount: 9, bucketCounts: '{}' }, clock, null),
    ).toBe(false);
    expect(await get(aud.audience_id)).toMatchObject({ status: 'Completed', record_count: done.record_count });
  });
});
