// Fixtures built through the public surfaces only (operator API, emailed invite, dashboard API), so
// every test that uses them also exercises the real onboarding path. Each call makes a fresh
// organization with random names: tests isolate by tenant, not by wiping tables.
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_TOKEN, type TestApp } from './app.js';
import { latestToken } from './mail.js';

export interface Session {
  cookie: string;
  csrf: string;
}

export interface Tenant {
  orgId: string;
  userId: string;
  email: string;
  password: string;
  session: Session;
}

export const json = <T = Record<string, unknown>>(res: LightMyRequestResponse): T => JSON.parse(res.body) as T;

export function sessionFrom(res: LightMyRequestResponse): Session {
  const raw = res.headers['set-cookie'];
  const line = (Array.isArray(raw) ? raw : [raw ?? '']).find((c) => c.startsWith('dlvr_session='));
  if (!line) throw new Error(`no session cookie in response ${res.statusCode} ${res.body}`);
  const body = json<{ csrf_token: string }>(res);
  return { cookie: line.split(';')[0] as string, csrf: body.csrf_token };
}

/** Headers for a dashboard call with the session cookie and CSRF token. */
export const dash = (s: Session): Record<string, string> => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });

export async function newTenant(t: TestApp, opts: { name?: string } = {}): Promise<Tenant> {
  const tag = randomUUID().slice(0, 8);
  const email = `owner-${tag}@example.com`;
  const password = `pw-${randomUUID()}`;
  const created = await t.app.inject({
    method: 'POST',
    url: '/admin/v1/organizations',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { name: opts.name ?? `Org ${tag}`, owner_email: email },
  });
  if (created.statusCode !== 201) throw new Error(`org create failed: ${created.body}`);
  const orgId = json<{ organization: { organization_id: string } }>(created).organization.organization_id;
  const token = await latestToken(t.dataDir, email, 'invite');
  const accepted = await t.app.inject({
    method: 'POST',
    url: '/dashboard/api/invites/accept',
    payload: { token, first_name: 'Ann', last_name: `Owner ${tag}`, password },
  });
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.body}`);
  return { orgId, userId: json<{ user: { user_id: string } }>(accepted).user.user_id, email, password, session: sessionFrom(accepted) };
}

/** Invites `role` into the tenant's organization and accepts as a new person. */
export async function addMember(t: TestApp, owner: Tenant, role: 'owner' | 'admin' | 'member'): Promise<Tenant> {
  const tag = randomUUID().slice(0, 8);
  const email = `${role}-${tag}@example.com`;
  const password = `pw-${randomUUID()}`;
  const inv = await t.app.inject({
    method: 'POST',
    url: `/dashboard/api/orgs/${owner.orgId}/invites`,
    headers: dash(owner.session),
    payload: { email, role },
  });
  if (inv.statusCode !== 201) throw new Error(`invite failed: ${inv.body}`);
  const token = await latestToken(t.dataDir, email, 'invite');
  const accepted = await t.app.inject({
    method: 'POST',
    url: '/dashboard/api/invites/accept',
    payload: { token, first_name: 'Bo', last_name: role, password },
  });
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.body}`);
  return {
    orgId: owner.orgId,
    userId: json<{ user: { user_id: string } }>(accepted).user.user_id,
    email,
    password,
    session: sessionFrom(accepted),
  };
}

export async function createKey(
  t: TestApp,
  tenant: Tenant,
  name = 'test key',
): Promise<{ keyId: string; apiKey: string; apiSecret: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/dashboard/api/orgs/${tenant.orgId}/api-keys`,
    headers: dash(tenant.session),
    payload: { name },
  });
  if (res.statusCode !== 201) throw new Error(`key create failed: ${res.body}`);
  const b = json<{ key: { key_id: string }; api_key: string; api_secret: string }>(res);
  return { keyId: b.key.key_id, apiKey: b.api_key, apiSecret: b.api_secret };
}

/** A project with one pixel, made through the dashboard API (`trackers` as a new pixel's, unless given). */
export async function projectAndPixel(
  t: TestApp,
  tenant: Tenant,
  opts: { name?: string; title?: string; trackers?: string[] } = {},
): Promise<{ projectId: string; pixelId: string }> {
  const made = async (url: string, payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url, headers: dash(tenant.session), payload });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.body}`);
    return json<{ project?: { project_id: string }; pixel?: { pixel_id: string } }>(res);
  };
  const base = `/dashboard/api/orgs/${tenant.orgId}/projects`;
  const projectId = (await made(base, { name: opts.name ?? 'site' })).project?.project_id as string;
  const pixel = await made(`${base}/${projectId}/pixels`, {
    title: opts.title ?? 'www',
    ...(opts.trackers ? { trackers: opts.trackers } : {}),
  });
  return { projectId, pixelId: pixel.pixel?.pixel_id as string };
}

export async function createApp(t: TestApp, tenant: Tenant): Promise<{ appId: string; clientId: string; clientSecret: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/dashboard/api/apps',
    headers: dash(tenant.session),
    payload: { name: 'test app' },
  });
  if (res.statusCode !== 201) throw new Error(`app create failed: ${res.body}`);
  const b = json<{ app: { app_id: string }; client_id: string; client_secret: string }>(res);
  return { appId: b.app.app_id, clientId: b.client_id, clientSecret: b.client_secret };
}

export async function dataToken(t: TestApp, tenant: Tenant): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/auth/v1/login', payload: { email: tenant.email, password: tenant.password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return json<{ token: string }>(res).token;
}

export async function platformToken(t: TestApp, tenant: Tenant): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/public/core/auth/issue',
    payload: { email: tenant.email, password: tenant.password },
  });
  if (res.statusCode !== 200) throw new Error(`issue failed: ${res.body}`);
  return json<{ response: { token: string } }>(res).response.token;
}

/** Partner API headers: platform JWT + app credentials. */
export async function partnerHeaders(t: TestApp, tenant: Tenant): Promise<Record<string, string>> {
  const token = await platformToken(t, tenant);
  const app = await createApp(t, tenant);
  return { authorization: `Bearer ${token}`, 'x-delivr-client-id': app.clientId, 'x-delivr-client-secret': app.clientSecret };
}
