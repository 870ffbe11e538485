// Outgoing email. With SMTP_URL set, nodemailer sends over SMTP; without it (laptop mode) the same
// message is rendered to an .eml file in DATA_DIR/outbox and its link is logged, so an operator can
// finish an invitation without a mail server. Only this mode logs a link: it is the mail itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';

export interface Message {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The action link inside, logged in outbox mode only. */
  link: string;
}

export interface Mailer {
  send(message: Message): Promise<void>;
  close(): void;
}

export function createMailer(opts: { smtpUrl: string | null; from: string; dataDir: string; log: Logger }): Mailer {
  if (opts.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport(opts.smtpUrl);
    return {
      async send(m) {
        await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
        opts.log.info({ to: m.to, subject: m.subject }, 'email sent');
      },
      close: () => transport.close(),
    };
  }
  const outbox = join(opts.dataDir, 'outbox');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      const info = await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
      mkdirSync(outbox, { recursive: true });
      const file = join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      opts.log.info({ to: m.to, subject: m.subject, file, link: m.link }, 'email written to outbox (no SMTP_URL)');
    },
    close: () => transport.close(),
  };
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function inviteMessage(input: { to: string; organizationName: string; link: string; inviterName: string | null }): Message {
  const who = input.inviterName ? `${input.inviterName} has invited you` : 'You have been invited';
  const text = `${who} to join ${input.organizationName} on Delivr.\n\nAccept the invitation and set your password:\n${input.link}\n\nIf you did not expect this email, you can ignore it.\n`;
  const html = `<p>${escapeHtml(who)} to join <strong>${escapeHtml(input.organizationName)}</strong> on Delivr.</p><p><a href="${escapeHtml(input.link)}">Accept the invitation</a></p><p>If you did not expect this email, you can ignore it.</p>`;
  return { to: input.to, subject: `Join ${input.organizationName} on Delivr`, text, html, link: input.link };
}

export function passwordResetMessage(input: { to: string; link: string }): Message {
  const text = `Someone asked to reset the password of your Delivr account.\n\nChoose a new password:\n${input.link}\n\nThe link works once and expires in one hour. If it was not you, ignore this email.\n`;
  const html = `<p>Someone asked to reset the password of your Delivr account.</p><p><a href="${escapeHtml(input.link)}">Choose a new password</a></p><p>The link works once and expires in one hour. If it was not you, ignore this email.</p>`;
  return { to: input.to, subject: 'Reset your Delivr password', text, html, link: input.link };
}
