// Acceptance 1 of issue 10, in a real browser: a site on another origin carries a new pixel's
// snippet (default trackers: forms are on). A visitor browses three pages, then submits a form with
// their email; a profile for that email was imported beforehand. The Events API (key + secret) then
// returns all four events resolved, with the profile's first_name and company_name; a second
// visitor who never identified stays unresolved. The owner unlinks the first visitor on the
// dashboard's Person page, and the Events API returns their events unresolved again.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/server-process.js';
import { createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, screenshot, skipReason, startDashboard } from '../web/support.js';

const reason = skipReason();
if (reason) console.log(`identity e2e: ${reason}`);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type Row = Record<string, unknown>;

describe.skipIf(reason !== null)('identity: snippet → form email → resolved events → unlink on the dashboard', () => {
  let d: Dashboard;
  let site: Server;
  let siteUrl = '';
  let owner: Tenant;
  let pixelId = '';
  let key: { apiKey: string; apiSecret: string };
  const tag = randomUUID().slice(0, 8);
  const email = `dana.reyes-${tag}@initech.example`;
  let visitorA = '';
  let visitorB = '';

  const page = (title: string, body: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<script id="delivr-ai" src="${d.url}/pixels/${pixelId}/p.js" async></script>
</head><body><h1>${title}</h1>${body}</body></html>`;

  /** The site's events as the Events API returns them (key + secret), for one visitor. */
  async function eventsOf(visitor: string): Promise<Row[]> {
    const q = new URLSearchParams({
      source: 'pixel',
      pixel_id: pixelId,
      start_ms: String(Date.now() - 600_000),
      end_ms: String(Date.now() + 60_000),
      filter: `visitor_id:eq:${visitor}`,
    });
    const res = await fetch(`${d.url}/api/v2/events?${q}`, { headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: Row[] }).events;
  }

  /** Polls the Events API until the visitor's events of these types are stored (the pixel sends them as beacons). */
  async function storedEvents(visitor: string, types: string[]): Promise<Row[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const events = await eventsOf(visitor);
      const got = events.map((e) => e.event_type as string).sort();
      if (JSON.stringify(got) === JSON.stringify([...types].sort())) return events;
      if (Date.now() > deadline)
        throw new Error(`events of ${visitor}: got ${events.map((e) => `${e.event_type} ${e.path}`).join(', ')}, want ${types.join(',')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function visitorId(p: Page): Promise<string> {
    const cookie = (await p.context().cookies(siteUrl)).find((c) => c.name === '_dlvr_v');
    expect(cookie?.value).toMatch(/^[0-9a-f]{32}$/);
    return cookie?.value ?? '';
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Initech watchers ${tag}` });
    key = await createKey(d.t, owner);
    const post = (url: string, payload: object) =>
      d.t.app.inject({ method: 'POST', url: `/dashboard/api/orgs/${owner.orgId}${url}`, headers: dash(owner.session), payload });
    const project = json<{ project: { project_id: string } }>(await post('/projects', { name: 'site' })).project.project_id;
    // A new pixel with nothing chosen: the default trackers, which capture form emails.
    const pixel = json<{ pixel: { pixel_id: string; trackers: string[] } }>(
      await post(`/projects/${project}/pixels`, { title: 'www' }),
    ).pixel;
    expect(pixel.trackers).toEqual(['spa', 'forms']);
    pixelId = pixel.pixel_id;
    // The profile imported beforehand (a CRM export), keyed by the email's hashes.
    await d.t.services.analytics.mergeProfiles(
      owner.orgId,
      [
        {
          hem_sha256: sha256(email),
          hem_md5: createHash('md5').update(email).digest('hex'),
          hem_sha1: createHash('sha1').update(email).digest('hex'),
          first_name: 'Dana',
          last_name: 'Reyes',
          job_title: 'VP Marketing',
          company_name: 'Initech',
        },
      ],
      Date.now(),
    );

    const port = await freePort();
    // localhost is a secure context, so the browser can hash the email (crypto.subtle).
    siteUrl = `http://localhost:${port}`;
    const pages: Record<string, string> = {
      '/': page('Initech home', '<a href="/pricing">Pricing</a>'),
      '/pricing': page('Pricing', '<a href="/contact">Contact us</a>'),
      '/contact': page(
        'Contact',
        `<form id="demo" method="post" action="/thanks">
<label>Work email <input name="email" type="email"></label>
<label>Company <input name="company"></label>
<button type="submit">Request a demo</button></form>`,
      ),
    };
    site = createServer((req, res) => {
      const path = new URL(req.url ?? '/', siteUrl).pathname;
      const html = pages[path] ?? '<!doctype html><title>Thanks</title><p>Thanks, we will be in touch.</p>';
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      });
    });
    await new Promise<void>((r) => site.listen(port, '127.0.0.1', () => r()));
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => site?.close(r));
    await d?.close();
  });

  it('a visitor who browses three pages and sends a form with their email has all four events resolved to the imported profile', async () => {
    const p = await d.newPage();
    await p.goto(`${siteUrl}/`);
    await p.getByRole('link', { name: 'Pricing' }).click();
    await p.getByRole('heading', { name: 'Pricing' }).waitFor();
    await p.getByRole('link', { name: 'Contact us' }).click();
    await p.getByRole('heading', { name: 'Contact' }).waitFor();
    await p.getByLabel('Work email').fill(` ${email.replace('dana', 'Dana')} `);
    await p.getByLabel('Company').fill('Initech');
    await Promise.all([p.waitForURL(`${siteUrl}/thanks`), p.getByRole('button', { name: 'Request a demo' }).click()]);
    await p.getByText('Thanks, we will be in touch.').waitFor();
    visitorA = await visitorId(p);

    const events = await storedEvents(visitorA, ['page_view', 'page_view', 'page_view', 'form_submission']);
    expect(events).toHaveLength(4);
    for (const e of events) {
      expect(e).toMatchObject({
        visitor_id: visitorA,
        resolved: true,
        hem_sha256: sha256(email),
        first_name: 'Dana',
        company_name: 'Initech',
      });
    }
    expect(events.filter((e) => e.event_type === 'page_view').map((e) => e.path)).toEqual(['/', '/pricing', '/contact']);
    // The email itself never left the browser.
    expect(JSON.stringify(events)).not.toContain(email);
  }, 60_000);

  it('a second visitor who never identified stays unresolved', async () => {
    const p = await d.newPage();
    await p.goto(`${siteUrl}/`);
    await p.getByRole('link', { name: 'Pricing' }).click();
    await p.getByRole('heading', { name: 'Pricing' }).waitFor();
    visitorB = await visitorId(p);
    expect(visitorB).not.toBe(visitorA);
    const events = await storedEvents(visitorB, ['page_view', 'page_view']);
    for (const e of events) expect(e).toMatchObject({ resolved: false, hem_sha256: null, first_name: null, company_name: null });
  }, 60_000);

  it('unlinking the first visitor on the Person page makes their events unresolved again', async () => {
    const p = await d.newPage();
    await p.goto(`${d.url}/${owner.orgId}/people`);
    await p.getByLabel('Email').fill(owner.email);
    await p.getByLabel('Password').fill(owner.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    const row = p.getByRole('row', { name: /Dana Reyes/ });
    await row.waitFor();
    expect((await row.locator('td').allInnerTexts()).map((s) => s.trim())).toEqual([
      'Initech',
      'VP Marketing',
      expect.any(String),
      '1',
      '4',
    ]);
    await row.getByRole('link', { name: 'Dana Reyes' }).click();
    await p.getByRole('heading', { name: 'Dana Reyes', level: 1 }).waitFor();
    const link = p.getByRole('row', { name: new RegExp(visitorA) });
    await link.getByText('Form with their email').waitFor();
    await p.getByRole('list', { name: 'Events, newest first' }).getByText('Submitted a form').waitFor();
    await screenshot(p, 'person-before-unlink');

    await link.getByRole('button', { name: `Unlink visitor ${visitorA}` }).click();
    const dialog = p.getByRole('dialog', { name: `Unlink visitor ${visitorA}?` });
    await dialog.getByText('none of its events, earlier ones included').waitFor();
    await dialog.getByRole('button', { name: 'Unlink visitor' }).click();
    await p.getByRole('status').getByText(`Visitor ${visitorA} is no longer linked to Dana Reyes.`).waitFor();
    await p.getByText('No visitor is linked to this person now').waitFor();
    await p.getByText('No events are attributed to this person in the last 400 days.').waitFor();
    await screenshot(p, 'person-after-unlink');

    const events = await eventsOf(visitorA);
    expect(events).toHaveLength(4);
    for (const e of events) expect(e).toMatchObject({ resolved: false, hem_sha256: null, first_name: null, company_name: null });
    // The other visitor is untouched, and the profile stays for lookup.
    for (const e of await eventsOf(visitorB)) expect(e).toMatchObject({ resolved: false });
    const lookup = await fetch(`${d.url}/api/v1/lookup?email=${encodeURIComponent(email)}`, {
      headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret },
    });
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ first_name: 'Dana', company_name: 'Initech' });
    expect(d.pageErrors).toEqual([]);
  }, 60_000);
});
