// Page classification: what a page is about, from what it says about itself (title, meta
// description, first heading, URL path), as ranked topics with a relevance in 0..1. Never fetches
// the page: the server only sees what the tracker sent, so a public endpoint cannot be turned into a
// request-forgery tool against customers' networks.
//
// Method (measured on test/taxonomy/labelled-pages.json by bench/classify.ts):
//  1. MiniSearch (BM25+) indexes each topic's name, keywords (name parts + our synonym list) and,
//     weakly, its parents' names; pages and topics go through the same stemming (text.ts).
//  2. Each page field is searched on its own and weighted (title > heading > path > description).
//  3. A topic must be *named* by the page: the share of one of its name or keyword phrases that the
//     page contains ("coverage") scales the score, so "resources" alone is not Human Resources and
//     a parent's name alone never classifies a page into each of its children.
//  4. Purchase Intent topics (buyers, not subjects) count fully only on pages that sell something.
//  5. Results within a fraction of the best one are kept (at most `limit`), so a clear page gets
//     one or two topics rather than three guesses.
// Results are cached per organization and page in a bounded LRU.
import MiniSearch, { type SearchResult } from 'minisearch';
import QuickLRU from 'quick-lru';
import { GENERIC_TERMS, pathText, terms, words } from './text.js';

export interface ClassifiableTopic {
  id: string;
  name: string;
  /** Keyword phrases (name parts, synonyms, customer keywords). */
  keywords: readonly string[];
  /** Names of the topic's category and parents, for context only. */
  ancestors: readonly string[];
  /** Free text that describes the topic (customer topics); empty for the IAB-derived ones. */
  description: string;
  purchase_intent: boolean;
  /** null: the shared catalog; otherwise only this organization's pages are classified into it. */
  organization_id: string | null;
}

export interface PageInput {
  url: string;
  title: string;
  description?: string | null;
  heading?: string | null;
}

export interface TopicMatch {
  topic_id: string;
  name: string;
  /** 0..1: how strongly the page is about the topic (used to weight intent activity). */
  relevance: number;
}

/**
 * Bump when a change here classifies pages differently: stored page topics of an older revision are
 * classified again (src/intent). The catalog's own changes are noticed without it.
 */
export const CLASSIFIER_REVISION = 1;

/** Inputs are cut to these lengths: a page says what it is about early, and the cost stays bounded. */
export const PAGE_LIMITS = { url: 2000, title: 300, description: 500, heading: 300 } as const;

const FIELD_WEIGHTS = { title: 1, heading: 0.8, path: 0.6, description: 0.55 } as const;
const INDEX_BOOST = { name: 3, keywords: 2, description: 1, context: 0.25 };
/** A Purchase Intent topic on a page with no sign of buying: kept only if nothing else fits. */
const NON_COMMERCIAL_PURCHASE_FACTOR = 0.15;
/** Share of a name or keyword phrase a page must contain: both words of a two-word name, two of three. */
const MIN_COVERAGE = 0.6;
/** Keep results scoring at least this share of the best one. */
const KEEP_RATIO = 0.45;
/** Below this, nothing is said about the page. */
const MIN_SCORE = 10;
/** relevance = 1 - exp(-score / RELEVANCE_SCALE): the median best match on the labelled set lands near 0.8. */
const RELEVANCE_SCALE = 100;

const COMMERCE =
  /\b(buy|shop|shopping|price|prices|pricing|plans?|quotes?|sale|for sale|rent|rental|lease|leasing|order|deals?|discount|coupon|trial|demo|book|booking|tickets?|subscribe|subscription|hire|compare|cheap|affordable|save|shipping|delivery|delivered|checkout|request a quote)\b|[$€£]\s?\d|\d+\s?% off/i;

interface IndexedTopic {
  id: string;
  name: string;
  keywords: string;
  context: string;
  description: string;
}

interface TopicInfo {
  topic: ClassifiableTopic;
  /** Stemmed term sets of the name and of each keyword phrase. */
  phrases: string[][];
}

export class TopicClassifier {
  private readonly index: MiniSearch<IndexedTopic>;
  private readonly info = new Map<string, TopicInfo>();
  private readonly cache: QuickLRU<string, TopicMatch[]>;

  constructor(topics: readonly ClassifiableTopic[], opts: { cacheSize?: number } = {}) {
    this.index = new MiniSearch<IndexedTopic>({
      fields: ['name', 'keywords', 'context', 'description'],
      storeFields: [],
      tokenize: (text) => words(text),
      processTerm: (w) => terms(w)[0] ?? null,
      searchOptions: { boost: INDEX_BOOST, combineWith: 'OR' },
    });
    this.cache = new QuickLRU({ maxSize: opts.cacheSize ?? 5000 });
    for (const t of topics) this.add(t);
  }

  get size(): number {
    return this.info.size;
  }

  has(topicId: string): boolean {
    return this.info.has(topicId);
  }

  /** Adds or replaces a topic (a customer's accepted topic); cached results are dropped. */
  upsert(topic: ClassifiableTopic): void {
    if (this.info.has(topic.id)) this.index.discard(topic.id);
    this.info.delete(topic.id);
    this.add(topic);
    this.cache.clear();
  }

  remove(topicId: string): void {
    if (!this.info.has(topicId)) return;
    this.index.discard(topicId);
    this.info.delete(topicId);
    this.cache.clear();
  }

  private add(t: ClassifiableTopic): void {
    const phrases = [t.name, ...t.keywords].map((p) => [...new Set(terms(p))]).filter((p) => p.length > 0);
    this.info.set(t.id, { topic: t, phrases });
    this.index.add({
      id: t.id,
      name: t.name,
      keywords: t.keywords.join(' ; '),
      context: t.ancestors.join(' ; '),
      description: t.description,
    });
  }

  /** Ranked topics for a page, for `organizationId` (its custom topics included) or the shared catalog only. */
  classify(page: PageInput, organizationId: string | null = null, limit = 3): TopicMatch[] {
    const p = {
      url: page.url.slice(0, PAGE_LIMITS.url),
      title: page.title.slice(0, PAGE_LIMITS.title),
      description: (page.description ?? '').slice(0, PAGE_LIMITS.description),
      heading: (page.heading ?? '').slice(0, PAGE_LIMITS.heading),
    };
    const key = `${organizationId ?? ''}\u0000${limit}\u0000${p.url}\u0000${p.title}\u0000${p.description}\u0000${p.heading}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const result = this.rank(p, organizationId, limit);
    this.cache.set(key, result);
    return result;
  }

  private rank(
    p: Required<PageInput> & { description: string; heading: string },
    organizationId: string | null,
    limit: number,
  ): TopicMatch[] {
    const fields: [keyof typeof FIELD_WEIGHTS, string][] = [
      ['title', p.title],
      ['heading', p.heading],
      ['path', pathText(p.url)],
      ['description', p.description],
    ];
    const pageTerms = new Set<string>();
    for (const [, text] of fields) for (const t of terms(text)) pageTerms.add(t);
    if (pageTerms.size === 0) return [];
    const visible = (r: SearchResult): boolean => {
      const owner = this.info.get(r.id as string)?.topic.organization_id ?? null;
      return owner === null || owner === organizationId;
    };
    const scores = new Map<string, number>();
    for (const [field, text] of fields) {
      if (!text.trim()) continue;
      for (const r of this.index.search(text, { filter: visible })) {
        scores.set(r.id as string, (scores.get(r.id as string) ?? 0) + r.score * FIELD_WEIGHTS[field]);
      }
    }
    const commercial = COMMERCE.test(`${p.title} ${p.description} ${p.heading} ${pathText(p.url)}`);
    const ranked: { info: TopicInfo; score: number }[] = [];
    for (const [id, raw] of scores) {
      const info = this.info.get(id) as TopicInfo;
      const coverage = Math.max(0, ...info.phrases.map((ph) => coverageOf(ph, pageTerms)));
      if (coverage < MIN_COVERAGE) continue;
      let score = raw * coverage * coverage;
      if (info.topic.purchase_intent && !commercial) score *= NON_COMMERCIAL_PURCHASE_FACTOR;
      ranked.push({ info, score });
    }
    ranked.sort((a, b) => b.score - a.score || a.info.topic.id.localeCompare(b.info.topic.id));
    const best = ranked[0]?.score ?? 0;
    if (best < MIN_SCORE) return [];
    return ranked
      .filter((r) => r.score >= best * KEEP_RATIO)
      .slice(0, limit)
      .map((r) => ({
        topic_id: r.info.topic.id,
        name: r.info.topic.name,
        relevance: Math.round((1 - Math.exp(-r.score / RELEVANCE_SCALE)) * 100) / 100,
      }));
  }
}

/**
 * How much of a phrase the page contains (0..1). Generic words ("managed", "business", "platform")
 * count only beside a specific one: a phrase matched by generic words alone does not count.
 */
export function coverageOf(phrase: readonly string[], pageTerms: ReadonlySet<string>): number {
  let matched = 0;
  let specific = false;
  for (const t of phrase) {
    if (!pageTerms.has(t)) continue;
    matched++;
    if (!GENERIC_TERMS.has(t)) specific = true;
  }
  if (!specific && matched < phrase.length) return 0;
  if (phrase.length === 1 && GENERIC_TERMS.has(phrase[0] as string)) return 0;
  return matched / phrase.length;
}

/** A topic of the built IAB catalog as the classifier sees it (its parent's name is context, not a keyword). */
export function classifiableOf(t: {
  id: string;
  name: string;
  keywords: readonly string[];
  ancestors: readonly string[];
  purchase_intent: boolean;
}): ClassifiableTopic {
  const parents = new Set(t.ancestors.map((a) => a.toLowerCase()));
  return {
    id: t.id,
    name: t.name,
    keywords: t.keywords.filter((k) => !parents.has(k)),
    ancestors: t.ancestors,
    description: '',
    purchase_intent: t.purchase_intent,
    organization_id: null,
  };
}
