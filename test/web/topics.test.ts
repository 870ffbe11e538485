// The Topics page and the intent panel in the browser. Topics: search the catalog by words, narrow by
// category and type, page through results, propose a custom topic (owners and admins; a member sees
// no button) and watch its status change once the operator accepts it. The intent panel
// (web/src/components/IntentPanel.tsx) is mounted on its own by a small page served from the
// dashboard's origin (the Person page that will hold it lives on another branch), signed in as a
// member: it shows the person's surging topic with the pages and days behind it.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/app.js';
import { addMember, dash, json, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, screenshot, skipReason, startDashboard, unlabelledControls } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const ROOT = join(import.meta.dirname, '..', '..');

describe.skipIf(skip !== null)('topics and intent in the browser', () => {
  let d: Dashboard;
  let owner: Tenant;
  let member: Tenant;
  const tag = randomUUID().slice(0, 8);
  const topicName = `Quixotic Widgets ${tag}`;

  async function signIn(page: Page, who: Tenant, to: string): Promise<void> {
    await page.goto(to);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(to);
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Topics ${tag}` });
    member = await addMember(d.t, owner, 'member');
  }, 120_000);
  afterAll(async () => {
    await d?.close();
  });

  it('searches, filters and pages through topics; proposes a topic and shows its status', async () => {
    const page = await d.newPage();
    const url = `${d.url}/${owner.orgId}/topics`;
    await signIn(page, owner, url);
    await page.getByRole('heading', { name: 'Topics', exact: true }).waitFor();
    // The whole catalog, 25 at a time.
    await page.getByText(/Showing 1–25 of [\d,]+ topics\./).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText(/Showing 26–50 of/).waitFor();

    await page.getByLabel('Search topics').fill('cloud computing');
    await page.getByRole('button', { name: 'Search' }).click();
    const cloud = page.getByRole('row', { name: /Cloud Computing/ });
    await cloud.first().waitFor();
    await expect(cloud.first().textContent()).resolves.toContain('iab_ct_620');
    // A filter that excludes it: B2C only.
    await page.getByLabel('Type').selectOption('B2C');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'No topics match' }).waitFor();
    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Category').selectOption({ label: 'Technology & Computing' });
    await page.getByRole('button', { name: 'Search' }).click();
    await cloud.first().waitFor();
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByRole('button', { name: 'Request a topic' }).click();
    const dialog = page.getByRole('dialog', { name: 'Request a topic' });
    await dialog.getByLabel('Topic name').fill(topicName);
    await dialog.getByLabel('Keywords').fill(`quixotic widget, widget ${tag}`);
    await dialog.getByRole('button', { name: 'Send request' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Topic ${topicName} requested.` })
      .waitFor();
    const row = page.getByRole('row', { name: new RegExp(topicName) });
    await expect(row.textContent()).resolves.toContain('Waiting for approval');
    await screenshot(page, 'topics-requested');

    // The operator accepts it: after a reload it is accepted, and searchable as the organization's own.
    const list = json<{ topic_requests: { topic_request_id: string; name: string }[] }>(
      await d.t.app.inject({ url: `/dashboard/api/orgs/${owner.orgId}/topic-requests`, headers: dash(owner.session) }),
    );
    const id = list.topic_requests.find((r) => r.name === topicName)?.topic_request_id;
    const accepted = await fetch(`${d.url}/admin/v1/topic-requests/${id}/accept`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'fits' }),
    });
    expect(accepted.status).toBe(200);
    await page.reload();
    await expect(page.getByRole('row', { name: new RegExp(topicName) }).textContent()).resolves.toMatch(/Accepted.*fits/);
    await page.getByLabel('Search topics').fill('quixotic');
    await page.getByRole('button', { name: 'Search' }).click();
    // The requests table below also names the topic: wait for the catalog's own row, marked as ours.
    await page
      .getByRole('row', { name: new RegExp(topicName) })
      .filter({ hasText: 'Yours' })
      .first()
      .waitFor();
  }, 60_000);

  it('a member browses topics but is not offered to request one', async () => {
    const page = await d.newPage();
    await signIn(page, member, `${d.url}/${owner.orgId}/topics`);
    await page.getByText(/Showing 1–25 of/).waitFor();
    expect(await page.getByRole('button', { name: 'Request a topic' }).count()).toBe(0);
    await page
      .getByText('Owners and admins can request topics')
      .or(page.getByRole('row', { name: new RegExp(topicName) }))
      .first()
      .waitFor();
  }, 60_000);

  it("the intent panel shows a person's surging topic with its pages and days", async () => {
    // A site's pixel: Ann reads three cloud pages and a recipe, then submits a form with her email.
    const project = json<{ project: { project_id: string } }>(
      await d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects`,
        headers: dash(owner.session),
        payload: { name: 's' },
      }),
    ).project.project_id;
    const pixel = json<{ pixel: { pixel_id: string } }>(
      await d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects/${project}/pixels`,
        headers: dash(owner.session),
        payload: { title: 's' },
      }),
    ).pixel.pixel_id;
    const hem = createHash('sha256').update(`ann-${tag}@acme.example`).digest('hex');
    const view = (path: string, title: string, description: string) => ({
      event_type: 'page_view',
      pixel_id: pixel,
      organization_id: owner.orgId,
      visitor_id: 'v-ann',
      event_url: `https://site.example${path}`,
      title,
      event_data: { description },
      ts: Date.now(),
    });
    const sent = await d.t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, origin: 'https://site.example' },
      payload: {
        events: [
          view('/cloud/basics', 'Cloud computing basics', 'What cloud computing is.'),
          view('/cloud/costs', 'Cloud computing costs compared', 'What cloud hosting costs.'),
          view('/cloud/migration', 'Migrating to cloud computing', 'Move your servers to the cloud.'),
          view('/recipes/bread', 'The best banana bread recipe', 'A moist banana bread.'),
          { ...view('/contact', 'Contact', ''), event_type: 'form_submission', hem_sha256: hem },
        ],
      },
    });
    expect(sent.statusCode, sent.body).toBe(200);

    // The panel alone on a page of the dashboard's origin, so it calls the session API as the member.
    const bundle = await build({
      stdin: {
        contents: `import { createRoot } from 'react-dom/client';
import { IntentPanel } from './web/src/components/IntentPanel';
import './web/src/styles.css';
const q = new URLSearchParams(location.search);
createRoot(document.getElementById('root')).render(<IntentPanel orgId={q.get('org')} hem={q.get('hem')} />);`,
        loader: 'tsx',
        resolveDir: ROOT,
      },
      bundle: true,
      write: false,
      jsx: 'automatic',
      outdir: join(ROOT, 'node_modules', '.cache', 'intent-panel-harness'),
      format: 'esm',
      logLevel: 'silent',
    });
    const js = bundle.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
    const css = bundle.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
    const page = await d.newPage();
    await signIn(page, member, `${d.url}/${owner.orgId}/topics`);
    await page.route(`${d.url}/__intent-panel*`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><html lang="en"><head><title>Intent panel</title><link rel="stylesheet" href="/__intent-panel.css"></head><body><main id="root"></main><script type="module" src="/__intent-panel.js"></script></body></html>',
      }),
    );
    await page.route(`${d.url}/__intent-panel.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: js }));
    await page.route(`${d.url}/__intent-panel.css`, (route) => route.fulfill({ contentType: 'text/css', body: css }));
    await page.goto(`${d.url}/__intent-panel?org=${owner.orgId}&hem=${hem}`);

    const surging = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Cloud Computing' }) });
    await surging.waitFor();
    await expect(surging.getByText(/^Surging \d+$/).textContent()).resolves.toMatch(/Surging (6\d|[7-9]\d|100)/);
    const pages = await surging.getByRole('row').allTextContents();
    expect(pages.slice(1).map((r) => r.replace(/\d+%$/, ''))).toEqual([
      expect.stringContaining('Cloud computing basics'),
      expect.stringContaining('Cloud computing costs compared'),
      expect.stringContaining('Migrating to cloud computing'),
    ]);
    await surging.getByText(/By day: \d{4}-\d\d-\d\d \(3\)/).waitFor();
    await page.getByRole('heading', { name: 'Other topics' }).waitFor();
    await page.getByText(/Desserts and Baking: score \d+, 1 view/).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'intent-panel');
    // Another window loads again: today only still holds the same reading.
    await page.getByLabel('Window').selectOption('1');
    await page.getByText(/from (\d{4}-\d\d-\d\d) to \1/).waitFor();
    expect(d.pageErrors).toEqual([]);
  }, 90_000);
});
