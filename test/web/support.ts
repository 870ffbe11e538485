// Shared by the dashboard's browser tests: the real app listening on a loopback port with a temp
// DATA_DIR (the emailed links point at it), Debian's chromium through playwright-core, the emailed
// links read from the outbox, screenshots, and an accessibility check that every control has a name.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { outbox } from '../support/mail.js';
import { freePort } from '../support/server-process.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
const ROOT = join(import.meta.dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');
/** Headless chromium says "HeadlessChrome", which the ingest rightly flags as a bot; visitors here are people. */
export const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/**
 * Debian's chromium, headless, with no network chatter of its own and its profile under `home`.
 * Its default user agent is a desktop one too: a beacon sent while a page unloads leaves from the
 * browser process with the browser's agent, not the context's override, and "HeadlessChrome" would
 * file that event as a bot's.
 */
export function launchChromium(home: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      `--user-agent=${DESKTOP_UA}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: { ...process.env, HOME: home },
  });
}

export function skipReason(): string | null {
  return HAS_CHROMIUM ? null : `${CHROMIUM} is missing; skipping the dashboard browser tests (CI installs Debian's chromium)`;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/**
 * Builds the web app and the tracker when their output is missing or older than their sources
 * (`npm test` has built both already). A lock directory keeps test files in parallel from building
 * at the same time.
 */
export function ensureBuilt(): void {
  const lock = join(ROOT, 'node_modules', '.cache', 'delivr-web-build.lock');
  mkdirSync(join(lock, '..'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline || Date.now() - mtime(lock) > 180_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (newest(join(ROOT, 'web')) > mtime(join(ROOT, 'web', 'dist', 'index.html'))) {
      execFileSync(process.execPath, [join(ROOT, 'web', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    }
    if (!existsSync(join(ROOT, 'tracker', 'dist', 'p.min.js'))) {
      execFileSync(process.execPath, [join(ROOT, 'tracker', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface Dashboard {
  t: TestApp;
  url: string;
  browser: Browser;
  home: string;
  contexts: BrowserContext[];
  /**
   * Script errors and console errors (CSP violations, React warnings) seen so far on any page;
   * failed requests are left out, since refused API calls are part of the flows.
   */
  pageErrors: string[];
  /** A fresh browser profile at 1280×800 with clipboard access to the dashboard. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startDashboard(env: Record<string, string> = {}): Promise<Dashboard> {
  ensureBuilt();
  const home = mkdtempSync(join(tmpdir(), 'delivr-web-home-'));
  process.env.HOME = home;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await makeTestApp({ PUBLIC_URL: url, LOG_LEVEL: 'warn', ...env });
  await t.app.listen({ port, host: '127.0.0.1' });
  const browser = await launchChromium(home);
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    t,
    url,
    browser,
    home,
    contexts,
    pageErrors,
    async newPage() {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        userAgent: DESKTOP_UA,
        locale: 'en-US',
        timezoneId: 'UTC',
      });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${page.url()}: ${m.text()}`);
      });
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await t.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The newest link of a kind (`invite`, `reset-password` or `confirm-signup`) in the emails to `email`, as sent. */
export async function emailedLink(dataDir: string, email: string, kind: 'invite' | 'reset-password' | 'confirm-signup'): Promise<string> {
  const mails = (await outbox(dataDir)).filter((m) => m.to.toLowerCase().includes(email.toLowerCase()));
  const re = new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9_-]+`);
  for (const m of mails.reverse()) {
    const found = re.exec(m.text);
    if (found) return found[0];
  }
  throw new Error(`no ${kind} email to ${email}`);
}

export async function mailCount(dataDir: string, email: string): Promise<number> {
  return (await outbox(dataDir)).filter((m) => m.to.toLowerCase().includes(email.toLowerCase())).length;
}

/** The operator ("your Delivr contact") creates an organization and invites its first owner. */
export async function operatorCreatesOrg(url: string, name: string, ownerEmail: string): Promise<string> {
  const res = await fetch(`${url}/admin/v1/organizations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, owner_email: ownerEmail }),
  });
  if (res.status !== 201) throw new Error(`org create failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { organization: { organization_id: string } }).organization.organization_id;
}

/** Calls the session API from inside the page, as the signed-in person (cookie + CSRF token). */
export async function sessionFetch(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const session = await fetch('/dashboard/api/session');
      const csrf = session.ok ? ((await session.json()) as { csrf_token: string }).csrf_token : '';
      const res = await fetch(`/dashboard/api${path}`, {
        method,
        headers: body === undefined ? { 'x-csrf-token': csrf } : { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: body === undefined ? null : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
    { method, path, body },
  );
}

/**
 * Every visible form control, button and link has an accessible name, and every input, select and
 * textarea a real <label> (or aria-label): what a screen reader announces and what getByLabel finds.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (el: Element) => (el as HTMLElement).offsetParent !== null || el.closest('dialog[open]') !== null;
    const describe = (el: Element) => el.outerHTML.slice(0, 120);
    for (const el of Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))) {
      if (!visible(el)) continue;
      const labelled =
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!labelled) problems.push(`unlabelled field: ${describe(el)}`);
    }
    for (const el of Array.from(document.querySelectorAll('button, a[href]'))) {
      if (!visible(el)) continue;
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
      if (!name) problems.push(`control without a name: ${describe(el)}`);
    }
    return problems;
  });
}

/** What a screen reader would call the focused element, for keyboard assertions. */
export async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const labels = (el as HTMLInputElement).labels;
    return (el.getAttribute('aria-label') ?? (labels && labels[0]?.textContent) ?? el.textContent ?? '').trim();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
