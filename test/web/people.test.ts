// The People and Person pages in the browser: an empty organization explains how people get
// identified; the list shows name, company, title, last seen and events; a person's page groups
// the profile, lists the links with their source and the events with readable times and names;
// a member sees all of it without Unlink, Erase or Import; an owner erases a person after a
// confirmation that says what goes. Screenshots at 1280 and 390 px wide.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, dash, json, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, DESKTOP_UA, SCREENSHOTS, skipReason, startDashboard, unlabelledControls } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
/** What the page shows for a time: the browser contexts run in en-US and UTC. */
const shown = (ms: number) => new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(ms);

/** Full-page screenshots at desktop and phone widths. */
async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe.skipIf(skip !== null)('People and Person pages in the browser', () => {
  let d: Dashboard;
  let owner: Tenant;
  let member: Tenant;
  let pixelId = '';
  const tag = randomUUID().slice(0, 8);
  const ann = { email: `ann.lee-${tag}@acme.example`, visitor: `a${tag}1234567890abcdef0123456789`.slice(0, 32) };
  const bob = { email: `bob-${tag}@globex.example`, visitor: `b${tag}1234567890abcdef0123456789`.slice(0, 32) };
  const now = Date.now();
  const times = { home: now - 40 * 60_000, pricing: now - 35 * 60_000, identify: now - 30 * 60_000, bob: now - 10 * 60_000 };

  async function signIn(page: Page, who: Tenant, to: string): Promise<void> {
    await page.goto(to);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(to);
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `People ${tag}` });
    member = await addMember(d.t, owner, 'member');
    const inject = (url: string, payload: unknown) =>
      d.t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}${url}`,
        headers: dash(owner.session),
        payload: payload as object,
      });
    const project = json<{ project: { project_id: string } }>(await inject('/projects', { name: 'Website' })).project.project_id;
    pixelId = json<{ pixel: { pixel_id: string } }>(await inject(`/projects/${project}/pixels`, { title: 'www' })).pixel.pixel_id;
    await d.t.services.analytics.mergeProfiles(
      owner.orgId,
      [
        {
          hem_sha256: sha256(ann.email),
          hem_md5: md5(ann.email),
          hem_sha1: null,
          first_name: 'Ann',
          last_name: 'Lee',
          current_business_email: ann.email,
          job_title: 'Chief Technology Officer',
          seniority_level: 'cxo',
          department: 'engineering',
          linkedin_url: 'https://www.linkedin.com/in/ann-lee-example',
          company_name: 'Acme Corporation',
          company_domain: 'acme.example',
          company_industry: 'Software',
          company_employee_count: 1200,
          company_revenue: 12_000_000,
          company_city: 'Berlin',
          company_country: 'DE',
          age_range: '35-44',
          income_range: '150k-250k',
        },
      ],
      now,
    );
    const event = (e: Record<string, unknown>) => ({ pixel_id: pixelId, organization_id: owner.orgId, ...e });
    const sent = await d.t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': DESKTOP_UA, 'content-type': 'application/json' },
      payload: JSON.stringify({
        events: [
          event({
            event_type: 'page_view',
            visitor_id: ann.visitor,
            ts: times.home,
            event_url: 'https://acme.example/',
            event_data: { title: 'Home' },
          }),
          event({
            event_type: 'page_view',
            visitor_id: ann.visitor,
            ts: times.pricing,
            event_url: 'https://acme.example/pricing',
            event_data: { title: 'Pricing' },
          }),
          event({
            event_type: 'identify',
            visitor_id: ann.visitor,
            hem_sha256: sha256(ann.email),
            ts: times.identify,
            event_url: 'https://acme.example/app',
          }),
          event({ event_type: 'page_view', visitor_id: bob.visitor, ts: times.bob - 60_000, event_url: 'https://acme.example/blog' }),
          event({
            event_type: 'form_submission',
            visitor_id: bob.visitor,
            hem_sha256: sha256(bob.email),
            ts: times.bob,
            event_url: 'https://acme.example/contact',
          }),
          event({ event_type: 'page_view', visitor_id: `anon-${tag}`, ts: now - 5 * 60_000, event_url: 'https://acme.example/' }),
        ],
      }),
    });
    expect(sent.statusCode, sent.body).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  it('an organization with no one identified yet explains the three ways people get identified', async () => {
    const lonely = await newTenant(d.t, { name: `Empty ${tag}` });
    const page = await d.newPage();
    await signIn(page, lonely, `${d.url}/${lonely.orgId}/people`);
    const empty = page.getByRole('region', { name: 'No identified people yet' });
    await empty.getByRole('heading', { name: 'No identified people yet' }).waitFor();
    for (const way of ['A form with an email.', 'The identify call.', 'An import.']) await empty.getByText(way).waitFor();
    await empty.getByText('delivr.identify({ email: user.email })').waitFor();
    await expect(empty.getByRole('link', { name: 'Import people' }).count()).resolves.toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    await shoot(page, 'people-empty');
  });

  it('lists people with name, company, title, last seen and events, and opens a person', async () => {
    const page = await d.newPage();
    await signIn(page, owner, `${d.url}/${owner.orgId}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'People', exact: true }).waitFor();
    const annRow = page.getByRole('row', { name: /Ann Lee/ });
    await annRow.waitFor();
    const cells = async (row: typeof annRow) => (await row.locator('th, td').allInnerTexts()).map((s) => s.trim());
    expect(await cells(annRow)).toEqual([
      `Ann Lee\n${ann.email}`,
      'Acme Corporation',
      'Chief Technology Officer',
      expect.any(String),
      '1',
      '3',
    ]);
    expect((await cells(annRow))[3]).toBe(
      new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(times.identify),
    );
    const bobRow = page.getByRole('row', { name: /Unnamed person/ });
    expect(await cells(bobRow)).toEqual([
      `Unnamed person ${sha256(bob.email).slice(0, 8)}\nNo profile yet`,
      '—',
      '—',
      expect.any(String),
      '1',
      '2',
    ]);
    // Most recently seen first: Bob identified after Ann.
    const order = await page.locator('tbody th[scope=row] a').allInnerTexts();
    expect(order).toEqual([`Unnamed person ${sha256(bob.email).slice(0, 8)}`, 'Ann Lee']);
    await page.getByText('Showing 1–2 of 2 people.').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await shoot(page, 'people');

    await page.getByRole('link', { name: 'Ann Lee' }).click();
    await page.waitForURL(`${d.url}/${owner.orgId}/people/${sha256(ann.email)}`);
    await page.getByRole('heading', { name: 'Ann Lee', level: 1 }).waitFor();
    await page.getByText('Chief Technology Officer at Acme Corporation').waitFor();
    const group = (name: string) => page.getByRole('region', { name });
    const value = async (groupName: string, label: string) =>
      (
        await group(groupName)
          .locator('div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
          .locator('dd')
          .textContent()
      )?.trim();
    expect(await value('Contact', 'Seniority Level')).toBe('CXO');
    expect(await value('Contact', 'Department')).toBe('Engineering');
    expect(await value('Contact', 'Business Email')).toBe(ann.email);
    expect(await value('Company', 'Annual Revenue')).toBe('$12,000,000');
    expect(await value('Company', 'Employee Count')).toBe('1,200');
    expect(await value('Demographics', 'Income Range')).toBe('$150k-$250k');
    await expect(group('Contact').getByText('Phone').count()).resolves.toBe(0);
    await expect(
      group('Contact').getByRole('link', { name: 'https://www.linkedin.com/in/ann-lee-example' }).getAttribute('rel'),
    ).resolves.toContain('noopener');

    const link = page.getByRole('row', { name: new RegExp(ann.visitor) });
    expect(await cells(link)).toEqual([ann.visitor, 'identify call', expect.any(String), expect.any(String), 'Unlink']);

    const timeline = page.getByRole('list', { name: 'Events, newest first' });
    const items = timeline.getByRole('listitem');
    await expect(items.count()).resolves.toBe(3);
    expect(await items.locator('time').allInnerTexts()).toEqual([shown(times.identify), shown(times.pricing), shown(times.home)]);
    expect(await items.locator('.timeline-what').allInnerTexts()).toEqual(['Identified', 'Viewed a page', 'Viewed a page']);
    await items.nth(1).getByText('on Pricing').waitFor();
    await page.getByText('Showing 3 of 3 events from the last 400 days.').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await shoot(page, 'person');
  });

  it('a member sees people and a person, without Import, Unlink or Erase', async () => {
    const page = await d.newPage();
    await signIn(page, member, `${d.url}/${owner.orgId}/people`);
    await page.getByRole('link', { name: 'Ann Lee' }).waitFor();
    await expect(page.getByRole('link', { name: 'Import people' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Ann Lee' }).click();
    await page.getByRole('heading', { name: 'Ann Lee', level: 1 }).waitFor();
    await page.getByRole('row', { name: new RegExp(ann.visitor) }).waitFor();
    await expect(page.getByRole('button', { name: /Unlink/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Erase person' }).count()).resolves.toBe(0);
    // The People entry stays marked in the navigation on a person's page.
    await expect(
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).getAttribute('aria-current'),
    ).resolves.toBe('true');
  });

  it('the owner erases a person after a confirmation that says what will be removed', async () => {
    const page = await d.newPage();
    const bobUrl = `${d.url}/${owner.orgId}/people/${sha256(bob.email)}`;
    await signIn(page, owner, bobUrl);
    const label = `Unnamed person ${sha256(bob.email).slice(0, 8)}`;
    await page.getByRole('heading', { name: label, level: 1 }).waitFor();
    await page.getByText('There is no profile for this person yet').waitFor();
    await page
      .getByRole('row', { name: new RegExp(bob.visitor) })
      .getByText('Form with their email')
      .waitFor();
    await page.getByRole('button', { name: 'Erase person' }).click();
    const dialog = page.getByRole('dialog', { name: `Erase ${label}?` });
    await dialog.waitFor();
    const text = await dialog.textContent();
    expect(text).toContain('the profile (none yet)');
    expect(text).toContain('the links of 1 visitor to this person');
    expect(text).toContain('their hashed email on every stored event that carries it');
    expect(text).toContain('them from every stored audience list');
    expect(text).toContain('Their 2 events stay, attributed to no one. This cannot be undone');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, 'person-erase-390.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(SCREENSHOTS, 'person-erase-1280.png') });
    await dialog.getByRole('button', { name: 'Erase person' }).click();
    await page.getByRole('heading', { name: `${label} was erased` }).waitFor();
    await page
      .getByRole('status')
      .getByText('Removed no profile (there was none), 1 visitor link and the email hash on 1 stored event.')
      .waitFor();
    await page.getByRole('link', { name: 'Back to People' }).click();
    await page.getByRole('link', { name: 'Ann Lee' }).waitFor();
    await expect(page.getByRole('link', { name: label }).count()).resolves.toBe(0);
    // The erased person is gone for the API too.
    const gone = await d.t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/people/${sha256(bob.email)}`,
      headers: dash(owner.session),
    });
    expect(gone.statusCode).toBe(404);
    expect(d.pageErrors).toEqual([]);
  });
});
