// Accounts end to end through the real app: the operator creates an organization, the invited owner
// accepts from the emailed link, members are invited and managed, people sign up (when allowed), log
// in (with throttling), hold dashboard sessions (cookie + CSRF) and reset passwords. Time-dependent
// rules (invite, session and reset expiry, throttle windows) run on an app whose clock the test moves.
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
import { outbox } from '../support/mail.js';
import {
  addMember,
  createKey,
  dash,
  dataToken,
  json,
  newTenant,
  platformToken,
  type Session,
  sessionFrom,
  type Tenant,
} from '../support/tenant.js';

interface ClockApp extends TestApp {
  /** Moves the app's clock forward; it keeps running from there. */
  advance(ms: number): void;
}

/**
 * makeTestApp with a clock the test can move forward: createServices' `now` drives every expiry and
 * window. It keeps running in real time too, so rows made one after another keep their order.
 */
async function makeClockApp(env: Record<string, string> = {}): Promise<ClockApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'delivr-accounts-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test', ADMIN_TOKEN, LOG_LEVEL: 'info', ...env });
  let offset = 0;
  const services = await createServices(config, createLogger(config.logLevel, sink), { now: () => Date.now() + offset });
  const app = await buildApp(services);
  await app.ready();
  return {
    app,
    services,
    dataDir,
    logs,
    advance: (ms) => {
      offset += ms;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const HOUR = 3_600_000;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const newEmail = (prefix = 'person'): string => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

/** Every token of one kind emailed to `email`, oldest first. */
async function tokensFor(dataDir: string, email: string, kind: 'invite' | 'reset-password'): Promise<string[]> {
  const re = new RegExp(`http://delivr\\.test/${kind}/([A-Za-z0-9_-]+)`);
  return (await outbox(dataDir))
    .filter((m) => m.to.toLowerCase().includes(email.toLowerCase()))
    .map((m) => re.exec(m.text)?.[1])
    .filter((tok): tok is string => tok !== undefined);
}

/** The one token emailed since `seen` was taken. */
async function newToken(dataDir: string, email: string, kind: 'invite' | 'reset-password', seen: string[] = []): Promise<string> {
  const fresh = (await tokensFor(dataDir, email, kind)).filter((tok) => !seen.includes(tok));
  if (fresh.length !== 1) throw new Error(`expected one new ${kind} email to ${email}, found ${fresh.length}`);
  return fresh[0] as string;
}

const cookieLine = (res: LightMyRequestResponse): string => {
  const raw = res.headers['set-cookie'];
  const line = (Array.isArray(raw) ? raw : [raw ?? '']).find((c) => c.startsWith('dlvr_session='));
  if (!line) throw new Error(`no session cookie: ${res.statusCode} ${res.body}`);
  return line;
};

function bodyOf(res: LightMyRequestResponse): [number, unknown] {
  return [res.statusCode, JSON.parse(res.body)];
}

let t: ClockApp;
beforeAll(async () => {
  t = await makeClockApp();
});
afterAll(async () => t?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}, app: TestApp = t) =>
  app.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });
const get = (url: string, headers: Record<string, string> = {}, app: TestApp = t) => app.app.inject({ method: 'GET', url, headers });

async function createOrg(name: string, ownerEmail: string, app: TestApp = t) {
  const res = await post('/admin/v1/organizations', { name, owner_email: ownerEmail }, admin, app);
  expect(res.statusCode, res.body).toBe(201);
  return json<{ organization: { organization_id: string; name: string }; invite: { invite_id: string; email: string; role: string } }>(res);
}

const accept = (token: string, body: Record<string, string> = { first_name: 'Ann', last_name: 'Lee', password: 'correct horse' }) =>
  post('/dashboard/api/invites/accept', { token, ...body });

describe('operator API', () => {
  it('creates an organization and emails its first owner an invitation with a working link', async () => {
    const email = newEmail('owner');
    const before = Date.now();
    const res = await post('/admin/v1/organizations', { name: 'Acme Widgets', owner_email: `  ${email.toUpperCase()} ` }, admin);
    expect(res.statusCode, res.body).toBe(201);
    const body = json<{ organization: Record<string, string>; invite: Record<string, string> }>(res);
    expect(body.organization).toEqual({
      organization_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Acme Widgets',
      status: 'active',
      created_at: expect.any(String),
    });
    expect(body.invite).toMatchObject({ email, role: 'owner' });
    const expires = Date.parse(body.invite.expires_at as string);
    expect(expires - before).toBeGreaterThanOrEqual(7 * 24 * HOUR - 60_000);

    const mails = (await outbox(t.dataDir)).filter((m) => m.to.includes(email));
    expect(mails).toHaveLength(1);
    const mail = mails[0] as { to: string; subject: string; text: string };
    expect(mail.subject).toBe('Join Acme Widgets on Delivr');
    expect(mail.text).toContain('You have been invited to join Acme Widgets on Delivr.');
    expect(mail.text).toMatch(/http:\/\/delivr\.test\/invite\/[A-Za-z0-9_-]{43}\n/);

    const token = await newToken(t.dataDir, email, 'invite');
    const preview = await post('/dashboard/api/invites/preview', { token });
    expect(bodyOf(preview)).toEqual([
      200,
      { organization_id: body.organization.organization_id, organization_name: 'Acme Widgets', email, role: 'owner', existing_user: false },
    ]);
    const listed = json<{ organizations: { organization_id: string }[]; total: number }>(await get('/admin/v1/organizations', admin));
    expect(listed.organizations.map((o) => o.organization_id)).toContain(body.organization.organization_id);
    expect(listed.total).toBe(listed.organizations.length);
  });

  it('answers 401 without the admin token or with a wrong one, and creates nothing', async () => {
    const name = `Nope ${randomUUID()}`;
    const expected = { error: 'A valid admin token is required.', code: 'admin_token_required' };
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: ADMIN_TOKEN }];
    for (const headers of attempts) {
      expect(bodyOf(await post('/admin/v1/organizations', { name, owner_email: newEmail() }, headers))).toEqual([401, expected]);
      expect(bodyOf(await get('/admin/v1/organizations', headers))).toEqual([401, expected]);
      // The token is checked before the body: an invalid body without it reveals nothing either.
      expect(bodyOf(await post('/admin/v1/organizations', { bogus: true }, headers))).toEqual([401, expected]);
    }
    const listed = json<{ organizations: { name: string }[] }>(await get('/admin/v1/organizations', admin));
    expect(listed.organizations.map((o) => o.name)).not.toContain(name);
  });

  it('is absent (404) when ADMIN_TOKEN is not set, whatever token is sent', async () => {
    const off = await makeTestApp({ ADMIN_TOKEN: '' });
    try {
      const expected = { error: 'Not found.', code: 'admin_disabled' };
      const attempts: Record<string, string>[] = [{}, admin];
      for (const headers of attempts) {
        expect(bodyOf(await post('/admin/v1/organizations', { name: 'x', owner_email: newEmail() }, headers, off))).toEqual([
          404,
          expected,
        ]);
        expect(bodyOf(await get('/admin/v1/organizations', headers, off))).toEqual([404, expected]);
        const resend = await post(`/admin/v1/organizations/${randomUUID()}/invites/resend`, { email: newEmail() }, headers, off);
        expect(bodyOf(resend)).toEqual([404, expected]);
        expect(bodyOf(await post('/admin/v1/organizations', { bogus: true }, headers, off))).toEqual([404, expected]);
      }
      expect(await outbox(off.dataDir)).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it('refuses an invalid owner email or empty name with 400', async () => {
    const bad = await post('/admin/v1/organizations', { name: 'Acme', owner_email: 'not-an-email' }, admin);
    expect(bodyOf(bad)).toEqual([
      400,
      { error: 'Invalid parameters.', code: 'invalid_parameters', details: 'email is not a valid email address' },
    ]);
    const blank = await post('/admin/v1/organizations', { name: '   ', owner_email: newEmail() }, admin);
    expect(blank.statusCode).toBe(400);
  });

  it('re-sends an invitation with a fresh link; the old link stops working', async () => {
    const email = newEmail('owner');
    const { organization } = await createOrg('Resend Inc', email);
    const first = await newToken(t.dataDir, email, 'invite');
    const res = await post(`/admin/v1/organizations/${organization.organization_id}/invites/resend`, { email }, admin);
    expect(res.statusCode, res.body).toBe(200);
    const second = await newToken(t.dataDir, email, 'invite', [first]);
    expect((await post('/dashboard/api/invites/preview', { token: first })).statusCode).toBe(404);
    expect((await accept(first)).statusCode).toBe(404);
    expect((await accept(second)).statusCode).toBe(200);
    const again = await post(`/admin/v1/organizations/${organization.organization_id}/invites/resend`, { email }, admin);
    expect(bodyOf(again)).toEqual([404, { error: 'Invitation not found or expired.', code: 'invite_not_found' }]);
    const unknownOrg = await post(`/admin/v1/organizations/${randomUUID()}/invites/resend`, { email }, admin);
    expect(bodyOf(unknownOrg)).toEqual([404, { error: 'Organization not found.', code: 'organization_not_found' }]);
  });
});

describe('accepting an invitation', () => {
  const notFound = { error: 'Invitation not found or expired.', code: 'invite_not_found' };

  it('a new person sets name and password, is signed in as owner, and can log in with the password', async () => {
    const email = newEmail('owner');
    const { organization } = await createOrg('Fresh Co', email);
    const token = await newToken(t.dataDir, email, 'invite');
    const res = await accept(token, { first_name: ' Ann ', last_name: ' Lee ', password: 'exactly8' });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<Record<string, unknown>>(res);
    expect(body).toEqual({
      user: { user_id: expect.any(String), email, first_name: 'Ann', last_name: 'Lee' },
      organizations: [{ organization_id: organization.organization_id, name: 'Fresh Co', role: 'owner' }],
      csrf_token: expect.any(String),
      organization_id: organization.organization_id,
    });
    const session = sessionFrom(res);
    expect(json(await get('/dashboard/api/session', { cookie: session.cookie }))).toMatchObject({ user: { email } });
    const login = await post('/auth/v1/login', { email, password: 'exactly8' });
    expect(bodyOf(login)).toEqual([
      200,
      { user_id: (body.user as { user_id: string }).user_id, organization_id: organization.organization_id, token: expect.any(String) },
    ]);
  });

  it('enforces the password rules and names, and a refused attempt leaves the link usable', async () => {
    const email = newEmail('owner');
    await createOrg('Rules Co', email);
    const token = await newToken(t.dataDir, email, 'invite');
    const short = await accept(token, { first_name: 'A', last_name: 'B', password: 'seven77' });
    expect(bodyOf(short)).toEqual([
      400,
      { error: 'Invalid parameters.', code: 'invalid_parameters', details: 'password must be 8 to 256 characters' },
    ]);
    expect((await accept(token, { first_name: 'A', last_name: 'B', password: 'x'.repeat(257) })).statusCode).toBe(400);
    const noNames = await accept(token, { password: 'long enough' });
    expect(bodyOf(noNames)).toEqual([
      400,
      { error: 'Invalid parameters.', code: 'invalid_parameters', details: 'first_name and last_name are required' },
    ]);
    expect((await accept(token, { first_name: '  ', last_name: 'B', password: 'long enough' })).statusCode).toBe(400);
    expect((await accept(token, { first_name: 'A', last_name: 'B', password: 'x'.repeat(256) })).statusCode).toBe(200);
  });

  it('a used link answers 404, for preview and accept alike', async () => {
    const email = newEmail('owner');
    await createOrg('Used Co', email);
    const token = await newToken(t.dataDir, email, 'invite');
    expect((await accept(token)).statusCode).toBe(200);
    expect(bodyOf(await accept(token))).toEqual([404, notFound]);
    expect(bodyOf(await post('/dashboard/api/invites/preview', { token }))).toEqual([404, notFound]);
    expect(bodyOf(await accept('no-such-token'))).toEqual([404, notFound]);
  });

  it('an expired link answers 404; a re-sent one works again', async () => {
    const email = newEmail('owner');
    const { organization } = await createOrg('Late Co', email);
    const token = await newToken(t.dataDir, email, 'invite');
    t.advance(7 * 24 * HOUR - 10_000);
    expect((await post('/dashboard/api/invites/preview', { token })).statusCode).toBe(200);
    t.advance(10_000);
    expect(bodyOf(await accept(token))).toEqual([404, notFound]);
    expect(bodyOf(await post('/dashboard/api/invites/preview', { token }))).toEqual([404, notFound]);
    await post(`/admin/v1/organizations/${organization.organization_id}/invites/resend`, { email }, admin);
    const fresh = await newToken(t.dataDir, email, 'invite', [token]);
    expect((await accept(fresh)).statusCode).toBe(200);
  });

  it('a cancelled link answers 404', async () => {
    const owner = await newTenant(t);
    const email = newEmail('invitee');
    const inv = await post(`/dashboard/api/orgs/${owner.orgId}/invites`, { email, role: 'member' }, dash(owner.session));
    const inviteId = json<{ invite: { invite_id: string } }>(inv).invite.invite_id;
    const token = await newToken(t.dataDir, email, 'invite');
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/dashboard/api/orgs/${owner.orgId}/invites/${inviteId}`,
      headers: dash(owner.session),
    });
    expect(bodyOf(del)).toEqual([200, { ok: true }]);
    expect(bodyOf(await accept(token))).toEqual([404, notFound]);
  });

  it('two accepts of one link racing: exactly one succeeds', async () => {
    const email = newEmail('owner');
    await createOrg('Race Co', email);
    const token = await newToken(t.dataDir, email, 'invite');
    const results = await Promise.all([accept(token), accept(token), accept(token)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 404, 404]);
  });

  it('someone who already has an account joins a second organization with their current password', async () => {
    const first = await newTenant(t);
    const other = await newTenant(t);
    const seen = await tokensFor(t.dataDir, first.email, 'invite');
    const inv = await post(
      `/dashboard/api/orgs/${other.orgId}/invites`,
      { email: first.email.toUpperCase(), role: 'admin' },
      dash(other.session),
    );
    expect(inv.statusCode, inv.body).toBe(201);
    const token = await newToken(t.dataDir, first.email, 'invite', seen);
    const preview = json<{ existing_user: boolean; email: string }>(await post('/dashboard/api/invites/preview', { token }));
    expect(preview).toMatchObject({ existing_user: true, email: first.email });

    const wrong = await accept(token, { password: 'not their password' });
    expect(bodyOf(wrong)).toEqual([401, { error: 'Invalid credentials.', code: 'invalid_credentials' }]);
    const ok = await accept(token, { first_name: 'Ignored', last_name: 'Ignored', password: first.password });
    expect(ok.statusCode, ok.body).toBe(200);
    const body = json<{ user: { user_id: string; first_name: string }; organizations: { organization_id: string; role: string }[] }>(ok);
    expect(body.user).toMatchObject({ user_id: first.userId, first_name: 'Ann' });
    expect(body.organizations.map((o) => [o.organization_id, o.role])).toEqual([
      [first.orgId, 'owner'],
      [other.orgId, 'admin'],
    ]);
    expect((await post('/auth/v1/login', { email: first.email, password: first.password })).statusCode).toBe(200);
  });
});

describe('members', () => {
  const members = (tenant: Tenant, session: Session = tenant.session) =>
    get(`/dashboard/api/orgs/${tenant.orgId}/members`, { cookie: session.cookie });
  const invite = (tenant: Tenant, email: string, role: string, session: Session = tenant.session) =>
    post(`/dashboard/api/orgs/${tenant.orgId}/invites`, { email, role }, dash(session));
  const patch = (tenant: Tenant, userId: string, role: string, session: Session = tenant.session) =>
    t.app.inject({
      method: 'PATCH',
      url: `/dashboard/api/orgs/${tenant.orgId}/members/${userId}`,
      payload: { role },
      headers: dash(session),
    });
  const remove = (tenant: Tenant, userId: string, session: Session = tenant.session) =>
    t.app.inject({ method: 'DELETE', url: `/dashboard/api/orgs/${tenant.orgId}/members/${userId}`, headers: dash(session) });

  it('lists members and, for those who may invite, the pending invitations', async () => {
    const owner = await newTenant(t);
    const m = await addMember(t, owner, 'member');
    const pending = newEmail('pending');
    expect((await invite(owner, pending, 'admin')).statusCode).toBe(201);
    const seenByOwner = json<{
      your_role: string;
      members: { user_id: string; role: string }[];
      invites: { email: string; role: string }[];
    }>(await members(owner));
    expect(seenByOwner.your_role).toBe('owner');
    expect(seenByOwner.members.map((x) => [x.user_id, x.role])).toEqual([
      [owner.userId, 'owner'],
      [m.userId, 'member'],
    ]);
    expect(seenByOwner.invites).toEqual([expect.objectContaining({ email: pending, role: 'admin' })]);
    const seenByMember = json<{ your_role: string; members: unknown[]; invites: unknown[] }>(await members(owner, m.session));
    expect(seenByMember).toMatchObject({ your_role: 'member', invites: [] });
    expect(seenByMember.members).toHaveLength(2);
  });

  it("a member's invitation email names the inviter; the invitee joins with the invited role", async () => {
    const owner = await newTenant(t, { name: 'Named Org' });
    const email = newEmail('teammate');
    const res = await invite(owner, email, 'admin');
    expect(bodyOf(res)).toEqual([
      201,
      { invite: { invite_id: expect.any(String), email, role: 'admin', created_at: expect.any(String), expires_at: expect.any(String) } },
    ]);
    const mail = (await outbox(t.dataDir)).find((x) => x.to.includes(email));
    expect(mail?.subject).toBe('Join Named Org on Delivr');
    expect(mail?.text).toMatch(/^Ann Owner \w+ has invited you to join Named Org on Delivr\./);
    const joined = await accept(await newToken(t.dataDir, email, 'invite'));
    expect(json<{ organizations: { role: string }[] }>(joined).organizations).toEqual([expect.objectContaining({ role: 'admin' })]);
  });

  it('re-sending gives a fresh link and kills the old one; cancelling kills the link and the listing', async () => {
    const owner = await newTenant(t);
    const email = newEmail('resend');
    const inviteId = json<{ invite: { invite_id: string } }>(await invite(owner, email, 'member')).invite.invite_id;
    const first = await newToken(t.dataDir, email, 'invite');
    const resent = await post(`/dashboard/api/orgs/${owner.orgId}/invites/${inviteId}/resend`, {}, dash(owner.session));
    expect(resent.statusCode, resent.body).toBe(200);
    expect(json<{ invite: { invite_id: string } }>(resent).invite.invite_id).toBe(inviteId);
    const second = await newToken(t.dataDir, email, 'invite', [first]);
    expect((await post('/dashboard/api/invites/preview', { token: first })).statusCode).toBe(404);
    expect((await post('/dashboard/api/invites/preview', { token: second })).statusCode).toBe(200);

    const cancel = () =>
      t.app.inject({ method: 'DELETE', url: `/dashboard/api/orgs/${owner.orgId}/invites/${inviteId}`, headers: dash(owner.session) });
    expect((await cancel()).statusCode).toBe(200);
    expect((await cancel()).statusCode).toBe(404);
    expect((await post('/dashboard/api/invites/preview', { token: second })).statusCode).toBe(404);
    expect(json<{ invites: unknown[] }>(await members(owner)).invites).toEqual([]);
    const resendCancelled = await post(`/dashboard/api/orgs/${owner.orgId}/invites/${inviteId}/resend`, {}, dash(owner.session));
    expect(resendCancelled.statusCode).toBe(404);
  });

  it('permissions: members cannot invite, admins cannot invite owners or change roles, only owners manage', async () => {
    const owner = await newTenant(t);
    const adminMember = await addMember(t, owner, 'admin');
    const plain = await addMember(t, owner, 'member');
    const forbidden = { error: 'Forbidden.', code: 'forbidden' };
    expect(bodyOf(await invite(owner, newEmail(), 'member', plain.session))).toEqual([403, forbidden]);
    expect(bodyOf(await invite(owner, newEmail(), 'owner', adminMember.session))).toEqual([
      403,
      { ...forbidden, details: 'only owners can invite owners' },
    ]);
    expect((await invite(owner, newEmail(), 'member', adminMember.session)).statusCode).toBe(201);
    expect(bodyOf(await patch(owner, plain.userId, 'admin', adminMember.session))).toEqual([403, forbidden]);
    expect(bodyOf(await remove(owner, plain.userId, adminMember.session))).toEqual([403, forbidden]);
    expect(bodyOf(await remove(owner, adminMember.userId, plain.session))).toEqual([403, forbidden]);
  });

  it('owners change roles and remove members; a removed member loses access; anyone may leave', async () => {
    const owner = await newTenant(t);
    const a = await addMember(t, owner, 'member');
    const b = await addMember(t, owner, 'member');
    expect(bodyOf(await patch(owner, a.userId, 'admin'))).toEqual([200, { ok: true }]);
    expect(json<{ your_role: string }>(await members(owner, a.session)).your_role).toBe('admin');
    expect(bodyOf(await remove(owner, a.userId))).toEqual([200, { ok: true }]);
    expect(bodyOf(await members(owner, a.session))).toEqual([404, { error: 'Organization not found.', code: 'organization_not_found' }]);
    expect(bodyOf(await remove(owner, b.userId, b.session))).toEqual([200, { ok: true }]);
    expect(json<{ members: { user_id: string }[] }>(await members(owner)).members.map((m) => m.user_id)).toEqual([owner.userId]);
    expect(bodyOf(await patch(owner, randomUUID(), 'admin'))).toEqual([404, { error: 'Member not found.', code: 'member_not_found' }]);
    expect((await remove(owner, a.userId)).statusCode).toBe(404);
  });

  it('keeps at least one owner: the last owner can neither step down nor leave', async () => {
    const owner = await newTenant(t);
    const lastOwner = { error: 'An organization must keep at least one owner.', code: 'last_owner' };
    expect(bodyOf(await patch(owner, owner.userId, 'admin'))).toEqual([409, lastOwner]);
    expect(bodyOf(await remove(owner, owner.userId))).toEqual([409, lastOwner]);
    const second = await addMember(t, owner, 'owner');
    expect((await patch(owner, owner.userId, 'member')).statusCode).toBe(200);
    expect(bodyOf(await remove(owner, second.userId, second.session))).toEqual([409, lastOwner]);
    expect(bodyOf(await patch(owner, second.userId, 'admin', second.session))).toEqual([409, lastOwner]);
    expect((await patch(owner, owner.userId, 'owner', second.session)).statusCode).toBe(200);
    expect((await remove(owner, second.userId, second.session)).statusCode).toBe(200);
  });

  it('refuses to invite an existing member (409) or an invalid email (400)', async () => {
    const owner = await newTenant(t);
    const m = await addMember(t, owner, 'member');
    expect(bodyOf(await invite(owner, ` ${m.email.toUpperCase()}`, 'member'))).toEqual([
      409,
      { error: 'This user is already a member of the organization.', code: 'already_member' },
    ]);
    expect((await invite(owner, 'nobody@', 'member')).statusCode).toBe(400);
    expect((await invite(owner, newEmail(), 'superuser')).statusCode).toBe(400);
  });

  it("another organization's members, invites and roles answer 404, never 403", async () => {
    const mine = await newTenant(t);
    const theirs = await newTenant(t);
    const notFound = [404, { error: 'Organization not found.', code: 'organization_not_found' }];
    expect(bodyOf(await members(theirs, mine.session))).toEqual(notFound);
    expect(bodyOf(await invite(theirs, newEmail(), 'member', mine.session))).toEqual(notFound);
    expect(bodyOf(await patch(theirs, theirs.userId, 'member', mine.session))).toEqual(notFound);
    expect(bodyOf(await remove(theirs, theirs.userId, mine.session))).toEqual(notFound);
  });
});

describe('sign-up mode', () => {
  const register = (app: TestApp, path: string, email: string, password = 'Password123!') =>
    post(path, { email, password, first_name: 'Sam', last_name: 'Signup', organization_name: `Self ${randomUUID().slice(0, 6)}` }, {}, app);
  const closed = {
    error: 'Sign-up is closed. Ask your Delivr contact or an organization owner for an invitation.',
    code: 'signup_closed',
  };

  it('invite mode: on a fresh install the first person may register; after that both paths answer 403', async () => {
    const fresh = await makeTestApp();
    try {
      expect(json(await get('/dashboard/api/signup', {}, fresh))).toEqual({ open: true });
      const email = newEmail('first');
      const res = await register(fresh, '/auth/v1/register', email);
      expect(bodyOf(res)).toEqual([
        201,
        { message: 'Successfully registered.', user_id: expect.any(String), organization_id: expect.any(String) },
      ]);
      const { user_id, organization_id } = json<{ user_id: string; organization_id: string }>(res);
      expect(bodyOf(await post('/auth/v1/login', { email, password: 'Password123!' }, {}, fresh))).toEqual([
        200,
        { user_id, organization_id, token: expect.any(String) },
      ]);
      expect(bodyOf(await register(fresh, '/auth/v1/register', newEmail()))).toEqual([403, closed]);
      expect(bodyOf(await register(fresh, '/data/core/v1/auth/register', newEmail()))).toEqual([403, closed]);
      expect(json(await get('/dashboard/api/signup', {}, fresh))).toEqual({ open: false });
    } finally {
      await fresh.close();
    }
  });

  it('invite mode: once the operator has created an organization, nobody may register', async () => {
    const fresh = await makeTestApp();
    try {
      await createOrg('Operator First', newEmail(), fresh);
      expect(bodyOf(await register(fresh, '/data/core/v1/auth/register', newEmail()))).toEqual([403, closed]);
    } finally {
      await fresh.close();
    }
  });

  it('invite mode: sign-ups racing on a fresh install make exactly one first user', async () => {
    const fresh = await makeTestApp();
    try {
      const results = await Promise.all([0, 1, 2].map(() => register(fresh, '/auth/v1/register', newEmail())));
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 403, 403]);
      expect((await fresh.services.organizations.list()).length).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('open mode: both paths register anyone; a duplicate email is 409; password rules apply', async () => {
    const open = await makeTestApp({ SIGNUP_MODE: 'open' });
    try {
      await createOrg('Existing', newEmail(), open);
      for (const path of ['/auth/v1/register', '/data/core/v1/auth/register']) {
        const email = newEmail('open');
        const res = await register(open, path, email);
        expect(bodyOf(res)).toEqual([
          201,
          { message: 'Successfully registered.', user_id: expect.any(String), organization_id: expect.any(String) },
        ]);
        expect(bodyOf(await register(open, path, ` ${email.toUpperCase()}`))).toEqual([
          409,
          { error: 'A user with this email already exists.', code: 'email_taken' },
        ]);
      }
      expect((await register(open, '/auth/v1/register', newEmail(), 'short')).statusCode).toBe(400);
      expect((await register(open, '/auth/v1/register', 'not an email')).statusCode).toBe(400);
      expect(json(await get('/dashboard/api/signup', {}, open))).toEqual({ open: true });
    } finally {
      await open.close();
    }
  });

  it('with LOGIN_HIDE_UNKNOWN_USERS=true every address gets 202 "check your email"; the link finishes a new sign-up, a known address is told instead', async () => {
    const hidden = await makeTestApp({ SIGNUP_MODE: 'open', LOGIN_HIDE_UNKNOWN_USERS: 'true' });
    try {
      const existing = await newTenant(hidden);
      const pending = [202, { message: 'Check your email to finish signing up.' }];
      const fresh: string[] = [];
      for (const path of ['/auth/v1/register', '/data/core/v1/auth/register', '/dashboard/api/signup']) {
        const email = newEmail('hidden');
        fresh.push(email);
        const known = await register(hidden, path, existing.email, 'another password');
        const unknown = await register(hidden, path, email, 'Password123!');
        expect(bodyOf(known)).toEqual(pending);
        expect([unknown.statusCode, unknown.body]).toEqual([known.statusCode, known.body]);
        expect(unknown.headers['set-cookie']).toBeUndefined();
        // Nothing exists until the link is opened.
        expect((await post('/auth/v1/login', { email, password: 'Password123!' }, {}, hidden)).statusCode).toBe(401);
      }
      // The known address is told it has an account, with no link that changes anything; its password stands.
      const told = (await outbox(hidden.dataDir)).filter(
        (m) => m.to.includes(existing.email) && m.subject === 'You already have a Delivr account',
      );
      expect(told).toHaveLength(3);
      expect(told[0]?.text).toContain('http://delivr.test/sign-in');
      expect(told[0]?.text).not.toMatch(/confirm-signup|reset-password\//);
      expect((await post('/auth/v1/login', { email: existing.email, password: existing.password }, {}, hidden)).statusCode).toBe(200);

      const mail = (await outbox(hidden.dataDir)).find((m) => m.to.includes(fresh[0] as string));
      expect(mail?.subject).toBe('Finish signing up for Delivr');
      const token = /http:\/\/delivr\.test\/confirm-signup\/([A-Za-z0-9_-]{43})\n/.exec(mail?.text ?? '')?.[1] as string;
      expect(token).toBeDefined();
      // Opening the link (the web page) leaves its token out of the request log.
      await hidden.app.inject({ url: `/confirm-signup/${token}` });
      expect(hidden.logs.filter((l) => l.includes(token))).toEqual([]);
      const confirmed = await post('/dashboard/api/signup/confirm', { token }, {}, hidden);
      expect(confirmed.statusCode, confirmed.body).toBe(201);
      expect(confirmed.headers['cache-control']).toBe('no-store');
      const session = json<{ user: { email: string; first_name: string }; organizations: { role: string; name: string }[] }>(confirmed);
      expect(session.user).toMatchObject({ email: fresh[0], first_name: 'Sam' });
      expect(session.organizations).toEqual([expect.objectContaining({ role: 'owner', name: expect.stringMatching(/^Self /) })]);
      expect(cookieLine(confirmed)).toMatch(/^dlvr_session=/);
      expect((await post('/auth/v1/login', { email: fresh[0], password: 'Password123!' }, {}, hidden)).statusCode).toBe(200);
      const used = { error: 'This sign-up link is unknown, used or expired.', code: 'signup_link_invalid' };
      expect(bodyOf(await post('/dashboard/api/signup/confirm', { token }, {}, hidden))).toEqual([404, used]);
      expect(bodyOf(await post('/dashboard/api/signup/confirm', { token: 'made-up' }, {}, hidden))).toEqual([404, used]);
    } finally {
      await hidden.close();
    }
  });

  it('a sign-up link expires after 24 hours', async () => {
    const hidden = await makeClockApp({ SIGNUP_MODE: 'open', LOGIN_HIDE_UNKNOWN_USERS: 'true' });
    try {
      const email = newEmail('late');
      expect((await register(hidden, '/dashboard/api/signup', email)).statusCode).toBe(202);
      const mail = (await outbox(hidden.dataDir)).find((m) => m.to.includes(email));
      const token = /\/confirm-signup\/([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1] as string;
      hidden.advance(24 * HOUR);
      expect((await post('/dashboard/api/signup/confirm', { token }, {}, hidden)).statusCode).toBe(404);
    } finally {
      await hidden.close();
    }
  });

  it('limits sign-up attempts per client address (LIMIT_SIGNUP_PER_SOURCE), open or closed, with a 429 and Retry-After', async () => {
    const limited = await makeTestApp({ SIGNUP_MODE: 'open', LIMIT_SIGNUP_PER_SOURCE: '2/hour' });
    try {
      const from = (ip: string, path = '/auth/v1/register') =>
        limited.app.inject({
          method: 'POST',
          url: path,
          remoteAddress: ip,
          payload: { email: newEmail(), password: 'Password123!', first_name: 'A', last_name: 'B', organization_name: 'Limited' },
        });
      expect((await from('10.9.0.1')).statusCode).toBe(201);
      expect((await from('10.9.0.1', '/dashboard/api/signup')).statusCode).toBe(201);
      for (const path of ['/auth/v1/register', '/data/core/v1/auth/register', '/dashboard/api/signup']) {
        const refused = await from('10.9.0.1', path);
        expect(bodyOf(refused)).toEqual([
          429,
          { error: 'Rate limit exceeded.', code: 'rate_limited', details: 'too many sign-ups from this address; try again later' },
        ]);
        expect(refused.headers['retry-after']).toBe('1800');
      }
      expect((await from('10.9.0.2')).statusCode).toBe(201);
      const metrics = (await limited.app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('delivr_throttled_total{limit="signup_source"} 3');
    } finally {
      await limited.close();
    }
  });
});

describe('login', () => {
  const invalid = { error: 'Invalid credentials.', code: 'invalid_credentials' };
  const notFound = { error: 'User not found.', code: 'user_not_found' };

  it('unknown email is 404 "User not found.", a wrong password 401 "Invalid credentials.", on every login path', async () => {
    const tenant = await newTenant(t);
    for (const path of ['/auth/v1/login', '/public/core/auth/issue', '/dashboard/api/session']) {
      expect(bodyOf(await post(path, { email: newEmail('nobody'), password: 'whatever1' }))).toEqual([404, notFound]);
      expect(bodyOf(await post(path, { email: tenant.email, password: 'wrong password' }))).toEqual([401, invalid]);
      expect((await post(path, { email: ` ${tenant.email.toUpperCase()} `, password: tenant.password })).statusCode).toBe(200);
    }
  });

  it('with LOGIN_HIDE_UNKNOWN_USERS=true an unknown email looks exactly like a wrong password', async () => {
    const hidden = await makeTestApp({ LOGIN_HIDE_UNKNOWN_USERS: 'true' });
    try {
      const tenant = await newTenant(hidden);
      const unknown = await post('/auth/v1/login', { email: newEmail('nobody'), password: 'whatever1' }, {}, hidden);
      const wrong = await post('/auth/v1/login', { email: tenant.email, password: 'wrong password' }, {}, hidden);
      expect(bodyOf(unknown)).toEqual([401, invalid]);
      expect(unknown.body).toBe(wrong.body);
    } finally {
      await hidden.close();
    }
  });

  describe('throttling', () => {
    // 3 free failures per account and address; 12 per account from unfamiliar addresses; 30 per address.
    let th: ClockApp;
    beforeAll(async () => {
      th = await makeClockApp({ LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_SECONDS: '60' });
    });
    afterAll(async () => th?.close());
    const LOGIN_PATHS = ['/auth/v1/login', '/public/core/auth/issue', '/dashboard/api/session'] as const;
    const login = (email: string, password: string, ip: string, path: (typeof LOGIN_PATHS)[number] = '/auth/v1/login') =>
      th.app.inject({ method: 'POST', url: path, payload: { email, password }, remoteAddress: ip });
    const waitFor = (seconds: number) => ({
      error: 'Too many failed attempts. Try again later.',
      code: 'too_many_attempts',
      details: `try again in ${seconds} s`,
    });
    const refusal = (res: LightMyRequestResponse) => [res.statusCode, JSON.parse(res.body), res.headers['retry-after']];

    it('a guesser at one address waits longer after each failure, on every login path; the person signs in from elsewhere', async () => {
      const tenant = await newTenant(th);
      const guesser = '10.1.0.1';
      for (const path of LOGIN_PATHS) expect((await login(tenant.email, 'wrong password', guesser, path)).statusCode).toBe(401);
      for (const path of LOGIN_PATHS) {
        expect(refusal(await login(tenant.email, tenant.password, guesser, path))).toEqual([429, waitFor(1), '1']);
      }
      th.advance(1000);
      expect((await login(tenant.email, 'wrong password', guesser)).statusCode).toBe(401);
      expect(refusal(await login(tenant.email, tenant.password, guesser))).toEqual([429, waitFor(2), '2']);
      th.advance(1000);
      expect(refusal(await login(tenant.email, tenant.password, guesser))).toEqual([429, waitFor(1), '1']);
      // Meanwhile the person, at an address they never used before, is not held up at all.
      for (const path of LOGIN_PATHS) expect((await login(tenant.email, tenant.password, '10.1.9.9', path)).statusCode).toBe(200);
      th.advance(1000);
      expect((await login(tenant.email, tenant.password, guesser)).statusCode).toBe(200);
    });

    it('a successful login forgives that address its failures', async () => {
      const tenant = await newTenant(th);
      // Two failures a round: without the forgiving, the second round's would pass the three free ones.
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) expect((await login(tenant.email, 'wrong password', '10.2.0.1')).statusCode).toBe(401);
        expect((await login(tenant.email, tenant.password, '10.2.0.1')).statusCode).toBe(200);
      }
    });

    it('many addresses guessing one account slow down unfamiliar addresses only: the person at a familiar one is never locked out', async () => {
      const tenant = await newTenant(th);
      const familiar = '10.3.9.9';
      expect((await login(tenant.email, tenant.password, familiar)).statusCode).toBe(200);
      for (let i = 0; i < 12; i++) expect((await login(tenant.email, 'wrong password', `10.3.0.${i}`)).statusCode).toBe(401);
      // 12 failures, each from its own address: an address new to the account now waits, then longer after each failure.
      expect(refusal(await login(tenant.email, 'wrong password', '10.3.0.99'))).toEqual([429, waitFor(1), '1']);
      th.advance(1000);
      expect((await login(tenant.email, 'wrong password', '10.3.0.99')).statusCode).toBe(401);
      expect(refusal(await login(tenant.email, tenant.password, '10.3.8.8'))).toEqual([429, waitFor(2), '2']);
      for (const path of LOGIN_PATHS) expect((await login(tenant.email, tenant.password, familiar, path)).statusCode).toBe(200);
      th.advance(2000);
      expect((await login(tenant.email, tenant.password, '10.3.8.8')).statusCode).toBe(200);
    });

    it('one address trying many accounts slows down for accounts it never signed in to, not for the people behind it who did', async () => {
      const regular = await newTenant(th);
      const stranger = await newTenant(th);
      const proxy = '10.4.0.1';
      expect((await login(regular.email, regular.password, proxy)).statusCode).toBe(200);
      for (let i = 0; i < 30; i++) expect((await login(newEmail('spray'), 'whatever1', proxy)).statusCode).toBe(404);
      expect(refusal(await login(stranger.email, stranger.password, proxy))).toEqual([429, waitFor(1), '1']);
      expect((await login(regular.email, regular.password, proxy)).statusCode).toBe(200);
      expect((await login(stranger.email, stranger.password, '10.4.0.2')).statusCode).toBe(200);
    });

    it('with LOGIN_HIDE_UNKNOWN_USERS=true an unknown email is throttled exactly like a known one: same answers, same Retry-After', async () => {
      const hidden = await makeClockApp({ LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_SECONDS: '60', LOGIN_HIDE_UNKNOWN_USERS: 'true' });
      try {
        const tenant = await newTenant(hidden);
        const attempts = async (email: string, ip: string) => {
          const seen: unknown[] = [];
          for (let i = 0; i < 6; i++) {
            const res = await hidden.app.inject({
              method: 'POST',
              url: '/auth/v1/login',
              payload: { email, password: 'wrong password' },
              remoteAddress: ip,
            });
            seen.push(refusal(res));
          }
          return seen;
        };
        const known = await attempts(tenant.email, '10.5.0.1');
        const unknown = await attempts(newEmail('ghost'), '10.5.0.2');
        expect(known).toEqual(unknown);
        expect(known.map((r) => (r as unknown[])[0])).toEqual([401, 401, 401, 429, 429, 429]);
      } finally {
        await hidden.close();
      }
    });

    it('accepting an invitation with an existing password counts toward the same account-and-address throttle', async () => {
      const first = await newTenant(th);
      const other = await newTenant(th);
      await th.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${other.orgId}/invites`,
        payload: { email: first.email, role: 'member' },
        headers: dash(other.session),
      });
      const token = (await tokensFor(th.dataDir, first.email, 'invite')).at(-1) as string;
      const tryAccept = (password: string) =>
        th.app.inject({ method: 'POST', url: '/dashboard/api/invites/accept', payload: { token, password }, remoteAddress: '10.6.0.1' });
      for (let i = 0; i < 3; i++) expect((await tryAccept('wrong password')).statusCode).toBe(401);
      expect(refusal(await tryAccept(first.password))).toEqual([429, waitFor(1), '1']);
      expect((await login(first.email, first.password, '10.6.0.1')).statusCode).toBe(429);
      expect((await login(first.email, first.password, '10.6.0.2')).statusCode).toBe(200);
    });

    it('a password reset forgives the account and the address it was made from', async () => {
      const tenant = await newTenant(th);
      for (let i = 0; i < 6; i++) await login(tenant.email, 'wrong password', '10.7.0.1');
      expect((await login(tenant.email, tenant.password, '10.7.0.1')).statusCode).toBe(429);
      await th.app.inject({
        method: 'POST',
        url: '/dashboard/api/password/forgot',
        payload: { email: tenant.email },
        remoteAddress: '10.7.0.1',
      });
      const token = await newToken(th.dataDir, tenant.email, 'reset-password');
      const reset = await th.app.inject({
        method: 'POST',
        url: '/dashboard/api/password/reset',
        payload: { token, password: 'brand new pw' },
        remoteAddress: '10.7.0.1',
      });
      expect(reset.statusCode).toBe(200);
      expect((await login(tenant.email, 'brand new pw', '10.7.0.1')).statusCode).toBe(200);
    });

    it('counts the delays in /metrics', async () => {
      const metrics = await th.app.inject({ method: 'GET', url: '/metrics' });
      const line = metrics.body.split('\n').find((l) => l.startsWith('delivr_throttled_total{limit="login"}'));
      expect(Number(line?.split(' ')[1])).toBeGreaterThan(5);
    });
  });
});

describe('dashboard session', () => {
  const signIn = (email: string, password: string, app: TestApp = t) => post('/dashboard/api/session', { email, password }, {}, app);
  const required = { error: 'Sign in required.', code: 'session_required' };

  it('sets an HttpOnly, SameSite=Lax, Path=/ cookie for the session lifetime, not Secure over http', async () => {
    const tenant = await newTenant(t);
    const res = await signIn(tenant.email, tenant.password);
    expect(res.statusCode).toBe(200);
    const parts = cookieLine(res)
      .split(';')
      .map((p) => p.trim());
    expect(parts[0]).toMatch(/^dlvr_session=[A-Za-z0-9_-]{43}$/);
    expect(parts).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/', `Max-Age=${7 * 86_400}`]));
    expect(parts).not.toContain('Secure');
    const body = json<{ user: { email: string }; organizations: unknown[]; csrf_token: string }>(res);
    expect(body.user.email).toBe(tenant.email);
    expect(body.organizations).toEqual([{ organization_id: tenant.orgId, name: expect.any(String), role: 'owner' }]);
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const secure = await makeTestApp({ PUBLIC_URL: 'https://delivr.example' });
    try {
      const email = newEmail('secure');
      const res = await post(
        '/auth/v1/register',
        {
          email,
          password: 'Password123!',
          first_name: 'S',
          last_name: 'S',
          organization_name: 'Secure',
        },
        {},
        secure,
      );
      expect(res.statusCode).toBe(201);
      const parts = cookieLine(await signIn(email, 'Password123!', secure))
        .split(';')
        .map((p) => p.trim());
      expect(parts).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/']));
    } finally {
      await secure.close();
    }
  });

  it('reads the session with the cookie; without it, or with a bogus one, 401', async () => {
    const tenant = await newTenant(t);
    const res = await get('/dashboard/api/session', { cookie: tenant.session.cookie });
    expect(json<{ csrf_token: string }>(res).csrf_token).toBe(tenant.session.csrf);
    expect(bodyOf(await get('/dashboard/api/session'))).toEqual([401, required]);
    expect(bodyOf(await get('/dashboard/api/session', { cookie: 'dlvr_session=forged' }))).toEqual([401, required]);
  });

  it('signs out: the cookie is cleared and the old session no longer works', async () => {
    const tenant = await newTenant(t);
    const other = sessionFrom(await signIn(tenant.email, tenant.password));
    const out = await t.app.inject({ method: 'DELETE', url: '/dashboard/api/session', headers: dash(tenant.session) });
    expect(bodyOf(out)).toEqual([200, { ok: true }]);
    expect(cookieLine(out)).toMatch(/^dlvr_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/);
    expect(bodyOf(await get('/dashboard/api/session', { cookie: tenant.session.cookie }))).toEqual([401, required]);
    expect((await get('/dashboard/api/session', { cookie: other.cookie })).statusCode).toBe(200);
  });

  it('expires after SESSION_TTL_SECONDS', async () => {
    const short = await makeClockApp({ SESSION_TTL_SECONDS: '60' });
    try {
      const tenant = await newTenant(short);
      expect(cookieLine(await signIn(tenant.email, tenant.password, short))).toContain('Max-Age=60');
      short.advance(50_000);
      expect((await get('/dashboard/api/session', { cookie: tenant.session.cookie }, short)).statusCode).toBe(200);
      short.advance(10_000);
      expect(bodyOf(await get('/dashboard/api/session', { cookie: tenant.session.cookie }, short))).toEqual([401, required]);
    } finally {
      await short.close();
    }
  });

  it('requires the CSRF token bound to the session on POST, PATCH and DELETE, not on GET', async () => {
    const tenant = await newTenant(t);
    const m = await addMember(t, tenant, 'member');
    const csrf = { error: 'Missing or invalid CSRF token.', code: 'csrf_failed' };
    const base = `/dashboard/api/orgs/${tenant.orgId}`;
    const attempts: { method: 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: Record<string, string> }[] = [
      { method: 'POST', url: `${base}/invites`, payload: { email: newEmail(), role: 'member' } },
      { method: 'POST', url: `${base}/api-keys`, payload: { name: 'csrf' } },
      { method: 'PATCH', url: `${base}/members/${m.userId}`, payload: { role: 'admin' } },
      { method: 'DELETE', url: `${base}/members/${m.userId}` },
      { method: 'DELETE', url: '/dashboard/api/session' },
    ];
    for (const a of attempts) {
      for (const token of [undefined, 'wrong', m.session.csrf]) {
        const headers: Record<string, string> = { cookie: tenant.session.cookie, ...(token ? { 'x-csrf-token': token } : {}) };
        const res = await t.app.inject({ ...a, headers });
        expect(bodyOf(res), `${a.method} ${a.url} with ${token}`).toEqual([403, csrf]);
      }
    }
    const after = json<{ members: { role: string }[]; invites: unknown[] }>(
      await get(`${base}/members`, { cookie: tenant.session.cookie }),
    );
    expect(after.invites).toEqual([]);
    expect(after.members.map((x) => x.role)).toEqual(['owner', 'member']);
    expect((await get(`${base}/api-keys`, { cookie: tenant.session.cookie })).statusCode).toBe(200);
    expect((await get('/dashboard/api/session', { cookie: tenant.session.cookie })).statusCode).toBe(200);
  });

  it('checks the session and CSRF token before the body: no session 401, no token 403, only then 400', async () => {
    const tenant = await newTenant(t);
    const url = `/dashboard/api/orgs/${tenant.orgId}/api-keys`;
    const bad = { name: { not: 'a string' } };
    const noSession = await t.app.inject({ method: 'POST', url, payload: bad });
    expect(bodyOf(noSession)[0]).toBe(401);
    const noToken = await t.app.inject({ method: 'POST', url, payload: bad, headers: { cookie: tenant.session.cookie } });
    expect(bodyOf(noToken)).toEqual([403, { error: 'Missing or invalid CSRF token.', code: 'csrf_failed' }]);
    const badBody = await t.app.inject({ method: 'POST', url, payload: bad, headers: dash(tenant.session) });
    expect(bodyOf(badBody)[0]).toBe(400);
  });
});

describe('password reset', () => {
  const forgot = (email: string) => post('/dashboard/api/password/forgot', { email });
  const reset = (token: string, password: string) => post('/dashboard/api/password/reset', { token, password });
  const accepted = [202, { message: 'If this email has an account, a reset link is on its way.' }];
  const invalidLink = { error: 'This password reset link is unknown, used or expired.', code: 'reset_link_invalid' };

  it('emails a link that works once, signs out every session and replaces the password', async () => {
    const tenant = await newTenant(t);
    const second = sessionFrom(await post('/dashboard/api/session', { email: tenant.email, password: tenant.password }));
    expect(bodyOf(await forgot(` ${tenant.email.toUpperCase()}`))).toEqual(accepted);
    const mail = (await outbox(t.dataDir)).filter((m) => m.to.includes(tenant.email)).at(-1);
    expect(mail?.subject).toBe('Reset your Delivr password');
    expect(mail?.text).toContain('The link works once and expires in one hour.');
    const token = await newToken(t.dataDir, tenant.email, 'reset-password');

    expect(bodyOf(await reset(token, 'short'))).toEqual([
      400,
      { error: 'Invalid parameters.', code: 'invalid_parameters', details: 'password must be 8 to 256 characters' },
    ]);
    expect(bodyOf(await reset(token, 'a new long password'))).toEqual([200, { ok: true }]);
    expect(bodyOf(await reset(token, 'another new password'))).toEqual([404, invalidLink]);
    for (const s of [tenant.session, second]) expect((await get('/dashboard/api/session', { cookie: s.cookie })).statusCode).toBe(401);
    expect((await post('/auth/v1/login', { email: tenant.email, password: tenant.password })).statusCode).toBe(401);
    expect((await post('/auth/v1/login', { email: tenant.email, password: 'a new long password' })).statusCode).toBe(200);
  });

  it('ends every session and every data and platform JWT issued before it, and every other reset link', async () => {
    const tenant = await newTenant(t);
    const other = sessionFrom(await post('/dashboard/api/session', { email: tenant.email, password: tenant.password }));
    const dataJwt = await dataToken(t, tenant);
    const platformJwt = await platformToken(t, tenant);
    const key = await createKey(t, tenant);
    const asData = (jwt: string) => get('/api/v2/events_schema?source=pixel', { authorization: `Bearer ${jwt}` });
    const asPartner = (jwt: string) => get('/public/core/api/organization/get', { authorization: `Bearer ${jwt}` });
    const asKey = () => get('/api/v2/events_schema?source=pixel', { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret });
    expect((await asData(dataJwt)).statusCode).toBe(200);
    expect((await asPartner(platformJwt)).statusCode).toBe(200);

    await post('/dashboard/api/password/forgot', { email: tenant.email }, {}, t);
    const first = await newToken(t.dataDir, tenant.email, 'reset-password');
    await post('/dashboard/api/password/forgot', { email: tenant.email }, {}, t);
    const second = await newToken(t.dataDir, tenant.email, 'reset-password', [first]);
    expect(bodyOf(await reset(second, 'the new password'))).toEqual([200, { ok: true }]);

    const invalidToken = [401, { error: 'Invalid or expired token.', code: 'invalid_token' }];
    expect(bodyOf(await asData(dataJwt))).toEqual(invalidToken);
    expect(bodyOf(await asPartner(platformJwt))).toEqual(invalidToken);
    for (const s of [tenant.session, other]) expect((await get('/dashboard/api/session', { cookie: s.cookie })).statusCode).toBe(401);
    // The other link, unused and unexpired, is dead too.
    expect(bodyOf(await reset(first, 'yet another password'))).toEqual([404, invalidLink]);
    // API keys belong to the organization, not to the person: they keep working.
    expect((await asKey()).statusCode).toBe(200);
    // Signing in again gives tokens that work.
    const fresh = { ...tenant, password: 'the new password' };
    expect((await asData(await dataToken(t, fresh))).statusCode).toBe(200);
    expect((await asPartner(await platformToken(t, fresh))).statusCode).toBe(200);
  });

  it('limits reset emails per address and per client address with a 429 and Retry-After, alike for known and unknown emails', async () => {
    const limited = await makeTestApp({ LIMIT_RESET_MAIL_PER_SOURCE: '5/hour' });
    try {
      const known = await newTenant(limited);
      const ghost = newEmail('ghost');
      const ask = (email: string, ip: string) =>
        limited.app.inject({ method: 'POST', url: '/dashboard/api/password/forgot', payload: { email }, remoteAddress: ip });
      const perAddress = {
        error: 'Rate limit exceeded.',
        code: 'rate_limited',
        details: 'a reset link was sent to this email recently; use it or try again later',
      };
      const answers = async (email: string, ips: string[]) => {
        const out: unknown[] = [];
        for (const ip of ips) {
          const res = await ask(email, ip);
          out.push([...bodyOf(res), res.headers['retry-after'] ?? null]);
        }
        return out;
      };
      const ips = ['10.8.0.1', '10.8.0.2', '10.8.0.3', '10.8.0.4', '10.8.0.5'];
      const forKnown = await answers(known.email, ips);
      expect(forKnown).toEqual([...Array(3).fill([...accepted, null]), [429, perAddress, '1200'], [429, perAddress, '1200']]);
      expect(await answers(ghost, ips)).toEqual(forKnown);
      expect(await tokensFor(limited.dataDir, known.email, 'reset-password')).toHaveLength(3);

      // Per client address: five requests an hour, whatever the emails.
      for (let i = 0; i < 5; i++) expect((await ask(newEmail('spray'), '10.8.1.1')).statusCode).toBe(202);
      const refused = await ask(newEmail('spray'), '10.8.1.1');
      expect(bodyOf(refused)).toEqual([
        429,
        { error: 'Rate limit exceeded.', code: 'rate_limited', details: 'too many reset requests from this address; try again later' },
      ]);
      expect(refused.headers['retry-after']).toBe('720');
      const metrics = (await limited.app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('delivr_throttled_total{limit="reset_mail_address"} 4');
      expect(metrics).toContain('delivr_throttled_total{limit="reset_mail_source"} 1');
    } finally {
      await limited.close();
    }
  });

  it('answers 202 for an unknown email too, and sends nothing', async () => {
    const email = newEmail('ghost');
    expect(bodyOf(await forgot(email))).toEqual(accepted);
    expect(await tokensFor(t.dataDir, email, 'reset-password')).toEqual([]);
  });

  it('a link expires after one hour; an unknown token is refused', async () => {
    const tenant = await newTenant(t);
    await forgot(tenant.email);
    const token = await newToken(t.dataDir, tenant.email, 'reset-password');
    t.advance(HOUR);
    expect(bodyOf(await reset(token, 'a new long password'))).toEqual([404, invalidLink]);
    expect(bodyOf(await reset('made-up-token', 'a new long password'))).toEqual([404, invalidLink]);
    expect((await post('/auth/v1/login', { email: tenant.email, password: tenant.password })).statusCode).toBe(200);
  });
});
