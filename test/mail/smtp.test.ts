// Outgoing mail both ways it can go: over SMTP to a real SMTP server started here (smtp-server,
// parsed with mailparser), and, without SMTP_URL, as an .eml file in DATA_DIR/outbox with the link in
// the log line, which is how a laptop operator finishes an invitation without a mail server. A
// refusing mail server is reported as such, and what was saved can be re-sent.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    t = await makeTestApp();
  });
  afterAll(async () => t?.close());

  it('writes an .eml only its owner can read, and logs the accept link with the file', async () => {
    const email = `outbox-owner-${Date.now()}@example.com`;
    const res = await createOrg(t, 'Laptop Co', email);
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
    expect(mail.subject).toBe('Join Laptop Co on Delivr');
    const link = LINK.exec(mail.text ?? '')?.[0];
    expect(link).toBeDefined();

    const line = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'email written to outbox (no SMTP_URL)');
    expect(line).toMatchObject({ to: email, subject: 'Join Laptop Co on Delivr', file, link });

    const token = (link as string).split('/').at(-1);
    const preview = await t.app.inject({ method: 'POST', url: '/dashboard/api/invites/preview', payload: { token } });
    expect(preview.statusCode).toBe(200);
  });
});
