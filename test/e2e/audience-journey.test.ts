// Acceptance for audiences ("Path 2"), end to end in a real browser: a site on another origin carries
// the pixel; two visitors identify themselves with its form, and one of them (Ann) first reads three
// pages about cloud computing. The owner builds an intents audience on that topic in the dashboard
// (finding the topic by search, watching the live size), creates it, and watches it go from waiting
// to Completed; its sample shows Ann with her three page views and the score the Intent API gives
// her, and not Bob; the CSV download holds Ann's row and not Bob's. Nothing waits for time: each step
// waits for the pixel's acknowledgement or for what the page shows.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTACT_FORM, type SitePage, startSite, type TestSite, visitor } from '../support/site.js';
import { createKey, newTenant, projectAndPixel, type Tenant } from '../support/tenant.js';
import { type Dashboard, screenshot, skipReason, startDashboard } from '../web/support.js';

const reason = skipReason();
if (reason) console.log(`audience journey: ${reason}`);

const CLOUD = 'iab_ct_620';
const PAGES: Record<string, SitePage> = {
  '/cloud/basics': {
    title: 'Cloud computing basics for small teams',
    description: 'What cloud computing is, and how it replaces the servers in your office.',
    heading: 'Cloud computing basics',
  },
  '/cloud/migration': {
    title: 'Moving your servers to cloud computing',
    description: 'How to migrate workloads to cloud computing, step by step.',
    heading: 'Cloud migration',
  },
  '/cloud/costs': {
    title: 'Why cloud computing bills grow',
    description: 'How teams keep their cloud computing bills small.',
    heading: 'Cloud computing costs',
  },
  '/contact': {
    title: 'Contact us',
    description: 'Write to us and we answer within a day.',
    heading: 'Contact',
    body: CONTACT_FORM,
  },
};

describe.skipIf(reason !== null)('pixel → identified readers → an intents audience built in the dashboard → sample and download', () => {
  let d: Dashboard;
  let site: TestSite;
  let read: ReturnType<typeof visitor>['read'];
  let identify: ReturnType<typeof visitor>['identify'];
  let owner: Tenant;
  let key: { apiKey: string; apiSecret: string };

  beforeAll(async () => {
    d = await startDashboard();
    // The worker and scheduler, as server.ts starts them.
    d.t.services.audienceJobs.start(100);
    owner = await newTenant(d.t);
    key = await createKey(d.t, owner);
    // Forms identify the visitor; a new pixel sends page views only.
    const { pixelId } = await projectAndPixel(d.t, owner, { name: 'Journey site', trackers: ['spa', 'forms'] });
    site = await startSite(PAGES, `${d.url}/pixels/${pixelId}/p.js`);
    ({ read, identify } = visitor(site));
  }, 120_000);

  afterAll(async () => {
    await site?.close();
    await d?.close();
  });

  const hemOf = (email: string) => createHash('sha256').update(email).digest('hex');

  it('Ann, who read about cloud computing, is in the audience with her page views and score; Bob is not', async () => {
    const ann = await d.newPage();
    for (const path of ['/cloud/basics', '/cloud/migration', '/cloud/costs']) await read(ann, path);
    await identify(ann, 'ann.journey@acme.example');
    const bob = await d.newPage();
    await identify(bob, 'bob.journey@acme.example');
    const annHem = hemOf('ann.journey@acme.example');
    const bobHem = hemOf('bob.journey@acme.example');
    const intent = (await (
      await fetch(`${d.url}/api/v1/intent?hem=${annHem}&window_days=7`, {
        headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret },
      })
    ).json()) as { topics: { topic_id: string; intent_score: number; intent_frequency: number }[] };
    const annCloud = intent.topics.find((t) => t.topic_id === CLOUD);
    expect(annCloud?.intent_frequency).toBe(3);

    // The owner builds the audience in the dashboard.
    const page = await d.newPage();
    const list = `${d.url}/${owner.orgId}/audiences`;
    await page.goto(list);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(list);
    await page.getByRole('heading', { name: 'No audiences yet' }).waitFor();
    await page.getByRole('link', { name: 'New audience' }).first().click();
    await page.getByRole('heading', { name: 'New audience' }).waitFor();
    await page.getByLabel('Audience name').fill('Cloud researchers');
    await page.getByLabel('Look back (days)').fill('7');
    await page.getByLabel('Refresh').selectOption('manual');
    await page.getByLabel('Find topics').fill('cloud computing');
    await page.getByRole('button', { name: 'Search topics' }).click();
    const option = page
      .getByRole('list', { name: 'Topics matching cloud computing' })
      .getByRole('checkbox', { name: /^Cloud Computing \(\d+ surging\)$/ });
    await option.check();
    await page.getByRole('list', { name: 'Chosen topics of rule 1' }).getByText('Cloud Computing').waitFor();
    // The live size: Ann alone.
    await page.getByRole('region', { name: 'Audience size' }).getByText('1 person matches').waitFor();
    await screenshot(page, 'audience-builder');
    await page.getByRole('button', { name: 'Create audience' }).click();

    // Its page follows the run until it completes.
    await page.getByRole('heading', { name: 'Cloud researchers' }).waitFor();
    await page.getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    const row = page.getByRole('table', { name: 'Sample of the audience' }).getByRole('row', { name: new RegExp(annHem.slice(0, 10)) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells).toContain(String(annCloud?.intent_score));
    expect(cells).toContain('3');
    expect(cells.join(' ')).toContain('Cloud Computing');
    expect(await page.getByRole('table', { name: 'Sample of the audience' }).getByRole('row').count()).toBe(2);
    await screenshot(page, 'audience-completed');

    // The download, as the browser fetches it with the session.
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    const csv = await page.evaluate(async (url) => (await fetch(url ?? '')).text(), href);
    const [header, ...rows] = csv.trim().split('\n');
    const columns = (header ?? '').split(',');
    expect(rows).toHaveLength(1);
    const values = (rows[0] ?? '').split(',');
    expect(values[columns.indexOf('hem_sha256')]).toBe(annHem);
    expect(values[columns.indexOf('intent_frequency')]).toBe('3');
    expect(values[columns.indexOf('intent_score')]).toBe(String(annCloud?.intent_score));
    expect(csv).not.toContain(bobHem);
  }, 180_000);
});
