// Outgoing email. With SMTP_URL set, nodemailer sends over SMTP; without it (laptop mode) the same
// message is rendered to an .eml file in DATA_DIR/outbox, so an operator can finish an invitation
// without a mail server. The links inside are credentials: no log line carries one (the log names
// the file), the CLI prints them to the operator who asked, and in the .eml the plain-text part is
// sent 8bit with each link on one line of its own, so it can be copied as it is (quoted-printable
// would cut it with `=` soft line breaks).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';

export interface Message {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The action link inside (a credential): for the CLI to print, never for a log. */
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
      const text = { raw: `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${wrapProse(m.text)}` };
      const info = await transport.sendMail({ from: opts.from, to: m.to, subject: m.subject, text, html: m.html });
      mkdirSync(outbox, { recursive: true });
      const file = join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      opts.log.info({ to: m.to, subject: m.subject, file }, 'email written to outbox (no SMTP_URL)');
    },
    close: () => transport.close(),
  };
}

/** Longest line of an 8bit part, in bytes (RFC 5322 allows 998; a word longer than this is cut). */
const MAX_LINE_BYTES = 900;

/**
 * Wraps prose lines at 76 characters on spaces so an 8bit part keeps short lines; a line with no
 * space to break at (a link) stays whole unless it would pass the protocol's line limit.
 */
export function wrapProse(text: string, width = 76): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > width) {
      const cut = rest.lastIndexOf(' ', width);
      if (cut <= 0) break;
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    }
    while (Buffer.byteLength(rest) > MAX_LINE_BYTES) {
      let n = MAX_LINE_BYTES;
      while (Buffer.byteLength(rest.slice(0, n)) > MAX_LINE_BYTES || /[\udc00-\udfff]/.test(rest.charAt(n))) n--;
      out.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    out.push(rest);
  }
  return out.join('\n');
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

export function signupConfirmMessage(input: { to: string; link: string }): Message {
  const text = `Someone signed up for Delivr with this email address.\n\nFinish signing up:\n${input.link}\n\nThe link works once and expires in 24 hours. If it was not you, ignore this email: no account is made.\n`;
  const html = `<p>Someone signed up for Delivr with this email address.</p><p><a href="${escapeHtml(input.link)}">Finish signing up</a></p><p>The link works once and expires in 24 hours. If it was not you, ignore this email: no account is made.</p>`;
  return { to: input.to, subject: 'Finish signing up for Delivr', text, html, link: input.link };
}

/** Sign-up for an address that has an account already (LOGIN_HIDE_UNKNOWN_USERS): the owner is told, nobody else. */
export function signupExistingMessage(input: { to: string; signInLink: string; resetLink: string }): Message {
  const text = `Someone tried to sign up for Delivr with this email address, but it already has an account.\n\nSign in:\n${input.signInLink}\n\nForgot your password? Ask for a new one:\n${input.resetLink}\n\nIf it was not you, ignore this email: nothing was changed.\n`;
  const html = `<p>Someone tried to sign up for Delivr with this email address, but it already has an account.</p><p><a href="${escapeHtml(input.signInLink)}">Sign in</a> or <a href="${escapeHtml(input.resetLink)}">ask for a new password</a>.</p><p>If it was not you, ignore this email: nothing was changed.</p>`;
  return { to: input.to, subject: 'You already have a Delivr account', text, html, link: input.signInLink };
}
