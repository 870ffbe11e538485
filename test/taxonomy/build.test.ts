// The catalog builder: the shape of the built catalog, the B2B/B2C rule and its named anchors, the
// keyword derivation, and that ids are a pure function of the source files (stable across restarts
// and installs; pinned here so a change that would renumber customers' topics fails).
import { describe, expect, it } from 'vitest';
import { buildCatalog, namePhrases, TYPE_RULES, uuidv5 } from '../../src/taxonomy/build.js';
import { loadSources, parseAudienceTaxonomy, parseContentTaxonomy } from '../../src/taxonomy/source.js';
import { TOPIC_SYNONYMS } from '../../src/taxonomy/synonyms.js';

const { nodes, fingerprint } = loadSources();
const built = buildCatalog(nodes);
const byId = new Map(built.topics.map((t) => [t.id, t]));

describe('catalog builder', () => {
  it('reads both IAB files completely', () => {
    expect(nodes.filter((n) => n.source === 'iab_ct').length).toBe(704);
    expect(nodes.filter((n) => n.source === 'iab_at').length).toBe(1558);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('makes categories → subcategories → topics, every link resolving, no id twice', () => {
    expect(built.categories.length).toBe(39);
    expect(built.subcategories.length).toBe(373);
    expect(built.topics.length).toBe(1619);
    const cats = new Set(built.categories.map((c) => c.id));
    const subs = new Map(built.subcategories.map((s) => [s.id, s]));
    for (const s of built.subcategories) expect(cats.has(s.category_id)).toBe(true);
    for (const t of built.topics) {
      expect(subs.get(t.subcategory_id)?.category_id, t.id).toBe(t.category_id);
      expect(t.keywords.length, t.id).toBeGreaterThan(0);
      expect(t.description.length, t.id).toBeGreaterThan(10);
    }
    for (const list of [built.categories, built.subcategories, built.topics]) expect(new Set(list.map((x) => x.id)).size).toBe(list.length);
  });

  it('gives stable, readable ids: topics from the source id, categories as name-based UUIDs', () => {
    const cloud = byId.get('iab_ct_620');
    expect(cloud?.name).toBe('Cloud Computing');
    expect(cloud?.ancestors).toEqual(['Technology & Computing', 'Computing', 'Internet']);
    expect(byId.get('iab_ct_W3CW2J')?.name).toBe('Productivity');
    expect(byId.get('iab_at_1679')?.name).toBe('Web Hosting and Cloud Computing');
    // Pinned: changing these would break stored signals and customers' filters.
    expect(cloud?.category_id).toBe('e418cebd-4349-56e5-9ba7-cea19d274b31');
    expect(cloud?.subcategory_id).toBe('43aef2af-073c-5475-a1cb-6810f6b368c5');
    expect(uuidv5('category:iab_ct:596')).toBe(cloud?.category_id);
    expect(buildCatalog(loadSources().nodes)).toEqual(built);
  });

  it('leaves out Demographic segments and Interest segments that repeat a content topic', () => {
    expect(built.topics.some((t) => t.ancestors[0] === 'Demographic')).toBe(false);
    const contentNames = new Set(built.topics.filter((t) => t.id.startsWith('iab_ct_')).map((t) => t.name.toLowerCase()));
    const interest = built.topics.filter((t) => t.ancestors[0] === 'Interest');
    expect(interest.length).toBeGreaterThan(50);
    for (const t of interest) expect(contentNames.has(t.name.toLowerCase()), t.name).toBe(false);
    expect(built.topics.filter((t) => t.purchase_intent).every((t) => t.ancestors[0] === 'Purchase Intent')).toBe(true);
  });

  it('types topics by the documented rule, whose anchors name real nodes', () => {
    const names = new Map(nodes.map((n) => [`${n.source}:${n.id}`, n.name]));
    for (const [ref, rule] of Object.entries(TYPE_RULES)) expect(names.get(ref), ref).toBe(rule.name);
    const type = (id: string) => byId.get(id)?.topic_type;
    expect(type('iab_ct_620')).toBe('B2B'); // Cloud Computing, under Computing
    expect(type('iab_ct_630')).toBe('B2C'); // Laptops: a consumer exception under Computing
    expect(type('iab_ct_55')).toBe('B2B'); // Human Resources, under Business
    expect(type('iab_ct_216')).toBe('B2C'); // Cooking
    expect(type('iab_at_917')).toBe('B2B'); // Business Telecom Services
    expect(type('iab_at_915')).toBe('B2C'); // Mobile Phone Plans
    expect(built.topics.filter((t) => t.topic_type === 'B2B').length).toBe(158);
  });

  it('derives keywords from the name, its parts, its parent and the synonym list', () => {
    expect(namePhrases('Business Banking & Finance')).toEqual(['business banking & finance', 'business banking', 'finance']);
    expect(namePhrases('Antivirus Software')).toEqual(['antivirus software', 'antivirus']);
    expect(namePhrases('Track and Field')).toEqual(['track and field']);
    const cloud = byId.get('iab_ct_620');
    expect(cloud?.keywords).toEqual(expect.arrayContaining(['cloud computing', 'kubernetes', 'internet']));
    for (const id of Object.keys(TOPIC_SYNONYMS)) expect(byId.has(id), id).toBe(true);
    expect(() => buildCatalog(nodes, { iab_ct_999999: ['x'] })).toThrow(/unknown topics/);
  });

  it('parses the two file layouts', () => {
    const ct = parseContentTaxonomy('group\t\t\nUnique ID\tParent\tName\tTier 1\n1\t\tTop\tTop\n2\t1\tChild\tTop\tChild\n');
    expect(ct).toEqual([
      { source: 'iab_ct', id: '1', parentId: null, name: 'Top', path: ['Top'] },
      { source: 'iab_ct', id: '2', parentId: '1', name: 'Child', path: ['Top', 'Child'] },
    ]);
    const at = parseAudienceTaxonomy('\tUnique ID\tParent ID\tCondensed\tTier 1\tTier 2\r\n\t9\t\tX*\tPurchase Intent*\t\r\n');
    expect(at).toEqual([{ source: 'iab_at', id: '9', parentId: null, name: 'Purchase Intent', path: ['Purchase Intent'] }]);
  });
});
