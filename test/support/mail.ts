// Reads the emails the app wrote to DATA_DIR/outbox (laptop mode) with a real MIME parser.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export async function outbox(dataDir: string): Promise<Mail[]> {
  const dir = join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).sort();
  const mails: Mail[] = [];
  for (const f of files) {
    const parsed = await simpleParser(readFileSync(join(dir, f)));
    const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
    mails.push({ to: to ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '' });
  }
  return mails;
}

/** The token in the newest link of the given kind (`invite` or `reset-password`) sent to `email`. */
export async function latestToken(dataDir: string, email: string, kind: 'invite' | 'reset-password'): Promise<string> {
  const mails = (await outbox(dataDir)).filter((m) => m.to.toLowerCase().includes(email.toLowerCase()));
  const re = new RegExp(`/${kind}/([A-Za-z0-9_-]+)`);
  for (const m of mails.reverse()) {
    const match = re.exec(m.text);
    if (match?.[1]) return match[1];
  }
  throw new Error(`no ${kind} email to ${email}`);
}
