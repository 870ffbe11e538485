// The intent half of the analytics contract, run by contract.ts on every engine: classified pages are
// stored one per URL (a newer classification replaces the topics), page views count for a person
// through the visitor links at query time (retroactively, and following a visitor that moves to
// another person), for a company through its people's profiles whatever way the domain is written,
// bots, other event types, unclassified pages and other organizations never count, and the scores
// computed from what the engine returns are exactly the numbers score.ts gives for the same days.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AnalyticsStore, EventRow } from '../../src/analytics/types.js';
import { intentScore } from '../../src/intent/score.js';
import { BASELINE_DAYS, scoreSubjects } from '../../src/intent/signals.js';
import { type ClassifiedPage, DAY_MS, type IntentRange, type TopicDay } from '../../src/intent/types.js';
import { row, type Tenant, tenant } from './contract.js';

/** Day numbers (days since 1970) around the contract's T0. */
const D0 = Math.floor(Date.UTC(2026, 0, 15) / DAY_MS);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const page = (url: string, topics: [string, number][], over: Partial<ClassifiedPage> = {}): ClassifiedPage => ({
  url,
  title: `Title of ${url}`,
  description: '',
  heading: '',
  topics: topics.map(([topic_id, relevance]) => ({ topic_id, relevance })),
  version: 'v1',
  classified_at: 1000,
  ...over,
});

export function intentContract(s: AnalyticsStore): void {
  let seq = 0;
  /** A page view `day` days after D0 (at `hour`), numbered so event ids stay unique within the tenant. */
  const view = (t: Tenant, day: number, url: string, over: Partial<EventRow> = {}, hour = 10): EventRow =>
    row(t, ++seq, { ts_millis: (D0 + day) * DAY_MS + hour * 3_600_000 + seq, url, path: new URL(url).pathname, ...over });

  const range = (t: Tenant, subject: IntentRange['subject'], fromDay = D0 - 70, toDay = D0 + 30): IntentRange => ({
    organizationId: t.org,
    subject,
    fromDay,
    toDay,
  });
  const days = (rows: TopicDay[]) => rows.map((r) => [r.subject.slice(0, 8), r.topic_id, r.day - D0, r.views, r.weighted]);

  describe('intent: classified pages', () => {
    it('one row per URL: a newer classification replaces the topics; pagesNotAt lists pages of another version', async () => {
      const t = tenant();
      const ann = sha256('ann@pages.example');
      await s.savePages(t.org, [page('https://a.example/x', [['t1', 80]]), page('https://a.example/y', [['t2', 50]])]);
      await s.savePages(t.org, [page('https://a.example/x', [['t3', 60]], { version: 'v2', classified_at: 2000, title: 'New X' })]);
      await s.linkVisitors(t.org, [{ visitor_id: 'va', hem_sha256: ann, source: 'form', at: 0 }]);
      await s.appendEvents([
        view(t, 0, 'https://a.example/x', { visitor_id: 'va' }),
        view(t, 0, 'https://a.example/y', { visitor_id: 'va' }),
      ]);
      expect(days(await s.topicDays(range(t, { kind: 'person', hem: ann })))).toEqual([
        [ann.slice(0, 8), 't2', 0, 1, 50],
        [ann.slice(0, 8), 't3', 0, 1, 60],
      ]);
      expect(await s.pagesNotAt(t.org, 'v2', 10)).toEqual([
        { url: 'https://a.example/y', title: 'Title of https://a.example/y', description: '', heading: '' },
      ]);
      expect((await s.pagesNotAt(t.org, 'v3', 10)).map((p) => p.url)).toEqual(['https://a.example/x', 'https://a.example/y']);
      expect(await s.pagesNotAt(t.org, 'v3', 1)).toHaveLength(1);
      expect(await s.pagesNotAt(randomUUID(), 'v3', 10)).toEqual([]);
      // A page with no topics is stored (classified) and counts for nothing.
      await s.savePages(t.org, [page('https://a.example/y', [], { version: 'v2', classified_at: 3000 })]);
      expect(await s.pagesNotAt(t.org, 'v2', 10)).toEqual([]);
      expect(days(await s.topicDays(range(t, { kind: 'person', hem: ann })))).toEqual([[ann.slice(0, 8), 't3', 0, 1, 60]]);
    });
  });

  describe('intent: activity per person', () => {
    async function world() {
      const t = tenant();
      const ann = sha256('ann@intent.example');
      const bob = sha256('bob@intent.example');
      await s.savePages(t.org, [
        page('https://site.example/cloud', [
          ['cloud', 90],
          ['security', 45],
        ]),
        page('https://site.example/cloud-2', [['cloud', 70]]),
        page('https://site.example/golf', [['golf', 85]]),
      ]);
      // Another organization's pages and views of the same URLs never count here.
      const other = tenant();
      await s.savePages(other.org, [page('https://site.example/cloud', [['cloud', 100]])]);
      await s.appendEvents([
        view(t, -20, 'https://site.example/cloud', { visitor_id: 'v-ann' }),
        view(t, 0, 'https://site.example/cloud', { visitor_id: 'v-ann' }),
        view(t, 0, 'https://site.example/cloud', { visitor_id: 'v-ann' }, 11),
        view(t, 0, 'https://site.example/cloud-2', { visitor_id: 'v-ann2' }),
        view(t, -1, 'https://site.example/golf', { visitor_id: 'v-bob' }),
        // A server-side send without a visitor: resolved by its own HEM.
        view(t, -1, 'https://site.example/golf', { visitor_id: null, hem_sha256: ann }),
        // Never counted: a bot, another event type, an unclassified page, no URL.
        view(t, 0, 'https://site.example/cloud', { visitor_id: 'v-ann', is_bot: true }),
        view(t, 0, 'https://site.example/cloud', { visitor_id: 'v-ann', event_type: 'click' }),
        view(t, 0, 'https://site.example/unknown', { visitor_id: 'v-ann' }),
        view(t, 0, 'https://site.example/cloud', { visitor_id: 'v-ann', url: null }),
      ]);
      await s.appendEvents([view(other, 0, 'https://site.example/cloud', { visitor_id: 'v-ann' })]);
      return { t, ann, bob };
    }

    it('nothing before a link; a link counts the visitor’s earlier views too, per day and topic', async () => {
      const { t, ann } = await world();
      const a = ann.slice(0, 8);
      expect(days(await s.topicDays(range(t, { kind: 'person', hem: ann })))).toEqual([[a, 'golf', -1, 1, 85]]);
      await s.linkVisitors(t.org, [
        { visitor_id: 'v-ann', hem_sha256: ann, source: 'form', at: (D0 + 1) * DAY_MS },
        { visitor_id: 'v-ann2', hem_sha256: ann, source: 'identify', at: (D0 + 1) * DAY_MS },
      ]);
      expect(days(await s.topicDays(range(t, { kind: 'person', hem: ann })))).toEqual([
        [a, 'cloud', -20, 1, 90],
        [a, 'cloud', 0, 3, 250],
        [a, 'golf', -1, 1, 85],
        [a, 'security', -20, 1, 45],
        [a, 'security', 0, 2, 90],
      ]);
      // The day range and a topic list narrow it; an empty list matches nothing.
      expect(days(await s.topicDays({ ...range(t, { kind: 'person', hem: ann }, D0 - 1, D0), topicIds: ['cloud', 'nope'] }))).toEqual([
        [a, 'cloud', 0, 3, 250],
      ]);
      expect(await s.topicDays({ ...range(t, { kind: 'person', hem: ann }), topicIds: [] })).toEqual([]);
      expect(await s.firstDays(range(t, { kind: 'person', hem: ann }))).toEqual([{ subject: ann, day: D0 - 20 }]);
      expect(await s.firstDays(range(t, { kind: 'person', hem: ann }, D0 - 5))).toEqual([{ subject: ann, day: D0 - 1 }]);
      // Another organization knows nothing of it.
      expect(await s.topicDays({ ...range(t, { kind: 'person', hem: ann }), organizationId: randomUUID() })).toEqual([]);
    });

    it('a visitor that moves to another person takes its views along; unlinking takes them away', async () => {
      const { t, ann, bob } = await world();
      await s.linkVisitors(t.org, [{ visitor_id: 'v-ann', hem_sha256: ann, source: 'form', at: D0 * DAY_MS }]);
      await s.linkVisitors(t.org, [{ visitor_id: 'v-ann', hem_sha256: bob, source: 'form', at: (D0 + 2) * DAY_MS }]);
      expect(days(await s.topicDays({ ...range(t, { kind: 'person', hem: bob }), topicIds: ['cloud'] }))).toEqual([
        [bob.slice(0, 8), 'cloud', -20, 1, 90],
        [bob.slice(0, 8), 'cloud', 0, 2, 180],
      ]);
      expect(await s.topicDays({ ...range(t, { kind: 'person', hem: ann }), topicIds: ['cloud'] })).toEqual([]);
      await s.unlink(t.org, bob, 'v-ann');
      expect(await s.topicDays({ ...range(t, { kind: 'person', hem: bob }), topicIds: ['cloud'] })).toEqual([]);
    });

    it('the pages behind a person’s topic, most viewed first, with the stored title and relevance', async () => {
      const { t, ann } = await world();
      await s.linkVisitors(t.org, [
        { visitor_id: 'v-ann', hem_sha256: ann, source: 'form', at: D0 * DAY_MS },
        { visitor_id: 'v-ann2', hem_sha256: ann, source: 'form', at: D0 * DAY_MS },
      ]);
      const q = { ...range(t, { kind: 'person', hem: ann }, D0 - 6, D0), topicId: 'cloud', limit: 10 };
      expect(await s.topicPages(q)).toEqual([
        { url: 'https://site.example/cloud', title: 'Title of https://site.example/cloud', views: 2, relevance: 90 },
        { url: 'https://site.example/cloud-2', title: 'Title of https://site.example/cloud-2', views: 1, relevance: 70 },
      ]);
      expect(await s.topicPages({ ...q, limit: 1 })).toHaveLength(1);
      // Golf: the server-side send carrying Ann's HEM; tennis: nobody.
      expect((await s.topicPages({ ...q, topicId: 'golf' })).map((p) => p.url)).toEqual(['https://site.example/golf']);
      expect(await s.topicPages({ ...q, topicId: 'tennis' })).toEqual([]);
    });
  });

  describe('intent: companies, everyone, the organization', () => {
    async function world() {
      const t = tenant();
      const people = ['ann@acme.example', 'bob@acme.example', 'cat@other.example', 'dan@nowhere.example'].map(sha256);
      const [ann, bob, cat, dan] = people as [string, string, string, string];
      const profile = (email: string, company_domain: string | null) => ({
        hem_sha256: sha256(email),
        hem_md5: md5(email),
        hem_sha1: null,
        company_domain,
      });
      await s.mergeProfiles(
        t.org,
        [
          profile('ann@acme.example', 'https://www.Acme.example/about'),
          profile('bob@acme.example', ' acme.example '),
          profile('cat@other.example', 'other.example:443'),
          profile('dan@nowhere.example', null),
        ],
        1,
      );
      await s.linkVisitors(t.org, [
        { visitor_id: 'va', hem_sha256: ann, source: 'form', at: 1 },
        { visitor_id: 'vb', hem_sha256: bob, source: 'form', at: 1 },
        { visitor_id: 'vc', hem_sha256: cat, source: 'form', at: 1 },
        { visitor_id: 'vd', hem_sha256: dan, source: 'form', at: 1 },
      ]);
      await s.savePages(t.org, [page('https://s.example/crm', [['crm', 80]]), page('https://s.example/golf', [['golf', 60]])]);
      await s.appendEvents([
        view(t, -30, 'https://s.example/crm', { visitor_id: 'va' }),
        view(t, 0, 'https://s.example/crm', { visitor_id: 'va' }),
        view(t, 0, 'https://s.example/crm', { visitor_id: 'vb' }),
        view(t, -2, 'https://s.example/golf', { visitor_id: 'vc' }),
        view(t, -2, 'https://s.example/crm', { visitor_id: 'vd' }),
        view(t, -40, 'https://s.example/crm', { visitor_id: 'v-anonymous' }),
        view(t, -40, 'https://s.example/other', { visitor_id: null, hem_sha256: null }),
      ]);
      return { t, ann, bob, cat, dan };
    }

    it('a company is its people, however the domain is written', async () => {
      const { t } = await world();
      expect(await s.companyPeople(t.org, 'acme.example')).toBe(2);
      expect(await s.companyPeople(t.org, 'other.example')).toBe(1);
      expect(await s.companyPeople(t.org, 'nowhere.example')).toBe(0);
      expect(await s.companyPeople(randomUUID(), 'acme.example')).toBe(0);
      expect(days(await s.topicDays(range(t, { kind: 'company', domain: 'acme.example' })))).toEqual([
        ['acme.exa', 'crm', -30, 1, 80],
        ['acme.exa', 'crm', 0, 2, 160],
      ]);
      expect(await s.firstDays(range(t, { kind: 'company', domain: 'acme.example' }))).toEqual([{ subject: 'acme.example', day: D0 - 30 }]);
      const pages = await s.topicPages({ ...range(t, { kind: 'company', domain: 'acme.example' }, D0, D0), topicId: 'crm', limit: 5 });
      expect(pages).toEqual([{ url: 'https://s.example/crm', title: 'Title of https://s.example/crm', views: 2, relevance: 80 }]);
    });

    it('everyone at once: every person, every company, in one query each', async () => {
      const { t, ann, bob, cat, dan } = await world();
      const people = await s.topicDays({ ...range(t, { kind: 'people' }), topicIds: ['crm'] });
      const sorted = (rows: TopicDay[]) => [...rows].sort((x, y) => (x.subject + x.day < y.subject + y.day ? -1 : 1));
      expect(sorted(people).map((r) => [r.subject, r.day - D0, r.views, r.weighted])).toEqual(
        sorted([
          { subject: ann, topic_id: 'crm', day: D0 - 30, views: 1, weighted: 80 },
          { subject: ann, topic_id: 'crm', day: D0, views: 1, weighted: 80 },
          { subject: bob, topic_id: 'crm', day: D0, views: 1, weighted: 80 },
          { subject: dan, topic_id: 'crm', day: D0 - 2, views: 1, weighted: 80 },
        ]).map((r) => [r.subject, r.day - D0, r.views, r.weighted]),
      );
      expect((await s.firstDays(range(t, { kind: 'people' }))).length).toBe(4);
      expect(days(await s.topicDays(range(t, { kind: 'companies' })))).toEqual([
        ['acme.exa', 'crm', -30, 1, 80],
        ['acme.exa', 'crm', 0, 2, 160],
        ['other.ex', 'golf', -2, 1, 60],
      ]);
      expect(await s.firstDays(range(t, { kind: 'companies' }))).toEqual([
        { subject: 'acme.example', day: D0 - 30 },
        { subject: 'other.example', day: D0 - 2 },
      ]);
      expect(cat).toBeTruthy();
    });

    it('the organization: distinct readers (a visitor, or a HEM without one) and relevance per topic', async () => {
      const { t } = await world();
      expect(await s.organizationActivity(t.org, D0 - 60, D0)).toEqual({
        readers: 5,
        topics: [
          { topic_id: 'crm', weighted: 400 },
          { topic_id: 'golf', weighted: 60 },
        ],
      });
      expect(await s.organizationActivity(t.org, D0 - 60, D0 - 10, ['crm'])).toEqual({
        readers: 2,
        topics: [{ topic_id: 'crm', weighted: 160 }],
      });
      expect(await s.organizationActivity(t.org, D0 - 60, D0 - 10, [])).toEqual({ readers: 2, topics: [] });
      expect(await s.organizationActivity(randomUUID(), D0 - 60, D0)).toEqual({ readers: 0, topics: [] });
    });
  });

  describe('intent: scores from the engine', () => {
    it('are exactly what score.ts gives for the same days, for a person and for everyone', async () => {
      const t = tenant();
      const ann = sha256('ann@score.example');
      const bob = sha256('bob@score.example');
      await s.linkVisitors(t.org, [
        { visitor_id: 'va', hem_sha256: ann, source: 'form', at: 1 },
        { visitor_id: 'vb', hem_sha256: bob, source: 'form', at: 1 },
      ]);
      await s.savePages(t.org, [
        page('https://x.example/k8s', [['k8s', 87]]),
        page('https://x.example/k8s-2', [
          ['k8s', 64],
          ['cloud', 33],
        ]),
      ]);
      const events: EventRow[] = [];
      // Bob reads about Kubernetes now and then for weeks; Ann starts this week; strangers set the organization's rate.
      for (let d = -50; d <= -8; d += 6) events.push(view(t, d, 'https://x.example/k8s', { visitor_id: 'vb' }));
      for (let d = -50; d <= -10; d += 10) events.push(view(t, d, 'https://x.example/k8s-2', { visitor_id: `stranger-${d}` }));
      events.push(
        view(t, -3, 'https://x.example/k8s', { visitor_id: 'va' }),
        view(t, -1, 'https://x.example/k8s-2', { visitor_id: 'va' }),
        view(t, 0, 'https://x.example/k8s', { visitor_id: 'va' }),
        view(t, 0, 'https://x.example/k8s', { visitor_id: 'vb' }),
      );
      await s.appendEvents(events);

      const scores = await scoreSubjects(s, { organizationId: t.org, subject: { kind: 'people' }, asOfDay: D0, windowDays: 7 });
      // The same arithmetic from the known days, without any engine.
      const windowStart = D0 - 6;
      const readers = 1 + 5 + 0; // Bob and five strangers read before the window; Ann only inside it.
      const orgRate = (k: number) => k / 100 / readers / BASELINE_DAYS;
      const kRate = orgRate(8 * 87 + 5 * 64);
      const expectAnn = intentScore({
        days: [
          { day: D0 - 3, views: 1, weighted: 0.87 },
          { day: D0 - 1, views: 1, weighted: 0.64 },
          { day: D0, views: 1, weighted: 0.87 },
        ],
        asOfDay: D0,
        windowDays: 7,
        baselineDays: BASELINE_DAYS,
        firstSeenDay: D0 - 3,
        organizationDailyRate: kRate,
      });
      const bobDays = [-50, -44, -38, -32, -26, -20, -14, -8].map((d) => ({ day: D0 + d, views: 1, weighted: 0.87 }));
      const expectBob = intentScore({
        days: [...bobDays, { day: D0, views: 1, weighted: 0.87 }],
        asOfDay: D0,
        windowDays: 7,
        baselineDays: BASELINE_DAYS,
        firstSeenDay: D0 - 50,
        organizationDailyRate: kRate,
      });
      const k8s = scores.filter((x) => x.topic_id === 'k8s');
      expect(k8s).toEqual([
        { ...expectAnn, subject: ann, topic_id: 'k8s', organization_daily_rate: kRate },
        { ...expectBob, subject: bob, topic_id: 'k8s', organization_daily_rate: kRate },
      ]);
      // A new reader of three pages this week surges; a regular reader at their usual pace does not.
      expect(expectAnn.surging).toBe(true);
      expect(expectBob.intent_score).toBeLessThan(expectAnn.intent_score);
      expect(windowStart).toBe(D0 - 6);
      // One person alone gives the same numbers as everyone at once.
      const one = await scoreSubjects(s, { organizationId: t.org, subject: { kind: 'person', hem: ann }, asOfDay: D0, windowDays: 7 });
      expect(one.filter((x) => x.topic_id === 'k8s')).toEqual([k8s[0]]);
      // Cloud: Ann's one view at relevance 0.33 is in the window; the strangers' views set its rate.
      expect(one.find((x) => x.topic_id === 'cloud')?.organization_daily_rate).toBe(orgRate(5 * 33));
    });
  });
}
