// Settings > Members in the browser: the owner invites by email with a role, resends and cancels
// invitations; the invited person accepts in their own browser; a member cannot reach owner-only
// pages or actions (the UI hides or refuses them, the API answers 403/404); the owner changes the
// role and removes the member.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type Tenant } from '../support/tenant.js';
import {
  type Dashboard,
  emailedLink,
  mailCount,
  screenshot,
  sessionFetch,
  skipReason,
  startDashboard,
  unlabelledControls,
} from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('members in the browser', () => {
  let d: Dashboard;
  let owner: Tenant;
  let ownerPage: Page;
  let memberPage: Page;
  const tag = randomUUID().slice(0, 8);
  const memberEmail = `member-${tag}@example.com`;
  const memberPassword = `pw-${randomUUID()}`;
  let memberId = '';
  let projectId = '';
  let membersUrl = '';

  async function signIn(page: Page, email: string, password: string, to: string): Promise<void> {
    await page.goto(to);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(to);
  }

  beforeAll(async () => {
    d = await startDashboard();
    owner = await newTenant(d.t, { name: `Team ${tag}` });
    membersUrl = `${d.url}/${owner.orgId}/settings/members`;
    ownerPage = await d.newPage();
    await signIn(ownerPage, owner.email, owner.password, membersUrl);
    const created = await sessionFetch(ownerPage, 'POST', `/orgs/${owner.orgId}/projects`, { name: 'Site' });
    projectId = (JSON.parse(created.text) as { project: { project_id: string } }).project.project_id;
  });
  afterAll(async () => {
    await d?.close();
  });

  it('invites by email with a role, resends, and cancels an invitation', async () => {
    const page = ownerPage;
    await page.getByRole('heading', { name: 'Members', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'No pending invitations' }).waitFor();
    await page.getByRole('button', { name: 'Invite member' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Invite member' });
    await dialog.getByLabel('Email address').fill('not-an-email');
    await dialog.getByLabel('Role').selectOption('member');
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    // The browser's own check stops a malformed address before the API sees it.
    expect(await dialog.getByLabel('Email address').evaluate((el) => (el as HTMLInputElement).validity.valid)).toBe(false);
    await dialog.getByLabel('Email address').fill(memberEmail);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Invitation sent to ${memberEmail}` })
      .waitFor();
    const pending = page.getByRole('row', { name: new RegExp(memberEmail) });
    await expect(pending.textContent()).resolves.toContain('Member');

    // Inviting the same person's address twice is refused in words.
    await page.getByRole('button', { name: 'Invite member' }).first().click();
    await dialog.getByLabel('Email address').fill(owner.email);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toBe('This user is already a member of the organization.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    expect(await mailCount(d.t.dataDir, memberEmail)).toBe(1);
    await page.getByRole('button', { name: `Resend invitation to ${memberEmail}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Invitation sent again to ${memberEmail}` })
      .waitFor();
    expect(await mailCount(d.t.dataDir, memberEmail)).toBe(2);

    const other = `other-${tag}@example.com`;
    await page.getByRole('button', { name: 'Invite member' }).first().click();
    await dialog.getByLabel('Email address').fill(other);
    await dialog.getByLabel('Role').selectOption('admin');
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('row', { name: new RegExp(other) }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'members');
    await page.getByRole('button', { name: `Cancel invitation to ${other}` }).click();
    await page
      .getByRole('dialog', { name: `Cancel the invitation to ${other}?` })
      .getByRole('button', { name: 'Cancel invitation' })
      .click();
    await page.getByRole('row', { name: new RegExp(other) }).waitFor({ state: 'detached' });

    // A cancelled invitation's link explains itself.
    const cancelledLink = await emailedLink(d.t.dataDir, other, 'invite');
    const visitor = await d.newPage();
    await visitor.goto(cancelledLink);
    await visitor.getByRole('heading', { name: "This invitation can't be used" }).waitFor();
    await visitor.context().close();
  });

  it('the invited member accepts in their own browser', async () => {
    memberPage = await d.newPage();
    const link = await emailedLink(d.t.dataDir, memberEmail, 'invite');
    await memberPage.goto(link);
    await memberPage.getByRole('heading', { name: `Join Team ${tag}` }).waitFor();
    await memberPage.getByText('as Member').waitFor();
    await memberPage.getByLabel('First name').fill('Bo');
    await memberPage.getByLabel('Last name').fill('Member');
    await memberPage.getByLabel('Choose a password').fill(memberPassword);
    await memberPage.getByLabel('Confirm password').fill(memberPassword);
    await memberPage.getByRole('button', { name: 'Create account and join' }).click();
    await memberPage.getByRole('heading', { name: `Welcome to Team ${tag}` }).waitFor();
    await memberPage.getByText('Member', { exact: true }).first().waitFor();
    const session = JSON.parse((await sessionFetch(memberPage, 'GET', '/session')).text) as { user: { user_id: string } };
    memberId = session.user.user_id;
    await ownerPage.reload();
    await ownerPage.getByRole('rowheader', { name: 'Bo Member' }).waitFor();
    await expect(ownerPage.getByRole('row', { name: new RegExp(memberEmail) }).count()).resolves.toBe(1);
  });

  it('a member cannot reach owner-only pages or actions: the UI refuses and the API says 403/404', async () => {
    const page = memberPage;
    const org = owner.orgId;
    // No API keys in the navigation, and the page itself refuses.
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).count()).resolves.toBe(0);
    await page.goto(`${d.url}/${org}/settings/api-keys`);
    await page.getByRole('alert').filter({ hasText: 'Only owners and admins' }).waitFor();
    await expect(page.getByRole('button', { name: 'Create key' }).count()).resolves.toBe(0);
    await screenshot(page, 'member-api-keys-refused');

    await page.goto(`${d.url}/${org}/settings/members`);
    await page.getByRole('rowheader', { name: /Ann Owner/ }).waitFor();
    await expect(page.getByRole('button', { name: 'Invite member' }).count()).resolves.toBe(0);
    await expect(page.getByRole('combobox').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^Remove / }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Leave organization' }).count()).resolves.toBe(1);
    await expect(page.getByRole('heading', { name: 'Pending invitations' }).count()).resolves.toBe(0);

    await page.goto(`${d.url}/${org}/settings/projects`);
    await page.getByRole('rowheader', { name: 'Site' }).waitFor();
    await expect(page.getByRole('button', { name: 'Create project' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Rename Site' }).count()).resolves.toBe(0);
    await page.goto(`${d.url}/${org}/projects/${projectId}/settings/pixels`);
    await page.getByRole('heading', { name: 'No pixels yet' }).waitFor();
    await expect(page.getByRole('button', { name: 'Create pixel' }).count()).resolves.toBe(0);

    // The API refuses the same actions outright, with the member's own session and CSRF token.
    const refused: [string, string, unknown, number][] = [
      ['GET', `/orgs/${org}/api-keys`, undefined, 403],
      ['POST', `/orgs/${org}/api-keys`, { name: 'sneaky' }, 403],
      ['POST', `/orgs/${org}/invites`, { email: `x-${tag}@example.com`, role: 'owner' }, 403],
      ['PATCH', `/orgs/${org}/members/${owner.userId}`, { role: 'member' }, 403],
      ['PATCH', `/orgs/${org}/members/${memberId}`, { role: 'owner' }, 403],
      ['DELETE', `/orgs/${org}/members/${owner.userId}`, undefined, 403],
      ['POST', `/orgs/${org}/projects`, { name: 'x' }, 403],
      ['PATCH', `/orgs/${org}/projects/${projectId}`, { name: 'x' }, 403],
      ['POST', `/orgs/${org}/projects/${projectId}/pixels`, { title: 'x' }, 403],
      ['GET', `/orgs/${randomUUID()}/members`, undefined, 404],
    ];
    for (const [method, path, body, status] of refused) {
      const res = await sessionFetch(page, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(JSON.parse(res.text).error, `${method} ${path}`).toMatch(/^(Forbidden\.|Organization not found\.)$/);
    }
    // Without the CSRF token even a permitted change is refused.
    const noCsrf = await page.evaluate(
      async (path) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })).status,
      '/dashboard/api/apps',
    );
    expect(noCsrf).toBe(403);
  });

  it('the owner promotes the member to admin, then removes them', async () => {
    await ownerPage.getByLabel('Role of Bo Member').selectOption('admin');
    await ownerPage.getByRole('dialog', { name: 'Make Bo Member an admin?' }).getByRole('button', { name: 'Change role' }).click();
    await ownerPage.getByRole('status').filter({ hasText: 'The role of Bo Member is now Admin.' }).waitFor();
    await memberPage.goto(`${d.url}/${owner.orgId}/settings/api-keys`);
    await memberPage.getByRole('heading', { name: 'No API keys yet' }).waitFor();
    await memberPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).waitFor();
    // Admins still cannot change roles.
    await memberPage.goto(`${d.url}/${owner.orgId}/settings/members`);
    await memberPage.getByRole('button', { name: 'Invite member' }).first().waitFor();
    await expect(memberPage.getByRole('combobox').count()).resolves.toBe(0);

    // The last owner cannot be demoted or leave: the page offers neither, and says what to do instead.
    await expect(ownerPage.getByLabel(/^Role of Ann Owner/).count()).resolves.toBe(0);
    await expect(ownerPage.getByRole('button', { name: 'Leave organization' }).count()).resolves.toBe(0);
    await ownerPage.getByText('You are the only owner').waitFor();

    await ownerPage.getByRole('button', { name: 'Remove Bo Member' }).click();
    await ownerPage.getByRole('dialog', { name: 'Remove Bo Member?' }).getByRole('button', { name: 'Remove member' }).click();
    await ownerPage.getByRole('rowheader', { name: 'Bo Member' }).waitFor({ state: 'detached' });
    const gone = await sessionFetch(memberPage, 'GET', `/orgs/${owner.orgId}/members`);
    expect(gone.status).toBe(404);
    await memberPage.reload();
    await memberPage.getByRole('heading', { name: "You're not in an organization yet" }).waitFor();
  });

  it('logged no script errors, CSP violations or React warnings in the browser', () => {
    expect(d.pageErrors).toEqual([]);
  });
});
