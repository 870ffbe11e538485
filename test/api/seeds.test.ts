// Acceptance: every curl example in the three seed documents, with its host replaced by the local
// server and its placeholders by real credentials made through the documented onboarding, returns
// the documented status and body shape. The commands are parsed from the seed files themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { type CurlExample, curlExamples, shapeMismatches } from '../support/seeds.js';
import { createApp, createKey, dash, json, newTenant, platformToken, type Tenant } from '../support/tenant.js';

let t: TestApp;
let tenant: Tenant;
const vars: Record<string, string> = {};

beforeAll(async () => {
  t = await makeTestApp();
  tenant = await newTenant(t);
  const app = await createApp(t, tenant);
  const key = await createKey(t, tenant);
  Object.assign(vars, {
    YOUR_EMAIL: tenant.email,
    YOUR_PASSWORD: tenant.password,
    YOUR_ORGANIZATION_ID: tenant.orgId,
    YOUR_PLATFORM_JWT: await platformToken(t, tenant),
    YOUR_PUBLIC_API_TOKEN: await platformToken(t, tenant),
    YOUR_CLIENT_ID: app.clientId,
    YOUR_CLIENT_SECRET: app.clientSecret,
    YOUR_API_KEY: key.apiKey,
    YOUR_API_SECRET: key.apiSecret,
  });
});
afterAll(async () => t?.close());

function fill(s: string, local: Record<string, string>): string {
  let out = s;
  for (const [k, v] of Object.entries({ ...vars, ...local }).sort((a, b) => b[0].length - a[0].length)) out = out.split(k).join(v);
  return out;
}

async function replay(ex: CurlExample, local: Record<string, string> = {}) {
  const url = new URL(fill(ex.url, local));
  const headers = Object.fromEntries(Object.entries(ex.headers).map(([k, v]) => [k, fill(v, local)]));
  return t.app.inject({
    method: ex.method as 'GET',
    url: url.pathname + url.search,
    headers,
    ...(ex.body === undefined ? {} : { payload: fill(ex.body, local) }),
  });
}

function expectDocumented(ex: CurlExample, res: { statusCode: number; body: string }) {
  expect(res.statusCode, res.body).toBe(ex.documentedStatus ?? 200);
  if (ex.documented !== undefined) expect(shapeMismatches(ex.documented, JSON.parse(res.body))).toEqual([]);
}

describe('account-setup seed', () => {
  const examples = curlExamples('account-setup.txt');
  it('has the three Partner API examples', () => {
    expect(examples.map((e) => `${e.method} ${new URL(e.url).pathname}`)).toEqual([
      'POST /public/core/api/project/create',
      'GET /public/core/api/project/get',
      'POST /public/core/api/pixel/create',
    ]);
  });
  it('create project, list it, create a pixel in it, as documented', async () => {
    const [create, list, pixel] = examples as [CurlExample, CurlExample, CurlExample];
    const created = await replay(create);
    expectDocumented(create, created);
    const projectId = json<{ response: { project_id: string } }>(created).response.project_id;
    const listed = await replay(list);
    expectDocumented(list, listed);
    expect(json<{ response: { projects: { project_id: string }[] } }>(listed).response.projects.map((p) => p.project_id)).toContain(
      projectId,
    );
    const made = await replay(pixel, { YOUR_PROJECT_ID: projectId });
    expectDocumented(pixel, made);
    const { pixel_id, installation_url } = json<{ response: { pixel_id: string; installation_url: string } }>(made).response;
    expect(installation_url).toBe(`http://delivr.test/pixels/${pixel_id}/p.js`);
  });
});

describe('authentication-v1 seed', () => {
  const examples = curlExamples('authentication-v1.txt');
  const find = (method: string, path: string) => {
    const ex = examples.find((e) => e.method === method && new URL(e.url).pathname === path);
    if (!ex) throw new Error(`seed has no ${method} ${path}`);
    return ex;
  };

  it('login returns user, organization and an HS256 token; unknown email is 404 "User not found."', async () => {
    const login = find('POST', '/auth/v1/login');
    const res = await replay(login);
    expectDocumented(login, res);
    expect(json(res).organization_id).toBe(tenant.orgId);
    const unknown = await replay(login, { YOUR_EMAIL: 'nobody-here@example.com' });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toEqual({ error: 'User not found.', code: 'user_not_found' });
  });

  it('API clients: create (201), list (prefix only), delete, and the key is refused at once', async () => {
    const token = json<{ token: string }>(await replay(find('POST', '/auth/v1/login'))).token;
    const local = { YOUR_JWT_TOKEN: token };
    const create = find('POST', '/client/v1');
    const created = await replay(create, local);
    expectDocumented(create, created);
    const { client_id, api_key, api_secret } = json<{ client_id: string; api_key: string; api_secret: string }>(created);
    const list = examples.find((e) => e.method === 'GET' && new URL(e.url).pathname === '/client/v1') as CurlExample;
    const listed = await replay(list, local);
    expectDocumented(list, listed);
    expect(listed.body).not.toContain(api_key);
    expect(listed.body).not.toContain(api_secret);
    const works = await t.app.inject({
      url: '/api/v2/events_schema?source=pixel',
      headers: { 'x-api-key': api_key, 'x-api-secret': api_secret },
    });
    expect(works.statusCode).toBe(200);
    const del = examples.find((e) => e.method === 'DELETE') as CurlExample;
    expectDocumented(del, await replay(del, { ...local, YOUR_CLIENT_ID: client_id }));
    const refused = await t.app.inject({
      url: '/api/v2/events_schema?source=pixel',
      headers: { 'x-api-key': api_key, 'x-api-secret': api_secret },
    });
    expect(refused.statusCode).toBe(401);
    expect(json(refused)).toEqual({ error: 'Invalid API key' });
  });

  it('step 4, the step-3 key with X-Api-Key alone: "API secret is required" by default (seed v2), events once an owner allows keys alone', async () => {
    const token = json<{ token: string }>(await replay(find('POST', '/auth/v1/login'))).token;
    const created = await replay(find('POST', '/client/v1'), { YOUR_JWT_TOKEN: token });
    expect(created.statusCode, created.body).toBe(201);
    const { api_key } = json<{ api_key: string }>(created);
    const events = examples.find((e) => new URL(e.url).pathname === '/api/v1/events') as CurlExample;
    expect(events.headers).toEqual({ 'x-api-key': 'dlvr_74ce9b3f761368ede79ec2db...' });
    const project = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${tenant.orgId}/projects`,
      headers: dash(tenant.session),
      payload: { name: 'seed events' },
    });
    const projectId = json<{ project: { project_id: string } }>(project).project.project_id;
    const px = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${tenant.orgId}/projects/${projectId}/pixels`,
      headers: dash(tenant.session),
      payload: { title: 'seed pixel' },
    });
    const local = { YOUR_PIXEL_ID: json<{ pixel: { pixel_id: string } }>(px).pixel.pixel_id, 'dlvr_74ce9b3f761368ede79ec2db...': api_key };
    const secretRequired = (on: boolean) =>
      t.app.inject({
        method: 'PATCH',
        url: `/dashboard/api/orgs/${tenant.orgId}/api-key-settings`,
        headers: dash(tenant.session),
        payload: { secret_required: on },
      });

    const required = await replay(events, local);
    expect([required.statusCode, required.body]).toEqual([401, '{"error":"API secret is required"}']);
    expect((await secretRequired(false)).statusCode).toBe(200);
    try {
      const legacy = await replay(events, local);
      expect(legacy.statusCode, legacy.body).toBe(200);
      expect(Array.isArray(json(legacy).events)).toBe(true);
    } finally {
      expect((await secretRequired(true)).statusCode).toBe(200);
    }
    const again = await replay(events, local);
    expect([again.statusCode, again.body]).toEqual([401, '{"error":"API secret is required"}']);
  });

  it('platform token from /public/core/auth/issue, then organization/get with the JWT alone', async () => {
    const issue = find('POST', '/public/core/auth/issue');
    const issued = await replay(issue);
    expectDocumented(issue, issued);
    const body = json<{ response: Record<string, unknown> }>(issued);
    expect(body.response).not.toHaveProperty('organization_id');
    const get = find('GET', '/public/core/api/organization/get');
    const orgs = await replay(get, { YOUR_PUBLIC_API_TOKEN: body.response.token as string });
    expect(orgs.statusCode, orgs.body).toBe(200);
    expect(
      json<{ response: { organizations: { organization_id: string }[] } }>(orgs).response.organizations.map((o) => o.organization_id),
    ).toEqual([tenant.orgId]);
  });
});

describe('authentication-v2 seed', () => {
  const [schema] = curlExamples('authentication-v2.txt') as [CurlExample];

  it('events_schema with key + secret returns the documented fields', async () => {
    expectDocumented(schema, await replay(schema));
  });

  it('the three documented 401 bodies, exactly', async () => {
    const badKey = await replay(schema, { YOUR_API_KEY: 'dlvr_0000000000000000000000000000000000000000' });
    expect([badKey.statusCode, badKey.body]).toEqual([401, '{"error":"Invalid API key"}']);
    const badSecret = await replay(schema, { YOUR_API_SECRET: 'ab'.repeat(32) });
    expect([badSecret.statusCode, badSecret.body]).toEqual([401, '{"error":"Invalid API secret"}']);
    const noSecret = await t.app.inject({
      url: new URL(schema.url).pathname + new URL(schema.url).search,
      headers: { 'x-api-key': vars.YOUR_API_KEY as string },
    });
    expect([noSecret.statusCode, noSecret.body]).toEqual([401, '{"error":"API secret is required"}']);
  });
});
