// The traffic overview in a real browser: a new pixel's test site (two pages, on another origin)
// visited by three people in their own browser contexts, one from Google, one from LinkedIn and one
// typing the address; the owner's overview then shows 3 visitors, the pages and sources they came
// by, and choosing a page filters the headline, the chart and every other panel, in a URL that shows
// the same view when opened again. Screenshots at 1280 and 390 pixels wide.
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/server-process.js';
import { dash, json, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, screenshot, skipReason, startDashboard, unlabelledControls } from '../web/support.js';

const reason = skipReason();
if (reason) console.log(`overview: ${reason}`);

/** Polls what the page shows until it matches: an organization's overview calls take turns in the query gate, so a loaded machine needs seconds. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

describe.skipIf(reason !== null)('traffic overview in the browser', () => {
  let d: Dashboard;
  let site: Server;
  let siteUrl = '';
  let owner: Tenant;
  let pixelId = '';
  /** The owner's signed-in page, left by the first test for the next. */
  let ownerPage: Page | null = null;

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t);
    const project = json<{ project: { project_id: string } }>(
      await d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects`,
        headers: dash(owner.session),
        payload: { name: 'Acme site', time_zone: 'Europe/Berlin' },
      }),
    ).project.project_id;
    pixelId = json<{ pixel: { pixel_id: string } }>(
      await d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects/${project}/pixels`,
        headers: dash(owner.session),
        payload: { title: 'www' },
      }),
    ).pixel.pixel_id;
    const port = await freePort();
    siteUrl = `http://localhost:${port}`;
    const page = (title: string, body: string) => `<!doctype html><html><head><title>${title}</title>
<script id="delivr-ai" src="${d.url}/pixels/${pixelId}/p.js" async></script>
</head><body>${body}</body></html>`;
    site = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        req.url?.startsWith('/pricing')
          ? page('Pricing', '<h1>Pricing</h1><a href="/">Home</a>')
          : page('Acme', '<h1>Acme</h1><a id="pricing" href="/pricing">See pricing</a>'),
      );
    });
    await new Promise<void>((r) => site.listen(port, '127.0.0.1', () => r()));
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => site?.close(r));
    await d?.close();
  });

  /** Opens a page of the site and waits until the pixel's page view is acknowledged. */
  async function view(page: Page, path: string, referer?: string): Promise<void> {
    const sent = page.waitForResponse((r) => r.url().endsWith('/pixel/core/api/send-event') && r.status() === 200, { timeout: 15_000 });
    await page.goto(`${siteUrl}${path}`, referer ? { referer } : {});
    await sent;
  }

  it('shows three visitors, their pages and sources, and filters everything by a chosen page', async () => {
    // Three people, each in a browser of their own.
    const fromGoogle = await d.newPage();
    await view(fromGoogle, '/', 'https://www.google.com/');
    const toPricing = fromGoogle.waitForResponse((r) => r.url().endsWith('/pixel/core/api/send-event') && r.status() === 200);
    await fromGoogle.click('#pricing');
    await toPricing;
    const direct = await d.newPage();
    await view(direct, '/pricing');
    const fromLinkedIn = await d.newPage();
    await view(fromLinkedIn, '/', 'https://www.linkedin.com/feed/');
    await view(fromLinkedIn, '/pricing');

    const page = await d.newPage();
    const overview = `${d.url}/${owner.orgId}`;
    await page.goto(overview);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();

    const stat = (metric: string) => page.locator(`.stat[data-metric="${metric}"] .stat-value`);
    await eventually(() => stat('visitors').textContent()).toBe('3');
    expect(await stat('pageviews').textContent()).toBe('5');
    await page.getByText('3 visitors now').waitFor();

    const panel = (title: string) => page.getByRole('region', { name: title });
    const rows = async (title: string) =>
      (await panel(title).locator('tbody tr').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    await eventually(() => rows('Top pages')).toEqual(['/pricing3', '/2']);
    await eventually(() => rows('Sources')).toEqual(['Direct / None1', 'Google1', 'LinkedIn1']);
    await page.locator('.recharts-line').first().waitFor();
    await screenshot(page, 'overview-1280');
    // The chart's numbers, as a table: today has the three visitors.
    await page.getByText('Show the numbers').click();
    const todayRow = page.locator('.chart-card tbody tr').last();
    await eventually(async () => (await todayRow.locator('td').allTextContents()).slice(1)).toEqual(['3', '5']);
    await page.getByText('Show the numbers').click();
    await page.screenshot({ path: `${process.cwd()}/test-artifacts/screenshots/overview-1280-full.png`, fullPage: true });
    await page.getByText('Show the numbers').click();

    // Choose "/" in Top pages: the whole page is about the visits that saw it.
    await panel('Top pages').getByRole('button', { name: 'Filter by Page: /', exact: true }).click();
    await page.getByRole('list', { name: 'Filters' }).getByText('Page is /').waitFor();
    await eventually(() => stat('visitors').textContent()).toBe('2');
    await eventually(() => rows('Sources')).toEqual(['Google1', 'LinkedIn1']);
    await eventually(async () => (await todayRow.locator('td').allTextContents()).slice(1)).toEqual(['2', '2']);
    await eventually(() => rows('Top pages')).toEqual(['/2']);
    const filtered = page.url();
    expect(new URL(filtered).searchParams.getAll('f')).toEqual(['page:/']);

    // The URL is the view: opened again, it shows the same filtered numbers.
    const again = await page.context().newPage();
    await again.goto(filtered);
    await again.getByRole('list', { name: 'Filters' }).getByText('Page is /').waitFor();
    await eventually(() => again.locator('.stat[data-metric="visitors"] .stat-value').textContent()).toBe('2');
    await again.close();

    // Removing the chip brings every visit back.
    await page.getByRole('button', { name: 'Remove filter Page is /' }).click();
    await eventually(() => stat('visitors').textContent()).toBe('3');
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByText('Show the numbers').click();
    await page.setViewportSize({ width: 390, height: 844 });
    await eventually(() => rows('Top pages')).toEqual(['/pricing3', '/2']);
    await screenshot(page, 'overview-390');
    await page.screenshot({ path: `${process.cwd()}/test-artifacts/screenshots/overview-390-full.png`, fullPage: true });
    expect(d.pageErrors).toEqual([]);
    ownerPage = page;
  }, 120_000);

  it('finds events by URL or title on the Events page and downloads that filter as CSV and NDJSON', async () => {
    const page = ownerPage;
    if (!page) throw new Error('the overview test signs in first');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${d.url}/${owner.orgId}/events`);
    await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
    await page.getByLabel('Search URL or title').fill('pricing');
    const listed = page.waitForRequest((r) => r.url().includes('/recent-events?'));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(new URL((await listed).url()).searchParams.get('filter')).toBe('url:like:%pricing%|title:like:%pricing%');
    expect(new URL(page.url()).searchParams.get('q')).toBe('pricing');
    const table = page.locator('table.events-table');
    await eventually(() => table.locator('tbody tr td:nth-child(3)').allTextContents()).toEqual(['/pricing', '/pricing', '/pricing']);
    expect(await table.locator('tbody tr td:nth-child(2)').allTextContents()).toEqual(['Page view', 'Page view', 'Page view']);

    const download = async (format: string) => {
      const href = await page.getByRole('link', { name: format, exact: true }).getAttribute('href');
      expect(href).toContain('/events/export?');
      return page.evaluate((url) => fetch(url).then((r) => r.text()), href as string);
    };
    const csv = (await download('CSV')).trim().split('\r\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]?.split(',').slice(0, 3)).toEqual(['event_id', 'event_type', 'ts_millis']);
    const ndjson = (await download('NDJSON'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { path: string; title: string });
    expect(ndjson.map((e) => [e.path, e.title])).toEqual([
      ['/pricing', 'Pricing'],
      ['/pricing', 'Pricing'],
      ['/pricing', 'Pricing'],
    ]);
    await screenshot(page, 'events-search');
    expect(d.pageErrors).toEqual([]);
  }, 60_000);

  it('sets the project’s time zone in Settings, and the overview counts its days there', async () => {
    const page = ownerPage;
    if (!page) throw new Error('the overview test signs in first');
    await page.goto(`${d.url}/${owner.orgId}/settings/projects`);
    await page.getByRole('cell', { name: 'Europe/Berlin' }).waitFor();
    await page.getByRole('button', { name: 'Change time zone of Acme site' }).click();
    const dialog = page.getByRole('dialog', { name: 'Time zone of Acme site' });
    await dialog.getByLabel('Time zone').selectOption('Asia/Tokyo');
    await dialog.getByRole('button', { name: 'Save time zone' }).click();
    await page.getByText('Acme site now counts its days in Asia/Tokyo.').waitFor();
    // The row shows it too, and retention was left as it was.
    await page.getByRole('cell', { name: 'Asia/Tokyo' }).waitFor();
    await page.getByRole('cell', { name: 'Keep forever' }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByText('in its time zone (Asia/Tokyo)').waitFor();
    await eventually(() => page.locator('.stat[data-metric="visitors"] .stat-value').textContent()).toBe('3');
    expect(d.pageErrors).toEqual([]);
  }, 60_000);
});
