// A generated organization for tests that compare two ways of computing the same thing (DuckDB
// against ClickHouse, SQL against score.ts): people with several visitors, links that move,
// server-side sends with a HEM, bots, companies written several ways, profiles with missing fields
// and awkward text (quotes, backslashes, control characters, emoji) and some people with none,
// 70 days of reading across topics with bursts this week. Half the visitor ids have the tracker's
// form (32 hex digits: DuckDB keys them, duckdb-visitor-key.ts), half are a server's own text.
import { createHash, randomUUID } from 'node:crypto';
import type { AnalyticsStore, EventRow } from '../../src/analytics/types.js';
import type { NewLink, ProfilePatch } from '../../src/identity/types.js';
import { type ClassifiedPage, DAY_MS } from '../../src/intent/types.js';
import { seededRandom } from '../../src/platform/random.js';

/** The workload's last day: 2026-03-01. */
export const WORKLOAD_AS_OF = Math.floor(Date.UTC(2026, 2, 1) / DAY_MS);
const AS_OF = WORKLOAD_AS_OF;
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Visitor ids: half in the tracker's form (`mixed`), or every one, with no page view lacking one (`tracker`). */
export type VisitorIds = 'mixed' | 'tracker';

export function workload(org: string, ids: VisitorIds = 'mixed') {
  const rnd = seededRandom(20260301);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const topics = ['t-cloud', 't-crm', 't-golf', 't-security', 't-baking'];
  const pages: ClassifiedPage[] = Array.from({ length: 40 }, (_, i) => {
    const n = 1 + Math.floor(rnd() * 3);
    const chosen = [...new Set(Array.from({ length: n }, () => pick(topics)))];
    return {
      url: `https://w.example/p${i}`,
      title: `Page ${i}`,
      description: '',
      heading: '',
      topics: chosen.map((topic_id) => ({ topic_id, relevance: 10 + Math.floor(rnd() * 91) })),
      version: 'v',
      classified_at: 1,
    };
  });
  const domains = ['acme.example', 'https://www.ACME.example/', 'globex.example:8443', 'initech.example', null];
  const people = Array.from({ length: 30 }, (_, i) => `p${i}@w.example`);
  const names = ['Ann', 'Zoë "Z"', 'Back\\slash', 'Tab\there', 'Line\nbreak', 'Ctl\u0001x', '😀 Émile', null];
  // The last four people have links and page views but no profile.
  const profiles: ProfilePatch[] = people.slice(0, 26).map((e) => ({
    hem_sha256: sha256(e),
    hem_md5: md5(e),
    hem_sha1: null,
    company_domain: pick(domains),
    seniority_level: pick(['cxo', 'vp', 'director', 'manager', 'staff', null]),
    company_employee_count: rnd() < 0.2 ? null : Math.floor(rnd() * 2000),
    first_name: pick(names),
  }));
  const links: NewLink[] = [];
  const events: EventRow[] = [];
  const pixel = randomUUID();
  let n = 0;
  // A person's visitors alternate between the two forms of id; so do strangers.
  const vid = (name: string, n: number): string => (n % 2 === 1 || ids === 'tracker' ? md5(name) : name);
  const event = (day: number, visitor: string | null, hem: string | null, over: Partial<EventRow> = {}): EventRow => {
    const ts = day * DAY_MS + Math.floor(rnd() * DAY_MS);
    n++;
    return {
      event_id: `e-${String(n).padStart(6, '0')}`,
      event_type: 'page_view',
      ts_millis: ts,
      received_millis: ts,
      organization_id: org,
      project_id: 'proj',
      pixel_id: pixel,
      visitor_id: visitor,
      session_id: null,
      url: pick(pages).url,
      path: null,
      referrer: null,
      title: null,
      user_agent: null,
      browser: null,
      os: null,
      device_type: null,
      ip: null,
      language: null,
      screen_width: null,
      screen_height: null,
      utm_source: null,
      utm_medium: null,
      utm_campaign: null,
      utm_term: null,
      utm_content: null,
      event_data: null,
      is_bot: false,
      resolved: hem !== null,
      hem_sha256: hem,
      country: null,
      region: null,
      city: null,
      asn: null,
      network_org: null,
      network_type: null,
      description: null,
      heading: null,
      ...over,
    };
  };
  for (const [i, email] of people.entries()) {
    const hem = sha256(email);
    const visitors = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, k) => vid(`v-${i}-${k}`, i + k));
    for (const v of visitors) links.push({ visitor_id: v, hem_sha256: hem, source: 'form', at: 1 + i });
    const start = AS_OF - 1 - Math.floor(rnd() * 69);
    const views = Math.floor(rnd() * 40);
    for (let k = 0; k < views; k++) {
      const day = start + Math.floor(rnd() * (AS_OF - start + 1));
      const anonymous = rnd() < 0.1 && ids === 'mixed';
      events.push(event(day, anonymous ? null : pick(visitors), rnd() < 0.1 ? hem : null));
    }
    // A burst this week for some.
    if (rnd() < 0.3) for (let k = 0; k < 6; k++) events.push(event(AS_OF - Math.floor(rnd() * 3), pick(visitors), null));
  }
  // Strangers, bots, clicks, a visitor that moves to another person later.
  for (let k = 0; k < 200; k++) events.push(event(AS_OF - Math.floor(rnd() * 70), vid(`stranger-${k % 37}`, k % 37), null));
  for (let k = 0; k < 30; k++)
    events.push(
      event(AS_OF - Math.floor(rnd() * 10), vid('v-0-0', 0), null, {
        is_bot: rnd() < 0.5,
        event_type: rnd() < 0.5 ? 'click' : 'page_view',
      }),
    );
  // A keyed visitor (v-1-0) moves.
  links.push({ visitor_id: vid('v-1-0', 1), hem_sha256: sha256('p2@w.example'), source: 'identify', at: 10_000 });
  return { pages, profiles, links, events };
}

/** Writes the workload of `org` to a store. */
export async function fillWorkload(s: AnalyticsStore, org: string, ids: VisitorIds = 'mixed'): Promise<void> {
  const w = workload(org, ids);
  await s.mergeProfiles(org, w.profiles, 1);
  await s.linkVisitors(
    org,
    w.links.filter((l) => l.at < 10_000),
  );
  await s.linkVisitors(
    org,
    w.links.filter((l) => l.at >= 10_000),
  );
  await s.savePages(org, w.pages);
  await s.appendEvents(w.events);
}
