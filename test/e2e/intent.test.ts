// Acceptance for intent, in a real browser: a site on another origin carries the pixel (page views
// and forms). A visitor reads three pages about one subject (titles, descriptions and headings
// written for this test) and one unrelated page, then identifies themselves with a form. The
// Intent API (key + secret) lists that subject's topic first, with the highest score and
// `surging: true`, and explain lists exactly those three pages; a second visitor who read one such
// page once scores lower. Nothing here waits for time: each step waits for the pixel's
// acknowledgement, after which the page is classified and the event durable.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTACT_FORM, type SitePage, startSite, type TestSite, visitor } from '../support/site.js';
import { createKey, newTenant, projectAndPixel } from '../support/tenant.js';
import { type Dashboard, skipReason, startDashboard } from '../web/support.js';

const reason = skipReason();
if (reason) console.log(`intent e2e: ${reason}`);

const CLOUD = 'iab_ct_620';
const PAGES: Record<string, SitePage> = {
  '/cloud/basics': {
    title: 'Cloud computing basics for small teams',
    description: 'What cloud computing is, and how it replaces the servers in your office.',
    heading: 'Cloud computing basics',
  },
  '/cloud/migration': {
    title: 'Moving your servers to cloud computing',
    description: 'How to migrate workloads to cloud computing, step by step.',
    heading: 'Cloud migration',
  },
  '/cloud/costs': {
    title: 'Why cloud computing bills grow',
    description: 'How teams keep their cloud computing bills small.',
    heading: 'Cloud computing costs',
  },
  '/recipes/banana-bread': {
    title: "Grandma's banana bread recipe",
    description: 'A moist banana bread with walnuts, baked in an hour.',
    heading: 'Banana bread',
  },
  '/contact': {
    title: 'Contact us',
    description: 'Write to us and we answer within a day.',
    heading: 'Contact',
    body: CONTACT_FORM,
  },
};

describe.skipIf(reason !== null)('pixel → page topics → intent scores', () => {
  let d: Dashboard;
  let site: TestSite;
  let read: ReturnType<typeof visitor>['read'];
  let identify: ReturnType<typeof visitor>['identify'];
  let key: { apiKey: string; apiSecret: string };

  beforeAll(async () => {
    d = await startDashboard();
    const tenant = await newTenant(d.t);
    key = await createKey(d.t, tenant);
    // Forms identify the visitor; a new pixel sends page views only.
    const { pixelId } = await projectAndPixel(d.t, tenant, { trackers: ['spa', 'forms'] });
    site = await startSite(PAGES, `${d.url}/pixels/${pixelId}/p.js`);
    ({ read, identify } = visitor(site));
  }, 120_000);

  afterAll(async () => {
    await site?.close();
    await d?.close();
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(d.url + path, { headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const hemOf = (email: string) => createHash('sha256').update(email).digest('hex');

  it('a reader of several pages on one subject surges on its topic; explain lists exactly those pages; one page scores lower', async () => {
    const ann = await d.newPage();
    for (const path of ['/cloud/basics', '/cloud/migration', '/recipes/banana-bread', '/cloud/costs']) await read(ann, path);
    await identify(ann, 'Ann.Reader@Acme.example');
    const bob = await d.newPage();
    await read(bob, '/cloud/costs');
    await identify(bob, 'bob.glance@acme.example');

    interface Topic {
      topic_id: string;
      name: string;
      intent_score: number;
      intent_frequency: number;
      surging: boolean;
    }
    const annIntent = await api<{ topics: Topic[] }>(`/api/v1/intent?hem=${hemOf('ann.reader@acme.example')}&window_days=7`);
    const [top, ...others] = annIntent.topics;
    expect(top).toMatchObject({ topic_id: CLOUD, name: 'Cloud Computing', intent_frequency: 3, surging: true });
    expect(others.length).toBeGreaterThan(0);
    for (const o of others) expect(o.intent_score, o.name).toBeLessThan(top?.intent_score ?? 0);
    // The unrelated page counts for its own subject, not for this one.
    expect(others.map((o) => o.name)).toContain('Desserts and Baking');

    const explained = await api<{ intent_score: number; pages: { url: string; title: string; count: number }[] }>(
      `/api/v1/intent/explain?hem=${hemOf('ann.reader@acme.example')}&topic_id=${CLOUD}&window_days=7`,
    );
    expect(explained.intent_score).toBe(top?.intent_score);
    expect(explained.pages.map((p) => [p.url, p.title, p.count]).sort()).toEqual(
      ['/cloud/basics', '/cloud/costs', '/cloud/migration'].map((path) => [`${site.url}${path}`, PAGES[path]?.title, 1]),
    );

    const bobIntent = await api<{ topics: Topic[] }>(`/api/v1/intent?hem=${hemOf('bob.glance@acme.example')}`);
    const bobCloud = bobIntent.topics.find((t) => t.topic_id === CLOUD);
    expect(bobCloud).toMatchObject({ intent_frequency: 1 });
    expect(bobCloud?.intent_score).toBeLessThan(top?.intent_score ?? 0);
  }, 90_000);
});
