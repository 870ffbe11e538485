// Open sign-up in the browser (SIGNUP_MODE=open): a stranger creates an account and organization
// and lands signed in on its getting-started page; errors come back in words; the skip link and the
// navigation work from the keyboard. On a server that hides which emails have accounts
// (LOGIN_HIDE_UNKNOWN_USERS=true) the page says to check the email, and its link finishes the sign-up.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, emailedLink, focusedName, screenshot, skipReason, startDashboard, unlabelledControls } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('open sign-up in the browser', () => {
  let d: Dashboard;
  let page: Page;
  const tag = randomUUID().slice(0, 8);
  const email = `founder-${tag}@example.com`;

  beforeAll(async () => {
    d = await startDashboard({ SIGNUP_MODE: 'open' });
    page = await d.newPage();
  });
  afterAll(async () => {
    await d?.close();
  });

  it('signs up from the sign-in page and lands in the new organization', async () => {
    await page.goto(`${d.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('First name').fill('Fay');
    await page.getByLabel('Last name').fill('Founder');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Organization name').fill(`Startup ${tag}`);
    await page.getByLabel('Password').fill('short');
    await screenshot(page, 'sign-up');
    // The browser's minlength check keeps "short" from being sent; the API would refuse it too.
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await page.getByLabel('Password').evaluate((el) => (el as HTMLInputElement).validity.tooShort)).toBe(true);
    await page.getByLabel('Password').fill(`pw-${randomUUID()}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: `Welcome to Startup ${tag}` }).waitFor();
    await page.getByText('Owner', { exact: true }).waitFor();
  });

  it('says why a second sign-up with the same email fails', async () => {
    const other = await d.newPage();
    await other.goto(`${d.url}/sign-up`);
    await other.getByLabel('First name').fill('Fay');
    await other.getByLabel('Last name').fill('Again');
    await other.getByLabel('Work email').fill(email);
    await other.getByLabel('Organization name').fill('Dup');
    await other.getByLabel('Password').fill(`pw-${randomUUID()}`);
    await other.getByRole('button', { name: 'Create account' }).click();
    await expect(other.getByRole('alert').textContent()).resolves.toBe('A user with this email already exists.');
    await other.context().close();
  });

  it('is usable by keyboard: skip link, navigation, and visible focus', async () => {
    await page.reload();
    await page.getByRole('heading', { name: /^Welcome to / }).waitFor();
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // Tab walks into the page; focused controls draw a visible ring.
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement as Element).boxShadow);
    expect(ring).not.toBe('none');
    // The navigation is links: reach Projects and follow it with Enter.
    await page.getByRole('link', { name: 'Projects', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor();
    // After a navigation focus moves to the new page's heading.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Create project');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Create project' }).waitFor();
    await page.keyboard.type('Keyboard site');
    await page.keyboard.press('Enter');
    await page.getByRole('rowheader', { name: 'Keyboard site' }).waitFor();
  });

  it('logged no script errors, CSP violations or React warnings in the browser', () => {
    expect(d.pageErrors).toEqual([]);
  });
});

describe.skipIf(skip !== null)('sign-up confirmed by email (LOGIN_HIDE_UNKNOWN_USERS=true)', () => {
  let d: Dashboard;
  let page: Page;
  const tag = randomUUID().slice(0, 8);
  const email = `hidden-${tag}@example.com`;

  beforeAll(async () => {
    d = await startDashboard({ SIGNUP_MODE: 'open', LOGIN_HIDE_UNKNOWN_USERS: 'true' });
    page = await d.newPage();
  });
  afterAll(async () => {
    await d?.close();
  });

  it('says to check the email; its link finishes the sign-up with one button and signs in', async () => {
    await page.goto(`${d.url}/sign-up`);
    await page.getByLabel('First name').fill('Hana');
    await page.getByLabel('Last name').fill('Hidden');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Organization name').fill(`Quiet ${tag}`);
    await page.getByLabel('Password').fill(`pw-${randomUUID()}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Check your email to finish signing up.');
    await screenshot(page, 'sign-up-check-email');

    const link = await emailedLink(d.t.dataDir, email, 'confirm-signup');
    expect(link.startsWith(`${d.url}/confirm-signup/`)).toBe(true);
    const other = await d.newPage();
    await other.goto(link);
    await other.getByRole('heading', { name: 'Finish signing up' }).waitFor();
    expect(await unlabelledControls(other)).toEqual([]);
    await other.getByRole('button', { name: 'Create my account' }).click();
    await other.getByRole('heading', { name: `Welcome to Quiet ${tag}` }).waitFor();

    // The link is used up: opened again, it says so in words.
    await other.goto(link);
    await other.getByRole('button', { name: 'Create my account' }).click();
    await expect(other.getByRole('alert').textContent()).resolves.toBe('This sign-up link is unknown, used or expired.');
    await other.context().close();
  });

  it('logged no script errors, CSP violations or React warnings in the browser', () => {
    expect(d.pageErrors).toEqual([]);
  });
});
