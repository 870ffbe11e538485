// Credentials in the browser: an organization API key (create → the dialog's key and secret work
// on /api/v2/events_schema → access log → rotate → revoke → 401), the organization's "require the
// API secret" switch (an owner turns it off after a warning, and on again), an app (its credentials
// plus a platform JWT work on the Partner API, rotate its secret, then delete), and that a secret
// never shows again once its dialog is closed: not in the page, its source, or any API response. All
// by keyboard where a person could use one.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type Tenant } from '../support/tenant.js';
import { type Dashboard, focusedName, screenshot, sessionFetch, skipReason, startDashboard, unlabelledControls } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('credentials in the browser', () => {
  let d: Dashboard;
  let page: Page;
  let owner: Tenant;
  let keyPage = '';

  const schema = (key: string, secret: string) =>
    fetch(`${d.url}/api/v2/events_schema`, { headers: { 'x-api-key': key, 'x-api-secret': secret } });

  /** The secret is nowhere: not in the live DOM, not in the HTML the server sends, not in the session API. */
  async function expectGone(secret: string): Promise<void> {
    expect(await page.content()).not.toContain(secret);
    expect(
      await page.evaluate(() => document.documentElement.outerHTML + JSON.stringify(sessionStorage) + JSON.stringify(localStorage)),
    ).not.toContain(secret);
    const source = await (await fetch(page.url())).text();
    expect(source).not.toContain(secret);
    for (const path of ['/session', `/orgs/${owner.orgId}/api-keys`, '/apps', `/orgs/${owner.orgId}/members`]) {
      const res = await sessionFetch(page, 'GET', path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toContain(secret);
    }
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: 'Keys Inc' });
    keyPage = `${d.url}/${owner.orgId}/settings/api-keys`;
    page = await d.newPage();
    // Sign in through the form, straight to the seed's URL.
    await page.goto(keyPage);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
    expect(page.url()).toBe(keyPage);
  });
  afterAll(async () => {
    await d?.close();
  });

  it('creates a key from the keyboard; the dialog shows key and secret once, and they work', async () => {
    await page.getByRole('heading', { name: 'No API keys yet' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'api-keys-empty');

    // Tab from the page heading reaches Create key; Enter opens the dialog with focus in its field.
    await page.locator('#page-title').focus();
    for (let i = 0; i < 5 && (await focusedName(page)) !== 'Create key'; i++) await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Create key');
    await page.keyboard.press('Enter');
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.waitFor();
    expect(await focusedName(page)).toBe('Key name');
    // Escape closes it and gives focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await create.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toBe('Create key');
    await page.keyboard.press('Enter');
    await create.waitFor();
    // Focus stays inside the dialog: Tab cycles through its controls.
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      names.push(await focusedName(page));
    }
    expect(new Set(names)).toEqual(new Set(['Close dialog', 'Key name', 'Cancel', 'Create key']));
    await create.getByLabel('Key name').focus();
    await page.keyboard.type('CRM sync');
    await page.keyboard.press('Enter');

    const shown = page.getByRole('dialog', { name: 'Your new API key' });
    await shown.waitFor();
    await expect(shown.getByRole('note').textContent()).resolves.toContain('This is the only time it is shown');
    const apiKey = await shown.getByLabel('API key', { exact: true }).inputValue();
    const apiSecret = await shown.getByLabel('API secret', { exact: true }).inputValue();
    expect(apiKey).toMatch(/^dlvr_/);
    expect(apiSecret.length).toBeGreaterThanOrEqual(32);
    await shown.getByRole('button', { name: 'Copy API secret' }).click();
    await shown.getByText('Copied', { exact: true }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiSecret);
    await shown.getByRole('button', { name: 'Copy API key' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'api-key-created');

    const ok = await schema(apiKey, apiSecret);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { fields: { name: string }[] }).fields.map((f) => f.name)).toContain('event_type');
    expect((await schema(apiKey, `${apiSecret.slice(0, -1)}x`)).status).toBe(401);

    await shown.getByRole('button', { name: 'I have saved it, close' }).click();
    await shown.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /CRM sync/ });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain(apiKey.slice(0, 9));
    await expect(row.textContent()).resolves.toContain('Active');
    await expectGone(apiSecret);
    expect(await page.content()).not.toContain(apiKey);
    await page.reload();
    await row.waitFor();
    await expectGone(apiSecret);
    await page.goBack();
    await page.goForward();
    await row.waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await expectGone(apiSecret);
    await screenshot(page, 'api-keys');
  });

  it("shows the key's access log, rotates its secret (shown once), and revokes it", async () => {
    const row = page.getByRole('row', { name: /CRM sync/ });
    // A fresh key to follow through rotate and revoke, so this test stands on its own.
    await page.getByRole('button', { name: 'Create key' }).first().click();
    await page.getByRole('dialog', { name: 'Create API key' }).getByLabel('Key name').fill('Warehouse');
    await page.getByRole('dialog', { name: 'Create API key' }).getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new API key' });
    const apiKey = await shown.getByLabel('API key', { exact: true }).inputValue();
    const first = await shown.getByLabel('API secret', { exact: true }).inputValue();
    await page.keyboard.press('Escape');
    await shown.waitFor({ state: 'detached' });
    expect((await schema(apiKey, first)).status).toBe(200);
    expect((await schema(apiKey, 'wrong-secret')).status).toBe(401);

    await page.getByRole('button', { name: 'Access log of Warehouse' }).click();
    const log = page.getByRole('dialog', { name: 'Access log of Warehouse' });
    await log.getByRole('cell', { name: 'GET /api/v2/events_schema' }).first().waitFor();
    await expect(log.getByText('Answered (200)').count()).resolves.toBe(1);
    await expect(log.getByText('Refused (401)').count()).resolves.toBe(1);
    await screenshot(page, 'api-key-access-log');
    await log.getByRole('button', { name: 'Close', exact: true }).click();
    await log.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByRole('row', { name: /Warehouse/ }).textContent()).not.toContain('Never');

    await page.getByRole('button', { name: 'Rotate secret of Warehouse' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the secret of Warehouse?' });
    await expect(confirm.textContent()).resolves.toContain('stops working right away');
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('dialog', { name: 'Your new API secret' });
    const second = await rotated.getByLabel('API secret', { exact: true }).inputValue();
    expect(second).not.toBe(first);
    await expect(rotated.getByLabel('API key', { exact: true }).count()).resolves.toBe(0);
    await rotated.getByRole('button', { name: 'I have saved it, close' }).click();
    await rotated.waitFor({ state: 'detached' });
    expect((await schema(apiKey, first)).status).toBe(401);
    expect((await schema(apiKey, second)).status).toBe(200);
    await expectGone(second);
    await expectGone(first);

    await page.getByRole('button', { name: 'Revoke Warehouse' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke Warehouse?' });
    // Cancel is the default: Enter on the focused button does not revoke.
    expect(await focusedName(page)).toBe('Cancel');
    await revoke.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('status').filter({ hasText: 'Key Warehouse is revoked' }).waitFor();
    await expect(page.getByRole('row', { name: /Warehouse/ }).textContent()).resolves.toContain('Revoked');
    await expect(page.getByRole('button', { name: 'Revoke Warehouse' }).count()).resolves.toBe(0);
    const refused = await schema(apiKey, second);
    expect(refused.status).toBe(401);
    await expect(row.textContent()).resolves.toContain('Active');
  });

  it('an owner lets keys work without their secret only after a warning, and requires it again', async () => {
    const made = await sessionFetch(page, 'POST', `/orgs/${owner.orgId}/api-keys`, { name: 'Legacy ETL' });
    const apiKey = (JSON.parse(made.text) as { api_key: string }).api_key;
    const keyOnly = () => fetch(`${d.url}/api/v2/events_schema`, { headers: { 'x-api-key': apiKey } });
    await page.goto(keyPage);
    const toggle = page.getByRole('switch', { name: 'Every request must send X-Api-Secret with its X-Api-Key' });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    await expect(page.getByRole('region', { name: 'Require the API secret' }).textContent()).resolves.toContain('Required');
    expect((await keyOnly()).status).toBe(401);

    await toggle.click();
    const warn = page.getByRole('dialog', { name: 'Let keys work without their secret?' });
    await expect(warn.textContent()).resolves.toContain("Anyone who has seen one of Keys Inc's API keys could then read its data.");
    // Cancel is the default and changes nothing.
    expect(await focusedName(page)).toBe('Cancel');
    await warn.getByRole('button', { name: 'Cancel' }).click();
    await warn.waitFor({ state: 'detached' });
    expect(await toggle.isChecked()).toBe(true);
    expect((await keyOnly()).status).toBe(401);

    await toggle.click();
    await screenshot(page, 'api-keys-secret-warning');
    await warn.getByRole('button', { name: 'Allow keys without the secret' }).click();
    await page.getByRole('status').filter({ hasText: 'now work without their secret' }).waitFor();
    expect(await toggle.isChecked()).toBe(false);
    await expect(page.getByRole('region', { name: 'Require the API secret' }).textContent()).resolves.toContain('Not required');
    expect((await keyOnly()).status).toBe(200);

    await toggle.click();
    await page.getByRole('dialog', { name: 'Require the secret again?' }).getByRole('button', { name: 'Require the secret' }).click();
    await page.getByRole('status').filter({ hasText: 'Every request now needs the API secret' }).waitFor();
    expect(await toggle.isChecked()).toBe(true);
    expect((await keyOnly()).status).toBe(401);
    expect(await unlabelledControls(page)).toEqual([]);
  });

  it('creates an app whose credentials work on the Partner API, shown once, rotates its secret, then deletes it', async () => {
    await page.getByRole('link', { name: 'Apps' }).click();
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    await page.getByRole('button', { name: 'Create app' }).first().click();
    const create = page.getByRole('dialog', { name: 'Create app' });
    await create.getByLabel('App name').fill('Provisioning');
    await create.getByRole('button', { name: 'Create app' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new app credentials' });
    const clientId = await shown.getByLabel('Client ID', { exact: true }).inputValue();
    const clientSecret = await shown.getByLabel('Client secret', { exact: true }).inputValue();
    expect(clientId).toMatch(/^client_/);
    await shown.getByRole('button', { name: 'Copy Client secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientSecret);
    await screenshot(page, 'app-created');

    const issued = await fetch(`${d.url}/public/core/auth/issue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: owner.email, password: owner.password }),
    });
    const jwt = ((await issued.json()) as { response: { token: string } }).response.token;
    const partner = (id: string, secret: string) =>
      fetch(`${d.url}/public/core/api/project/get`, {
        headers: {
          authorization: `Bearer ${jwt}`,
          'x-delivr-client-id': id,
          'x-delivr-client-secret': secret,
          organization_id: owner.orgId,
        },
      });
    const ok = await partner(clientId, clientSecret);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ response: { projects: [] } });

    await shown.getByRole('button', { name: 'I have saved it, close' }).click();
    await shown.waitFor({ state: 'detached' });
    await page.getByRole('rowheader', { name: 'Provisioning' }).waitFor();
    await expect(page.getByRole('row', { name: /Provisioning/ }).textContent()).resolves.toContain(clientId);
    await expectGone(clientSecret);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'apps');

    await page.getByRole('button', { name: 'Rotate secret of app Provisioning' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the secret of Provisioning?' });
    await expect(confirm.textContent()).resolves.toContain('stops working right away');
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('dialog', { name: 'Your new client secret' });
    const newSecret = await rotated.getByLabel('Client secret', { exact: true }).inputValue();
    expect(newSecret).not.toBe(clientSecret);
    await expect(rotated.textContent()).resolves.toContain(clientId);
    await rotated.getByRole('button', { name: 'I have saved it, close' }).click();
    await rotated.waitFor({ state: 'detached' });
    expect((await partner(clientId, clientSecret)).status).toBe(401);
    expect((await partner(clientId, newSecret)).status).toBe(200);
    await expectGone(newSecret);

    await page.getByRole('button', { name: 'Delete app Provisioning' }).click();
    await page.getByRole('dialog', { name: 'Delete app Provisioning?' }).getByRole('button', { name: 'Delete app' }).click();
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    expect((await partner(clientId, newSecret)).status).toBe(401);
  });

  it('logged no script errors, CSP violations or React warnings in the browser', () => {
    expect(d.pageErrors).toEqual([]);
  });
});
