// "Load demo data" in the browser: a new organization's owner finds it next to "Create project",
// reads what it will add, loads it, and is told how many people and events it wrote; the demo
// project is listed (and the demo is not offered again), and the People page lists the demo's
// people with their companies. A member is not offered it.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, screenshot, skipReason, startDashboard } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('demo data in the browser', () => {
  let d: Dashboard;
  let owner: Tenant;
  let member: Tenant;
  const tag = randomUUID().slice(0, 6);

  async function signIn(p: Page, who: Tenant, to: string): Promise<void> {
    await p.goto(to);
    await p.getByLabel('Email').fill(who.email);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(to);
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Demo ${tag}` });
    member = await addMember(d.t, owner, 'member');
  }, 120_000);
  afterAll(async () => {
    await d?.close();
  });

  it('an owner loads the demo from an empty Projects page and finds its people', async () => {
    const page = await d.newPage();
    const projectsUrl = `${d.url}/${owner.orgId}/settings/projects`;
    await signIn(page, owner, projectsUrl);
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await page.getByRole('button', { name: 'Load demo data' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Load demo data?' });
    await dialog.getByText('Northwind Cloud (demo)').first().waitFor();
    await dialog.getByRole('button', { name: 'Load demo data' }).click();
    const notice = page.getByText(/^Demo data loaded: 2,000 people, [\d,]+ of them seen on the demo site and \d+ researching/);
    await notice.waitFor({ timeout: 60_000 });
    await page.getByRole('row', { name: /Northwind Cloud \(demo\)/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Load demo data' }).count()).toBe(0);
    await screenshot(page, 'demo-loaded');

    await page.getByRole('link', { name: 'See the people' }).click();
    await page.waitForURL(`${d.url}/${owner.orgId}/people`);
    await page.getByText(/^Showing 1–\d+ of [\d,]+ people\./).waitFor();
    const shown = await page.getByText(/^Showing 1–\d+ of [\d,]+ people\./).textContent();
    const total = Number((/of ([\d,]+) people/.exec(shown ?? '')?.[1] ?? '0').replaceAll(',', ''));
    expect(total).toBeGreaterThan(1200);
    expect(total).toBeLessThan(2000);
    await page
      .getByRole('row', { name: /\.example|Logistics|Bank|Health|Retail|Energy|Analytics/ })
      .first()
      .waitFor();
  }, 120_000);

  it('a member is not offered the demo', async () => {
    const page = await d.newPage();
    await signIn(page, member, `${d.url}/${owner.orgId}/settings/projects`);
    await page.getByRole('row', { name: /Northwind Cloud \(demo\)/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Load demo data' }).count()).toBe(0);
  }, 60_000);
});
