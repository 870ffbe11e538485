// The API reference at /docs in a real browser, under its own Content-Security-Policy: Swagger UI
// loads, lists the sections of /docs/json, opens one and one of its operations, and the browser reports no CSP
// violation or script error on the way.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, skipReason, startDashboard } from './support.js';

const skip = skipReason();
if (skip) console.log(`web: ${skip}`);

describe.skipIf(skip !== null)('Swagger UI at /docs', () => {
  let d: Dashboard;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    d = await startDashboard();
    page = await d.newPage();
    await page.exposeFunction('reportCspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportCspViolation(v: string): void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
  });
  afterAll(async () => d?.close());

  it('renders the operations and opens one, with no CSP violation', async () => {
    const res = await page.goto(`${d.url}/docs`);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    // Every section is listed, collapsed; opening one draws its operations.
    const sections = page.locator('.opblock-tag');
    await sections.filter({ hasText: 'Audiences' }).first().waitFor();
    expect(await sections.count()).toBeGreaterThan(10);
    await sections
      .filter({ hasText: /^Events/ })
      .first()
      .click();
    const events = page.locator('.opblock-summary-path', { hasText: /^\/api\/v2\/events$/ }).first();
    await events.waitFor();
    await events.click();
    await page.getByRole('button', { name: 'Try it out' }).first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(3);
    expect(violations).toEqual([]);
    expect(d.pageErrors).toEqual([]);
  });
});
