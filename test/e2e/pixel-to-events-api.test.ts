// The whole path in a real browser: a site on another origin carries the seed's snippet, a visitor
// views the page, clicks, submits a form and triggers a custom event, and the Events API (API key +
// secret) returns those events with the right fields within one second of their acknowledgement.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/server-process.js';
import { createKey, dash, json, newTenant } from '../support/tenant.js';
import { type Dashboard, skipReason, startDashboard } from '../web/support.js';

const reason = skipReason();
if (reason) console.log(`pixel-to-events-api: ${reason}`);

describe.skipIf(reason !== null)('pixel snippet → ingest → Events API', () => {
  let d: Dashboard;
  let site: Server;
  let siteUrl = '';
  let orgId = '';
  let pixelId = '';
  let key: { apiKey: string; apiSecret: string };

  beforeAll(async () => {
    d = await startDashboard();
    const tenant = await newTenant(d.t);
    orgId = tenant.orgId;
    key = await createKey(d.t, tenant);
    const project = json<{ project: { project_id: string } }>(
      await d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${orgId}/projects`,
        headers: dash(tenant.session),
        payload: { name: 'site' },
      }),
    ).project.project_id;
    pixelId = json<{ pixel: { pixel_id: string } }>(
      await d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${orgId}/projects/${project}/pixels`,
        headers: dash(tenant.session),
        // Clicks are opt-in per pixel (a new pixel sends page views and form submissions).
        payload: { title: 'www', trackers: ['spa', 'clicks', 'forms'] },
      }),
    ).pixel.pixel_id;
    const port = await freePort();
    siteUrl = `http://localhost:${port}/`;
    // The snippet exactly as the seed gives it, with the local installation URL.
    const html = `<!doctype html><html><head><title>Acme pricing</title>
<script>window.delivr = window.delivr || []; delivr.push(['track', 'signup_intent', { plan: 'pro' }]);</script>
<script id="delivr-ai" src="${d.url}/pixels/${pixelId}/p.js" async></script>
</head><body><h1>Pricing</h1><button id="buy" class="cta">Buy now</button>
<form id="lead" onsubmit="return false"><input name="email" type="email"><input name="password" type="password"><input name="company"><button id="send" type="submit">Send</button></form>
</body></html>`;
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    });
    await new Promise<void>((r) => site.listen(port, '127.0.0.1', () => r()));
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => site?.close(r));
    await d?.close();
  });

  it('sends page view, click, form and custom events that come back from the Events API within a second', async () => {
    const page = await d.newPage();
    const acknowledged: number[] = [];
    const sentTypes = new Set<string>();
    page.on('response', async (res) => {
      if (!res.url().endsWith('/pixel/core/api/send-event') || res.status() !== 200) return;
      acknowledged.push(Date.now());
      const body = res.request().postData() ?? '';
      const parsed = JSON.parse(body) as { events?: { event_type: string }[]; event_type?: string };
      for (const e of parsed.events ?? [parsed]) if (e.event_type) sentTypes.add(e.event_type);
    });
    await page.goto(siteUrl);
    await page.waitForFunction(() => typeof (window as unknown as { delivr?: { track?: unknown } }).delivr?.track === 'function');
    await page.click('#buy');
    await page.fill('input[name=email]', ' Ann@Example.com ');
    await page.fill('input[name=password]', 'hunter2-secret');
    await page.fill('input[name=company]', 'Acme');
    await page.click('#send');
    const want = ['page_view', 'click', 'form_submission', 'signup_intent'];
    const deadline = Date.now() + 10_000;
    while (!want.every((t) => sentTypes.has(t)) && Date.now() < deadline) await page.waitForTimeout(50);
    expect([...sentTypes]).toEqual(expect.arrayContaining(want));
    const lastAck = Math.max(...acknowledged);

    const url = `/api/v2/events?source=pixel&pixel_id=${pixelId}&start_ms=${Date.now() - 600_000}&end_ms=${Date.now() + 60_000}`;
    const res = await fetch(d.url + url, { headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret } });
    const queriedAt = Date.now();
    expect(res.status).toBe(200);
    const events = ((await res.json()) as { events: Record<string, unknown>[] }).events;
    expect(queriedAt - lastAck).toBeLessThan(1000);
    const byType = new Map(events.map((e) => [e.event_type as string, e]));
    for (const t of want) expect(byType.has(t), `${t} in ${[...byType.keys()].join(',')}`).toBe(true);

    const visitor = byType.get('page_view')?.visitor_id;
    expect(visitor).toMatch(/^[0-9a-f]{32}$/);
    for (const e of events) {
      expect(e).toMatchObject({
        organization_id: orgId,
        pixel_id: pixelId,
        visitor_id: visitor,
        url: siteUrl,
        path: '/',
        title: 'Acme pricing',
        browser: 'Chrome',
        os: 'Linux',
        device_type: 'desktop',
        screen_width: 1280,
        screen_height: 800,
        language: 'en-US',
        is_bot: false,
      });
      expect(e.session_id).toMatch(/^[0-9a-f]{32}$/);
    }
    const clicks = events
      .filter((e) => e.event_type === 'click')
      .map((e) => (JSON.parse(e.event_data as string) as { element: Record<string, unknown> }).element);
    expect(clicks).toContainEqual(expect.objectContaining({ tag: 'BUTTON', id: 'buy', text: 'Buy now' }));
    const form = byType.get('form_submission') as Record<string, unknown>;
    const hem = createHash('sha256').update('ann@example.com').digest('hex');
    expect(form).toMatchObject({ hem_sha256: hem, resolved: true });
    const formData = (JSON.parse(form.event_data as string) as { formData: Record<string, string> }).formData;
    expect(formData).toEqual({ email: '*****', password: '*****', company: 'Acme' });
    expect(JSON.stringify(events)).not.toContain('hunter2-secret');
    expect(JSON.stringify(events)).not.toContain('Ann@Example.com');
    expect(JSON.parse(byType.get('signup_intent')?.event_data as string)).toMatchObject({ plan: 'pro' });
  }, 60_000);
});
