// Outgoing mail both ways it can go: over SMTP to a real SMTP server started here (smtp-server,
// parsed with mailparser), and, without SMTP_URL, as an .eml file in DATA_DIR/outbox, which is how a
// laptop operator finishes an invitation without a mail server: the log names the file but never
// carries the link (a credential), and the link stands whole on one line of the file, ready to copy.
// A refusing mail server is reported as such, and what was saved can be re-sent.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapProse } from '../../src/mail/mailer.js';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';

interface Received {
  mail: ParsedMail;
  from: string;
  rcpt: string[];
  user: string | undefined;
}

const createOrg = (t: TestApp, name: string, email: string) =>
  t.app.inject({
    method: 'POST',
    url: '/admin/v1/organizations',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { name, owner_email: email },
  });

const LINK = /http:\/\/delivr\.test\/invite\/([A-Za-z0-9_-]{43})/;

describe('with SMTP_URL: delivered over SMTP', () => {
  const received: Received[] = [];
  /** Recipients the server answers 550 for, as a mail server that is refusing mail would. */
  const refused = new Set<string>();
  let server: SMTPServer;
  let t: TestApp;

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'mailer' && auth.password === 's3cret') cb(null, { user: auth.username });
        else cb(new Error('Invalid username or password'));
      },
      onRcptTo(address, _session, cb) {
        if (refused.has(address.address)) cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        else cb();
      },
      onData(stream, session, cb) {
        simpleParser(stream)
          .then((mail) => {
            const from = session.envelope.mailFrom;
            received.push({
              mail,
              from: from ? from.address : '',
              rcpt: session.envelope.rcptTo.map((r) => r.address),
              user: typeof session.user === 'string' ? session.user : undefined,
            });
            cb();
          })
          .catch((err: Error) => cb(err));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    t = await makeTestApp({ SMTP_URL: `smtp://mailer:s3cret@127.0.0.1:${port}`, MAIL_FROM: 'Delivr Test <invites@delivr.test>' });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the invitation to the owner with the right subject, sender and accept link, and writes no outbox file', async () => {
    const email = `smtp-owner-${Date.now()}@example.com`;
    const res = await createOrg(t, 'Acme & <Sons>', email);
    expect(res.statusCode, res.body).toBe(201);

    expect(received).toHaveLength(1);
    const got = received[0] as Received;
    expect(got.rcpt).toEqual([email]);
    expect(got.from).toBe('invites@delivr.test');
    expect(got.user).toBe('mailer');
    expect(got.mail.to && !Array.isArray(got.mail.to) ? got.mail.to.text : '').toBe(email);
    expect(got.mail.from?.value).toEqual([{ name: 'Delivr Test', address: 'invites@delivr.test' }]);
    expect(got.mail.subject).toBe('Join Acme & <Sons> on Delivr');
    expect(got.mail.text).toContain('You have been invited to join Acme & <Sons> on Delivr.');
    const token = LINK.exec(got.mail.text ?? '')?.[1];
    expect(token).toBeDefined();
    expect(got.mail.html).toContain(`<a href="http://delivr.test/invite/${token}">Accept the invitation</a>`);
    expect(got.mail.html).toContain('<strong>Acme &amp; &lt;Sons&gt;</strong>');

    const preview = await t.app.inject({ method: 'POST', url: '/dashboard/api/invites/preview', payload: { token } });
    expect(preview.statusCode).toBe(200);
    expect(existsSync(join(t.dataDir, 'outbox'))).toBe(false);

    // With a real mail server, the link travels only in the mail: never in a log line.
    expect(t.logs.some((l) => l.includes('"email sent"'))).toBe(true);
    expect(t.logs.filter((l) => l.includes(token as string))).toEqual([]);
  });

  it('when the mail server refuses, says so (503 mail_failed) and keeps the organization for a re-send', async () => {
    const email = `smtp-refused-${Date.now()}@example.com`;
    refused.add(email);
    const res = await createOrg(t, 'Bounce Ltd', email);
    expect(res.statusCode, res.body).toBe(503);
    const orgId = (await t.services.organizations.list()).find((o) => o.name === 'Bounce Ltd')?.id;
    expect(JSON.parse(res.body)).toEqual({
      error: 'The email could not be sent.',
      code: 'mail_failed',
      details: `organization ${orgId} and the invitation for ${email} are saved; re-send the invitation`,
    });
    expect(t.logs.some((l) => l.includes('"invitation email could not be sent"'))).toBe(true);

    refused.delete(email);
    const before = received.length;
    const resend = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/organizations/${orgId}/invites/resend`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { email },
    });
    expect(resend.statusCode, resend.body).toBe(200);
    const token = LINK.exec(received[before]?.mail.text ?? '')?.[1];
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/dashboard/api/invites/accept',
      payload: { token, first_name: 'Bo', last_name: 'Unce', password: 'a long password' },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);

    // A reset request answers the same whether or not its email went out: no account oracle.
    refused.add(email);
    const forgot = await t.app.inject({ method: 'POST', url: '/dashboard/api/password/forgot', payload: { email } });
    const unknown = await t.app.inject({ method: 'POST', url: '/dashboard/api/password/forgot', payload: { email: `x-${email}` } });
    expect([forgot.statusCode, forgot.body]).toEqual([unknown.statusCode, unknown.body]);
    expect(forgot.statusCode).toBe(202);
    expect(t.logs.some((l) => l.includes('"password reset email could not be sent"'))).toBe(true);
  });
});

describe('without SMTP_URL: written to DATA_DIR/outbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A long public URL: its links pass 76 characters, where quoted-printable would cut them.
    t = await makeTestApp({ PUBLIC_URL: 'https://delivr-dashboard.analytics.example-company.com' });
  });
  afterAll(async () => t?.close());
  const LONG_LINK = /https:\/\/delivr-dashboard\.analytics\.example-company\.com\/invite\/([A-Za-z0-9_-]{43})/;

  it('writes an .eml only its owner can read, and logs the file but never the link', async () => {
    const email = `outbox-owner-${Date.now()}@example.com`;
    const res = await createOrg(t, 'Laptop Ünïcode Co', email);
    expect(res.statusCode, res.body).toBe(201);

    const dir = join(t.dataDir, 'outbox');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const file = join(dir, files[0] as string);
    expect(file).toMatch(/\.eml$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const mail = await simpleParser(readFileSync(file));
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe(email);
    expect(mail.from?.value).toEqual([{ name: 'Delivr', address: 'no-reply@localhost' }]);
    expect(mail.subject).toBe('Join Laptop Ünïcode Co on Delivr');
    expect(mail.text).toContain('You have been invited to join Laptop Ünïcode Co on Delivr.');
    const link = LONG_LINK.exec(mail.text ?? '')?.[0] as string;
    expect(link.length).toBeGreaterThan(76);

    // Copyable from the file as it is: the whole link on a line of its own, no transfer encoding.
    const raw = readFileSync(file, 'utf8');
    expect(raw.split('\n')).toContain(link);
    expect(raw).toMatch(/Content-Transfer-Encoding: 8bit/i);

    const line = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'email written to outbox (no SMTP_URL)');
    expect(line).toMatchObject({ to: email, subject: 'Join Laptop Ünïcode Co on Delivr', file });
    const token = link.split('/').at(-1) as string;
    expect(t.logs.filter((l) => l.includes(token))).toEqual([]);

    const preview = await t.app.inject({ method: 'POST', url: '/dashboard/api/invites/preview', payload: { token } });
    expect(preview.statusCode).toBe(200);
  });

  it('a password reset link is kept out of the log the same way', async () => {
    const email = `outbox-reset-${Date.now()}@example.com`;
    await createOrg(t, 'Reset Co', email);
    const outboxLines = () =>
      readdirSync(join(t.dataDir, 'outbox')).flatMap((f) => readFileSync(join(t.dataDir, 'outbox', f), 'utf8').split('\n'));
    const linkLine = (kind: string) =>
      outboxLines().filter((l) => l.startsWith(`https://delivr-dashboard.analytics.example-company.com/${kind}/`));
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/dashboard/api/invites/accept',
      payload: { token: linkLine('invite').at(-1)?.split('/').at(-1), first_name: 'R', last_name: 'S', password: 'a long password' },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/dashboard/api/password/forgot', payload: { email } })).statusCode).toBe(202);
    const [reset] = linkLine('reset-password');
    expect(reset).toMatch(/\/reset-password\/[A-Za-z0-9_-]{43}$/);
    const token = (reset as string).split('/').at(-1) as string;
    expect(t.logs.filter((l) => l.includes(token))).toEqual([]);
  });
});

describe('wrapProse', () => {
  it('wraps prose at 76 characters on spaces and leaves a link whole', () => {
    const link = `https://example.com/${'x'.repeat(120)}`;
    const out = wrapProse(`${'word '.repeat(40).trim()}\n${link}\n`);
    const lines = out.split('\n');
    expect(lines.every((l) => l.length <= 76 || l === link)).toBe(true);
    expect(lines).toContain(link);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toBe(`${'word '.repeat(40)}${link} `.replace(/\s+/g, ' '));
  });

  it('cuts only what would pass the protocol line limit (998 bytes), never inside a character', () => {
    const long = '🚀'.repeat(400);
    const lines = wrapProse(long).split('\n');
    expect(lines.every((l) => Buffer.byteLength(l) <= 998)).toBe(true);
    expect(lines.join('')).toBe(long);
  });
});
