// Project settings over the dashboard and the Partner API: retention_days on create, update and in
// every project response (null = keep forever, 1..3650, anything else a 400 naming the field), and
// archiving: an archived project keeps its data and settings and shows `status: "archived"`, its
// pixels' scripts answer 404 and their events are refused as an unknown pixel, no pixel can be made
// in it (409 project_inactive), and unarchiving brings all of it back. Members may do none of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { addMember, dash, json, newTenant, partnerHeaders, type Tenant } from '../support/tenant.js';

const D = '/dashboard/api';
const P = '/public/core/api';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

interface ProjectWire {
  project_id: string;
  name: string;
  status: string;
  time_zone: string;
  created_at: string;
  retention_days: number | null;
}

describe('project retention and archiving', () => {
  let t: TestApp;
  let owner: Tenant;
  let partner: Record<string, string>;

  const dashCall = (who: Tenant, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `${D}/orgs/${who.orgId}${url}`,
      headers: dash(who.session),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const partnerCall = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = partner) =>
    t.app.inject({ method, url: `${P}${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const listed = async (): Promise<ProjectWire[]> => json<{ projects: ProjectWire[] }>(await dashCall(owner, 'GET', '/projects')).projects;
  const partnerListed = async (): Promise<ProjectWire[]> =>
    json<{ response: { projects: ProjectWire[] } }>(
      await partnerCall('GET', '/project/get', undefined, { ...partner, organization_id: owner.orgId }),
    ).response.projects;
  const send = (pixelId: string) =>
    t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': BROWSER },
      payload: { event_type: 'page_view', pixel_id: pixelId, organization_id: owner.orgId, event_url: 'https://site.example/' },
    });

  beforeAll(async () => {
    t = await makeTestApp();
    owner = await newTenant(t);
    partner = await partnerHeaders(t, owner);
  });
  afterAll(async () => t?.close());

  it('time zone and retention are separate settings on both surfaces: setting one keeps the other', async () => {
    const made = await dashCall(owner, 'POST', '/projects', { name: 'zoned', time_zone: 'Asia/Tokyo', retention_days: 30 });
    expect(made.statusCode, made.body).toBe(201);
    const id = json<{ project: ProjectWire }>(made).project.project_id;
    expect(json<{ project: ProjectWire }>(made).project).toMatchObject({ time_zone: 'Asia/Tokyo', retention_days: 30 });
    const zoned = await dashCall(owner, 'PATCH', `/projects/${id}`, { time_zone: 'Europe/Berlin' });
    expect(json<{ project: ProjectWire }>(zoned).project).toMatchObject({ time_zone: 'Europe/Berlin', retention_days: 30 });
    const kept = await dashCall(owner, 'PATCH', `/projects/${id}`, { retention_days: null });
    expect(json<{ project: ProjectWire }>(kept).project).toMatchObject({ time_zone: 'Europe/Berlin', retention_days: null });

    const created = await partnerCall(
      'POST',
      '/project/create',
      { project: { name: 'partner zoned', time_zone: 'America/New_York', retention_days: 7 } },
      { ...partner, organization_id: owner.orgId },
    );
    expect(created.statusCode, created.body).toBe(200);
    const partnerId = json<{ response: { project_id: string } }>(created).response.project_id;
    const updated = await partnerCall('POST', '/project/update', { project_id: partnerId, time_zone: 'utc' });
    expect(updated.statusCode, updated.body).toBe(200);
    // The zone in its canonical spelling; retention as it was.
    expect(json<{ response: { project: ProjectWire } }>(updated).response.project).toMatchObject({ time_zone: 'UTC', retention_days: 7 });
    const bad = await partnerCall('POST', '/project/update', { project_id: partnerId, time_zone: 'Mars/Olympus_Mons' });
    expect(bad.statusCode).toBe(400);
    expect(String(json(bad).details)).toContain('time_zone');
    expect((await partnerListed()).find((p) => p.project_id === partnerId)).toMatchObject({ time_zone: 'UTC', retention_days: 7 });
  });

  it('dashboard: creates with or without retention, changes it, clears it, and shows it everywhere', async () => {
    const plain = await dashCall(owner, 'POST', '/projects', { name: 'plain' });
    expect(plain.statusCode, plain.body).toBe(201);
    expect(json<{ project: ProjectWire }>(plain).project).toMatchObject({ name: 'plain', status: 'active', retention_days: null });
    const kept = await dashCall(owner, 'POST', '/projects', { name: 'kept', retention_days: 90 });
    const id = json<{ project: ProjectWire }>(kept).project.project_id;
    expect(json<{ project: ProjectWire }>(kept).project.retention_days).toBe(90);

    const changed = await dashCall(owner, 'PATCH', `/projects/${id}`, { retention_days: 3650 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(json<{ project: ProjectWire }>(changed).project).toMatchObject({ name: 'kept', retention_days: 3650 });
    // A rename alone keeps retention; both at once change both.
    const renamed = await dashCall(owner, 'PATCH', `/projects/${id}`, { name: 'renamed' });
    expect(json<{ project: ProjectWire }>(renamed).project).toMatchObject({ name: 'renamed', retention_days: 3650 });
    await dashCall(owner, 'PATCH', `/projects/${id}`, { name: 'both', retention_days: 1 });
    expect((await listed()).find((p) => p.project_id === id)).toMatchObject({ name: 'both', retention_days: 1 });
    expect((await partnerListed()).find((p) => p.project_id === id)).toMatchObject({ name: 'both', retention_days: 1, status: 'active' });
    const cleared = await dashCall(owner, 'PATCH', `/projects/${id}`, { retention_days: null });
    expect(json<{ project: ProjectWire }>(cleared).project.retention_days).toBeNull();
    expect((await listed()).find((p) => p.project_id === id)?.retention_days).toBeNull();
  });

  it('refuses retention outside 1..3650, a fraction, text, and an empty update, naming the field', async () => {
    const id = json<{ project: ProjectWire }>(await dashCall(owner, 'POST', '/projects', { name: 'strict', retention_days: 30 })).project
      .project_id;
    for (const bad of [0, -1, 3651, 1.5, '30', true]) {
      for (const res of [
        await dashCall(owner, 'POST', '/projects', { name: 'bad', retention_days: bad }),
        await dashCall(owner, 'PATCH', `/projects/${id}`, { retention_days: bad }),
        await partnerCall('POST', '/project/update', { project_id: id, retention_days: bad }),
        await partnerCall(
          'POST',
          '/project/create',
          { project: { name: 'bad', retention_days: bad } },
          { ...partner, organization_id: owner.orgId },
        ),
      ]) {
        expect(res.statusCode, `${JSON.stringify(bad)}: ${res.body}`).toBe(400);
        expect(json(res)).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
        expect(String(json(res).details)).toContain('retention_days');
      }
    }
    const empty = await dashCall(owner, 'PATCH', `/projects/${id}`, {});
    expect(empty.statusCode).toBe(400);
    const nothing = await partnerCall('POST', '/project/update', { project_id: id });
    expect(nothing.statusCode).toBe(400);
    expect(json(nothing).details).toBe('nothing to change: give name, time_zone or retention_days');
    expect((await listed()).find((p) => p.project_id === id)?.retention_days).toBe(30);
    expect((await listed()).filter((p) => p.name === 'bad')).toEqual([]);
  });

  it('Partner API: project/create takes retention_days, project/update changes name and retention', async () => {
    const created = await partnerCall(
      'POST',
      '/project/create',
      { project: { name: 'partner', retention_days: 14 } },
      { ...partner, organization_id: owner.orgId },
    );
    expect(created.statusCode, created.body).toBe(200);
    const id = json<{ response: { project_id: string } }>(created).response.project_id;
    expect((await partnerListed()).find((p) => p.project_id === id)).toMatchObject({
      name: 'partner',
      retention_days: 14,
      status: 'active',
    });

    const updated = await partnerCall('POST', '/project/update', { project_id: id, name: 'partner 2', retention_days: null });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(json<{ response: { project: ProjectWire } }>(updated).response.project).toMatchObject({
      project_id: id,
      name: 'partner 2',
      retention_days: null,
      status: 'active',
    });
    const unknown = await partnerCall('POST', '/project/update', { project_id: '00000000-0000-4000-8000-000000000000', name: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown).code).toBe('project_not_found');
  });

  it('archiving keeps data and settings, stops the pixels collecting and new pixels; unarchiving restores it', async () => {
    const id = json<{ project: ProjectWire }>(await dashCall(owner, 'POST', '/projects', { name: 'site', retention_days: 30 })).project
      .project_id;
    const px = await dashCall(owner, 'POST', `/projects/${id}/pixels`, { title: 'www' });
    const pixelId = json<{ pixel: { pixel_id: string } }>(px).pixel.pixel_id;
    expect((await send(pixelId)).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/pixels/${pixelId}/p.js` })).statusCode).toBe(200);

    const archived = await dashCall(owner, 'POST', `/projects/${id}/archive`);
    expect(archived.statusCode, archived.body).toBe(200);
    expect(json<{ project: ProjectWire }>(archived).project).toMatchObject({
      project_id: id,
      status: 'archived',
      retention_days: 30,
      name: 'site',
    });
    expect((await listed()).find((p) => p.project_id === id)?.status).toBe('archived');
    expect((await partnerListed()).find((p) => p.project_id === id)?.status).toBe('archived');
    // Archiving twice changes nothing.
    expect(json<{ project: ProjectWire }>(await dashCall(owner, 'POST', `/projects/${id}/archive`)).project.status).toBe('archived');

    // Its pixels: the script and ingest answer as for an unknown pixel, at once on this process.
    const script = await t.app.inject({ url: `/pixels/${pixelId}/p.js` });
    expect(script.statusCode).toBe(404);
    const refused = await send(pixelId);
    expect(refused.statusCode).toBe(404);
    expect(json(refused)).toMatchObject({ code: 'pixel_not_found' });
    // Still listed and readable in the dashboard, with the events it collected.
    const pixels = await dashCall(owner, 'GET', `/projects/${id}/pixels`);
    expect(json<{ pixels: { pixel_id: string }[] }>(pixels).pixels.map((p) => p.pixel_id)).toEqual([pixelId]);
    const counts = await t.app.inject({
      url: `${D}/orgs/${owner.orgId}/event_counts?pixel_id=${pixelId}&start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}`,
      headers: dash(owner.session),
    });
    expect(counts.statusCode, counts.body).toBe(200);
    expect(json<{ count: number }>(counts).count).toBe(1);
    // No new pixel in an archived project, on either surface.
    for (const res of [
      await dashCall(owner, 'POST', `/projects/${id}/pixels`, { title: 'late' }),
      await t.app.inject({ method: 'POST', url: `${P}/pixel/create`, headers: { ...partner, project_id: id }, payload: { title: 'late' } }),
    ]) {
      expect(res.statusCode, res.body).toBe(409);
      expect(json(res)).toEqual({ error: 'This project is archived. Unarchive it first.', code: 'project_inactive' });
    }
    // Settings can still be changed while archived.
    expect(json<{ project: ProjectWire }>(await dashCall(owner, 'PATCH', `/projects/${id}`, { retention_days: 7 })).project).toMatchObject({
      status: 'archived',
      retention_days: 7,
    });

    const back = await dashCall(owner, 'POST', `/projects/${id}/unarchive`);
    expect(json<{ project: ProjectWire }>(back).project).toMatchObject({ status: 'active', retention_days: 7 });
    expect((await t.app.inject({ url: `/pixels/${pixelId}/p.js` })).statusCode).toBe(200);
    expect((await send(pixelId)).statusCode).toBe(200);
    expect((await dashCall(owner, 'POST', `/projects/${id}/pixels`, { title: 'now' })).statusCode).toBe(201);
  });

  it('Partner API archive and unarchive, scoped to the caller’s organizations', async () => {
    const id = json<{ response: { project_id: string } }>(
      await partnerCall('POST', '/project/create', { project: { name: 'partner site' } }, { ...partner, organization_id: owner.orgId }),
    ).response.project_id;
    const archived = await partnerCall('POST', '/project/archive', { project_id: id });
    expect(archived.statusCode, archived.body).toBe(200);
    expect(json<{ response: { project: ProjectWire } }>(archived).response.project).toMatchObject({ project_id: id, status: 'archived' });
    expect((await partnerListed()).find((p) => p.project_id === id)?.status).toBe('archived');
    const back = await partnerCall('POST', '/project/unarchive', { project_id: id });
    expect(json<{ response: { project: ProjectWire } }>(back).response.project.status).toBe('active');

    // Another organization's owner, with their own app: not found, and nothing changes.
    const stranger = await newTenant(t);
    const theirs = await partnerHeaders(t, stranger);
    for (const path of ['/project/archive', '/project/unarchive', '/project/update']) {
      const res = await partnerCall('POST', path, { project_id: id, name: 'stolen' }, theirs);
      expect(res.statusCode, `${path}: ${res.body}`).toBe(404);
      expect(json(res).code).toBe('project_not_found');
    }
    expect((await partnerListed()).find((p) => p.project_id === id)).toMatchObject({ name: 'partner site', status: 'active' });
  });

  it('members may see projects but not change retention or archive (403), on both surfaces', async () => {
    const id = json<{ project: ProjectWire }>(await dashCall(owner, 'POST', '/projects', { name: 'guarded', retention_days: 30 })).project
      .project_id;
    const member = await addMember(t, owner, 'member');
    const memberPartner = await partnerHeaders(t, member);
    for (const res of [
      await dashCall(member, 'PATCH', `/projects/${id}`, { retention_days: 1 }),
      await dashCall(member, 'POST', `/projects/${id}/archive`),
      await dashCall(member, 'POST', `/projects/${id}/unarchive`),
      await partnerCall('POST', '/project/update', { project_id: id, retention_days: 1 }, memberPartner),
      await partnerCall('POST', '/project/archive', { project_id: id }, memberPartner),
      await partnerCall('POST', '/project/unarchive', { project_id: id }, memberPartner),
    ]) {
      expect(res.statusCode, res.body).toBe(403);
      expect(json(res).code).toBe('forbidden');
    }
    expect(
      json<{ projects: ProjectWire[] }>(await dashCall(member, 'GET', '/projects')).projects.find((p) => p.project_id === id),
    ).toMatchObject({
      status: 'active',
      retention_days: 30,
    });
    const admin = await addMember(t, owner, 'admin');
    expect((await dashCall(admin, 'POST', `/projects/${id}/archive`)).statusCode).toBe(200);
    expect((await dashCall(admin, 'POST', `/projects/${id}/unarchive`)).statusCode).toBe(200);
  });
});
