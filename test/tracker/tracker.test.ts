// The pixel in a real browser: a node:http server plays both the customer site (localhost) and the
// Delivr host (127.0.0.1, so every send is cross-origin as in production), serves p.js through
// renderTracker, and records every POST to the ingest path. Assertions are on the exact payloads.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltTracker, loadBuiltTracker, renderTracker } from '../../src/pixels/render.js';
import { DEFAULT_TRACKERS, TRACKER_NAMES, variantIndex } from '../../src/pixels/trackers.js';
import type { TrackerBody, TrackerEvent } from '../../tracker/payload.js';
import { launchChromium } from '../web/support.js';
import { buildTracker } from './build-tracker.js';

const PIXEL = randomUUID();
/** Served with respectPrivacySignals: true. */
const PRIVATE_PIXEL = randomUUID();
/** Served with the default trackers (a new pixel's); the others get every tracker. */
const DEFAULT_PIXEL = randomUUID();
const ORG = randomUUID();
const INGEST_PATH = '/pixel/core/api/send-event';
const TITLE = 'Delivr test page';
const DESCRIPTION = 'A page for testing the   Delivr pixel.';
/** What a page view carries about the page (meta description and first h1), for page classification. */
const PAGE = { description: DESCRIPTION, heading: 'Test page' };
const SCREEN = { width: 1440, height: 900 };

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const ID = expect.stringMatching(/^[0-9a-f]{32}$/);

interface Post {
  body: string;
  contentType: string | undefined;
  origin: string | undefined;
  status: number;
}

const posts: Post[] = [];
const preflights: string[] = [];
/** Tags whose first POST is answered 503, to exercise the fetch retry. */
const failOnce = new Set<string>();

let server: Server;
let port = 0;
let built: BuiltTracker;
let browser: Browser;
let home = '';
const contexts: BrowserContext[] = [];

const api = () => `http://127.0.0.1:${port}`;
const site = () => `http://localhost:${port}`;

function pageHtml(params: URLSearchParams): string {
  const pixel = params.get('pixel') ?? PIXEL;
  const snippet =
    params.get('auto') === 'false'
      ? `<script id="delivr-ai" src="${api()}/pixels/${pixel}/p.js" data-auto-init="false" async></script>`
      : `<script id="delivr-ai" src="${api()}/pixels/${pixel}/p.js" async></script>`;
  const queue =
    params.get('queue') === '1'
      ? `<script>
window.delivr = window.delivr || [];
delivr.push(['setGlobalParams', { site: 'docs' }]);
delivr.push(['track', 'signup', { plan: 'pro' }]);
delivr.push(['noSuchMethod', 1]);
</script>`
      : '';
  // bare=1: no meta description, and a first h1 longer than the tracker sends.
  const bare = params.get('bare') === '1';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${TITLE}</title>
${bare ? '' : `<meta name="description" content="${DESCRIPTION}">`}
${queue}
${snippet}
</head><body>
${bare ? `<h1>${'Long heading '.repeat(40)}</h1><h1>Second</h1>` : '<h1>Test page</h1>'}
<button id="buy" class="btn primary" type="button" name="buy-now"><span id="buy-label">Buy</span>   now</button>
<a id="report" href="/files/report.pdf?v=2">Annual report</a>
<form id="signup" method="post" action="/thanks">
  <input name="name">
  <input type="email" name="contact">
  <input type="password" name="pw">
  <input name="cc-number">
  <input type="checkbox" name="newsletter" value="yes" checked>
  <button type="submit" id="send">Sign up</button>
</form>
<video id="clip" src="/files/clip.mp4" muted></video>
<div style="height: 5000px"></div>
</body></html>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const pixelScript = /^\/pixels\/([^/]+)\/p\.js$/.exec(url.pathname);
  if (req.method === 'GET' && pixelScript?.[1]) {
    const pixelId = pixelScript[1];
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    const trackers = pixelId === DEFAULT_PIXEL ? DEFAULT_TRACKERS : TRACKER_NAMES;
    res.end(
      renderTracker(built.variants[variantIndex(trackers)] as string, {
        pixelId,
        organizationId: ORG,
        endpoint: `${api()}${INGEST_PATH}`,
        respectPrivacySignals: pixelId === PRIVATE_PIXEL,
      }),
    );
    return;
  }
  if (url.pathname === INGEST_PATH && req.method === 'OPTIONS') {
    preflights.push(req.headers['access-control-request-method'] ?? '');
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === INGEST_PATH && req.method === 'POST') {
    const body = await readBody(req);
    const tag = [...failOnce].find((t) => body.includes(`t=${t}`));
    const status = tag ? 503 : 200;
    if (tag) failOnce.delete(tag);
    posts.push({ body, contentType: req.headers['content-type'], origin: req.headers.origin, status });
    res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(status === 200 ? { status: 'ok' } : { error: 'Unavailable' }));
    return;
  }
  if (url.pathname === '/page' || url.pathname.startsWith('/app/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pageHtml(url.searchParams));
    return;
  }
  if (url.pathname === '/thanks') {
    await readBody(req);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Thanks</title><p>Thanks');
    return;
  }
  // Downloads and media: 204 keeps the page where it is.
  res.writeHead(url.pathname.startsWith('/files/') ? 204 : 404).end();
}

const parse = (post: Post): TrackerEvent[] => {
  const body = JSON.parse(post.body) as TrackerBody;
  return 'events' in body ? body.events : [body];
};

/** Every event of one test, told apart by the `t=<tag>` each test puts in its page URLs. */
const postsFor = (tag: string) => posts.filter((p) => p.status === 200 && p.body.includes(`t=${tag}`));
const eventsFor = (tag: string) =>
  postsFor(tag)
    .flatMap(parse)
    .filter((e) => e.event_url.includes(`t=${tag}`));

async function waitForEvents(tag: string, count: number, { timeoutMs = 6000, oneSession = true } = {}): Promise<TrackerEvent[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (eventsFor(tag).length >= count) break;
    await sleep(50);
  }
  const events = eventsFor(tag);
  expect(
    events.map((e) => e.event_type),
    `events for ${tag}`,
  ).toHaveLength(count);
  for (const event of events) {
    // ts and timestamp are one instant; ids are shared by the whole test (one fresh browser context).
    expect(new Date(event.ts).toISOString()).toBe(event.event_data.timestamp);
    expect(event.visitor_id).toBe(events[0]?.visitor_id);
    if (oneSession) expect(event.session_id).toBe(events[0]?.session_id);
  }
  return events;
}

/** Waits past the batch window and asserts nothing more arrived. */
async function expectNoMoreEvents(tag: string, count: number): Promise<void> {
  await sleep(1600);
  expect(eventsFor(tag)).toHaveLength(count);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The exact event, with only ids and times matched by pattern. */
function expected(type: string, url: string, data: Record<string, unknown> = {}, top: Partial<Record<keyof TrackerEvent, unknown>> = {}) {
  return {
    event_id: ID,
    event_type: type,
    event_data: { url, timestamp: ISO, ...data },
    pixel_id: PIXEL,
    organization_id: ORG,
    visitor_id: ID,
    session_id: ID,
    event_url: url,
    ts: expect.any(Number),
    screen: [SCREEN.width, SCREEN.height],
    lang: 'en-US',
    title: TITLE,
    referrer: null,
    ...top,
  };
}

async function newPage(initScript?: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 720 },
    screen: SCREEN,
    locale: 'en-US',
  });
  contexts.push(context);
  if (initScript) await context.addInitScript(initScript);
  return context.newPage();
}

async function open(tag: string, query = '', initScript?: string) {
  const page = await newPage(initScript);
  const url = `${site()}/page?t=${tag}${query}`;
  await page.goto(url);
  await page.waitForFunction(() => 'delivr' in window && !Array.isArray((window as { delivr?: unknown }).delivr));
  return { page, url };
}

beforeAll(async () => {
  buildTracker();
  built = loadBuiltTracker();
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  home = mkdtempSync(join(tmpdir(), 'delivr-tracker-home-'));
  browser = await launchChromium(home);
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('pixel tracker in Chromium', () => {
  it('sends page_view on load as one text/plain object, keeping ids across a reload', async () => {
    const { page, url } = await open('load');
    const [first] = await waitForEvents('load', 1);
    expect(first).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }));

    const [post] = postsFor('load');
    expect(post?.contentType).toBe('text/plain;charset=UTF-8');
    expect(post?.origin).toBe(site());
    expect(JSON.parse(post?.body ?? '')).toEqual(first);

    // First-party cookies on the site's origin: the visitor for 400 days, the session for 30 minutes.
    const cookies = await page.context().cookies(site());
    const now = Date.now() / 1000;
    const visitor = cookies.find((c) => c.name === '_dlvr_v');
    const session = cookies.find((c) => c.name === '_dlvr_s');
    expect(visitor?.value).toBe(first?.visitor_id);
    expect(session?.value).toBe(first?.session_id);
    expect(visitor?.expires).toBeGreaterThan(now + 399 * 86_400);
    expect(session?.expires).toBeGreaterThan(now + 1_790);
    expect(session?.expires).toBeLessThan(now + 1_810);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);

    await page.reload();
    const events = await waitForEvents('load', 2);
    expect(events[1]).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }));
    expect(preflights).toEqual([]);
  });

  it('describes the clicked element, reporting the button around a clicked span, and ignores body', async () => {
    const { page, url } = await open('click');
    await page.click('#buy-label');
    await page.evaluate(() => document.body.click());
    const events = await waitForEvents('click', 2);
    expect(events[1]).toEqual(
      expected('click', url, {
        element: {
          tag: 'BUTTON',
          id: 'buy',
          classes: 'btn primary',
          text: 'Buy now',
          attributes: { href: null, name: 'buy-now', type: 'button' },
        },
      }),
    );
    await expectNoMoreEvents('click', 2);
  });

  it('sends form_submission with secrets masked and the email only as its SHA-256', async () => {
    const { page, url } = await open('form');
    await waitForEvents('form', 1);
    await page.fill('input[name=name]', 'Alice');
    await page.fill('input[name=contact]', '  Alice@Example.COM ');
    await page.fill('input[name=pw]', 'hunter2-secret');
    await page.fill('input[name=cc-number]', '4111 1111 1111 1111');
    await Promise.all([page.waitForURL('**/thanks'), page.click('#send')]);

    const events = await waitForEvents('form', 3);
    expect(events.map((e) => e.event_type)).toEqual(['page_view', 'click', 'form_submission']);
    expect(events[2]).toEqual(
      expected(
        'form_submission',
        url,
        {
          formId: 'signup',
          formData: { name: 'Alice', contact: '*****', pw: '*****', 'cc-number': '*****', newsletter: 'yes' },
        },
        { hem_sha256: sha256('alice@example.com') },
      ),
    );
    // The submit flushes at once, taking the pending click along as a batch.
    expect(JSON.parse(postsFor('form').at(-1)?.body ?? '')).toEqual({ events: [events[1], events[2]] });
    const everything = postsFor('form')
      .map((p) => p.body)
      .join('\n');
    // The card number in its typed form: a bare '4111' also turns up in random ids and times.
    for (const secret of ['hunter2', 'Alice@Example', 'alice@example', '4111 1111']) expect(everything).not.toContain(secret);
  });

  it('sends file_download with the file URL alongside the click', async () => {
    const { page, url } = await open('download');
    await page.click('#report');
    const events = await waitForEvents('download', 3);
    expect(events.map((e) => e.event_type)).toEqual(['page_view', 'click', 'file_download']);
    expect(events[2]).toEqual(expected('file_download', url, { url: `${site()}/files/report.pdf?v=2` }));
  });

  it('sends scroll_depth once, past half the page', async () => {
    const { page, url } = await open('scroll');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const events = await waitForEvents('scroll', 2);
    expect(events[1]).toEqual(expected('scroll_depth', url, { percentage: 100 }));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await expectNoMoreEvents('scroll', 2);
  });

  it("sends the page's meta description and first h1 with a page view, cut to 300 characters, empty when absent", async () => {
    const { url } = await open('bare', '&bare=1');
    const [event] = await waitForEvents('bare', 1);
    const heading = 'Long heading '.repeat(40).slice(0, 300);
    expect(event).toEqual(expected('page_view', url, { referrer: null, title: TITLE, description: '', heading }));
  });

  it('runs commands queued before load, then runs later pushes at once', async () => {
    const { page, url } = await open('queue', '&queue=1');
    const events = await waitForEvents('queue', 2);
    const site_ = { static_params: { site: 'docs' } };
    expect(events[0]).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE, ...site_ }));
    expect(events[1]).toEqual(expected('signup', url, { plan: 'pro', ...site_ }));
    // Both fell in one batch window.
    expect(JSON.parse(postsFor('queue')[0]?.body ?? '')).toEqual({ events });

    const aliases = await page.evaluate(() => {
      const w = window as unknown as { delivr: { push(...c: unknown[]): void; track(n: string, p?: object): void }; PixelSDK: unknown };
      w.delivr.push(['track', 'after_load', { n: 1 }]);
      w.delivr.track('direct', { n: 2 });
      return w.PixelSDK === w.delivr;
    });
    expect(aliases).toBe(true);
    const all = await waitForEvents('queue', 4);
    expect(all[2]).toEqual(expected('after_load', url, { n: 1, ...site_ }));
    expect(all[3]).toEqual(expected('direct', url, { n: 2, ...site_ }));
  });

  it('identify sends only the SHA-256 of the normalised email', async () => {
    const { page, url } = await open('identify');
    await page.evaluate(() => {
      const w = window as unknown as { delivr: { identify(u: { email?: string }): void } };
      w.delivr.identify({ email: '  Bob@Example.com ' });
      w.delivr.identify({});
    });
    const events = await waitForEvents('identify', 2);
    expect(events[1]).toEqual(expected('identify', url, {}, { hem_sha256: sha256('bob@example.com') }));
    await expectNoMoreEvents('identify', 2);
    expect(
      postsFor('identify')
        .map((p) => p.body)
        .join('\n'),
    ).not.toMatch(/bob@example/i);
  });

  it('sends page_view on pushState, hash changes and popstate, not on a same-URL replaceState', async () => {
    const { page, url } = await open('spa');
    const next = `${site()}/app/next?t=spa`;
    await page.evaluate(() => history.pushState({}, '', '/app/next?t=spa'));
    await page.evaluate(() => history.replaceState(history.state, '', location.href));
    await page.evaluate(() => {
      location.hash = 'details';
    });
    await page.waitForURL('**#details');
    await page.evaluate(() => history.back());
    await page.waitForURL(next);
    const events = await waitForEvents('spa', 4);
    const pageView = (at: string, referrer: string) => expected('page_view', at, { referrer, title: TITLE, ...PAGE }, { referrer });
    expect(events[1]).toEqual(pageView(next, url));
    expect(events[2]).toEqual(pageView(`${next}#details`, next));
    expect(events[3]).toEqual(pageView(next, `${next}#details`));
    await expectNoMoreEvents('spa', 4);
  });

  it('adds static_params from global and per-event params', async () => {
    const { page, url } = await open('params');
    await waitForEvents('params', 1);
    await page.evaluate(() => {
      type Api = {
        setGlobalParams(p: object): Api;
        setEventParams(t: string | string[], p: object, o?: { overwrite?: boolean }): Api;
        addParamsForEvents(t: string | string[], p: object): Api;
        track(n: string, p?: object): Api;
      };
      const delivr = (window as unknown as { delivr: Api }).delivr;
      delivr
        .setGlobalParams({ site: 'docs' })
        .setEventParams('custom', { plan: 'pro', tier: 1 })
        .addParamsForEvents(['custom', 'click'], { ab: 'B' })
        .track('custom', { step: 1 })
        .setEventParams('custom', { only: true }, { overwrite: true })
        .track('custom', { step: 2 })
        .track('plain');
    });
    await page.click('#buy');
    const events = await waitForEvents('params', 5);
    expect(events[1]).toEqual(expected('custom', url, { step: 1, static_params: { site: 'docs', plan: 'pro', tier: 1, ab: 'B' } }));
    expect(events[2]).toEqual(expected('custom', url, { step: 2, static_params: { site: 'docs', only: true } }));
    expect(events[3]).toEqual(expected('plain', url, { static_params: { site: 'docs' } }));
    expect(events[4]?.event_type).toBe('click');
    expect(events[4]?.event_data.static_params).toEqual({ site: 'docs', ab: 'B' });
  });

  it('with data-auto-init="false" stores and sends nothing until init(), and init() runs once', async () => {
    const { page, url } = await open('manual', '&auto=false');
    await page.evaluate(() => (window as unknown as { delivr: { track(n: string, p: object): void } }).delivr.track('early', { a: 1 }));
    await page.click('#buy');
    await expectNoMoreEvents('manual', 0);
    expect(posts.filter((p) => p.body.includes('t=manual'))).toEqual([]);
    expect(await page.evaluate(() => document.cookie)).not.toContain('_dlvr_');

    await page.evaluate(() => (window as unknown as { delivr: { init(): void } }).delivr.init());
    const events = await waitForEvents('manual', 2);
    expect(events[0]).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }));
    expect(events[1]).toEqual(expected('early', url, { a: 1 }));

    await page.evaluate(() => (window as unknown as { PixelSDK: { init(): void } }).PixelSDK.init());
    await expectNoMoreEvents('manual', 2);
  });

  const signals = {
    GPC: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });",
    DNT: "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });",
  };

  for (const [name, script] of Object.entries(signals)) {
    it(`sends nothing under ${name} when the pixel respects privacy signals`, async () => {
      const tag = `quiet${name}`;
      const { page } = await open(tag, `&pixel=${PRIVATE_PIXEL}`, script);
      await page.evaluate(() => {
        const delivr = (window as unknown as { delivr: { track(n: string): void; init(): void } }).delivr;
        delivr.track('custom');
        delivr.init();
        window.scrollTo(0, document.documentElement.scrollHeight);
      });
      await page.click('#buy');
      await expectNoMoreEvents(tag, 0);
      expect(posts.filter((p) => p.body.includes(`t=${tag}`))).toEqual([]);
      expect(await page.evaluate(() => document.cookie)).not.toContain('_dlvr_');
    });

    it(`still sends under ${name} when the pixel does not respect privacy signals`, async () => {
      const tag = `loud${name}`;
      const { url } = await open(tag, '', script);
      const [event] = await waitForEvents(tag, 1);
      expect(event).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }));
    });
  }

  it('sends normally on a respecting pixel when no signal is set', async () => {
    const { url } = await open('nosignal', `&pixel=${PRIVATE_PIXEL}`);
    const [event] = await waitForEvents('nosignal', 1);
    expect(event).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }, { pixel_id: PRIVATE_PIXEL }));
  });

  it('falls back to fetch without sendBeacon and retries a failed send', async () => {
    failOnce.add('retry');
    const { url } = await open('retry', '', "Object.defineProperty(Navigator.prototype, 'sendBeacon', { value: undefined });");
    const [event] = await waitForEvents('retry', 1, { timeoutMs: 8000 });
    expect(event).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }));
    const attempts = posts.filter((p) => p.body.includes('t=retry'));
    expect(attempts.map((p) => p.status)).toEqual([503, 200]);
    // The retry is the identical body, event_id included: the server stores the event once.
    expect(attempts[0]?.body).toBe(attempts[1]?.body);
    expect(attempts[1]?.contentType).toBe('text/plain;charset=UTF-8');
    expect(preflights).toEqual([]);
  });

  it('sends exit_intent once, copy, video events and user_idle after 30 s', async () => {
    const page = await newPage();
    await page.clock.install();
    const url = `${site()}/page?t=engage`;
    await page.goto(url);
    await page.evaluate(() => {
      const mouseout = () => document.dispatchEvent(new MouseEvent('mouseout', { clientY: -5, bubbles: true }));
      mouseout();
      mouseout();
      const heading = document.querySelector('h1');
      if (heading) getSelection()?.selectAllChildren(heading);
      document.dispatchEvent(new Event('copy', { bubbles: true }));
      const video = document.querySelector('video');
      for (const type of ['play', 'pause', 'ended']) video?.dispatchEvent(new Event(type));
    });
    await page.clock.runFor(31_000);
    const events = await waitForEvents('engage', 7);
    const src = { src: `${site()}/files/clip.mp4` };
    expect(events.slice(1)).toEqual([
      expected('exit_intent', url),
      expected('copy', url, { text: 'Test page' }),
      expected('video_play', url, src),
      expected('video_pause', url, src),
      expected('video_complete', url, src),
      expected('user_idle', url),
    ]);
    // Each event has its own id (only a retry repeats one).
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  });

  it('keeps one session while events come within 30 minutes of each other, then starts a new one', async () => {
    const { page } = await open('session');
    const [first] = await waitForEvents('session', 1);
    const track = (name: string) =>
      page.evaluate((n) => (window as unknown as { delivr: { track(n: string): void } }).delivr.track(n), name);
    const sessionCookie = async () => (await page.context().cookies(site())).find((c) => c.name === '_dlvr_s');
    const before = await sessionCookie();
    // Cookie expiry has one-second resolution: wait past it, then see the next event push it forward.
    await sleep(1_100);
    await track('same');
    await waitForEvents('session', 2);
    const after = await sessionCookie();
    expect(after?.value).toBe(first?.session_id);
    expect(after?.expires).toBeGreaterThan(before?.expires ?? Number.POSITIVE_INFINITY);
    // 30 minutes without an event: the browser drops the cookie (cleared here rather than waited for).
    await page.context().clearCookies({ name: '_dlvr_s' });
    await track('renewed');
    const events = await waitForEvents('session', 3, { oneSession: false });
    expect(events.map((e) => e.event_type)).toEqual(['page_view', 'same', 'renewed']);
    expect(events[2]?.session_id).toEqual(ID);
    expect(events[2]?.session_id).not.toBe(first?.session_id);
    expect(events[2]?.visitor_id).toBe(first?.visitor_id);
    expect((await sessionCookie())?.value).toBe(events[2]?.session_id);
  });

  it('a pixel with the default trackers sends page views (also on SPA navigation), form emails as HEMs and custom events, nothing else', async () => {
    const { page, url } = await open('lean', `&pixel=${DEFAULT_PIXEL}`);
    await page.click('#buy');
    await page.evaluate(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
      document.dispatchEvent(new Event('copy', { bubbles: true }));
      (window as unknown as { delivr: { track(n: string): void } }).delivr.track('custom');
      history.pushState({}, '', '/app/next?t=lean');
    });
    await waitForEvents('lean', 3);
    await page.fill('input[name=contact]', ' Lean@Example.com');
    await Promise.all([page.waitForURL('**/thanks'), page.click('#send')]);
    const events = await waitForEvents('lean', 4);
    expect(events[0]).toEqual(expected('page_view', url, { referrer: null, title: TITLE, ...PAGE }, { pixel_id: DEFAULT_PIXEL }));
    expect(events.map((e) => e.event_type)).toEqual(['page_view', 'custom', 'page_view', 'form_submission']);
    expect(events[3]).toMatchObject({ hem_sha256: sha256('lean@example.com'), pixel_id: DEFAULT_PIXEL });
    await expectNoMoreEvents('lean', 4);
  });
});
