// Turns the IAB source nodes into our catalog: categories → subcategories → topics, each topic with
// a B2B/B2C type, a description and keywords. Pure and deterministic: the same files give the same
// rows and the same ids on every start and every install, which is what lets stored intent signals
// and customers' audience filters keep pointing at the right topic. The rules are documented in
// docs/taxonomy.md; test/taxonomy/build.test.ts pins them.
import { createHash } from 'node:crypto';
import type { SourceNode } from './source.js';
import { KEEP_WHOLE_NAMES, TOPIC_SYNONYMS } from './synonyms.js';
import type { TopicType } from './tables.js';

export interface BuiltCategory {
  id: string;
  source_ref: string;
  name: string;
  description: string;
}

export interface BuiltSubcategory extends BuiltCategory {
  category_id: string;
}

export interface BuiltTopic {
  id: string;
  source_ref: string;
  category_id: string;
  subcategory_id: string;
  name: string;
  description: string;
  keywords: string[];
  topic_type: TopicType;
  /** Names from the category down to the topic's parent (for matching and for people reading it). */
  ancestors: string[];
  /** Purchase-intent topics describe buyers, not page subjects: the classifier treats them apart. */
  purchase_intent: boolean;
}

export interface BuiltCatalog {
  categories: BuiltCategory[];
  subcategories: BuiltSubcategory[];
  topics: BuiltTopic[];
}

/** Namespace of our name-based (v5) UUIDs: category and subcategory ids are UUIDs, as Delivr's are. */
const ID_NAMESPACE = '6f0c7a52-3f4e-4c1b-9a55-2d1e8b7c4a10';

/** RFC 9562 UUIDv5: SHA-1 of namespace + name, version and variant bits set. Same name, same id, everywhere. */
export function uuidv5(name: string, namespace = ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const topicIdOf = (n: Pick<SourceNode, 'source' | 'id'>): string => `${n.source}_${n.id}`;
const refOf = (n: Pick<SourceNode, 'source' | 'id'>): string => `${n.source}:${n.id}`;
const categoryIdOf = (n: SourceNode): string => uuidv5(`category:${refOf(n)}`);
const subcategoryIdOf = (n: SourceNode): string => uuidv5(`subcategory:${refOf(n)}`);

/** Audience Taxonomy branches (tier-1 ids). Demographic (age, income, household) is not what a page is about: left out. */
const AUDIENCE_INTEREST = '206';
const AUDIENCE_PURCHASE_INTENT = '752';

/**
 * B2B rule: a topic is B2B when it, or its nearest listed ancestor, is listed here as B2B; B2C
 * otherwise. "B2B" means the subject is running, equipping or selling to organizations; consumer
 * versions of the same things (a laptop, a home internet plan) are listed back as B2C exceptions.
 * Names are checked against the source files by a test, so a renumbered release fails loudly.
 */
export const TYPE_RULES: Record<string, { name: string; type: TopicType }> = {
  // Content Taxonomy 3.1
  'iab_ct:53': { name: 'Business', type: 'B2B' },
  'iab_ct:90': { name: 'Industries', type: 'B2B' },
  'iab_ct:597': { name: 'Artificial Intelligence', type: 'B2B' },
  'iab_ct:599': { name: 'Computing', type: 'B2B' },
  'iab_ct:601': { name: 'Computer Peripherals', type: 'B2C' },
  'iab_ct:605': { name: 'Shareware and Freeware', type: 'B2C' },
  'iab_ct:609': { name: 'Browsers', type: 'B2C' },
  'iab_ct:617': { name: 'Desktops', type: 'B2C' },
  'iab_ct:624': { name: 'Internet for Beginners', type: 'B2C' },
  'iab_ct:628': { name: 'Social Networking', type: 'B2C' },
  'iab_ct:630': { name: 'Laptops', type: 'B2C' },
  'iab_ct:638': { name: 'Robotics', type: 'B2B' },
  'iab_ct:448': { name: 'Industrial Property', type: 'B2B' },
  'iab_ct:450': { name: 'Office Property', type: 'B2B' },
  'iab_ct:130': { name: 'Remote Working', type: 'B2B' },
  'iab_ct:180': { name: 'Business Expos & Conferences', type: 'B2B' },
  'iab_ct:676': { name: 'Business Travel', type: 'B2B' },
  // Audience Taxonomy 1.1, Interest
  'iab_at:269': { name: 'Business', type: 'B2B' },
  'iab_at:305': { name: 'Industries', type: 'B2B' },
  'iab_at:688': { name: 'Artificial Intelligence', type: 'B2B' },
  'iab_at:690': { name: 'Computing', type: 'B2B' },
  'iab_at:696': { name: 'Internet for Beginners', type: 'B2C' },
  'iab_at:700': { name: 'Social Networking', type: 'B2C' },
  'iab_at:704': { name: 'Robotics', type: 'B2B' },
  // Audience Taxonomy 1.1, Purchase Intent
  'iab_at:871': { name: 'Business and Industrial', type: 'B2B' },
  'iab_at:890': { name: 'Laundry and Dry Cleaning Services', type: 'B2C' },
  'iab_at:896': { name: 'Photographers', type: 'B2C' },
  'iab_at:899': { name: 'Retail', type: 'B2C' },
  'iab_at:912': { name: 'Home Internet Services', type: 'B2C' },
  'iab_at:913': { name: 'Home Television Services', type: 'B2C' },
  'iab_at:914': { name: 'Home Phone Services', type: 'B2C' },
  'iab_at:915': { name: 'Mobile Phone Plans', type: 'B2C' },
  'iab_at:916': { name: 'Prepaid International Phone Services', type: 'B2C' },
  'iab_at:1429': { name: 'Agriculture and Farming Equipment', type: 'B2B' },
  'iab_at:1441': { name: 'Machinery', type: 'B2B' },
  'iab_at:1447': { name: 'Work Safety Protective Gear', type: 'B2B' },
  'iab_at:1506': { name: 'Logistics and Delivery', type: 'B2B' },
  'iab_at:1546': { name: 'Office Equipment and Supplies', type: 'B2B' },
  'iab_at:1586': { name: 'Commercial Real Estate', type: 'B2B' },
  'iab_at:1599': { name: 'Software', type: 'B2B' },
  'iab_at:1616': { name: 'Gaming Software', type: 'B2C' },
  'iab_at:1617': { name: 'Digital Goods and Currency', type: 'B2C' },
  'iab_at:1656': { name: 'Business Travel', type: 'B2B' },
  'iab_at:1657': { name: 'Taxi Services', type: 'B2C' },
  'iab_at:1658': { name: 'Ride-sharing Services', type: 'B2C' },
  'iab_at:1676': { name: 'Web Services', type: 'B2B' },
  'iab_at:1678': { name: 'Internet Providers', type: 'B2C' },
};

/** Trailing words that name the kind of thing, not the subject: "Antivirus Software" is about antivirus. */
const KIND_SUFFIX = /\s+(software|industry|services|service|equipment|supplies|products|apps|technologies|technology|systems)$/;

/**
 * Keyword phrases of a name: the whole name, its parts split at "&", "and", commas, slashes and
 * brackets (unless the name is one expression, like "Track and Field"), and each phrase without a
 * trailing kind word ("Antivirus Software" → "antivirus").
 */
export function namePhrases(name: string): string[] {
  const whole = name.toLowerCase().replace(/\s+/g, ' ').trim();
  const parts = KEEP_WHOLE_NAMES.has(name)
    ? []
    : whole
        .split(/\s*(?:&|\band\b|,|\/|\(|\)|;)\s*/)
        .map((p) => p.trim())
        .filter((p) => p.length > 1);
  const phrases = [whole, ...(parts.length > 1 ? parts : [])];
  for (const p of [...phrases]) {
    const bare = p.replace(KIND_SUFFIX, '');
    if (bare !== p && bare.length > 1) phrases.push(bare);
  }
  return [...new Set(phrases)];
}

interface Tree {
  byRef: Map<string, SourceNode>;
  children: Map<string, SourceNode[]>;
}

function treeOf(nodes: SourceNode[]): Tree {
  const byRef = new Map<string, SourceNode>();
  const children = new Map<string, SourceNode[]>();
  for (const n of nodes) {
    if (byRef.has(refOf(n))) throw new Error(`taxonomy source: duplicate id ${refOf(n)}`);
    byRef.set(refOf(n), n);
  }
  for (const n of nodes) {
    if (!n.parentId) continue;
    const parentRef = `${n.source}:${n.parentId}`;
    if (!byRef.has(parentRef)) throw new Error(`taxonomy source: ${refOf(n)} names a missing parent ${parentRef}`);
    const list = children.get(parentRef) ?? [];
    list.push(n);
    children.set(parentRef, list);
  }
  return { byRef, children };
}

/**
 * The chain from the root down to `n` (inclusive), by parent ids. The ids are the taxonomy's
 * relational structure; a few rows' tier-name columns disagree with them (Public Radio, 376), so the
 * tier columns are not used for structure.
 */
function lineage(tree: Tree, n: SourceNode): SourceNode[] {
  const chain: SourceNode[] = [n];
  let cur = n;
  while (cur.parentId) {
    const parent = tree.byRef.get(`${cur.source}:${cur.parentId}`) as SourceNode;
    chain.unshift(parent);
    cur = parent;
    if (chain.length > 10) throw new Error(`taxonomy source: cycle at ${refOf(n)}`);
  }
  return chain;
}

function typeOf(chain: SourceNode[]): TopicType {
  for (let i = chain.length - 1; i >= 0; i--) {
    const rule = TYPE_RULES[refOf(chain[i] as SourceNode)];
    if (rule) return rule.type;
  }
  return 'B2C';
}

const trail = (names: string[]): string => names.join(' > ');

export function buildCatalog(nodes: SourceNode[], synonyms: Record<string, readonly string[]> = TOPIC_SYNONYMS): BuiltCatalog {
  const tree = treeOf(nodes);
  const categories: BuiltCategory[] = [];
  const subcategories: BuiltSubcategory[] = [];
  const topics: BuiltTopic[] = [];
  const contentNames = new Set(nodes.filter((n) => n.source === 'iab_ct').map((n) => n.name.toLowerCase()));

  const addTopic = (
    n: SourceNode,
    chain: SourceNode[],
    category: BuiltCategory,
    subcategory: BuiltSubcategory,
    kind: 'content' | 'interest' | 'purchase',
  ) => {
    const id = topicIdOf(n);
    const parents = chain.slice(0, -1).map((c) => c.name);
    // In the audience branches the first name is the branch itself ("Interest", "Purchase Intent").
    const where = trail(parents);
    const description =
      kind === 'content'
        ? `Pages about ${n.name}, in ${where}.`
        : kind === 'interest'
          ? `People interested in ${n.name}, in ${where}.`
          : `People looking to buy ${n.name}, in ${where}.`;
    const parent = chain[chain.length - 2];
    const keywords = [...namePhrases(n.name), ...(synonyms[id] ?? []).map((s) => s.toLowerCase())];
    // The parent's name gives a leaf its context ("Cloud Computing" under "Internet"); top tiers are too broad to help.
    if (parent && chain.length > 2) keywords.push(parent.name.toLowerCase());
    topics.push({
      id,
      source_ref: refOf(n),
      category_id: category.id,
      subcategory_id: subcategory.id,
      name: n.name,
      description,
      keywords: [...new Set(keywords)],
      topic_type: typeOf(chain),
      ancestors: parents,
      purchase_intent: kind === 'purchase',
    });
  };

  // Content Taxonomy: tier 1 → category, tier 2 → subcategory, every node from tier 2 down → topic.
  // A tier-1 node without children is its own subcategory and topic, so no page subject is lost.
  const content = nodes.filter((n) => n.source === 'iab_ct');
  for (const top of content.filter((n) => !n.parentId)) {
    const category: BuiltCategory = {
      id: categoryIdOf(top),
      source_ref: refOf(top),
      name: top.name,
      description: `Pages about ${top.name} (IAB Tech Lab Content Taxonomy 3.1).`,
    };
    categories.push(category);
    const seconds = tree.children.get(refOf(top)) ?? [];
    if (seconds.length === 0) {
      const sub: BuiltSubcategory = {
        ...category,
        id: subcategoryIdOf(top),
        category_id: category.id,
        description: `Pages about ${top.name}.`,
      };
      subcategories.push(sub);
      addTopic(top, [top], category, sub, 'content');
      continue;
    }
    for (const second of seconds) {
      const sub: BuiltSubcategory = {
        id: subcategoryIdOf(second),
        source_ref: refOf(second),
        category_id: category.id,
        name: second.name,
        description: `Pages about ${second.name}, in ${top.name}.`,
      };
      subcategories.push(sub);
      for (const n of descendantsAndSelf(tree, second)) addTopic(n, lineage(tree, n), category, sub, 'content');
    }
  }

  // Audience Taxonomy: the Interest and Purchase Intent branches each become one category, their
  // tier-2 nodes subcategories. Interest segments that repeat a Content Taxonomy name are left out:
  // the content topic already stands for them, and two topics with one name would split the signal.
  for (const [branchId, kind] of [
    [AUDIENCE_INTEREST, 'interest'],
    [AUDIENCE_PURCHASE_INTENT, 'purchase'],
  ] as const) {
    const top = tree.byRef.get(`iab_at:${branchId}`);
    if (!top) throw new Error(`taxonomy source: audience branch ${branchId} is missing`);
    const category: BuiltCategory = {
      id: categoryIdOf(top),
      source_ref: refOf(top),
      name: top.name,
      description:
        kind === 'interest'
          ? 'Interest segments of the IAB Tech Lab Audience Taxonomy 1.1 that the Content Taxonomy does not already name.'
          : 'Purchase-intent segments of the IAB Tech Lab Audience Taxonomy 1.1: people looking to buy a product or service.',
    };
    let used = false;
    for (const second of tree.children.get(refOf(top)) ?? []) {
      const members = descendantsAndSelf(tree, second).filter((n) => kind === 'purchase' || !contentNames.has(n.name.toLowerCase()));
      if (members.length === 0) continue;
      const sub: BuiltSubcategory = {
        id: subcategoryIdOf(second),
        source_ref: refOf(second),
        category_id: category.id,
        name: second.name,
        description: `${kind === 'interest' ? 'Interest' : 'Purchase intent'}: ${second.name}.`,
      };
      subcategories.push(sub);
      used = true;
      for (const n of members) addTopic(n, lineage(tree, n), category, sub, kind);
    }
    if (used) categories.push(category);
  }

  const unknownSynonyms = Object.keys(synonyms).filter((id) => !topics.some((t) => t.id === id));
  if (unknownSynonyms.length > 0) throw new Error(`taxonomy synonyms name unknown topics: ${unknownSynonyms.join(', ')}`);
  return { categories, subcategories, topics };
}

function descendantsAndSelf(tree: Tree, n: SourceNode): SourceNode[] {
  const out: SourceNode[] = [n];
  for (const c of tree.children.get(refOf(n)) ?? []) out.push(...descendantsAndSelf(tree, c));
  return out;
}
