// Dashboard polish a first-time user found (issue 15): pages fit a 1280 px and a 390 px window
// (no sideways scrolling, every key's buttons on screen, filters and the events table not cut),
// members flows that cannot fail or surprise (a removed member is told so, a sole owner is not
// offered what must fail, role changes are confirmed), and words for people instead of code.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, DESKTOP_UA, screenshot, skipReason, startDashboard } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

const VISITOR = 'a3f9c2e17b5d4e80a3f9c2e17b5d4e80a3f9c2e17b5d4e80a3f9c2e17b5d4e80';

describe.skipIf(skip !== null)('dashboard polish', () => {
  let d: Dashboard;
  let owner: Tenant;
  let projectId = '';
  const tag = randomUUID().slice(0, 8);

  async function signIn(page: Page, email: string, password: string, to: string): Promise<void> {
    await page.goto(to);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(to);
  }

  /** Whether the page scrolls sideways, and the elements wider than the window if so. */
  const overflow = (page: Page) =>
    page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));

  /** Whether an element lies fully inside the window horizontally. */
  const onScreen = async (page: Page, name: string) => {
    const box = await page.getByRole('button', { name, exact: true }).boundingBox();
    const width = await page.evaluate(() => window.innerWidth);
    return box !== null && box.x >= 0 && box.x + box.width <= width;
  };

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Polish ${tag}` });
    const t = d.t;
    projectId = json<{ project: { project_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects`,
        headers: dash(owner.session),
        payload: { name: 'Main shop' },
      }),
    ).project.project_id;
    const pixelId = json<{ pixel: { pixel_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}/pixels`,
        headers: dash(owner.session),
        payload: { title: 'www.shop.example' },
      }),
    ).pixel.pixel_id;
    const now = Date.now();
    const events = Array.from({ length: 6 }, (_, i) => ({
      event_type: i % 2 ? 'form_submission' : 'page_view',
      event_data: { url: 'https://www.shop.example/collections/summer-sale/products/a-rather-long-product-name' },
      pixel_id: pixelId,
      organization_id: owner.orgId,
      visitor_id: VISITOR,
      event_url: 'https://www.shop.example/collections/summer-sale/products/a-rather-long-product-name',
      ts: now - i * 60_000,
    }));
    const sent = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': DESKTOP_UA, 'content-type': 'application/json' },
      payload: JSON.stringify({ events }),
    });
    expect(sent.statusCode, sent.body).toBe(200);
    // One revoked key (its badge carries the date) and one active key with long names.
    const revoked = await createKey(t, owner, 'Legacy CRM synchronisation job');
    await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${owner.orgId}/api-keys/${revoked.keyId}/revoke`,
      headers: dash(owner.session),
    });
    await createKey(t, owner, 'Data warehouse nightly export');
  });
  afterAll(async () => {
    await d?.close();
  });

  for (const width of [1280, 390]) {
    it(`fits a ${width} px wide window: API keys, events and members`, async () => {
      const page = await d.newPage();
      await page.setViewportSize({ width, height: 800 });
      await signIn(page, owner.email, owner.password, `${d.url}/${owner.orgId}/settings/api-keys`);
      await page.getByRole('rowheader', { name: 'Legacy CRM synchronisation job' }).waitFor();
      await page.getByRole('rowheader', { name: 'Data warehouse nightly export' }).waitFor();
      await screenshot(page, `polish-api-keys-${width}`);
      expect(await overflow(page)).toEqual({ scrollWidth: width, innerWidth: width });
      for (const name of [
        'Rotate secret of Data warehouse nightly export',
        'Revoke Data warehouse nightly export',
        'Access log of Legacy CRM synchronisation job',
      ]) {
        expect(await onScreen(page, name), name).toBe(true);
      }

      await page.goto(`${d.url}/${owner.orgId}/events?resolved=yes&interval=day&range=30d`);
      await page.getByRole('heading', { name: 'No events in this range' }).waitFor();
      // Every choice of every filter menu fits its menu: nothing reads "Resolved to a pe".
      const clipped = await page.getByRole('search', { name: 'Event filters' }).evaluate((form) => {
        const out: string[] = [];
        const probe = document.createElement('span');
        probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
        document.body.append(probe);
        for (const select of Array.from(form.querySelectorAll('select'))) {
          probe.style.font = getComputedStyle(select).font;
          for (const option of Array.from(select.options)) {
            probe.textContent = option.text;
            // Room for the padding and the menu's arrow.
            if (probe.getBoundingClientRect().width + 36 > select.getBoundingClientRect().width) out.push(option.text);
          }
        }
        probe.remove();
        return out;
      });
      expect(clipped).toEqual([]);
      await page.goto(`${d.url}/${owner.orgId}/events`);
      const table = page.getByRole('table', { name: /^Events, newest first/ });
      await table.waitFor();
      await screenshot(page, `polish-events-${width}`);
      expect(await overflow(page)).toEqual({ scrollWidth: width, innerWidth: width });
      if (width === 1280) {
        // The whole table fits: the last column is not cut off behind a scrollbar.
        const fits = await table.evaluate((el) => el.scrollWidth <= (el.parentElement?.clientWidth ?? 0));
        expect(fits).toBe(true);
      }
      await page.goto(`${d.url}/${owner.orgId}/settings/members`);
      await page.getByRole('heading', { name: 'No pending invitations' }).waitFor();
      await screenshot(page, `polish-members-${width}`);
      expect(await overflow(page)).toEqual({ scrollWidth: width, innerWidth: width });
      await page.context().close();
    });
  }

  it('speaks words, not code: trackers, event types, times, visitors, and no half-hour bars', async () => {
    const page = await d.newPage();
    await signIn(page, owner.email, owner.password, `${d.url}/${owner.orgId}/projects/${projectId}/settings/pixels`);
    const card = page.getByRole('article', { name: 'www.shop.example' });
    await card.waitFor();
    expect(await card.getByTestId('pixel-trackers').textContent()).toBe('Page views, In-page navigation, Form submissions');
    await card.getByRole('button', { name: 'Edit pixel www.shop.example' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit pixel www.shop.example' });
    await edit.getByRole('checkbox', { name: /^Clicks:/ }).waitFor();
    const dialogText = (await edit.textContent()) ?? '';
    expect(dialogText).not.toMatch(/page_view|form_submission|file_download|\bspa\b/);
    await edit.getByRole('button', { name: 'Cancel' }).click();

    await page.goto(`${d.url}/${owner.orgId}/events`);
    const table = page.getByRole('table', { name: /^Events, newest first/ });
    await table.waitFor();
    const tableText = (await table.textContent()) ?? '';
    expect(tableText).toContain('Page view');
    expect(tableText).toContain('Form submission');
    expect(tableText).not.toMatch(/page_view|form_submission/);
    expect(tableText).not.toContain(VISITOR);
    await table.getByRole('button').first().click();
    const detail = page.getByRole('dialog', { name: /^Page view|^Form submission/ });
    await detail.waitFor();
    // Times in the detail are dates, not epoch milliseconds.
    expect((await detail.textContent()) ?? '').not.toMatch(/\b1\d{12}\b/);
    await screenshot(page, 'polish-event-detail');
    await detail.getByRole('button', { name: 'Close', exact: true }).click();

    // The last hour is not two bars of partial hours.
    await page.goto(`${d.url}/${owner.orgId}/events?range=1h`);
    await table.waitFor();
    const chart = page.locator('figure.chart');
    await chart.getByText(/6 events/).waitFor();
    expect(await chart.locator('.chart-bar').count()).toBe(0);
    await screenshot(page, 'polish-last-hour');
    await page.context().close();
  });

  it('a sole owner is not offered a role menu or Leave; role changes are confirmed first', async () => {
    const member = await addMember(d.t, owner, 'member');
    const page = await d.newPage();
    await signIn(page, owner.email, owner.password, `${d.url}/${owner.orgId}/settings/members`);
    await page.getByRole('rowheader', { name: 'Bo member' }).waitFor();
    await expect(page.getByLabel(/^Role of Ann Owner/).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Leave organization' }).count()).resolves.toBe(0);
    await page.getByText('You are the only owner').waitFor();

    // Choosing a role asks first; cancelling leaves everything as it was.
    await page.getByLabel('Role of Bo member').selectOption('owner');
    const confirm = page.getByRole('dialog', { name: 'Make Bo member an owner?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect(page.getByLabel('Role of Bo member').inputValue()).resolves.toBe('member');
    const listed = await d.t.app.inject({ url: `/dashboard/api/orgs/${owner.orgId}/members`, headers: dash(owner.session) });
    const roleOf = (body: string) =>
      (JSON.parse(body) as { members: { user_id: string; role: string }[] }).members.find((m) => m.user_id === member.userId)?.role;
    expect(roleOf(listed.body)).toBe('member');

    await page.getByLabel('Role of Bo member').selectOption('admin');
    await page.getByRole('dialog', { name: 'Make Bo member an admin?' }).getByRole('button', { name: 'Change role' }).click();
    await page.getByRole('status').filter({ hasText: 'The role of Bo member is now Admin.' }).waitFor();
    const after = await d.t.app.inject({ url: `/dashboard/api/orgs/${owner.orgId}/members`, headers: dash(owner.session) });
    expect(roleOf(after.body)).toBe('admin');
    await page.context().close();
  });

  it('a removed member is told they no longer have access, with nothing to click that must fail', async () => {
    const admin = await addMember(d.t, owner, 'admin');
    const page = await d.newPage();
    await signIn(page, admin.email, admin.password, `${d.url}/${owner.orgId}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).waitFor();
    const removed = await d.t.app.inject({
      method: 'DELETE',
      url: `/dashboard/api/orgs/${owner.orgId}/members/${admin.userId}`,
      headers: dash(owner.session),
    });
    expect(removed.statusCode, removed.body).toBe(200);
    // A page that polls (the overview) may notice the removal first and take the navigation away
    // before the click lands; either way the person ends on the "no longer have access" page.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Projects' })
      .click({ timeout: 3000 })
      .catch(() => undefined);
    await page.getByRole('heading', { name: `You no longer have access to Polish ${tag}` }).waitFor();
    await expect(page.getByRole('button', { name: 'Create project' }).count()).resolves.toBe(0);
    await expect(page.getByText('Organization not found').count()).resolves.toBe(0);
    await screenshot(page, 'polish-removed-member');
    await page.reload();
    await page.getByRole('heading', { name: "You're not in an organization yet" }).waitFor();
    await page.context().close();
  });

  it('logged no script errors, CSP violations or React warnings in the browser', () => {
    expect(d.pageErrors).toEqual([]);
  });
});
