// The Import page in the browser, against the import routes of src/identity-import (branch
// identity-import): an owner uploads a CSV, follows it to Completed, sees the rejected row with its
// line, and the people it names show up with their imported names, a row's visitor_id linking that
// visitor ("Import" on the Person page); an unknown column is refused in words before anything is
// stored; a member sees the imports but no upload form. Screenshots at 1280 and 390 px wide.
// Skipped (with a line saying so) where the import routes are not part of the app yet.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, dash, json, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, DESKTOP_UA, SCREENSHOTS, skipReason, startDashboard, unlabelledControls } from './support.js';

const HAS_IMPORT_ROUTES = existsSync(join(import.meta.dirname, '..', '..', 'src', 'identity-import', 'routes.dashboard.ts'));
const skip = skipReason() ?? (HAS_IMPORT_ROUTES ? null : 'the import routes (src/identity-import) are not in this tree yet');
if (skip) console.log(`web import page: ${skip}`);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe.skipIf(skip !== null)('Import page in the browser', () => {
  let d: Dashboard;
  let owner: Tenant;
  let member: Tenant;
  const tag = randomUUID().slice(0, 8);
  const identified = { email: `erin-${tag}@hooli.example`, visitor: `e${tag}`.padEnd(32, '0') };
  const browsing = { email: `frank-${tag}@hooli.example`, visitor: `f${tag}`.padEnd(32, '0') };

  async function signIn(page: Page, who: Tenant, to: string): Promise<void> {
    await page.goto(to);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(to);
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Hooli ${tag}` });
    member = await addMember(d.t, owner, 'member');
    const post = (url: string, payload: object) =>
      d.t.app.inject({ method: 'POST', url: `/dashboard/api/orgs/${owner.orgId}${url}`, headers: dash(owner.session), payload });
    const project = json<{ project: { project_id: string } }>(await post('/projects', { name: 'site' })).project.project_id;
    const pixelId = json<{ pixel: { pixel_id: string } }>(await post(`/projects/${project}/pixels`, { title: 'www' })).pixel.pixel_id;
    // Erin identified herself on the site (no profile yet); Frank only browsed.
    const event = (e: Record<string, unknown>) => ({
      pixel_id: pixelId,
      organization_id: owner.orgId,
      event_url: 'https://hooli.example/',
      ...e,
    });
    const sent = await d.t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': DESKTOP_UA, 'content-type': 'application/json' },
      payload: JSON.stringify({
        events: [
          event({ event_type: 'page_view', visitor_id: identified.visitor, ts: Date.now() - 60_000 }),
          event({ event_type: 'identify', visitor_id: identified.visitor, hem_sha256: sha256(identified.email), ts: Date.now() - 50_000 }),
          event({ event_type: 'page_view', visitor_id: browsing.visitor, ts: Date.now() - 40_000 }),
        ],
      }),
    });
    expect(sent.statusCode, sent.body).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  it('uploads a CSV, follows it to Completed with the rejected row, and the people carry the imported profile', async () => {
    const page = await d.newPage();
    await signIn(page, owner, `${d.url}/${owner.orgId}/people`);
    await page.getByRole('link', { name: `Unnamed person ${sha256(identified.email).slice(0, 8)}` }).waitFor();
    await page.getByRole('link', { name: 'Import people' }).click();
    await page.getByRole('heading', { name: 'Import people' }).waitFor();
    await page.getByText('Nothing imported yet.').waitFor();

    const csv = [
      'email,first_name,last_name,company_name,job_title,visitor_id',
      ` ${identified.email.toUpperCase()} ,Erin,Bachman,Hooli,Head of Growth,`,
      `${browsing.email},Frank,Ives,Hooli,Engineer,${browsing.visitor}`,
      'not-an-email,Nobody,Here,Nowhere,None,',
    ].join('\n');
    await page.getByLabel('File (CSV or NDJSON)').setInputFiles({ name: 'crm-export.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and import' }).click();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /^Import of / }) });
    await card.getByText('Completed', { exact: true }).waitFor();
    const fact = async (name: string) =>
      (
        await card
          .locator('div', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) })
          .locator('dd')
          .textContent()
      )?.trim();
    expect(await fact('Rows read')).toBe('3');
    expect(await fact('Imported')).toBe('2');
    expect(await fact('Rejected')).toBe('1');
    expect(await fact('File')).toBe(`CSV, ${Buffer.byteLength(csv)} B`);
    await card.getByText(/^Line 4: /).waitFor();
    expect(await card.locator('progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    await shoot(page, 'import-people');

    await page.getByRole('link', { name: 'People', exact: true }).first().click();
    await page
      .getByRole('row', { name: /Erin Bachman/ })
      .getByText('Hooli')
      .waitFor();
    await page.getByRole('link', { name: 'Frank Ives' }).click();
    await page.getByRole('heading', { name: 'Frank Ives', level: 1 }).waitFor();
    await page
      .getByRole('row', { name: new RegExp(browsing.visitor) })
      .getByText('Import', { exact: true })
      .waitFor();
    await page.getByRole('list', { name: 'Events, newest first' }).getByText('Viewed a page').waitFor();
  });

  it('refuses a file with an unknown column in words, and stores nothing', async () => {
    const page = await d.newPage();
    await signIn(page, owner, `${d.url}/${owner.orgId}/people/import`);
    await page.getByRole('heading', { name: 'Imports' }).waitFor();
    // What is stored, asked of the server with the page's own session (the list may still be loading).
    const stored = async () =>
      ((await (await page.request.get(`${d.url}/dashboard/api/orgs/${owner.orgId}/identities/imports`)).json()) as { imports: unknown[] })
        .imports.length;
    const before = await stored();
    await page.getByLabel('File (CSV or NDJSON)').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`email,favourite_colour\nzed-${tag}@hooli.example,teal\n`),
    });
    await page.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByRole('alert').filter({ hasText: 'favourite_colour' }).waitFor();
    expect(await stored()).toBe(before);
  });

  it('a member sees the imports, without the upload form', async () => {
    const page = await d.newPage();
    await signIn(page, member, `${d.url}/${owner.orgId}/people/import`);
    await page.getByText('Only owners and admins can import people.').waitFor();
    await page
      .getByRole('heading', { name: /^Import of / })
      .first()
      .waitFor();
    await expect(page.getByLabel('File (CSV or NDJSON)').count()).resolves.toBe(0);
    expect(d.pageErrors).toEqual([]);
  });
});
