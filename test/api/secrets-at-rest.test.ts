// Acceptance: no secret is ever stored or logged in plaintext. The flows below create every kind of
// secret the platform hands out (passwords, API keys and secrets including rotated ones, app client
// secrets, session and CSRF tokens, invitation and password-reset tokens, JWTs), use them, and then
// the SQLite catalog files (database, WAL and shared memory, read as bytes) and every captured log
// line are searched for each plaintext. Mail goes to a real SMTP server started here (outbox mode,
// which keeps links out of the log too, is checked in test/mail/smtp.test.ts).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { dash, json, type Session, sessionFrom } from '../support/tenant.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

let t: TestApp;
let smtp: SMTPServer;
const mails: ParsedMail[] = [];
/** label → plaintext secret. */
const secrets = new Map<string, string>();
const keep = (label: string, value: string) => {
  expect(value.length, label).toBeGreaterThanOrEqual(16);
  secrets.set(label, value);
  return value;
};

/** Values the catalog must hold in place of the plaintexts, checked row by row. */
const stored = {
  keys: [] as { label: string; apiKey: string; apiSecret: string; status: string }[],
  apps: [] as { clientId: string; clientSecret: string }[],
  sessions: [] as string[],
  liveInvite: '',
  liveReset: '',
};
const links: string[] = [];
let ownerEmail = '';
let memberEmail = '';

function inject(method: string, url: string, headers: Record<string, string> = {}, payload?: unknown): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}

function expectStatus(res: LightMyRequestResponse, status: number, what: string) {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBe(status);
}

/** The token in the newest mail to `email` whose link is of `kind`, as received by the SMTP server. */
function mailedToken(email: string, kind: 'invite' | 'reset-password'): string {
  const re = new RegExp(`(https?://\\S+/${kind}/([A-Za-z0-9_-]+))`);
  for (const m of [...mails].reverse()) {
    const to = Array.isArray(m.to) ? m.to.map((x) => x.text).join(',') : (m.to?.text ?? '');
    const match = to.includes(email) ? re.exec(m.text ?? '') : null;
    if (match?.[1] && match[2]) {
      links.push(match[1]);
      return match[2];
    }
  }
  throw new Error(`no ${kind} mail to ${email} among ${mails.length}`);
}

function keepSession(label: string, res: LightMyRequestResponse): Session {
  const s = sessionFrom(res);
  stored.sessions.push(keep(`${label} session token`, s.cookie.replace('dlvr_session=', '')));
  keep(`${label} CSRF token`, s.csrf);
  return s;
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      simpleParser(stream).then(
        (m) => {
          mails.push(m);
          done();
        },
        (err: Error) => done(err),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  t = await makeTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Delivr <no-reply@delivr.test>', LOG_LEVEL: 'trace' });
  await runEveryFlow();
});
afterAll(async () => {
  await t?.close();
  await new Promise<void>((resolve) => smtp.close(resolve));
});

async function runEveryFlow(): Promise<void> {
  const tag = randomUUID().slice(0, 8);
  ownerEmail = `owner-${tag}@example.com`;
  memberEmail = `member-${tag}@example.com`;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  // The operator creates the organization and re-sends the invitation: two invite tokens.
  const created = await inject('POST', '/admin/v1/organizations', admin, { name: `Secrets ${tag}`, owner_email: ownerEmail });
  expectStatus(created, 201, 'create organization');
  const orgId = json<{ organization: { organization_id: string } }>(created).organization.organization_id;
  keep('first owner invite token', mailedToken(ownerEmail, 'invite'));
  expectStatus(await inject('POST', `/admin/v1/organizations/${orgId}/invites/resend`, admin, { email: ownerEmail }), 200, 'resend');
  const ownerInvite = keep('re-sent owner invite token', mailedToken(ownerEmail, 'invite'));

  const ownerPassword = keep('owner password', `pw-owner-${randomUUID()}`);
  const accepted = await inject(
    'POST',
    '/dashboard/api/invites/accept',
    {},
    {
      token: ownerInvite,
      first_name: 'Sec',
      last_name: 'Owner',
      password: ownerPassword,
    },
  );
  expectStatus(accepted, 200, 'accept owner invite');
  let owner = keepSession('owner (invite)', accepted);

  // The owner invites a teammate, re-sends, and the teammate joins.
  const invited = await inject('POST', `/dashboard/api/orgs/${orgId}/invites`, dash(owner), { email: memberEmail, role: 'member' });
  expectStatus(invited, 201, 'invite member');
  keep('first member invite token', mailedToken(memberEmail, 'invite'));
  const inviteId = json<{ invite: { invite_id: string } }>(invited).invite.invite_id;
  expectStatus(await inject('POST', `/dashboard/api/orgs/${orgId}/invites/${inviteId}/resend`, dash(owner)), 200, 'resend member invite');
  const memberInvite = keep('re-sent member invite token', mailedToken(memberEmail, 'invite'));
  stored.liveInvite = memberInvite;
  const memberPassword = keep('member password', `pw-member-${randomUUID()}`);
  const joined = await inject(
    'POST',
    '/dashboard/api/invites/accept',
    {},
    {
      token: memberInvite,
      first_name: 'Sec',
      last_name: 'Member',
      password: memberPassword,
    },
  );
  expectStatus(joined, 200, 'accept member invite');
  keepSession('member (invite)', joined);

  // Sign-ins: dashboard session, data-API JWT, platform JWT, and a wrong password.
  const wrong = keep('wrong password', `pw-wrong-${randomUUID()}`);
  expectStatus(await inject('POST', '/dashboard/api/session', {}, { email: ownerEmail, password: wrong }), 401, 'wrong password');
  expectStatus(await inject('POST', '/auth/v1/login', {}, { email: ownerEmail, password: wrong }), 401, 'wrong password (data API)');
  const signedIn = await inject('POST', '/dashboard/api/session', {}, { email: ownerEmail, password: ownerPassword });
  expectStatus(signedIn, 200, 'sign in');
  keepSession('owner (sign-in)', signedIn);
  const login = await inject('POST', '/auth/v1/login', {}, { email: ownerEmail, password: ownerPassword });
  expectStatus(login, 200, 'data login');
  const dataJwt = keep('data-API JWT', json<{ token: string }>(login).token);
  keep('data-API JWT signature', dataJwt.split('.')[2] as string);
  const issued = await inject('POST', '/public/core/auth/issue', {}, { email: ownerEmail, password: ownerPassword });
  expectStatus(issued, 200, 'platform token');
  const platformJwt = keep('platform JWT', json<{ response: { token: string } }>(issued).response.token);
  keep('platform JWT signature', platformJwt.split('.')[2] as string);

  // Organization API keys: create, rotate (the old secret is a secret too), create and revoke another.
  const key = await inject('POST', `/dashboard/api/orgs/${orgId}/api-keys`, dash(owner), { name: 'prod' });
  expectStatus(key, 201, 'create key');
  const k = json<{ key: { key_id: string }; api_key: string; api_secret: string }>(key);
  keep('API key', k.api_key);
  keep('API secret before rotation', k.api_secret);
  const rotated = await inject('POST', `/dashboard/api/orgs/${orgId}/api-keys/${k.key.key_id}/rotate`, dash(owner));
  expectStatus(rotated, 200, 'rotate');
  const secret = keep('API secret after rotation', json<{ api_secret: string }>(rotated).api_secret);
  stored.keys.push({ label: 'rotated key', apiKey: k.api_key, apiSecret: secret, status: 'active' });
  const second = json<{ key: { key_id: string }; api_key: string; api_secret: string }>(
    await inject('POST', `/dashboard/api/orgs/${orgId}/api-keys`, dash(owner), { name: 'old' }),
  );
  keep('revoked API key', second.api_key);
  keep('revoked API secret', second.api_secret);
  expectStatus(await inject('POST', `/dashboard/api/orgs/${orgId}/api-keys/${second.key.key_id}/revoke`, dash(owner)), 200, 'revoke');
  stored.keys.push({ label: 'revoked key', apiKey: second.api_key, apiSecret: second.api_secret, status: 'revoked' });

  // Legacy API client (JWT-created key + secret).
  const client = await inject('POST', '/client/v1', { authorization: `Bearer ${dataJwt}` }, { name: 'legacy' });
  expectStatus(client, 201, 'create API client');
  const c = json<{ api_key: string; api_secret: string }>(client);
  keep('API client key', c.api_key);
  keep('API client secret', c.api_secret);
  stored.keys.push({ label: 'client key', apiKey: c.api_key, apiSecret: c.api_secret, status: 'active' });

  // Apps: from the dashboard and from the Partner API.
  const app = await inject('POST', '/dashboard/api/apps', dash(owner), { name: 'dash app' });
  expectStatus(app, 201, 'create app');
  const a = json<{ client_id: string; client_secret: string }>(app);
  stored.apps.push({ clientId: a.client_id, clientSecret: keep('app client secret (dashboard)', a.client_secret) });
  const partnerApp = await inject('POST', '/public/core/api/app/create', { authorization: `Bearer ${platformJwt}` }, { name: 'api app' });
  expectStatus(partnerApp, 201, 'create app (Partner API)');
  const pa = json<{ response: { app_id: string; client_id: string; client_secret: string } }>(partnerApp).response;
  stored.apps.push({ clientId: pa.client_id, clientSecret: keep('app client secret (Partner API)', pa.client_secret) });
  // Rotate it: the secret it had and the one it gets are both secrets.
  const rotatedApp = await inject('POST', `/public/core/api/app/rotate/${pa.app_id}`, { authorization: `Bearer ${platformJwt}` });
  expectStatus(rotatedApp, 200, 'rotate app (Partner API)');
  const paRotated = json<{ response: { client_secret: string } }>(rotatedApp).response.client_secret;
  // The catalog now holds the hash of the new secret only.
  stored.apps.splice(
    stored.apps.findIndex((x) => x.clientId === pa.client_id),
    1,
    {
      clientId: pa.client_id,
      clientSecret: keep('app client secret after rotation', paRotated),
    },
  );
  const retrieved = await inject('GET', `/public/core/api/app/retrieve/${pa.app_id}`, { authorization: `Bearer ${platformJwt}` });
  expectStatus(retrieved, 200, 'retrieve app');
  expect(retrieved.body).not.toContain(pa.client_secret);
  expect(retrieved.body).not.toContain(paRotated);

  // Use everything, rightly and wrongly, so the request paths and failure paths are logged too.
  const schema = '/api/v2/events_schema?source=pixel';
  expectStatus(await inject('GET', schema, { 'x-api-key': k.api_key, 'x-api-secret': secret }), 200, 'key + secret');
  expectStatus(
    await inject('GET', schema, { 'x-api-key': k.api_key, 'x-api-secret': k.api_secret }),
    401,
    'key + secret from before rotation',
  );
  expectStatus(
    await inject('GET', `${schema}&api_secret=${secret}&token=${dataJwt}`, { 'x-api-key': k.api_key }),
    401,
    'secret in the query',
  );
  expectStatus(await inject('GET', schema, { 'x-api-key': second.api_key, 'x-api-secret': second.api_secret }), 401, 'revoked key');
  expectStatus(await inject('GET', schema, { 'x-api-key': c.api_key, 'x-api-secret': c.api_secret }), 200, 'client key');
  expectStatus(await inject('GET', schema, { authorization: `Bearer ${dataJwt}` }), 200, 'data JWT');
  expectStatus(await inject('GET', schema, { authorization: `Bearer ${platformJwt}` }), 401, 'platform JWT on the data API');
  const partner = { authorization: `Bearer ${platformJwt}`, 'x-delivr-client-id': a.client_id, 'x-delivr-client-secret': a.client_secret };
  expectStatus(await inject('GET', '/public/core/api/project/get', partner), 200, 'Partner API');
  expectStatus(
    await inject('GET', '/public/core/api/project/get', { ...partner, 'x-delivr-client-secret': pa.client_secret }),
    401,
    "another app's secret",
  );
  expectStatus(
    await inject(
      'POST',
      '/pixel/core/api/send-event',
      { 'user-agent': BROWSER },
      {
        event_type: 'page_view',
        pixel_id: randomUUID(),
        organization_id: orgId,
        event_data: { password: ownerPassword, api_secret: secret },
      },
    ),
    404,
    'an event carrying secrets, for an unknown pixel',
  );

  // Password reset: one link used, one left open; every session ends.
  expectStatus(await inject('POST', '/dashboard/api/password/forgot', {}, { email: ownerEmail }), 202, 'forgot');
  const reset = keep('used password-reset token', mailedToken(ownerEmail, 'reset-password'));
  const newPassword = keep('new password', `pw-new-${randomUUID()}`);
  expectStatus(await inject('POST', '/dashboard/api/password/reset', {}, { token: reset, password: newPassword }), 200, 'reset');
  expectStatus(await inject('GET', '/dashboard/api/session', dash(owner)), 401, 'old session after reset');
  expectStatus(await inject('POST', '/dashboard/api/password/forgot', {}, { email: ownerEmail }), 202, 'forgot again');
  stored.liveReset = keep('open password-reset token', mailedToken(ownerEmail, 'reset-password'));
  const again = await inject('POST', '/dashboard/api/session', {}, { email: ownerEmail, password: newPassword });
  expectStatus(again, 200, 'sign in with the new password');
  owner = keepSession('owner (after reset)', again);
  // Reading the keys flushes the access log, so its rows are on disk before the scan.
  expectStatus(await inject('GET', `/dashboard/api/orgs/${orgId}/api-keys`, dash(owner)), 200, 'list keys');
  keep('JWT signing secret', t.services.config.jwtSecret);
  keep('operator token', ADMIN_TOKEN);
}

/** A secret and each half of it, so a truncated copy is found too. */
const pieces = (value: string): string[] => [value, value.slice(0, Math.ceil(value.length / 2)), value.slice(Math.floor(value.length / 2))];

/** Labels of the secrets of which some piece occurs in `haystack`. */
const leaked = (haystack: (piece: string) => boolean): string[] =>
  [...secrets].filter(([, value]) => pieces(value).some(haystack)).map(([label]) => label);

function catalogBytes(): { files: string[]; bytes: Buffer } {
  const files = ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm'].filter((f) => existsSync(join(t.dataDir, f)));
  return { files, bytes: Buffer.concat(files.map((f) => readFileSync(join(t.dataDir, f)))) };
}

describe('secrets at rest and in logs', () => {
  it('sent every mail through the SMTP server, none to the outbox', () => {
    const to = mails.map((m) => (Array.isArray(m.to) ? m.to[0]?.text : m.to?.text));
    expect(to).toEqual([ownerEmail, ownerEmail, memberEmail, memberEmail, ownerEmail, ownerEmail]);
    expect(mails.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Join Secrets /),
      expect.stringMatching(/^Join Secrets /),
      expect.stringMatching(/^Join Secrets /),
      expect.stringMatching(/^Join Secrets /),
      'Reset your Delivr password',
      'Reset your Delivr password',
    ]);
    for (const m of mails) {
      expect(m.from?.text).toContain('no-reply@delivr.test');
      expect(m.html).toContain('href="http://delivr.test/');
    }
    expect(links.every((l) => l.startsWith('http://delivr.test/'))).toBe(true);
    expect(existsSync(join(t.dataDir, 'outbox'))).toBe(false);
    expect(t.logs.filter((l) => l.includes('"email sent"'))).toHaveLength(mails.length);
  });

  it('keeps no plaintext secret in the catalog files (database, WAL, shared memory)', () => {
    const { files, bytes } = catalogBytes();
    expect(files).toContain('catalog.sqlite');
    expect(bytes.length).toBeGreaterThan(4096);
    // The scan sees the rows: each key's hash and prefix are there.
    for (const k of stored.keys) {
      expect(bytes.includes(sha256(k.apiKey)), `${k.label} hash`).toBe(true);
      expect(bytes.includes(k.apiKey.slice(0, 12)), `${k.label} prefix`).toBe(true);
    }
    expect(secrets.size).toBeGreaterThanOrEqual(25);
    expect(
      leaked((piece) => bytes.includes(Buffer.from(piece, 'utf8'))),
      'plaintext secrets found in the catalog',
    ).toEqual([]);
  });

  it('keeps no plaintext secret in any log line', () => {
    expect(t.logs.length).toBeGreaterThan(50);
    expect(t.logs.some((l) => l.includes('"incoming request"'))).toBe(true);
    expect(
      leaked((piece) => t.logs.some((l) => l.includes(piece))),
      'plaintext secrets found in the logs',
    ).toEqual([]);
  });

  it('stores API keys as a SHA-256 hash and a 12-character prefix, and every other token as a hash', () => {
    const db = new SQLite(join(t.dataDir, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
    try {
      type KeyRow = { key_prefix: string; key_hash: string; secret_hash: string | null; status: string } & Record<string, unknown>;
      for (const k of stored.keys) {
        const row = db.prepare('SELECT * FROM api_keys WHERE key_hash = ?').get(sha256(k.apiKey)) as KeyRow | undefined;
        expect(row, k.label).toBeDefined();
        expect(row?.key_prefix).toBe(k.apiKey.slice(0, 12));
        expect(row?.secret_hash).toBe(sha256(k.apiSecret));
        expect(row?.status).toBe(k.status);
        for (const [column, value] of Object.entries(row ?? {})) {
          if (typeof value !== 'string') continue;
          expect(value.includes(k.apiKey.slice(12)), `${k.label}: column ${column} holds the key's hidden part`).toBe(false);
          expect(value.includes(k.apiSecret), `${k.label}: column ${column} holds the secret`).toBe(false);
        }
      }
      for (const a of stored.apps) {
        const row = db.prepare('SELECT secret_hash FROM apps WHERE client_id = ?').get(a.clientId) as { secret_hash: string };
        expect(row.secret_hash).toBe(sha256(a.clientSecret));
      }
      for (const s of stored.sessions) {
        expect(db.prepare('SELECT id FROM sessions WHERE token_hash = ?').get(sha256(s)), 'session stored by hash').toBeDefined();
      }
      expect(db.prepare('SELECT id FROM invites WHERE token_hash = ?').get(sha256(stored.liveInvite))).toBeDefined();
      expect(db.prepare('SELECT id FROM password_resets WHERE token_hash = ?').get(sha256(stored.liveReset))).toBeDefined();
      const users = db.prepare('SELECT password_hash FROM users').all() as { password_hash: string | null }[];
      expect(users.length).toBe(2);
      for (const u of users) expect(u.password_hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
    } finally {
      db.close();
    }
  });

  // Opening an emailed link sends its token in the request path (/invite/{token},
  // /reset-password/{token}); the request log must write the route without it.
  it('opening the emailed links leaves no token in the logs', async () => {
    for (const link of links) await t.app.inject({ url: new URL(link).pathname, headers: { 'user-agent': BROWSER } });
    expect(
      leaked((piece) => t.logs.some((l) => l.includes(piece))),
      'plaintext secrets found in the logs',
    ).toEqual([]);
  });
});
