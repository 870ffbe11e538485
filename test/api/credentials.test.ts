// Credentials in transit (issue 15): app secrets rotate like API key secrets (dashboard and Partner
// API) with the old secret refused at once; every response that carries a secret (a token, a key or
// app secret, a session's CSRF token) says `Cache-Control: no-store`, and a walk of the OpenAPI
// document finds no such response left out; the session and Partner APIs spend a budget per person
// (429 with Retry-After, counted in /metrics); and TRUST_PROXY believes X-Forwarded-For only from
// the proxies it lists.
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { latestToken, outbox } from '../support/mail.js';
import { createApp, createKey, dash, dataToken, json, newTenant, platformToken, type Tenant } from '../support/tenant.js';

type Res = LightMyRequestResponse;
const bodyOf = (res: Res): [number, unknown] => [res.statusCode, JSON.parse(res.body)];

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({ SIGNUP_MODE: 'open' });
});
afterAll(async () => t?.close());

const inject = (method: string, url: string, headers: Record<string, string> = {}, payload?: unknown, app: TestApp = t) =>
  app.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

const partnerCall = (jwt: string, app: { clientId: string; clientSecret: string }) =>
  inject('GET', '/public/core/api/project/get', {
    authorization: `Bearer ${jwt}`,
    'x-delivr-client-id': app.clientId,
    'x-delivr-client-secret': app.clientSecret,
  });
const invalidClient = [401, { error: 'Invalid client credentials.', code: 'invalid_client_credentials' }];
const appNotFound = [404, { error: 'App not found.', code: 'app_not_found' }];

describe('rotating an app secret', () => {
  it('from the dashboard: same client id, a new secret shown once; the old secret is refused at once', async () => {
    const tenant = await newTenant(t);
    const jwt = await platformToken(t, tenant);
    const app = await createApp(t, tenant);
    expect((await partnerCall(jwt, app)).statusCode).toBe(200);
    const res = await inject('POST', `/dashboard/api/apps/${app.appId}/rotate`, dash(tenant.session));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = json<{ app: { app_id: string; client_id: string; status: string }; client_id: string; client_secret: string }>(res);
    expect(body).toEqual({
      app: { app_id: app.appId, name: 'test app', client_id: app.clientId, status: 'active', created_at: expect.any(String) },
      client_id: app.clientId,
      client_secret: expect.stringMatching(/^secret_[0-9a-f]{48}$/),
    });
    expect(body.client_secret).not.toBe(app.clientSecret);
    expect(bodyOf(await partnerCall(jwt, app))).toEqual(invalidClient);
    expect((await partnerCall(jwt, { clientId: app.clientId, clientSecret: body.client_secret })).statusCode).toBe(200);
    // The list never shows a secret.
    const list = await inject('GET', '/dashboard/api/apps', { cookie: tenant.session.cookie });
    expect(list.body).not.toContain(body.client_secret);
  });

  it('over the Partner API with the platform JWT alone (the secret may be the thing that was lost)', async () => {
    const tenant = await newTenant(t);
    const jwt = await platformToken(t, tenant);
    const app = await createApp(t, tenant);
    const res = await inject('POST', `/public/core/api/app/rotate/${app.appId}`, { authorization: `Bearer ${jwt}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { response } = json<{ response: { app_id: string; client_id: string; client_secret: string } }>(res);
    expect(response).toEqual({ app_id: app.appId, client_id: app.clientId, client_secret: expect.stringMatching(/^secret_[0-9a-f]{48}$/) });
    expect(bodyOf(await partnerCall(jwt, app))).toEqual(invalidClient);
    expect((await partnerCall(jwt, { clientId: app.clientId, clientSecret: response.client_secret })).statusCode).toBe(200);
    expect((await inject('POST', `/public/core/api/app/rotate/${app.appId}`)).statusCode).toBe(401);
  });

  it("only the app's owner may rotate it; another person's, a deleted or an unknown app is 404 and keeps its secret", async () => {
    const owner = await newTenant(t);
    const stranger = await newTenant(t);
    const app = await createApp(t, owner);
    const ownerJwt = await platformToken(t, owner);
    const strangerJwt = await platformToken(t, stranger);
    expect(bodyOf(await inject('POST', `/dashboard/api/apps/${app.appId}/rotate`, dash(stranger.session)))).toEqual(appNotFound);
    expect(bodyOf(await inject('POST', `/public/core/api/app/rotate/${app.appId}`, { authorization: `Bearer ${strangerJwt}` }))).toEqual(
      appNotFound,
    );
    expect((await partnerCall(ownerJwt, app)).statusCode).toBe(200);
    expect(bodyOf(await inject('POST', `/dashboard/api/apps/${randomUUID()}/rotate`, dash(owner.session)))).toEqual(appNotFound);
    expect((await inject('DELETE', `/dashboard/api/apps/${app.appId}`, dash(owner.session))).statusCode).toBe(200);
    expect(bodyOf(await inject('POST', `/dashboard/api/apps/${app.appId}/rotate`, dash(owner.session)))).toEqual(appNotFound);
    expect(bodyOf(await inject('POST', `/public/core/api/app/rotate/${app.appId}`, { authorization: `Bearer ${ownerJwt}` }))).toEqual(
      appNotFound,
    );
  });
});

// The shape of an OpenAPI response schema, as far as finding secret-carrying fields goes.
interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
}
interface OpenApi {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
}

/** Field names whose values are credentials. */
const SECRET_FIELDS = new Set(['token', 'api_secret', 'client_secret', 'csrf_token']);
const carriesSecret = (s: Schema | undefined): boolean =>
  s !== undefined &&
  (Object.entries(s.properties ?? {}).some(([name, sub]) => SECRET_FIELDS.has(name) || carriesSecret(sub)) ||
    carriesSecret(s.items) ||
    (s.anyOf ?? []).some(carriesSecret));

describe('Cache-Control: no-store on every response that carries a secret', () => {
  /** Each secret-carrying route, called for real. */
  const CALLS: Record<string, (tenant: Tenant) => Promise<Res>> = {
    'POST /auth/v1/login': (x) => inject('POST', '/auth/v1/login', {}, { email: x.email, password: x.password }),
    'POST /public/core/auth/issue': (x) => inject('POST', '/public/core/auth/issue', {}, { email: x.email, password: x.password }),
    'POST /client/v1': async (x) => inject('POST', '/client/v1', { authorization: `Bearer ${await dataToken(t, x)}` }, { name: 'c' }),
    'POST /dashboard/api/session': (x) => inject('POST', '/dashboard/api/session', {}, { email: x.email, password: x.password }),
    'GET /dashboard/api/session': (x) => inject('GET', '/dashboard/api/session', { cookie: x.session.cookie }),
    'POST /dashboard/api/signup': () =>
      inject(
        'POST',
        '/dashboard/api/signup',
        {},
        { email: `s-${randomUUID()}@example.com`, password: 'Password123!', first_name: 'S', last_name: 'U', organization_name: 'S' },
      ),
    'POST /dashboard/api/signup/confirm': async () => {
      const hidden = await makeTestApp({ SIGNUP_MODE: 'open', LOGIN_HIDE_UNKNOWN_USERS: 'true' });
      try {
        const email = `c-${randomUUID()}@example.com`;
        const payload = { email, password: 'Password123!', first_name: 'C', last_name: 'U', organization_name: 'C' };
        await inject('POST', '/dashboard/api/signup', {}, payload, hidden);
        const text = (await outbox(hidden.dataDir)).find((m) => m.to.includes(email))?.text ?? '';
        const token = /\/confirm-signup\/([A-Za-z0-9_-]+)/.exec(text)?.[1];
        return await inject('POST', '/dashboard/api/signup/confirm', {}, { token }, hidden);
      } finally {
        await hidden.close();
      }
    },
    'POST /dashboard/api/invites/accept': async (x) => {
      const email = `i-${randomUUID()}@example.com`;
      await inject('POST', `/dashboard/api/orgs/${x.orgId}/invites`, dash(x.session), { email, role: 'member' });
      const token = await latestToken(t.dataDir, email, 'invite');
      return inject('POST', '/dashboard/api/invites/accept', {}, { token, first_name: 'I', last_name: 'N', password: 'Password123!' });
    },
    'POST /dashboard/api/orgs/{org_id}/api-keys': (x) =>
      inject('POST', `/dashboard/api/orgs/${x.orgId}/api-keys`, dash(x.session), { name: 'k' }),
    'POST /dashboard/api/orgs/{org_id}/api-keys/{key_id}/rotate': async (x) =>
      inject('POST', `/dashboard/api/orgs/${x.orgId}/api-keys/${(await createKey(t, x)).keyId}/rotate`, dash(x.session)),
    'POST /dashboard/api/apps': (x) => inject('POST', '/dashboard/api/apps', dash(x.session), { name: 'a' }),
    'POST /dashboard/api/apps/{app_id}/rotate': async (x) =>
      inject('POST', `/dashboard/api/apps/${(await createApp(t, x)).appId}/rotate`, dash(x.session)),
    'POST /public/core/api/app/create': async (x) =>
      inject('POST', '/public/core/api/app/create', { authorization: `Bearer ${await platformToken(t, x)}` }, { name: 'a' }),
    'POST /public/core/api/app/rotate/{app_id}': async (x) =>
      inject('POST', `/public/core/api/app/rotate/${(await createApp(t, x)).appId}`, {
        authorization: `Bearer ${await platformToken(t, x)}`,
      }),
  };

  /** Operations whose secret field never holds a secret. */
  const MASKED: Record<string, string> = {
    'GET /public/core/api/app/retrieve/{app_id}': 'client_secret is always "secret_********" (seed account-setup)',
  };

  it('the list above is every operation whose success response has a token, secret or CSRF field', () => {
    const spec = t.app.swagger() as unknown as OpenApi;
    const found: string[] = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const ok = Object.entries(op.responses ?? {}).filter(([status]) => status.startsWith('2'));
        if (ok.some(([, r]) => carriesSecret(r.content?.['application/json']?.schema))) found.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(found.sort()).toEqual([...Object.keys(CALLS), ...Object.keys(MASKED)].sort());
  });

  it('the masked app secret is masked', async () => {
    const tenant = await newTenant(t);
    const app = await createApp(t, tenant);
    const res = await inject('GET', `/public/core/api/app/retrieve/${app.appId}`, {
      authorization: `Bearer ${await platformToken(t, tenant)}`,
    });
    expect(json<{ response: { app: { secret: { client_secret: string } } } }>(res).response.app.secret.client_secret).toBe(
      'secret_********',
    );
    expect(res.body).not.toContain(app.clientSecret);
  });

  it.each(Object.keys(CALLS))('%s', async (route) => {
    const tenant = await newTenant(t);
    const res = await (CALLS[route] as (x: Tenant) => Promise<Res>)(tenant);
    expect(res.statusCode, res.body).toBeLessThan(300);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('is not put on responses without a secret (they stay as they were)', async () => {
    const tenant = await newTenant(t);
    const list = await inject('GET', `/dashboard/api/orgs/${tenant.orgId}/api-keys`, { cookie: tenant.session.cookie });
    expect(list.statusCode).toBe(200);
    expect(list.headers['cache-control']).toBeUndefined();
  });
});

describe('per-person budgets on the session and Partner APIs', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await makeTestApp({ LIMIT_DASHBOARD_PER_USER: '5/minute', LIMIT_PARTNER_PER_USER: '4/minute' });
  });
  afterAll(async () => limited?.close());
  const rateLimited = { error: 'Rate limit exceeded.', code: 'rate_limited' };

  it('the session API: every session of one person shares the budget; other people are not affected', async () => {
    const busy = await newTenant(limited);
    const quiet = await newTenant(limited);
    const second = await inject('POST', '/dashboard/api/session', {}, { email: busy.email, password: busy.password }, limited);
    const secondCookie = (second.headers['set-cookie'] as string).split(';')[0] as string;
    const read = (cookie: string) => inject('GET', `/dashboard/api/orgs/${busy.orgId}/members`, { cookie }, undefined, limited);
    for (let i = 0; i < 5; i++) expect((await read(i % 2 ? secondCookie : busy.session.cookie)).statusCode).toBe(200);
    for (const cookie of [busy.session.cookie, secondCookie]) {
      const refused = await read(cookie);
      expect(bodyOf(refused)).toEqual([429, rateLimited]);
      expect(refused.headers['retry-after']).toBe('12');
    }
    // Writes too, and before the body is looked at.
    const write = await inject('POST', `/dashboard/api/orgs/${busy.orgId}/projects`, dash(busy.session), { bogus: true }, limited);
    expect(write.statusCode).toBe(429);
    expect((await inject('GET', '/dashboard/api/session', { cookie: quiet.session.cookie }, undefined, limited)).statusCode).toBe(200);
    const metrics = (await inject('GET', '/metrics', {}, undefined, limited)).body;
    expect(metrics).toContain('delivr_throttled_total{limit="dashboard_user"} 3');
  });

  it('the Partner API: per person, whichever token or app they use', async () => {
    const busy = await newTenant(limited);
    const quiet = await newTenant(limited);
    const tokens = [await platformToken(limited, busy), await platformToken(limited, busy)];
    const get = (jwt: string) => inject('GET', '/public/core/api/organization/get', { authorization: `Bearer ${jwt}` }, undefined, limited);
    for (let i = 0; i < 4; i++) expect((await get(tokens[i % 2] as string)).statusCode).toBe(200);
    const refused = await get(tokens[0] as string);
    expect(bodyOf(refused)).toEqual([429, rateLimited]);
    expect(refused.headers['retry-after']).toBe('15');
    expect((await get(await platformToken(limited, quiet))).statusCode).toBe(200);
    const metrics = (await inject('GET', '/metrics', {}, undefined, limited)).body;
    expect(metrics).toContain('delivr_throttled_total{limit="partner_user"} 1');
  });

  it('documents the 429 on every session and Partner API route', () => {
    const spec = limited.app.swagger() as unknown as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[]; responses: Record<string, unknown> }>>;
    };
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const budgeted = op.security?.some((s) => 'sessionCookie' in s || ('bearerAuth' in s && !path.startsWith('/client/')));
        if (budgeted && !path.startsWith('/api/') && !path.startsWith('/taxonomy/topic') && !('429' in op.responses)) {
          missing.push(`${method} ${path}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('TRUST_PROXY', () => {
  /** The client address the app saw, as the key's access log recorded it. */
  async function seenAddress(env: Record<string, string>, remoteAddress: string, forwardedFor?: string): Promise<string | null> {
    const app = await makeTestApp(env);
    try {
      const tenant = await newTenant(app);
      const key = await createKey(app, tenant);
      await app.app.inject({
        url: '/api/v2/events_schema?source=pixel',
        remoteAddress,
        headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      });
      const log = await app.app.inject({
        url: `/dashboard/api/orgs/${tenant.orgId}/api-keys/${key.keyId}/access-log`,
        headers: { cookie: tenant.session.cookie },
      });
      return json<{ entries: { ip: string | null }[] }>(log).entries[0]?.ip ?? null;
    } finally {
      await app.close();
    }
  }

  it('believes X-Forwarded-For only from the listed proxies (addresses and CIDR ranges)', async () => {
    const env = { TRUST_PROXY: '10.0.0.0/8,2001:db8::1' };
    expect(await seenAddress(env, '10.20.30.40', '198.51.100.7')).toBe('198.51.100.7');
    expect(await seenAddress(env, '203.0.113.5', '198.51.100.7')).toBe('203.0.113.5');
    expect(await seenAddress(env, '2001:db8::1', '198.51.100.8')).toBe('198.51.100.8');
    // A forged hop in front of the real client, sent through the proxy: the proxy's view wins.
    expect(await seenAddress(env, '10.0.0.1', '6.6.6.6, 198.51.100.9')).toBe('198.51.100.9');
  });

  it('unset, it believes nobody; true believes any peer', async () => {
    expect(await seenAddress({}, '203.0.113.5', '198.51.100.7')).toBe('203.0.113.5');
    expect(await seenAddress({ TRUST_PROXY: 'true' }, '203.0.113.5', '198.51.100.7')).toBe('198.51.100.7');
  });

  it('keeps a guesser behind an untrusted peer from borrowing another address for the sign-in throttle', async () => {
    const app = await makeTestApp({ TRUST_PROXY: '10.0.0.1', LOGIN_MAX_FAILURES: '2' });
    try {
      const tenant = await newTenant(app);
      const attempt = (forwardedFor: string) =>
        app.app.inject({
          method: 'POST',
          url: '/auth/v1/login',
          remoteAddress: '203.0.113.66',
          headers: { 'x-forwarded-for': forwardedFor },
          payload: { email: tenant.email, password: 'wrong password' },
        });
      expect((await attempt('198.51.100.1')).statusCode).toBe(401);
      expect((await attempt('198.51.100.2')).statusCode).toBe(401);
      // Each attempt claims a fresh address; it is not believed, so the same pair is counted.
      expect((await attempt('198.51.100.3')).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });
});
