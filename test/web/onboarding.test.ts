// A new customer's first hour, in a real browser: the operator creates the organization, the owner
// opens the emailed invitation, sets a name and password, creates a project and a pixel, copies
// the snippet into a site (a page on another local port), sees the install check turn green and the
// events on the Events page. Then: a second organization and the switcher, sign out, and the
// forgotten-password flow through the emailed link.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dashboard,
  emailedLink,
  focusedName,
  operatorCreatesOrg,
  screenshot,
  skipReason,
  startDashboard,
  unlabelledControls,
} from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('onboarding in the browser', () => {
  let d: Dashboard;
  let page: Page;
  let site: Server;
  let siteUrl = '';
  let snippet = '';
  let orgId = '';
  let projectId = '';
  let pixelId = '';
  const tag = randomUUID().slice(0, 8);
  const email = `owner-${tag}@example.com`;
  let password = `first-${randomUUID()}`;

  beforeAll(async () => {
    d = await startDashboard();
    page = await d.newPage();
    // The customer's site: a page on another port with whatever snippet the dashboard gave us.
    site = createServer((req, res) => {
      if (req.url?.startsWith('/favicon')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Shop ${tag}</title>
${snippet}
</head><body><h1>Shop</h1><button id="buy" type="button">Buy now</button></body></html>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => site?.close(r));
    await d?.close();
  });

  it('loads under the 300 KB budget, and a fresh install offers sign-up to its first user', async () => {
    const fresh = await d.newPage();
    const requests: import('playwright-core').Request[] = [];
    fresh.on('requestfinished', (r) => requests.push(r));
    await fresh.goto(`${d.url}/sign-in`, { waitUntil: 'networkidle' });
    await fresh.getByRole('heading', { name: 'Sign in' }).waitFor();
    let bytes = 0;
    for (const r of requests) {
      const s = await r.sizes();
      bytes += s.responseBodySize + s.responseHeadersSize;
    }
    console.log(`web: sign-in page transferred ${(bytes / 1024).toFixed(1)} KB in ${requests.length} requests`);
    expect(bytes).toBeLessThan(300 * 1024);
    expect(bytes).toBeGreaterThan(10 * 1024);
    const js = requests.find((r) => r.url().includes('/assets/') && r.url().endsWith('.js'));
    expect(await (await js?.response())?.headerValue('content-encoding')).toBe('gzip');
    // No organization exists yet, so the server lets the first person sign up.
    await fresh.getByRole('link', { name: 'Create an account' }).waitFor();
    expect(await unlabelledControls(fresh)).toEqual([]);
    await screenshot(fresh, 'sign-in');
    await fresh.context().close();
  });

  it('accepts the emailed invitation: name and password, then signed in', async () => {
    orgId = await operatorCreatesOrg(d.url, `Acme ${tag}`, email);
    const link = await emailedLink(d.t.dataDir, email, 'invite');
    expect(link.startsWith(`${d.url}/invite/`)).toBe(true);
    await page.goto(link);
    await page.getByRole('heading', { name: `Join Acme ${tag}` }).waitFor();
    await page.getByText(email).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('First name').fill('Ann');
    await page.getByLabel('Last name').fill('Owner');
    await page.getByLabel('Choose a password').fill(password);
    await page.getByLabel('Confirm password').fill(`${password}x`);
    await screenshot(page, 'invite-accept');
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The two passwords are different');
    await page.getByLabel('Confirm password').fill(password);
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await page.getByRole('heading', { name: `Welcome to Acme ${tag}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/${orgId}`);
    await page.getByText(email).waitFor();
    // The empty state says what to do next.
    await page.getByRole('link', { name: 'Go to Settings › Projects' }).waitFor();
    await screenshot(page, 'overview-new-user');
    // The link works once.
    await page.goto(link);
    await page.getByRole('heading', { name: "This invitation can't be used" }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not found or expired/i);
  });

  it('closes sign-up once an organization exists', async () => {
    const other = await d.newPage();
    await other.goto(`${d.url}/sign-in`);
    await other.getByText('Accounts are created by invitation').waitFor();
    await expect(other.getByRole('link', { name: 'Create an account' }).count()).resolves.toBe(0);
    await other.goto(`${d.url}/sign-up`);
    await other.getByRole('heading', { name: 'Sign-up is closed' }).waitFor();
    await other.context().close();
  });

  it('creates and renames a project under Settings > Projects', async () => {
    await page.goto(`${d.url}/${orgId}`);
    await page.getByRole('link', { name: 'Projects', exact: true }).click();
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await page.getByRole('button', { name: 'Create project' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create project' });
    await dialog.getByLabel('Project name').fill('Web shop');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('status').filter({ hasText: 'Project Web shop created' }).waitFor();
    await page.getByRole('button', { name: 'Rename Web shop' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename Web shop' });
    await rename.getByLabel('Project name').fill('Main shop');
    await rename.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('rowheader', { name: 'Main shop' }).waitFor();
    projectId = (await page.locator('tbody code').first().textContent()) ?? '';
    expect(projectId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'projects');
  });

  it('creates a pixel, copies its snippet, and the install check turns green when the site sends events', async () => {
    await page.getByRole('link', { name: 'Pixels of Main shop' }).click();
    await page.getByRole('heading', { name: 'No pixels yet' }).waitFor();
    await page.getByRole('button', { name: 'Create pixel' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create pixel' });
    await dialog.getByLabel('Pixel name').fill('www.shop.example');
    // A new pixel starts with the default trackers; turning clicks on grows the script shown.
    const clicks = dialog.getByRole('checkbox', { name: /^Clicks:/ });
    const size = dialog.getByTestId('script-size');
    expect(await dialog.getByRole('checkbox', { name: /^Page views on in-page navigation/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: /^Form submissions:/ }).isChecked()).toBe(true);
    expect(await clicks.isChecked()).toBe(false);
    const kb = async () => Number(/([\d.]+) KB/.exec((await size.textContent()) ?? '')?.[1]);
    const lean = await kb();
    expect(lean).toBeGreaterThan(1);
    expect(lean).toBeLessThanOrEqual(1.75);
    await clicks.check();
    await expect.poll(kb).toBeGreaterThan(lean);
    await screenshot(page, 'pixel-create');
    await dialog.getByRole('button', { name: 'Create pixel' }).click();
    const card = page.getByRole('article', { name: 'www.shop.example' });
    await card.waitFor();
    expect(await card.getByTestId('pixel-trackers').textContent()).toBe('Page views, In-page navigation, Clicks, Form submissions');

    // Editing: downloads on, then saved; the card shows the new choice.
    await card.getByRole('button', { name: 'Edit pixel www.shop.example' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit pixel www.shop.example' });
    expect(await edit.getByRole('checkbox', { name: /^Clicks:/ }).isChecked()).toBe(true);
    await edit.getByRole('checkbox', { name: /^File downloads:/ }).check();
    // The "saved" notice must describe what the page shows: hold the reload of the pixel list after
    // the save, and the notice may not appear until that list (and so the card) is the new one.
    const saved = page.getByRole('status').filter({ hasText: 'Pixel www.shop.example saved' });
    const list = `**/dashboard/api/orgs/${orgId}/projects/${projectId}/pixels`;
    let release: () => void = () => undefined;
    let seen: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const reloading = new Promise<void>((r) => {
      seen = r;
    });
    await page.route(list, async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      seen();
      await held;
      await route.continue();
    });
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await reloading;
    expect(await saved.count()).toBe(0);
    release();
    await saved.waitFor();
    await page.unroute(list);
    expect(await card.getByTestId('pixel-trackers').textContent()).toBe(
      'Page views, In-page navigation, Clicks, Form submissions, File downloads',
    );
    await expect(card.getByRole('status').first().textContent()).resolves.toContain('Waiting for the first event');
    pixelId = (await card.locator('dd code').textContent()) ?? '';
    expect(new URL(page.url()).pathname).toBe(`/${orgId}/projects/${projectId}/settings/pixels`);

    await card.getByRole('button', { name: 'Copy snippet for www.shop.example' }).click();
    await card.getByText('Copied', { exact: true }).waitFor();
    snippet = await page.evaluate(() => navigator.clipboard.readText());
    expect(snippet).toBe(`<script id="delivr-ai" src="${d.url}/pixels/${pixelId}/p.js" async></script>`);
    expect(await card.locator('pre').textContent()).toBe(snippet);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'pixels-waiting');

    // A visitor on the customer's site, in another browser profile. Each page's events are waited
    // for until the ingest has acknowledged them (stored): a beacon sent while the page unloads
    // carries chromium's own "HeadlessChrome" user agent instead of the context's, and the ingest
    // files it as a bot, so nothing may be left in the tracker's batch when the page changes.
    const visitor = await d.newPage();
    const stored = (type: string) =>
      visitor.waitForResponse(
        (r) =>
          r.url().includes('/pixel/core/api/send-event') && r.ok() && (r.request().postData() ?? '').includes(`"event_type":"${type}"`),
      );
    const pricingView = stored('page_view');
    await visitor.goto(`${siteUrl}/pricing?utm_source=news`);
    const click = stored('click');
    await visitor.click('#buy');
    await Promise.all([pricingView, click]);
    const checkoutView = stored('page_view');
    await visitor.goto(`${siteUrl}/checkout`);
    await checkoutView;
    await visitor.close();
  });

  it('shows the events with filters, a chart and the full event', async () => {
    await page.getByRole('link', { name: 'See events' }).click();
    await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
    expect(new URL(page.url()).searchParams.get('pixel')).toBe(pixelId);
    const table = page.locator('table.events-table');
    // The visitor's events were acknowledged, so stored, before this page loaded: all three are there.
    await table.locator('tbody tr').nth(2).waitFor();
    const types = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(types.filter((t) => t === 'Page view')).toHaveLength(2);
    expect(types).toContain('Click');
    await expect(page.locator('figure.chart figcaption').textContent()).resolves.toMatch(/Events per hour: \d+ in this range/);
    expect(await page.locator('rect.chart-bar').count()).toBeGreaterThan(20);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'events');

    // Filters become the documented filter grammar.
    await page.getByLabel('Event type').fill('click');
    const clickOnly = page.waitForRequest((r) => r.url().includes('/recent-events?'));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const sent = new URL((await clickOnly).url());
    expect(sent.searchParams.get('filter')).toBe('event_type:eq:click');
    expect(sent.searchParams.get('pixel_id')).toBe(pixelId);
    await expect.poll(() => table.locator('tbody tr td:nth-child(2)').allTextContents()).toEqual(['Click']);

    await page.getByLabel('Resolved').selectOption('yes');
    const resolved = page.waitForRequest((r) => r.url().includes('/recent-events?'));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(new URL((await resolved).url()).searchParams.get('filter')).toBe('event_type:eq:click,resolved:eq:true');
    await page.getByRole('heading', { name: 'No events in this range' }).waitFor();

    await page.getByLabel('Time range').selectOption('7d');
    await page.getByLabel('Resolved').selectOption('any');
    await page.getByLabel('Event type').fill('');
    const week = page.waitForRequest((r) => r.url().includes('/event_counts?'));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const counts = new URL((await week).url());
    expect(counts.searchParams.get('interval')).toBe('day');
    expect(Number(counts.searchParams.get('end_ms')) - Number(counts.searchParams.get('start_ms'))).toBeGreaterThan(6 * 86_400_000);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBeGreaterThanOrEqual(3);

    // A row opens the full event; Escape closes it and focus returns to the row's button.
    const rowButton = table.locator('tbody tr').filter({ hasText: 'click' }).getByRole('button');
    await rowButton.focus();
    await page.keyboard.press('Enter');
    const detail = page.getByRole('dialog', { name: 'Click' });
    await detail.waitFor();
    await expect(detail.locator('dl').textContent()).resolves.toContain(pixelId);
    await expect(detail.locator('pre').textContent()).resolves.toContain('"url"');
    await screenshot(page, 'event-detail');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.classList.contains('link-button'))).toBe(true);
  });

  it('switches organizations after joining a second one as an existing user', async () => {
    const second = await operatorCreatesOrg(d.url, `Beta ${tag}`, email);
    const link = await emailedLink(d.t.dataDir, email, 'invite');
    await page.goto(link);
    await page.getByRole('heading', { name: `Join Beta ${tag}` }).waitFor();
    await page.getByText('You already have a Delivr account').waitFor();
    await expect(page.getByLabel('First name').count()).resolves.toBe(0);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Join organization' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Invalid credentials.');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Join organization' }).click();
    await page.getByRole('heading', { name: `Welcome to Beta ${tag}` }).waitFor();

    const switcher = page.getByLabel('Organization', { exact: true });
    await expect(switcher.inputValue()).resolves.toBe(second);
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { name: 'Members', exact: true }).waitFor();
    await switcher.selectOption({ label: `Acme ${tag}` });
    await page.waitForURL(`${d.url}/${orgId}/settings/members`);
    await page.getByText(`People who can sign in to Acme ${tag}.`).waitFor();
  });

  it('signs out, guards the pages, and signs back in to the page asked for', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const me = await page.evaluate(() => fetch('/dashboard/api/session').then((r) => r.status));
    expect(me).toBe(401);
    await page.goto(`${d.url}/${orgId}/events`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/${orgId}/events`);
    // The form is usable from the keyboard alone.
    await page.getByLabel('Email').focus();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Password');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/${orgId}/events`);
  });

  it('resets a forgotten password through the emailed link', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await screenshot(page, 'forgot-password');
    await page.getByRole('button', { name: 'Email me a reset link' }).click();
    await page.getByText('a reset link is on its way').waitFor();

    const link = await emailedLink(d.t.dataDir, email, 'reset-password');
    expect(link.startsWith(`${d.url}/reset-password/`)).toBe(true);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    const next = `second-${randomUUID()}`;
    await page.getByLabel('New password', { exact: true }).fill(next);
    await page.getByLabel('Confirm new password').fill(next);
    await screenshot(page, 'reset-password');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByText('Your password is changed').waitFor();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Invalid credentials.');
    password = next;
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Home: the overview of an organization with traffic, or the checklist of one without.
    await page.getByRole('heading', { name: /^(Welcome to (Acme|Beta) |Overview$)/ }).waitFor();

    // The link worked once.
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill('third-password-1');
    await page.getByLabel('Confirm new password').fill('third-password-1');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/reset link is unknown, used or expired\.$/);
  });

  it('logged no script errors, CSP violations or React warnings in the browser', () => {
    expect(d.pageErrors).toEqual([]);
  });
});
