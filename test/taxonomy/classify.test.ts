// The page classifier on its own: what makes a page about a topic (named, not merely hinted),
// organization-scoped custom topics, the result cache, bounded work on hostile input, and the
// text helpers. Quality on the labelled sets is in classify-quality.test.ts.
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/taxonomy/build.js';
import { type ClassifiableTopic, classifiableOf, coverageOf, TopicClassifier } from '../../src/taxonomy/classify.js';
import { loadSources } from '../../src/taxonomy/source.js';
import { pathText, terms } from '../../src/taxonomy/text.js';

const catalog = buildCatalog(loadSources().nodes).topics.map(classifiableOf);
const ids = (c: TopicClassifier, page: Parameters<TopicClassifier['classify']>[0], org: string | null = null) =>
  c.classify(page, org).map((m) => m.topic_id);

const custom = (org: string, over: Partial<ClassifiableTopic> = {}): ClassifiableTopic => ({
  id: `custom_${org}`,
  name: 'Quantum Key Distribution',
  keywords: ['qkd', 'quantum cryptography'],
  ancestors: [],
  description: 'Hardware and networks that exchange encryption keys with quantum states.',
  purchase_intent: false,
  organization_id: org,
  ...over,
});

describe('TopicClassifier', () => {
  const c = new TopicClassifier(catalog);

  it('ranks the topic a page names, with a relevance in 0..1', () => {
    const r = c.classify({
      url: 'https://x.example/kubernetes',
      title: 'Managed Kubernetes on AWS',
      description: 'Run containers in the cloud.',
    });
    expect(r[0]?.topic_id).toBe('iab_ct_620');
    expect(r[0]?.relevance).toBeGreaterThan(0.5);
    expect(r[0]?.relevance).toBeLessThanOrEqual(1);
    for (const m of r) expect(m.relevance).toBeGreaterThan(0);
  });

  it('says nothing about a page that names no subject', () => {
    for (const title of ['Home', 'Pricing | Acme', 'Your cart', 'Sign in'])
      expect(ids(c, { url: 'https://acme.example/', title })).toEqual([]);
  });

  it('does not classify on a generic word or a partial name alone', () => {
    // "resources" is half of Human Resources, "managed" a generic word, "track" a verb.
    expect(ids(c, { url: 'https://x.example/', title: 'Free resources for managed teams' })).not.toContain('iab_ct_55');
    expect(ids(c, { url: 'https://x.example/', title: 'Track your orders' })).not.toContain('iab_ct_540');
    expect(coverageOf(terms('human resources'), new Set(terms('resources')))).toBe(0.5);
    expect(coverageOf(terms('business operations'), new Set(terms('business')))).toBe(0);
  });

  it('gives purchase-intent topics full weight only on pages that sell', () => {
    const relevance = (page: { url: string; title: string; description: string }) =>
      c.classify(page).find((m) => m.topic_id === 'iab_at_1677')?.relevance ?? 0;
    const explainer = relevance({
      url: 'https://x.example/blog/domains',
      title: 'What is a domain name?',
      description: 'How DNS and domain names work.',
    });
    const shop = relevance({
      url: 'https://x.example/domains',
      title: 'What is a domain name?',
      description: 'Register yours from $8.99 per year.',
    });
    expect(shop).toBeGreaterThan(0.5);
    expect(explainer).toBeLessThan(shop / 2);
  });

  it("classifies into an organization's custom topic only for that organization", () => {
    const k = new TopicClassifier(catalog);
    k.upsert(custom('org-a'));
    const page = { url: 'https://x.example/qkd', title: 'Quantum key distribution for banks', description: 'QKD networks explained.' };
    expect(ids(k, page, 'org-a')[0]).toBe('custom_org-a');
    expect(ids(k, page, 'org-b')).not.toContain('custom_org-a');
    expect(ids(k, page, null)).not.toContain('custom_org-a');
    k.remove('custom_org-a');
    expect(ids(k, page, 'org-a')).not.toContain('custom_org-a');
  });

  it('caches by page and forgets when topics change', () => {
    const k = new TopicClassifier(catalog, { cacheSize: 2 });
    const page = { url: 'https://x.example/qkd', title: 'Quantum key distribution', description: 'QKD' };
    const before = k.classify(page, 'org-a');
    expect(k.classify(page, 'org-a')).toBe(before);
    k.upsert(custom('org-a'));
    expect(k.classify(page, 'org-a')).not.toBe(before);
    expect(k.classify(page, 'org-a')[0]?.topic_id).toBe('custom_org-a');
  });

  it('bounds its work on hostile input (huge, odd or binary text) and never throws', () => {
    const huge = 'cloud kubernetes '.repeat(100_000);
    const t0 = performance.now();
    const r = c.classify({ url: `https://x.example/${'a/'.repeat(50_000)}`, title: huge, description: huge, heading: huge });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.length).toBeLessThanOrEqual(3);
    for (const title of ['\u0000\u202e🚀', '%E0%A4%A', 'x\ud800y', ''])
      expect(() => c.classify({ url: 'not a url %%%', title })).not.toThrow();
  });
});

describe('text helpers', () => {
  it('stems, drops stop words and expands the IT acronym', () => {
    expect(terms('Hosting the hosted hosts')).toEqual(['host', 'host', 'host']);
    expect(terms('Managed IT services')).toEqual(['manag', 'inform', 'technolog', 'servic']);
    expect(terms('it is what it is')).toEqual([]);
  });

  it('reads the words of a URL path, without host, query, ids or section names', () => {
    expect(pathText('https://www.example.com/blog/cloud-cost_tips.html?utm=x#y')).toBe('cloud cost tips');
    expect(pathText('https://x.example/p/3f9a2b7c1d/docs/12345/serverless')).toBe('serverless');
    expect(pathText('::::')).toBe('');
  });
});
