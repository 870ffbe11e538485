// A customer's website on another origin for browser tests: pages with a title, a meta description,
// a first heading and an optional body, each carrying a pixel's script; and a visitor who reads
// pages and submits the contact form, each step waiting for the pixel's acknowledgement (stored).
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { freePort } from './server-process.js';

export interface SitePage {
  title: string;
  description: string;
  heading: string;
  body?: string;
}

/** A contact form whose email field identifies the visitor (the pixel hashes it in the browser). */
export const CONTACT_FORM =
  '<form id="contact" onsubmit="return false"><label>Email <input name="email" type="email"></label><button type="submit">Send</button></form>';

export interface TestSite {
  url: string;
  close(): Promise<void>;
}

export async function startSite(pages: Record<string, SitePage>, scriptUrl: string): Promise<TestSite> {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    const p = pages[(req.url ?? '/').split('?')[0] ?? '/'];
    if (!p) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${p.title}</title>
<meta name="description" content="${p.description}">
<script id="delivr-ai" src="${scriptUrl}" async></script>
</head><body><header><a href="/">Home</a></header><h1>${p.heading}</h1><p>Text of the page.</p>${p.body ?? ''}</body></html>`);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `http://localhost:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Resolves when the pixel's send holding an event of `type` is acknowledged (200). */
export const acknowledged = (page: Page, type: string) =>
  page.waitForResponse((res) => {
    if (!res.url().endsWith('/pixel/core/api/send-event') || res.status() !== 200) return false;
    const body = JSON.parse(res.request().postData() ?? '{}') as { events?: { event_type: string }[]; event_type?: string };
    return (body.events ?? [body]).some((e) => e.event_type === type);
  });

/** A visitor of `site`: reads a page (its page view stored), or identifies with the form on `/contact`. */
export function visitor(site: TestSite) {
  const read = async (page: Page, path: string): Promise<void> => {
    const sent = acknowledged(page, 'page_view');
    await page.goto(`${site.url}${path}`);
    await sent;
  };
  const identify = async (page: Page, email: string): Promise<void> => {
    await read(page, '/contact');
    await page.getByLabel('Email').fill(email);
    const sent = acknowledged(page, 'form_submission');
    await page.getByRole('button', { name: 'Send' }).click();
    await sent;
  };
  return { read, identify };
}
