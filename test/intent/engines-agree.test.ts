// Scores are the same numbers on DuckDB and ClickHouse for the same events: one generated workload
// (people with several visitors, links that move, server-side sends with a HEM, bots, companies
// written several ways, 70 days of reading across topics) is written to both engines, and every
// score of every person, every company and the organization's rates are compared for exact
// equality. The contract suite checks each engine against score.ts; this checks them against each
// other on a workload too large to write out by hand. Needs CLICKHOUSE_URL.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import type { AnalyticsStore, EventRow } from '../../src/analytics/types.js';
import type { NewLink, ProfilePatch } from '../../src/identity/types.js';
import { explainTopic, organizationRates, scoreSubjects, windowsOf } from '../../src/intent/signals.js';
import { type ClassifiedPage, DAY_MS } from '../../src/intent/types.js';
import { seededRandom } from '../../src/platform/random.js';

const serverUrl = process.env.CLICKHOUSE_URL;
if (!serverUrl) console.log('[intent engines agree] skipped, set CLICKHOUSE_URL (see scripts/clickhouse-start.sh)');
const database = `delivr_agree_${Date.now()}_${randomUUID().slice(0, 8)}`;

const AS_OF = Math.floor(Date.UTC(2026, 2, 1) / DAY_MS);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function workload(org: string) {
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
  const profiles: ProfilePatch[] = people.map((e) => ({
    hem_sha256: sha256(e),
    hem_md5: md5(e),
    hem_sha1: null,
    company_domain: pick(domains),
  }));
  const links: NewLink[] = [];
  const events: EventRow[] = [];
  const pixel = randomUUID();
  let n = 0;
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
    const visitors = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, k) => `v-${i}-${k}`);
    for (const v of visitors) links.push({ visitor_id: v, hem_sha256: hem, source: 'form', at: 1 + i });
    const start = AS_OF - 1 - Math.floor(rnd() * 69);
    const views = Math.floor(rnd() * 40);
    for (let k = 0; k < views; k++) {
      const day = start + Math.floor(rnd() * (AS_OF - start + 1));
      events.push(event(day, rnd() < 0.1 ? null : pick(visitors), rnd() < 0.1 ? hem : null));
    }
    // A burst this week for some.
    if (rnd() < 0.3) for (let k = 0; k < 6; k++) events.push(event(AS_OF - Math.floor(rnd() * 3), pick(visitors), null));
  }
  // Strangers, bots, clicks, a visitor that moves to another person later.
  for (let k = 0; k < 200; k++) events.push(event(AS_OF - Math.floor(rnd() * 70), `stranger-${k % 37}`, null));
  for (let k = 0; k < 30; k++)
    events.push(
      event(AS_OF - Math.floor(rnd() * 10), 'v-0-0', null, { is_bot: rnd() < 0.5, event_type: rnd() < 0.5 ? 'click' : 'page_view' }),
    );
  links.push({ visitor_id: 'v-1-0', hem_sha256: sha256('p2@w.example'), source: 'identify', at: 10_000 });
  return { pages, profiles, links, events };
}

async function fill(s: AnalyticsStore, org: string): Promise<void> {
  const w = workload(org);
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

describe.skipIf(!serverUrl)('intent scores: DuckDB and ClickHouse agree exactly', () => {
  const org = randomUUID();
  const dir = mkdtempSync(join(tmpdir(), 'delivr-agree-'));
  const duck = new DuckDbAnalyticsStore(join(dir, 'a.duckdb'));
  let ch: ClickHouseAnalyticsStore;

  beforeAll(async () => {
    const url = new URL(serverUrl ?? '');
    url.pathname = `/${database}`;
    ch = new ClickHouseAnalyticsStore(url.toString());
    await Promise.all([duck.init(), ch.init()]);
    await Promise.all([fill(duck, org), fill(ch, org)]);
  }, 120_000);

  afterAll(async () => {
    await duck.close();
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
    const url = new URL(serverUrl ?? '');
    url.pathname = '/';
    const admin = createClient({ url: url.toString() });
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await admin.close();
  });

  for (const windowDays of [1, 7, 14]) {
    it(`every person and every company, window ${windowDays}`, async () => {
      for (const subject of [{ kind: 'people' as const }, { kind: 'companies' as const }]) {
        const req = { organizationId: org, subject, asOfDay: AS_OF, windowDays };
        const [a, b] = await Promise.all([scoreSubjects(duck, req), scoreSubjects(ch, req)]);
        expect(a.length).toBeGreaterThan(subject.kind === 'people' ? 10 : 1);
        expect(b).toEqual(a);
        expect(a.some((x) => x.surging)).toBe(true);
      }
    });
  }

  it('one person, one company and their explanations, and the organization’s rates', async () => {
    const w = windowsOf(AS_OF, 7);
    expect(await organizationRates(ch, org, w)).toEqual(await organizationRates(duck, org, w));
    for (const subject of [
      { kind: 'person' as const, hem: sha256('p2@w.example') },
      { kind: 'person' as const, hem: sha256('p5@w.example') },
      { kind: 'company' as const, domain: 'acme.example' },
    ]) {
      const req = { organizationId: org, subject, asOfDay: AS_OF, windowDays: 7 };
      const [a, b] = await Promise.all([scoreSubjects(duck, req), scoreSubjects(ch, req)]);
      expect(b).toEqual(a);
      for (const topicId of ['t-cloud', 't-golf']) {
        const e = { ...req, topicId, pageLimit: 100 };
        expect(await explainTopic(ch, e)).toEqual(await explainTopic(duck, e));
      }
    }
  });
});
