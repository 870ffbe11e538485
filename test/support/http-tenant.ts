// Onboarding over real HTTP for tests that run the server as a separate process: operator creates
// an organization, the owner accepts the emailed invite (read from that process's outbox), then a
// project, a pixel and an API key through the dashboard session API.
import { randomUUID } from 'node:crypto';
import { latestToken } from './mail.js';

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export interface HttpOwner {
  orgId: string;
  email: string;
  password: string;
  session: { cookie: string; 'x-csrf-token': string };
}

/** Operator API on `operatorBase` (whose outbox is `outboxDir`), invite accepted on `acceptBase`. */
export async function onboardOwner(opts: {
  operatorBase: string;
  acceptBase?: string;
  outboxDir: string;
  adminToken: string;
}): Promise<HttpOwner> {
  const email = `owner-${randomUUID().slice(0, 8)}@example.com`;
  const password = `pw-${randomUUID()}`;
  const created = await call(
    opts.operatorBase,
    'POST',
    '/admin/v1/organizations',
    { name: 'Test org', owner_email: email },
    {
      authorization: `Bearer ${opts.adminToken}`,
    },
  );
  if (created.status !== 201) throw new Error(`org create failed: ${JSON.stringify(created.body)}`);
  const orgId = (created.body.organization as { organization_id: string }).organization_id;
  const token = await latestToken(opts.outboxDir, email, 'invite');
  const res = await fetch(`${opts.acceptBase ?? opts.operatorBase}/dashboard/api/invites/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, first_name: 'Ann', last_name: 'Owner', password }),
  });
  if (res.status !== 200) throw new Error(`accept failed: ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = ((await res.json()) as { csrf_token: string }).csrf_token;
  return { orgId, email, password, session: { cookie, 'x-csrf-token': csrf } };
}

/** A project with one pixel and an API key + secret, made through the dashboard API. */
export async function pixelAndKey(
  base: string,
  owner: HttpOwner,
): Promise<{ projectId: string; pixelId: string; key: Record<string, string> }> {
  const project = await call(base, 'POST', `/dashboard/api/orgs/${owner.orgId}/projects`, { name: 'site' }, owner.session);
  const projectId = (project.body.project as { project_id: string }).project_id;
  const pixel = await call(
    base,
    'POST',
    `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}/pixels`,
    { title: 'www' },
    owner.session,
  );
  const pixelId = (pixel.body.pixel as { pixel_id: string }).pixel_id;
  const key = await call(base, 'POST', `/dashboard/api/orgs/${owner.orgId}/api-keys`, { name: 'reader' }, owner.session);
  return { projectId, pixelId, key: { 'x-api-key': key.body.api_key as string, 'x-api-secret': key.body.api_secret as string } };
}
