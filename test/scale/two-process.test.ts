// Two real server processes on one PostgreSQL + ClickHouse (+ Redis) stack, as behind a load
// balancer: a key revoked or a member removed through one is refused by the other within a second,
// rate limits are shared, and events sent to either are queryable from both. Runs when
// TEST_DATABASE_URL and CLICKHOUSE_URL are set (CI); otherwise says what it skipped.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call as httpCall, onboardOwner } from '../support/http-tenant.js';
import { latestToken } from '../support/mail.js';
import { buildOnce, type ServerProcess, startServer } from '../support/server-process.js';

const pgUrl = process.env.TEST_DATABASE_URL;
const chUrl = process.env.CLICKHOUSE_URL;
const redisUrl = process.env.REDIS_URL;
if (!pgUrl || !chUrl) console.log('two-process: TEST_DATABASE_URL and CLICKHOUSE_URL are needed; skipping the scale-out test');

const ADMIN = 'two-process-admin-token';

describe.skipIf(!pgUrl || !chUrl)('two processes on PostgreSQL + ClickHouse', () => {
  const dbName = `delivr_mp_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const dirs: string[] = [];
  let p1: ServerProcess;
  let p2: ServerProcess;
  let orgId = '';
  let firstSignups: number[] = [];
  let organizationsAfterSignups = -1;
  let cookie = '';
  let csrf = '';

  const call = (p: ServerProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    httpCall(p.url, method, path, body, headers);
  const dash = () => ({ cookie, 'x-csrf-token': csrf });

  beforeAll(async () => {
    buildOnce();
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(pgUrl as string);
    url.pathname = `/${dbName}`;
    const chBase = new URL(chUrl as string);
    chBase.pathname = `/${dbName}`;
    const shared = {
      DATABASE_URL: url.toString(),
      CLICKHOUSE_URL: chBase.toString(),
      JWT_SECRET: `two-process-secret-${randomUUID()}`,
      ADMIN_TOKEN: ADMIN,
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '40',
      // Every request here comes from 127.0.0.1 and Redis outlives the run: budgets per client address
      // would carry over from earlier runs, so they are opened wide (the per-address ones are tested).
      LIMIT_SIGNUP_PER_SOURCE: '1000000/second',
      LIMIT_RESET_MAIL_PER_SOURCE: '1000000/second',
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    const d1 = mkdtempSync(join(tmpdir(), 'delivr-p1-'));
    const d2 = mkdtempSync(join(tmpdir(), 'delivr-p2-'));
    dirs.push(d1, d2);
    // Started together: both run the migrations at once against the empty database.
    [p1, p2] = await Promise.all([startServer({ ...shared, DATA_DIR: d1 }), startServer({ ...shared, DATA_DIR: d2 })]);
    // A fresh install lets its first person register: six attempts through both processes at once.
    const signups = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(i % 2 ? p2 : p1, 'POST', '/auth/v1/register', {
          email: `first-${i}-${randomUUID().slice(0, 6)}@example.com`,
          password: 'Password123!',
          first_name: 'Sam',
          last_name: 'Signup',
          organization_name: `Race ${i}`,
        }),
      ),
    );
    firstSignups = signups.map((r) => r.status).sort();
    const counted = new pg.Client({ connectionString: url.toString() });
    await counted.connect();
    organizationsAfterSignups = Number((await counted.query('SELECT count(*) AS n FROM organizations')).rows[0].n);
    await counted.end();
    const owner = await onboardOwner({ operatorBase: p1.url, acceptBase: p2.url, outboxDir: d1, adminToken: ADMIN });
    orgId = owner.orgId;
    cookie = owner.session.cookie;
    csrf = owner.session['x-csrf-token'];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([p1?.stop(), p2?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    await fetch(`${new URL(chUrl as string).origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${dbName}`)}`, { method: 'POST' });
  });

  it('first sign-ups racing through both processes on a fresh install make exactly one first user', () => {
    expect(firstSignups).toEqual([201, 403, 403, 403, 403, 403]);
    expect(organizationsAfterSignups).toBe(1);
  });

  it('a session made on one process works on the other', async () => {
    const me = await call(p1, 'GET', '/dashboard/api/session', undefined, dash());
    expect(me.status).toBe(200);
  });

  it('a key revoked through process 1 is refused by process 2 within one second', async () => {
    const made = await call(p1, 'POST', `/dashboard/api/orgs/${orgId}/api-keys`, { name: 'fleet' }, dash());
    const h = { 'x-api-key': made.body.api_key as string, 'x-api-secret': made.body.api_secret as string };
    expect((await call(p2, 'GET', '/api/v2/events_schema?source=pixel', undefined, h)).status).toBe(200);
    const keyId = (made.body.key as { key_id: string }).key_id;
    expect((await call(p1, 'POST', `/dashboard/api/orgs/${orgId}/api-keys/${keyId}/revoke`, {}, dash())).status).toBe(200);
    const revokedAt = Date.now();
    let refused: { status: number; body: Record<string, unknown> };
    // Polled every 50 ms: each try spends the organization's small data-API budget (burst 40, shared
    // with the tests after this one), and process 2 may answer from its key cache for up to 500 ms.
    for (;;) {
      refused = await call(p2, 'GET', '/api/v2/events_schema?source=pixel', undefined, h);
      if (refused.status === 401 || Date.now() - revokedAt >= 1000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'Invalid API key' });
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('a member removed through process 2 loses their session and token on process 1 at once', async () => {
    const email = `member-${randomUUID().slice(0, 8)}@example.com`;
    await call(p1, 'POST', `/dashboard/api/orgs/${orgId}/invites`, { email, role: 'member' }, dash());
    const token = await latestToken(dirs[0] as string, email, 'invite');
    const accepted = await fetch(`${p1.url}/dashboard/api/invites/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, first_name: 'Mo', last_name: 'Member', password: 'member password 1' }),
    });
    const memberCookie = (accepted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const memberId = ((await accepted.json()) as { user: { user_id: string } }).user.user_id;
    const jwt = (await call(p1, 'POST', '/auth/v1/login', { email, password: 'member password 1' })).body.token as string;
    expect((await call(p1, 'GET', `/dashboard/api/orgs/${orgId}/projects`, undefined, { cookie: memberCookie })).status).toBe(200);
    const schema = '/api/v2/events_schema?source=pixel';
    expect((await call(p1, 'GET', schema, undefined, { authorization: `Bearer ${jwt}` })).status).toBe(200);
    expect((await call(p2, 'DELETE', `/dashboard/api/orgs/${orgId}/members/${memberId}`, undefined, dash())).status).toBe(200);
    expect((await call(p1, 'GET', `/dashboard/api/orgs/${orgId}/projects`, undefined, { cookie: memberCookie })).status).toBe(404);
    expect((await call(p1, 'GET', schema, undefined, { authorization: `Bearer ${jwt}` })).status).toBe(401);
  });

  it("a password reset through process 2 ends the person's session and JWTs on process 1 at once", async () => {
    const email = `reset-${randomUUID().slice(0, 8)}@example.com`;
    await call(p1, 'POST', `/dashboard/api/orgs/${orgId}/invites`, { email, role: 'admin' }, dash());
    const invite = await latestToken(dirs[0] as string, email, 'invite');
    const accepted = await fetch(`${p1.url}/dashboard/api/invites/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: invite, first_name: 'Re', last_name: 'Set', password: 'old password 1' }),
    });
    const sessionCookie = (accepted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const dataJwt = (await call(p1, 'POST', '/auth/v1/login', { email, password: 'old password 1' })).body.token as string;
    const platformJwt = (
      (await call(p1, 'POST', '/public/core/auth/issue', { email, password: 'old password 1' })).body.response as { token: string }
    ).token;
    const checks = async () => [
      (await call(p1, 'GET', '/dashboard/api/session', undefined, { cookie: sessionCookie })).status,
      (await call(p1, 'GET', '/api/v2/events_schema?source=pixel', undefined, { authorization: `Bearer ${dataJwt}` })).status,
      (await call(p1, 'GET', '/public/core/api/organization/get', undefined, { authorization: `Bearer ${platformJwt}` })).status,
    ];
    expect(await checks()).toEqual([200, 200, 200]);
    expect((await call(p2, 'POST', '/dashboard/api/password/forgot', { email })).status).toBe(202);
    const reset = await latestToken(dirs[1] as string, email, 'reset-password');
    expect((await call(p2, 'POST', '/dashboard/api/password/reset', { token: reset, password: 'new password 1' })).status).toBe(200);
    expect(await checks()).toEqual([401, 401, 401]);
    expect((await call(p1, 'POST', '/auth/v1/login', { email, password: 'new password 1' })).status).toBe(200);
  });

  it.skipIf(!redisUrl)('the sign-in throttle and the reset-mail budget hold across processes (Redis)', async () => {
    const email = `guess-${randomUUID().slice(0, 8)}@example.com`;
    // Unknown emails are counted like known ones: five free failures for this email and address, split over both processes.
    for (let i = 0; i < 5; i++)
      expect((await call(i % 2 ? p1 : p2, 'POST', '/auth/v1/login', { email, password: 'guess' })).status).toBe(404);
    const delayed = await call(p1, 'POST', '/auth/v1/login', { email, password: 'guess' });
    expect(delayed.status).toBe(429);
    expect(delayed.headers.get('retry-after')).toBe('1');
    const asked = [];
    for (const p of [p1, p2, p1, p2]) asked.push((await call(p, 'POST', '/dashboard/api/password/forgot', { email })).status);
    expect(asked).toEqual([202, 202, 202, 429]);
  });

  it('events sent to both processes are queryable from either', async () => {
    const project = await call(p1, 'POST', `/dashboard/api/orgs/${orgId}/projects`, { name: 'site' }, dash());
    const projectId = (project.body.project as { project_id: string }).project_id;
    const pixel = await call(p2, 'POST', `/dashboard/api/orgs/${orgId}/projects/${projectId}/pixels`, { title: 'www' }, dash());
    const pixelId = (pixel.body.pixel as { pixel_id: string }).pixel_id;
    const key = await call(p2, 'POST', `/dashboard/api/orgs/${orgId}/api-keys`, { name: 'reader' }, dash());
    const h = { 'x-api-key': key.body.api_key as string, 'x-api-secret': key.body.api_secret as string };
    const ids: string[] = [];
    for (const [i, p] of [p1, p2, p1, p2].entries()) {
      const r = await call(
        p,
        'POST',
        '/pixel/core/api/send-event',
        {
          event_type: 'page_view',
          event_data: { url: `https://fleet.example/${i}` },
          event_url: `https://fleet.example/${i}`,
          pixel_id: pixelId,
          organization_id: orgId,
          visitor_id: 'fleet-visitor',
        },
        { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36' },
      );
      expect(r.status).toBe(200);
      ids.push(...(r.body.event_ids as string[]));
    }
    const q = `/api/v2/events?source=pixel&pixel_id=${pixelId}&start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}`;
    for (const p of [p1, p2]) {
      const res = await call(p, 'GET', q, undefined, h);
      expect(res.status).toBe(200);
      expect((res.body.events as { event_id: string }[]).map((e) => e.event_id).sort()).toEqual([...ids].sort());
    }
  });

  it.skipIf(!redisUrl)('rate limits are shared across processes (Redis)', async () => {
    const key = await call(p1, 'POST', `/dashboard/api/orgs/${orgId}/api-keys`, { name: 'burst' }, dash());
    const h = { 'x-api-key': key.body.api_key as string, 'x-api-secret': key.body.api_secret as string };
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call(i % 2 ? p1 : p2, 'GET', '/api/v2/events_schema?source=pixel', undefined, h)),
    );
    const ok = results.filter((r) => r.status === 200).length;
    // Burst 40 for the organization across both processes (earlier tests spent a few tokens).
    expect(ok).toBeLessThanOrEqual(41);
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(19);
    const limited = results.find((r) => r.status === 429);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
