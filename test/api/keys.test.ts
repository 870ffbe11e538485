// Organization API keys through the dashboard and their use on the data API, as the
// authentication-v2 seed describes them: created in the dashboard with the secret shown once,
// key + secret on every request (exact 401 bodies), rotate and revoke taking effect at once, legacy
// key-only keys, the organization's secret_required setting (seed v2; off for legacy integrations),
// the per-key access log with wrong secrets budgeted, the per-organization rate limit with its
// headers, and legacy API clients hidden from members.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createServices } from '../../src/services.js';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { addMember, createKey, dash, dataToken, json, newTenant, type Tenant } from '../support/tenant.js';

const SCHEMA = '/api/v2/events_schema';
const INVALID_KEY = '{"error":"Invalid API key"}';
const INVALID_SECRET = '{"error":"Invalid API secret"}';
const SECRET_REQUIRED = '{"error":"API secret is required"}';

interface KeyOut {
  key_id: string;
  name: string;
  key_prefix: string;
  status: string;
  secret_required: boolean;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface LogEntry {
  method: string;
  path: string;
  status: number;
  time: string;
  ip: string | null;
  count: number;
}

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => t?.close());

const call = (headers: Record<string, string>, app: TestApp = t, opts: { url?: string; remoteAddress?: string } = {}) =>
  app.app.inject({ method: 'GET', url: opts.url ?? `${SCHEMA}?source=pixel`, headers, remoteAddress: opts.remoteAddress ?? '127.0.0.1' });
const pair = (apiKey: string, apiSecret: string) => ({ 'x-api-key': apiKey, 'x-api-secret': apiSecret });
const statusBody = (res: LightMyRequestResponse): [number, string] => [res.statusCode, res.body];

const keysUrl = (tenant: Tenant) => `/dashboard/api/orgs/${tenant.orgId}/api-keys`;
const listKeys = async (tenant: Tenant): Promise<{ res: LightMyRequestResponse; keys: KeyOut[] }> => {
  const res = await t.app.inject({ method: 'GET', url: keysUrl(tenant), headers: { cookie: tenant.session.cookie } });
  return { res, keys: res.statusCode === 200 ? json<{ keys: KeyOut[] }>(res).keys : [] };
};
const keyAction = (tenant: Tenant, keyId: string, action: 'rotate' | 'revoke') =>
  t.app.inject({ method: 'POST', url: `${keysUrl(tenant)}/${keyId}/${action}`, headers: dash(tenant.session) });
const accessLog = async (tenant: Tenant, keyId: string, query = ''): Promise<LightMyRequestResponse> =>
  t.app.inject({ method: 'GET', url: `${keysUrl(tenant)}/${keyId}/access-log${query}`, headers: { cookie: tenant.session.cookie } });

describe('creating and listing keys', () => {
  it('shows the secret once, at creation; the list shows only the prefix; new keys require the secret', async () => {
    const tenant = await newTenant(t);
    const res = await t.app.inject({
      method: 'POST',
      url: keysUrl(tenant),
      headers: dash(tenant.session),
      payload: { name: ' Production export ' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = json<{ key: KeyOut; api_key: string; api_secret: string }>(res);
    expect(body.api_key).toMatch(/^dlvr_[0-9a-f]{48}$/);
    expect(body.api_secret).toMatch(/^[0-9a-f]{64}$/);
    expect(body.key).toEqual({
      key_id: expect.any(String),
      name: 'Production export',
      key_prefix: `${body.api_key.slice(0, 12)}...`,
      status: 'active',
      secret_required: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      last_used_at: null,
      revoked_at: null,
    });

    const { res: listed, keys } = await listKeys(tenant);
    expect(keys).toEqual([body.key]);
    expect(listed.body).not.toContain(body.api_key);
    expect(listed.body).not.toContain(body.api_secret);
    expect(listed.body).not.toContain('api_secret');

    expect(statusBody(await call(pair(body.api_key, body.api_secret)))[0]).toBe(200);
    const { keys: afterUse } = await listKeys(tenant);
    expect(afterUse[0]?.last_used_at).toEqual(expect.any(String));
  });

  it('only members with keys.manage see or create keys; another organization answers 404', async () => {
    const owner = await newTenant(t);
    const member = await addMember(t, owner, 'member');
    const admin = await addMember(t, owner, 'admin');
    const stranger = await newTenant(t);
    const forbidden = JSON.stringify({ error: 'Forbidden.', code: 'forbidden' });
    const create = (session: Tenant['session']) =>
      t.app.inject({ method: 'POST', url: keysUrl(owner), headers: dash(session), payload: { name: 'x' } });
    expect(statusBody(await create(member.session))).toEqual([403, forbidden]);
    expect((await t.app.inject({ method: 'GET', url: keysUrl(owner), headers: { cookie: member.session.cookie } })).statusCode).toBe(403);
    expect((await create(admin.session)).statusCode).toBe(201);
    const notFound = JSON.stringify({ error: 'Organization not found.', code: 'organization_not_found' });
    expect(statusBody(await create(stranger.session))).toEqual([404, notFound]);
    const key = await createKey(t, owner);
    const foreignRevoke = await t.app.inject({
      method: 'POST',
      url: `${keysUrl(owner)}/${key.keyId}/revoke`,
      headers: dash(stranger.session),
    });
    expect(statusBody(foreignRevoke)).toEqual([404, notFound]);
    expect((await call(pair(key.apiKey, key.apiSecret))).statusCode).toBe(200);
  });

  it('refuses an empty name', async () => {
    const tenant = await newTenant(t);
    const res = await t.app.inject({ method: 'POST', url: keysUrl(tenant), headers: dash(tenant.session), payload: { name: '   ' } });
    expect(res.statusCode).toBe(400);
  });
});

describe('key + secret on the data API', () => {
  it('works with X-Api-Key + X-Api-Secret, in any header case, and with Authorization: Bearer dlvr_...', async () => {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant);
    const ok = await call(pair(key.apiKey, key.apiSecret));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json<{ fields: { name: string }[] }>(ok).fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['event_id', 'event_type', 'ts_millis', 'resolved']),
    );
    expect((await call({ 'X-API-Key': key.apiKey, 'X-API-SECRET': key.apiSecret })).statusCode).toBe(200);
    expect((await call({ authorization: `Bearer ${key.apiKey}`, 'x-api-secret': key.apiSecret })).statusCode).toBe(200);
    expect(statusBody(await call({ authorization: `Bearer ${key.apiKey}` }))).toEqual([401, SECRET_REQUIRED]);
  });

  it('answers the three documented 401 bodies exactly', async () => {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant);
    expect(statusBody(await call(pair(key.apiKey, 'ab'.repeat(32))))).toEqual([401, INVALID_SECRET]);
    expect(statusBody(await call(pair(key.apiKey, key.apiSecret.slice(0, -1))))).toEqual([401, INVALID_SECRET]);
    expect(statusBody(await call({ 'x-api-key': key.apiKey }))).toEqual([401, SECRET_REQUIRED]);
    expect(statusBody(await call({ 'x-api-key': key.apiKey, 'x-api-secret': '' }))).toEqual([401, SECRET_REQUIRED]);
    expect(statusBody(await call(pair(`dlvr_${'0'.repeat(48)}`, key.apiSecret)))).toEqual([401, INVALID_KEY]);
    expect(statusBody(await call(pair(key.apiKey.toUpperCase(), key.apiSecret)))).toEqual([401, INVALID_KEY]);
    expect(statusBody(await call(pair('not-a-delivr-key', key.apiSecret)))).toEqual([401, INVALID_KEY]);
    expect(statusBody(await call({ 'x-api-key': `dlvr_${'0'.repeat(48)}` }))).toEqual([401, INVALID_KEY]);
    expect(statusBody(await call({}))).toEqual([
      401,
      JSON.stringify({ error: 'Missing or invalid authentication.', code: 'missing_auth' }),
    ]);
  });

  it("a key reads its own organization's pixels only: another tenant's pixel is 404", async () => {
    const mine = await newTenant(t);
    const theirs = await newTenant(t);
    const key = await createKey(t, mine);
    const pixelIn = async (tenant: Tenant): Promise<string> => {
      const base = `/dashboard/api/orgs/${tenant.orgId}/projects`;
      const project = json<{ project: { project_id: string } }>(
        await t.app.inject({ method: 'POST', url: base, headers: dash(tenant.session), payload: { name: 'p' } }),
      ).project.project_id;
      const pixel = await t.app.inject({
        method: 'POST',
        url: `${base}/${project}/pixels`,
        headers: dash(tenant.session),
        payload: { title: 'px' },
      });
      return json<{ pixel: { pixel_id: string } }>(pixel).pixel.pixel_id;
    };
    const events = (pixelId: string) =>
      call(pair(key.apiKey, key.apiSecret), t, { url: `/api/v2/events?source=pixel&pixel_id=${pixelId}&start_ms=0&end_ms=1000` });
    expect((await events(await pixelIn(mine))).statusCode).toBe(200);
    expect(statusBody(await events(await pixelIn(theirs)))).toEqual([
      404,
      JSON.stringify({ error: 'Pixel not found.', code: 'pixel_not_found' }),
    ]);
  });
});

describe('rotate and revoke', () => {
  it('rotate: same key, new secret; the old secret is refused at once', async () => {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant);
    expect((await call(pair(key.apiKey, key.apiSecret))).statusCode).toBe(200);
    const res = await keyAction(tenant, key.keyId, 'rotate');
    expect(res.statusCode, res.body).toBe(200);
    const body = json<{ key: KeyOut; api_secret: string }>(res);
    expect(body.key).toMatchObject({
      key_id: key.keyId,
      status: 'active',
      secret_required: true,
      key_prefix: `${key.apiKey.slice(0, 12)}...`,
    });
    expect(body.api_secret).toMatch(/^[0-9a-f]{64}$/);
    expect(body.api_secret).not.toBe(key.apiSecret);
    expect(statusBody(await call(pair(key.apiKey, key.apiSecret)))).toEqual([401, INVALID_SECRET]);
    expect((await call(pair(key.apiKey, body.api_secret))).statusCode).toBe(200);
    const { res: listed } = await listKeys(tenant);
    expect(listed.body).not.toContain(body.api_secret);
  });

  it('revoke: refused at once; revoking or rotating again is 409; unknown keys are 404', async () => {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant);
    const other = await createKey(t, tenant);
    // Used just before: the verified key is cached (api-keys/key-cache.ts), and revoking still applies at once.
    expect((await call(pair(key.apiKey, key.apiSecret))).statusCode).toBe(200);
    const res = await keyAction(tenant, key.keyId, 'revoke');
    expect(res.statusCode, res.body).toBe(200);
    expect(json<{ key: KeyOut }>(res).key).toMatchObject({ key_id: key.keyId, status: 'revoked', revoked_at: expect.any(String) });
    expect(statusBody(await call(pair(key.apiKey, key.apiSecret)))).toEqual([401, INVALID_KEY]);
    expect(statusBody(await call({ 'x-api-key': key.apiKey }))).toEqual([401, INVALID_KEY]);
    expect((await call(pair(other.apiKey, other.apiSecret))).statusCode).toBe(200);
    const revoked = JSON.stringify({ error: 'This API key is revoked.', code: 'key_revoked' });
    expect(statusBody(await keyAction(tenant, key.keyId, 'revoke'))).toEqual([409, revoked]);
    expect(statusBody(await keyAction(tenant, key.keyId, 'rotate'))).toEqual([409, revoked]);
    const notFound = JSON.stringify({ error: 'API key not found.', code: 'key_not_found' });
    expect(statusBody(await keyAction(tenant, randomUUID(), 'revoke'))).toEqual([404, notFound]);
    expect(statusBody(await keyAction(tenant, randomUUID(), 'rotate'))).toEqual([404, notFound]);
  });
});

describe('legacy key-only keys', () => {
  it('work with X-Api-Key alone, are listed as not requiring a secret, and refuse a wrong secret', async () => {
    const tenant = await newTenant(t);
    const legacy = await t.services.apiKeys.createLegacyKey({ organizationId: tenant.orgId, name: 'old integration' });
    expect((await call({ 'x-api-key': legacy.apiKey })).statusCode).toBe(200);
    expect((await call({ authorization: `Bearer ${legacy.apiKey}` })).statusCode).toBe(200);
    expect(statusBody(await call(pair(legacy.apiKey, 'ab'.repeat(32))))).toEqual([401, INVALID_SECRET]);
    const { keys } = await listKeys(tenant);
    expect(keys).toEqual([expect.objectContaining({ key_id: legacy.key.id, secret_required: false, status: 'active' })]);
  });

  it('rotating a legacy key gives it a secret and requires it from then on', async () => {
    const tenant = await newTenant(t);
    const legacy = await t.services.apiKeys.createLegacyKey({ organizationId: tenant.orgId, name: 'migrating' });
    const rotated = json<{ key: KeyOut; api_secret: string }>(await keyAction(tenant, legacy.key.id, 'rotate'));
    expect(rotated.key.secret_required).toBe(true);
    expect(statusBody(await call({ 'x-api-key': legacy.apiKey }))).toEqual([401, SECRET_REQUIRED]);
    expect((await call(pair(legacy.apiKey, rotated.api_secret))).statusCode).toBe(200);
  });
});

describe("the organization's secret_required setting", () => {
  const settingsUrl = (tenant: Tenant) => `/dashboard/api/orgs/${tenant.orgId}/api-key-settings`;
  const read = (tenant: Tenant, session = tenant.session) =>
    t.app.inject({ method: 'GET', url: settingsUrl(tenant), headers: { cookie: session.cookie } });
  const change = (tenant: Tenant, secretRequired: boolean, session = tenant.session) =>
    t.app.inject({ method: 'PATCH', url: settingsUrl(tenant), headers: dash(session), payload: { secret_required: secretRequired } });

  it('is on by default; owners and admins read it, only owners change it, members get 403, other organizations 404', async () => {
    const owner = await newTenant(t);
    const admin = await addMember(t, owner, 'admin');
    const member = await addMember(t, owner, 'member');
    const stranger = await newTenant(t);
    const forbidden = JSON.stringify({ error: 'Forbidden.', code: 'forbidden' });
    const notFound = JSON.stringify({ error: 'Organization not found.', code: 'organization_not_found' });
    expect(statusBody(await read(owner))).toEqual([200, '{"secret_required":true}']);
    expect(statusBody(await read(owner, admin.session))).toEqual([200, '{"secret_required":true}']);
    expect(statusBody(await read(owner, member.session))).toEqual([403, forbidden]);
    expect(statusBody(await change(owner, false, admin.session))).toEqual([403, forbidden]);
    expect(statusBody(await change(owner, false, member.session))).toEqual([403, forbidden]);
    expect(statusBody(await change(owner, false, stranger.session))).toEqual([404, notFound]);
    expect(statusBody(await read(owner, stranger.session))).toEqual([404, notFound]);
    expect(statusBody(await read(owner))).toEqual([200, '{"secret_required":true}']);
    expect(statusBody(await change(owner, false))).toEqual([200, '{"secret_required":false}']);
    expect(statusBody(await read(owner, admin.session))).toEqual([200, '{"secret_required":false}']);
    expect((await t.app.inject({ method: 'PATCH', url: settingsUrl(owner), headers: dash(owner.session), payload: {} })).statusCode).toBe(
      400,
    );
  });

  it('off: every key of that organization works with X-Api-Key alone, a wrong secret still fails; on again: "API secret is required"', async () => {
    const tenant = await newTenant(t);
    const other = await newTenant(t);
    const key = await createKey(t, tenant);
    const othersKey = await createKey(t, other);
    expect(statusBody(await call({ 'x-api-key': key.apiKey }))).toEqual([401, SECRET_REQUIRED]);
    expect((await change(tenant, false)).statusCode).toBe(200);
    expect((await call({ 'x-api-key': key.apiKey })).statusCode).toBe(200);
    expect((await call({ authorization: `Bearer ${key.apiKey}` })).statusCode).toBe(200);
    expect((await call(pair(key.apiKey, key.apiSecret))).statusCode).toBe(200);
    expect(statusBody(await call(pair(key.apiKey, 'ab'.repeat(32))))).toEqual([401, INVALID_SECRET]);
    // Another organization keeps the default.
    expect(statusBody(await call({ 'x-api-key': othersKey.apiKey }))).toEqual([401, SECRET_REQUIRED]);
    expect((await change(tenant, true)).statusCode).toBe(200);
    expect(statusBody(await call({ 'x-api-key': key.apiKey }))).toEqual([401, SECRET_REQUIRED]);
  });
});

describe('wrong secrets for a real key', () => {
  it('are limited per key and client address (429 with Retry-After) and only so many reach the access log; the right secret still works', async () => {
    const limited = await makeTestApp({ LIMIT_WRONG_SECRET_PER_SOURCE: '3/minute', LIMIT_WRONG_SECRET_LOG_PER_KEY: '5/hour' });
    try {
      const tenant = await newTenant(limited);
      const key = await createKey(limited, tenant);
      const wrong = pair(key.apiKey, 'ab'.repeat(32));
      const from = (headers: Record<string, string>, ip: string) => call(headers, limited, { remoteAddress: ip });
      for (let i = 0; i < 3; i++) expect(statusBody(await from(wrong, '203.0.113.1'))).toEqual([401, INVALID_SECRET]);
      for (const headers of [wrong, { 'x-api-key': key.apiKey }]) {
        const refused = await from(headers, '203.0.113.1');
        expect(statusBody(refused)).toEqual([
          429,
          JSON.stringify({
            error: 'Rate limit exceeded.',
            code: 'rate_limited',
            details: 'too many failed secrets for this key; try again later',
          }),
        ]);
        expect(refused.headers['retry-after']).toBe('20');
      }
      expect((await from(pair(key.apiKey, key.apiSecret), '203.0.113.1')).statusCode).toBe(200);
      for (let i = 0; i < 3; i++) expect(statusBody(await from(wrong, '203.0.113.2'))).toEqual([401, INVALID_SECRET]);
      expect((await from(pair(key.apiKey, key.apiSecret), '203.0.113.3')).statusCode).toBe(200);

      const res = await limited.app.inject({
        method: 'GET',
        url: `${keysUrl(tenant)}/${key.keyId}/access-log`,
        headers: { cookie: tenant.session.cookie },
      });
      const entries = json<{ entries: LogEntry[] }>(res).entries;
      // Six wrong secrets answered 401, five logged (in one entry of their minute, or two across a
      // minute's end); the 429s are not logged; every success is.
      expect(entries.filter((e) => e.status === 401).reduce((n, e) => n + e.count, 0)).toBe(5);
      expect(entries.filter((e) => e.status === 429)).toHaveLength(0);
      const successes = entries.filter((e) => e.status === 200);
      expect(successes.reduce((n, e) => n + e.count, 0)).toBe(2);
      expect(successes[0]?.ip).toBe('203.0.113.3');
      const metrics = (await limited.app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('delivr_throttled_total{limit="wrong_secret_source"} 2');
      expect(metrics).toContain('delivr_throttled_total{limit="wrong_secret_log_key"} 1');
    } finally {
      await limited.close();
    }
  });
});

describe('legacy API clients (/client/v1)', () => {
  it('members see no clients or key prefixes (403), as they see no API keys; admins and owners do', async () => {
    const owner = await newTenant(t);
    const admin = await addMember(t, owner, 'admin');
    const member = await addMember(t, owner, 'member');
    const list = async (who: Tenant) =>
      t.app.inject({ method: 'GET', url: '/client/v1', headers: { authorization: `Bearer ${await dataToken(t, who)}` } });
    const created = await t.app.inject({
      method: 'POST',
      url: '/client/v1',
      headers: { authorization: `Bearer ${await dataToken(t, owner)}` },
      payload: { name: 'legacy' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const prefix = json<{ api_key: string }>(created).api_key.slice(0, 12);
    const forbidden = await list(member);
    expect(statusBody(forbidden)).toEqual([403, JSON.stringify({ error: 'Forbidden.', code: 'forbidden' })]);
    expect(forbidden.body).not.toContain(prefix);
    for (const who of [owner, admin]) {
      const res = await list(who);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`${prefix}...`);
    }
  });
});

describe('access log', () => {
  it('records method, path, status, time and IP of every call with the key, failed secrets included, newest first', async () => {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant);
    const other = await createKey(t, tenant);
    const before = Date.now();
    await call(pair(key.apiKey, key.apiSecret), t, { remoteAddress: '203.0.113.7' });
    await call(pair(key.apiKey, 'ab'.repeat(32)), t, { remoteAddress: '203.0.113.8' });
    await call({ 'x-api-key': key.apiKey }, t, {
      remoteAddress: '203.0.113.9',
      url: `/api/v1/events_schema?source=pixel&x=${randomUUID()}`,
    });
    await call(pair(other.apiKey, other.apiSecret), t, { remoteAddress: '198.51.100.1' });
    await call(pair(`dlvr_${'0'.repeat(48)}`, key.apiSecret), t, { remoteAddress: '203.0.113.10' });

    const res = await accessLog(tenant, key.keyId);
    expect(res.statusCode, res.body).toBe(200);
    const entries = json<{ entries: LogEntry[] }>(res).entries;
    expect(entries.map(({ time: _time, ...e }) => e)).toEqual([
      { method: 'GET', path: '/api/v1/events_schema', status: 401, ip: '203.0.113.9', count: 1 },
      { method: 'GET', path: SCHEMA, status: 401, ip: '203.0.113.8', count: 1 },
      { method: 'GET', path: SCHEMA, status: 200, ip: '203.0.113.7', count: 1 },
    ]);
    for (const e of entries) {
      expect(Date.parse(e.time)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(e.time)).toBeLessThanOrEqual(Date.now());
    }
    expect(json<{ entries: LogEntry[] }>(await accessLog(tenant, key.keyId, '?limit=1')).entries).toHaveLength(1);
    expect(json<{ entries: LogEntry[] }>(await accessLog(tenant, other.keyId)).entries.map((e) => e.ip)).toEqual(['198.51.100.1']);
  });

  it('adds up repeated requests of one minute in one entry with their count, the latest address and time', async () => {
    const tenant = await newTenant(t);
    const key = await createKey(t, tenant);
    for (const ip of ['203.0.113.20', '203.0.113.21', '203.0.113.22']) {
      expect((await call(pair(key.apiKey, key.apiSecret), t, { remoteAddress: ip })).statusCode).toBe(200);
    }
    const entries = json<{ entries: LogEntry[] }>(await accessLog(tenant, key.keyId)).entries;
    // Three requests in one minute, or (across a minute's end) two entries that still add up to three.
    expect(entries.reduce((n, e) => n + e.count, 0)).toBe(3);
    expect(entries[0]?.ip).toBe('203.0.113.22');
    expect(entries.every((e) => e.path === SCHEMA && e.status === 200)).toBe(true);
  });

  it("is readable only by the key's organization and by members who manage keys", async () => {
    const owner = await newTenant(t);
    const key = await createKey(t, owner);
    const member = await addMember(t, owner, 'member');
    const stranger = await newTenant(t);
    expect((await accessLog({ ...owner, session: member.session }, key.keyId)).statusCode).toBe(403);
    expect((await accessLog({ ...owner, session: stranger.session }, key.keyId)).statusCode).toBe(404);
    const strangersKey = await createKey(t, stranger);
    const crossTenant = await accessLog(owner, strangersKey.keyId);
    expect(statusBody(crossTenant)).toEqual([404, JSON.stringify({ error: 'API key not found.', code: 'key_not_found' })]);
  });
});

/** An app whose clock the test can move forward (it keeps running in real time too). */
async function makeClockApp(env: Record<string, string>): Promise<TestApp & { advance(ms: number): void }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'delivr-keys-'));
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test', ADMIN_TOKEN, LOG_LEVEL: 'warn', ...env });
  let offset = 0;
  const services = await createServices(config, createLogger(config.logLevel, sink), { now: () => Date.now() + offset });
  const app = await buildApp(services);
  await app.ready();
  return {
    app,
    services,
    dataDir,
    logs: [],
    advance: (ms) => {
      offset += ms;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('per-organization rate limit', () => {
  let rl: TestApp & { advance(ms: number): void };
  beforeAll(async () => {
    rl = await makeClockApp({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '4' });
  });
  afterAll(async () => rl?.close());

  it('counts down in headers, answers 429 with Retry-After past the burst, spares other organizations, and refills', async () => {
    const busy = await newTenant(rl);
    const quiet = await newTenant(rl);
    const busyKey = await createKey(rl, busy);
    const busySecondKey = await createKey(rl, busy);
    const quietKey = await createKey(rl, quiet);

    const remaining: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call(pair(i % 2 ? busyKey.apiKey : busySecondKey.apiKey, i % 2 ? busyKey.apiSecret : busySecondKey.apiSecret), rl);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('1');
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);

    const limited = await call(pair(busyKey.apiKey, busyKey.apiSecret), rl);
    expect(statusBody(limited)).toEqual([429, '{"error":"Rate limit exceeded.","code":"rate_limited"}']);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.headers['x-ratelimit-limit']).toBe('1');

    const spared = await call(pair(quietKey.apiKey, quietKey.apiSecret), rl);
    expect(spared.statusCode).toBe(200);
    expect(spared.headers['x-ratelimit-remaining']).toBe('3');

    rl.advance(1000);
    expect((await call(pair(busyKey.apiKey, busyKey.apiSecret), rl)).statusCode).toBe(200);
    expect((await call(pair(busyKey.apiKey, busyKey.apiSecret), rl)).statusCode).toBe(429);
  });
});
