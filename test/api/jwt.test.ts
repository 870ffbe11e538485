// Acceptance: forged, altered and misplaced JWTs are refused with 401 and a JSON error on the data
// API (/client/v1, /api/v2/events_schema) and the Partner API (organization/get, project/get).
// Tokens with a valid signature but the wrong audience or claims are signed here with the server's
// real JWT_SECRET, so only the claim checks stand between them and the data.
import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { decodeJwt, decodeProtectedHeader, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { addMember, createApp, createKey, dash, dataToken, json, newTenant, platformToken, type Tenant } from '../support/tenant.js';

let t: TestApp;
let owner: Tenant;
let other: Tenant;
let dataJwt: string;
let platformJwt: string;
let appHeaders: Record<string, string>;
let apiKey: string;
let secret: Uint8Array;
let kid: string;

interface Target {
  name: string;
  api: 'data' | 'platform';
  url: string;
  /** Headers besides Authorization that the route needs (the app's client credentials). */
  extra(): Record<string, string>;
}

const TARGETS: Target[] = [
  { name: 'GET /client/v1', api: 'data', url: '/client/v1', extra: () => ({}) },
  { name: 'GET /api/v2/events_schema', api: 'data', url: '/api/v2/events_schema?source=pixel', extra: () => ({}) },
  { name: 'GET /public/core/api/organization/get', api: 'platform', url: '/public/core/api/organization/get', extra: () => ({}) },
  { name: 'GET /public/core/api/project/get', api: 'platform', url: '/public/core/api/project/get', extra: () => appHeaders },
];

const callWith = (target: Target, authorization: string): Promise<LightMyRequestResponse> =>
  t.app.inject({ url: target.url, headers: { ...target.extra(), authorization } });

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** The real token's claims, so a forgery differs from a genuine token only where the test says. */
const claimsOf = (token: string): JWTPayload => decodeJwt(token);

async function sign(payload: JWTPayload, opts: { key?: Uint8Array; alg?: string; kid?: string | null } = {}): Promise<string> {
  const header: { alg: string; typ: string; kid?: string } = { alg: opts.alg ?? 'HS256', typ: 'JWT' };
  if (opts.kid !== null) header.kid = opts.kid ?? kid;
  return new SignJWT(payload).setProtectedHeader(header).sign(opts.key ?? secret);
}

/** A token like `genuine` with the payload replaced and the original header and signature kept. */
function tamper(genuine: string, change: (p: JWTPayload) => JWTPayload): string {
  const [h, , s] = genuine.split('.');
  return `${h}.${b64(change(claimsOf(genuine)))}.${s}`;
}

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await makeTestApp({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
  owner = await newTenant(t);
  other = await newTenant(t);
  dataJwt = await dataToken(t, owner);
  platformJwt = await platformToken(t, owner);
  const app = await createApp(t, owner);
  appHeaders = { 'x-delivr-client-id': app.clientId, 'x-delivr-client-secret': app.clientSecret };
  apiKey = (await createKey(t, owner)).apiKey;
  secret = new TextEncoder().encode(t.services.config.jwtSecret);
  kid = decodeProtectedHeader(dataJwt).kid as string;
});
afterAll(async () => t?.close());

function genuine(api: 'data' | 'platform'): string {
  return api === 'data' ? dataJwt : platformJwt;
}

async function expect401(target: Target, token: string, label: string) {
  const res = await callWith(target, `Bearer ${token}`);
  expect(res.statusCode, `${target.name} with ${label}: ${res.body.slice(0, 200)}`).toBe(401);
  expect(res.headers['content-type'], label).toMatch(/^application\/json/);
  const body = json(res);
  expect(typeof body.error, label).toBe('string');
  expect(JSON.stringify(body)).not.toContain(owner.orgId);
}

describe.each(TARGETS)('$name', (target) => {
  it('accepts the genuine token (so every 401 below is about the token)', async () => {
    const res = await callWith(target, `Bearer ${genuine(target.api)}`);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses alg "none" tokens, with and without a signature', async () => {
    const claims = claimsOf(genuine(target.api));
    const sig = genuine(target.api).split('.')[2];
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64({ alg, typ: 'JWT', kid })}.${b64(claims)}.`;
      await expect401(target, unsigned, `alg ${alg}`);
      await expect401(target, `${unsigned}${sig}`, `alg ${alg} with a copied signature`);
    }
  });

  it('refuses HS256 signed with another key, and other algorithms signed with the real one', async () => {
    const claims = claimsOf(genuine(target.api));
    await expect401(target, await sign(claims, { key: randomBytes(48) }), 'a wrong key');
    await expect401(target, await sign(claims, { key: new TextEncoder().encode(`${t.services.config.jwtSecret}x`) }), 'a near key');
    for (const alg of ['HS384', 'HS512']) await expect401(target, await sign(claims, { alg }), alg);
  });

  it('refuses expired and not-yet-valid tokens', async () => {
    const claims = claimsOf(genuine(target.api));
    await expect401(target, await sign({ ...claims, iat: now() - 7200, exp: now() - 60 }), 'an expired token');
    await expect401(target, await sign({ ...claims, exp: now() - 1 }), 'a token expired a second ago');
    await expect401(target, await sign({ ...claims, nbf: now() + 3600 }), 'a token valid only from next hour');
  });

  it('refuses a token without exp, whatever else it carries, and one whose credentials version is not a number', async () => {
    const { exp: _exp, ...claims } = claimsOf(genuine(target.api));
    // Signed with the real key: only the missing expiry stands between it and the data.
    const res = await callWith(target, `Bearer ${await sign({ ...claims, exp: now() + 3600 })}`);
    expect(res.statusCode, res.body).toBe(200);
    await expect401(target, await sign(claims), 'a token without exp');
    await expect401(target, await sign({ ...claims, iat: now() }), 'a token without exp, with iat');
    await expect401(target, await sign({ ...claims, exp: now() + 3600, cv: '0' }), 'cv as a string');
    await expect401(target, await sign({ ...claims, exp: now() + 3600, cv: 1 }), 'a credentials version the user does not have');
  });

  it('refuses a tampered payload that keeps the original signature', async () => {
    const g = genuine(target.api);
    await expect401(
      target,
      tamper(g, (p) => ({ ...p, sub: other.userId })),
      'sub changed to another user',
    );
    await expect401(
      target,
      tamper(g, (p) => ({ ...p, org: other.orgId })),
      'org changed',
    );
    await expect401(
      target,
      tamper(g, (p) => ({ ...p, exp: now() + 10 * 365 * 86_400 })),
      'exp extended',
    );
    await expect401(
      target,
      tamper(g, (p) => ({ ...p, aud: 'delivr:data-api' === p.aud ? 'delivr:platform-api' : 'delivr:data-api' })),
      'aud swapped',
    );
  });

  it('refuses an unknown or missing kid, even with the real key', async () => {
    const claims = claimsOf(genuine(target.api));
    await expect401(target, await sign(claims, { kid: `${kid}-old` }), 'an unknown kid');
    await expect401(target, await sign(claims, { kid: null }), 'no kid');
    await expect401(target, await sign(claims, { kid: '__proto__' }), 'kid __proto__');
  });

  it('refuses valid signatures with the wrong audience, issuer or subject', async () => {
    const claims = claimsOf(genuine(target.api));
    const forged: [string, JWTPayload][] = [
      ['another audience', { ...claims, aud: 'delivr:admin' }],
      ['no audience', { ...claims, aud: undefined }],
      ['another issuer', { ...claims, iss: 'someone-else' }],
      ['no issuer', { ...claims, iss: undefined }],
      ['no subject', { ...claims, sub: undefined }],
      ['an unknown user', { ...claims, sub: randomUUID() }],
      ['an empty subject', { ...claims, sub: '' }],
    ];
    for (const [label, payload] of forged) await expect401(target, await sign(payload), label);
  });

  it('refuses the other API’s token', async () => {
    const wrong = genuine(target.api === 'data' ? 'platform' : 'data');
    await expect401(target, wrong, `a ${target.api === 'data' ? 'platform' : 'data'} token`);
  });

  it('refuses garbage and huge tokens', async () => {
    const junk = [
      'abc',
      'a.b.c',
      '..',
      'eyJ',
      'eyJhbGciOiJIUzI1NiJ9',
      'eyJhbGciOiJIUzI1NiJ9.eyJ9.',
      `${dataJwt.split('.').slice(0, 2).join('.')}`,
      `${genuine(target.api)}.extra`,
      `${genuine(target.api)}x`,
      randomBytes(200).toString('base64url'),
      '%00%00',
      'null',
      '{"alg":"none"}',
      'x'.repeat(100_000),
      `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${'A'.repeat(200_000)}.${'B'.repeat(43)}`,
    ];
    for (const tok of junk) await expect401(target, tok, `junk ${tok.slice(0, 30)}`);
    for (const header of ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Token ${genuine(target.api)}`, genuine(target.api)]) {
      const res = await callWith(target, header);
      expect(res.statusCode, `Authorization: ${header.slice(0, 30)}`).toBe(401);
      expect(typeof json(res).error).toBe('string');
    }
  });
});

describe('Partner API', () => {
  it('refuses a dlvr_ API key as Bearer', async () => {
    for (const target of TARGETS.filter((x) => x.api === 'platform')) {
      await expect401(target, apiKey, 'an API key');
      await expect401(target, 'dlvr_0000000000000000', 'an unknown API key');
    }
  });
});

describe('data API', () => {
  it("refuses a genuine token for an organization its user does not belong to (the org claim is the server's)", async () => {
    const forged = await sign({ ...claimsOf(dataJwt), sub: other.userId, org: owner.orgId });
    for (const target of TARGETS.filter((x) => x.api === 'data')) await expect401(target, forged, "another user's token naming this org");
  });

  it('refuses the token of a user removed from the organization', async () => {
    const gone = await addMember(t, owner, 'admin');
    const token = await dataToken(t, gone);
    const targets = TARGETS.filter((x) => x.api === 'data');
    for (const target of targets) expect((await callWith(target, `Bearer ${token}`)).statusCode).toBe(200);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/dashboard/api/orgs/${owner.orgId}/members/${gone.userId}`,
      headers: dash(owner.session),
    });
    expect(removed.statusCode, removed.body).toBe(200);
    for (const target of targets) await expect401(target, token, 'a removed member’s token');
  });
});
