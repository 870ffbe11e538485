// Settings > Projects in the browser: an owner creates a project that keeps 30 days of events (the
// form says in words what that means, and the browser refuses 0 days), changes it to keep events
// forever, archives it after a confirmation that says its pixels stop collecting (the pixel's
// script then answers 404 and the Pixels page says why), and unarchives it. A member sees the
// settings but no controls to change them.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, screenshot, sessionFetch, skipReason, startDashboard, unlabelledControls } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('project retention and archiving in the browser', () => {
  let d: Dashboard;
  let owner: Tenant;
  let page: Page;
  let projectsUrl = '';
  const tag = randomUUID().slice(0, 6);
  const name = `Shop ${tag}`;

  async function signIn(p: Page, who: Tenant, to: string): Promise<void> {
    await p.goto(to);
    await p.getByLabel('Email').fill(who.email);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(to);
  }
  const row = () => page.getByRole('row', { name: new RegExp(name) });
  /** What a new visitor's browser gets for the pixel's script (no copy cached from an earlier visit). */
  const scriptStatus = async (pixelId: string) =>
    page.evaluate(async (id) => (await fetch(`/pixels/${id}/p.js`, { cache: 'no-store' })).status, pixelId);

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Retention ${tag}` });
    projectsUrl = `${d.url}/${owner.orgId}/settings/projects`;
    page = await d.newPage();
    await signIn(page, owner, projectsUrl);
  });
  afterAll(async () => {
    await d?.close();
  });

  it('creates a project that keeps 30 days of events, then switches it to keep events forever', async () => {
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await page.getByRole('button', { name: 'Create project' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create project' });
    await dialog.getByLabel('Project name').fill(name);
    const retention = dialog.getByLabel('Delete events older than (days)');
    // Empty means forever, and the form says so.
    await expect(retention.getAttribute('placeholder')).resolves.toBe('Keep forever');
    await dialog.getByText('Empty: events are kept forever.').waitFor();
    // Zero days is refused by the browser before the API sees it.
    await retention.fill('0');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    expect(await retention.evaluate((el) => (el as HTMLInputElement).validity.valid)).toBe(false);
    await retention.fill('30');
    await dialog
      .getByText('Events older than 30 days are deleted automatically, about once an hour. Deleted events cannot be recovered.')
      .waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Project ${name} created` })
      .waitFor();
    await expect(row().textContent()).resolves.toMatch(/Active.*30 days/);

    await page.getByRole('button', { name: `Change retention of ${name}` }).click();
    const change = page.getByRole('dialog', { name: `Event retention of ${name}` });
    await expect(change.getByLabel('Delete events older than (days)').inputValue()).resolves.toBe('30');
    await change.getByLabel('Delete events older than (days)').fill('');
    await change.getByText('Empty: events are kept forever.').waitFor();
    await change.getByRole('button', { name: 'Save retention' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${name} now keeps its events forever.` })
      .waitFor();
    await expect(row().textContent()).resolves.toContain('Keep forever');
    await expect(row().textContent()).resolves.not.toContain('30 days');
  });

  it('archives after saying its pixels stop collecting; the script answers 404 until it is unarchived', async () => {
    const projectId = (await row().locator('code').textContent()) ?? '';
    const created = await sessionFetch(page, 'POST', `/orgs/${owner.orgId}/projects/${projectId}/pixels`, { title: 'www' });
    const pixelId = (JSON.parse(created.text) as { pixel: { pixel_id: string } }).pixel.pixel_id;
    expect(await scriptStatus(pixelId)).toBe(200);

    await page.getByRole('button', { name: `Archive ${name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Archive ${name}?` });
    await confirm.getByText('Its pixels stop collecting at once').waitFor();
    await confirm.getByText('Its events, pixels and settings are kept.').waitFor();
    await screenshot(page, 'project-archive-confirm');
    await confirm.getByRole('button', { name: 'Archive project' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${name} is archived. Its pixels no longer collect events.` })
      .waitFor();
    await expect(row().textContent()).resolves.toContain('Archived');
    await page.getByRole('button', { name: `Unarchive ${name}` }).waitFor();
    await screenshot(page, 'projects-archived');
    expect(await scriptStatus(pixelId)).toBe(404);

    // The pixels page says why nothing arrives, and offers no new pixel.
    await page.getByRole('link', { name: `Pixels of ${name}` }).click();
    await page.getByRole('status').filter({ hasText: 'This project is archived: its pixels do not collect events' }).waitFor();
    await expect(page.getByRole('button', { name: 'Create pixel' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Settings › Projects' }).click();

    await page.getByRole('button', { name: `Unarchive ${name}` }).click();
    const back = page.getByRole('dialog', { name: `Unarchive ${name}?` });
    await back.getByText('Its pixels start collecting events again').waitFor();
    await back.getByRole('button', { name: 'Unarchive project' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${name} is active again.` })
      .waitFor();
    await expect(row().textContent()).resolves.toContain('Active');
    expect(await scriptStatus(pixelId)).toBe(200);
  });

  it('a member sees status and retention but cannot change them', async () => {
    const member = await addMember(d.t, owner, 'member');
    const memberPage = await d.newPage();
    await signIn(memberPage, member, projectsUrl);
    const memberRow = memberPage.getByRole('row', { name: new RegExp(name) });
    await memberRow.waitFor();
    await expect(memberRow.textContent()).resolves.toMatch(/Active.*Keep forever/);
    for (const button of [`Change retention of ${name}`, `Archive ${name}`, `Rename ${name}`]) {
      await expect(memberPage.getByRole('button', { name: button }).count()).resolves.toBe(0);
    }
    await memberPage.getByRole('status').filter({ hasText: 'Only owners and admins can create, change or archive projects' }).waitFor();
    await memberPage.context().close();
  });
});
