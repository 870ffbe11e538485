// Organization API keys through the dashboard and their use on the data API, as the
// authentication-v2 seed describes them: created in the dashboard with the secret shown once,
// key + secret on every request (exact 401 bodies), rotate and revoke taking effect at once, legacy
// key-only keys, the per-key access log, and the per-organization rate limit with its headers.
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
import { addMember, createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';

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
      { method: 'GET', path: '/api/v1/events_schema', status: 401, ip: '203.0.113.9' },
      { method: 'GET', path: SCHEMA, status: 401, ip: '203.0.113.8' },
      { method: 'GET', path: SCHEMA, status: 200, ip: '203.0.113.7' },
    ]);
    for (const e of entries) {
      expect(Date.parse(e.time)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(e.time)).toBeLessThanOrEqual(Date.now());
    }
    expect(json<{ entries: LogEntry[] }>(await accessLog(tenant, key.keyId, '?limit=1')).entries).toHaveLength(1);
    expect(json<{ entries: LogEntry[] }>(await accessLog(tenant, other.keyId)).entries.map((e) => e.ip)).toEqual(['198.51.100.1']);
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
