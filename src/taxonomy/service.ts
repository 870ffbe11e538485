// The taxonomy capability: builds the shared catalog at start (idempotently) and keeps it in the
// catalog database, answers the Taxonomy API's listings, runs the custom topic request workflow, and
// classifies pages for an organization (its accepted custom topics included). Returns values or
// throws catalogue errors; the HTTP edge only shapes them.

import { createHash } from 'node:crypto';
import { fail } from '../platform/errors.js';
import { type BuiltCatalog, buildCatalog } from './build.js';
import {
  CLASSIFIER_REVISION,
  type ClassifiableTopic,
  classifiableOf,
  type PageInput,
  TopicClassifier,
  type TopicMatch,
} from './classify.js';
import { loadSources } from './source.js';
import type { TaxonomyStore, TopicRequestInput, TopicRequestRow } from './store.js';
import type { TaxonomyTopicsTable } from './tables.js';

/** How long a process trusts its copy of the custom topics before re-reading them (another process may have accepted one). */
const CUSTOM_TOPICS_TTL_MS = 10_000;

const customOf = (t: Pick<TaxonomyTopicsTable, 'id' | 'name' | 'keywords' | 'description' | 'organization_id'>): ClassifiableTopic => ({
  id: t.id,
  name: t.name,
  keywords: JSON.parse(t.keywords) as string[],
  ancestors: [],
  description: t.description,
  purchase_intent: false,
  organization_id: t.organization_id,
});

let shipped: BuiltCatalog | undefined;
/** The catalog built from the files shipped in vendor/iab-taxonomy, once per process (pure and deterministic). */
export const shippedCatalog = (): BuiltCatalog => {
  shipped ??= buildCatalog(loadSources().nodes);
  return shipped;
};

export class TaxonomyService {
  private built: BuiltCatalog | null = null;
  private classifier: TopicClassifier | null = null;
  private customLoadedAt = Number.NEGATIVE_INFINITY;
  private customIds = new Set<string>();
  /** Accepted custom topics by id: their owner and name (for intent's answers and classifier versions). */
  private customTopics = new Map<string, { organization_id: string; name: string }>();
  private catalogFingerprint = '';
  /** classifierVersion's answers, valid for one `customTopics` map (a refresh or a review replaces it). */
  private versions = new Map<string, string>();
  private versionsOf: ReadonlyMap<string, unknown> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly store: TaxonomyStore,
    private readonly now: () => number = Date.now,
  ) {}

  // Reads the routes serve as they are; the store stays behind the service.
  readonly listCategories = (...a: Parameters<TaxonomyStore['listCategories']>) => this.store.listCategories(...a);
  readonly countCategories = (...a: Parameters<TaxonomyStore['countCategories']>) => this.store.countCategories(...a);
  readonly getCategory = (...a: Parameters<TaxonomyStore['getCategory']>) => this.store.getCategory(...a);
  readonly listSubcategories = (...a: Parameters<TaxonomyStore['listSubcategories']>) => this.store.listSubcategories(...a);
  readonly countSubcategories = (...a: Parameters<TaxonomyStore['countSubcategories']>) => this.store.countSubcategories(...a);
  readonly getSubcategory = (...a: Parameters<TaxonomyStore['getSubcategory']>) => this.store.getSubcategory(...a);
  readonly listTopics = (...a: Parameters<TaxonomyStore['listTopics']>) => this.store.listTopics(...a);
  readonly countTopics = (...a: Parameters<TaxonomyStore['countTopics']>) => this.store.countTopics(...a);
  readonly getTopic = (...a: Parameters<TaxonomyStore['getTopic']>) => this.store.getTopic(...a);
  readonly listTopicRequests = (...a: Parameters<TaxonomyStore['listTopicRequests']>) => this.store.listTopicRequests(...a);
  readonly countTopicRequests = (...a: Parameters<TaxonomyStore['countTopicRequests']>) => this.store.countTopicRequests(...a);
  readonly getTopicRequestByTopic = (...a: Parameters<TaxonomyStore['getTopicRequestByTopic']>) => this.store.getTopicRequestByTopic(...a);
  readonly listReviews = (...a: Parameters<TaxonomyStore['listReviews']>) => this.store.listReviews(...a);

  /** Builds the catalog from the shipped IAB files and brings the database in line; cheap when nothing changed. */
  async start(built: BuiltCatalog = shippedCatalog()): Promise<{ changed: boolean }> {
    const result = await this.store.syncCatalog(built, this.now());
    this.built = built;
    this.catalogFingerprint = createHash('sha256')
      .update(JSON.stringify([CLASSIFIER_REVISION, built.topics.map((t) => [t.id, t.name, t.keywords, t.ancestors, t.purchase_intent])]))
      .digest('hex')
      .slice(0, 12);
    return result;
  }

  private async refreshCustomTopics(): Promise<void> {
    const classifier = this.requireClassifier();
    const rows = await this.store.listCustomTopics();
    const seen = new Set<string>();
    const topics = new Map<string, { organization_id: string; name: string }>();
    for (const row of rows) {
      seen.add(row.id);
      if (row.organization_id) topics.set(row.id, { organization_id: row.organization_id, name: row.name });
      if (!this.customIds.has(row.id)) classifier.upsert(customOf(row));
    }
    for (const id of this.customIds) if (!seen.has(id)) classifier.remove(id);
    this.customIds = seen;
    this.customTopics = topics;
    this.customLoadedAt = this.now();
  }

  private customTopicsStale(): boolean {
    return this.now() - this.customLoadedAt > CUSTOM_TOPICS_TTL_MS;
  }

  private async freshCustomTopics(): Promise<void> {
    if (this.customTopicsStale()) {
      this.refreshing ??= this.refreshCustomTopics().finally(() => {
        this.refreshing = null;
      });
      await this.refreshing;
    }
  }

  /**
   * Names what classifies an organization's pages: the shipped catalog (and the classifier's
   * revision) and that organization's accepted custom topics. A page classified under another
   * version is classified again (intent does that), so a newly accepted topic also covers pages
   * read before it existed.
   */
  /** classifierVersion's answer when it is known and current, without waiting (ingest's fast path); undefined otherwise. */
  knownClassifierVersion(organizationId: string): string | undefined {
    if (this.customTopicsStale() || this.versionsOf !== this.customTopics) return undefined;
    return this.versions.get(organizationId);
  }

  async classifierVersion(organizationId: string): Promise<string> {
    await this.freshCustomTopics();
    if (this.versionsOf !== this.customTopics) {
      this.versions.clear();
      this.versionsOf = this.customTopics;
    }
    let version = this.versions.get(organizationId);
    if (version === undefined) {
      const own = [...this.customTopics].filter(([, t]) => t.organization_id === organizationId).map(([id]) => id);
      version =
        own.length === 0
          ? this.catalogFingerprint
          : `${this.catalogFingerprint}:${createHash('sha256').update(own.sort().join(',')).digest('hex').slice(0, 12)}`;
      this.versions.set(organizationId, version);
    }
    return version;
  }

  /** Names of topics the organization sees, from memory (the catalog, its custom topics); unknown ids are left out. */
  async topicNames(organizationId: string, ids: readonly string[]): Promise<Map<string, string>> {
    await this.freshCustomTopics();
    const out = new Map<string, string>();
    const wanted = new Set(ids);
    for (const t of this.built?.topics ?? []) if (wanted.has(t.id)) out.set(t.id, t.name);
    for (const id of wanted) {
      const custom = this.customTopics.get(id);
      if (custom && custom.organization_id === organizationId) out.set(id, custom.name);
    }
    return out;
  }

  /** The index is built on first use (about 0.2 s), so processes and tests that never classify do not pay for it. */
  private requireClassifier(): TopicClassifier {
    if (!this.classifier) {
      if (!this.built) throw new Error('TaxonomyService.start() has not run');
      this.classifier = new TopicClassifier(this.built.topics.map(classifiableOf));
    }
    return this.classifier;
  }

  /**
   * Topics a page is about, for an organization (its custom topics included), best first. Uses only
   * what the page says about itself; never fetches it.
   */
  async classify(page: PageInput, organizationId: string | null = null, limit = 3): Promise<TopicMatch[]> {
    await this.freshCustomTopics();
    return this.requireClassifier().classify(page, organizationId, limit);
  }

  // Topic requests

  /** Checks that the named category and subcategory exist and agree; fills the category from the subcategory. */
  async resolvePlacement(
    categoryId: string | null,
    subcategoryId: string | null,
  ): Promise<{ category_id: string | null; subcategory_id: string | null }> {
    if (subcategoryId !== null) {
      const sub = await this.store.getSubcategory(subcategoryId);
      if (!sub) throw fail('invalid_parameters', 'subcategory_id does not name a subcategory');
      if (categoryId !== null && sub.category_id !== categoryId) throw fail('invalid_parameters', 'subcategory_id is not in category_id');
      return { category_id: sub.category_id, subcategory_id: sub.id };
    }
    if (categoryId !== null && !(await this.store.getCategory(categoryId)))
      throw fail('invalid_parameters', 'category_id does not name a category');
    return { category_id: categoryId, subcategory_id: null };
  }

  async createTopicRequest(organizationId: string, input: TopicRequestInput): Promise<TopicRequestRow> {
    const placement = await this.resolvePlacement(input.category_id, input.subcategory_id);
    return this.store.createTopicRequest(organizationId, { ...input, ...placement }, this.now());
  }

  async updateTopicRequest(organizationId: string, id: string, patch: Partial<TopicRequestInput>): Promise<TopicRequestRow> {
    const current = await this.store.getTopicRequest(organizationId, id);
    if (!current) throw fail('topic_request_not_found');
    if (current.status !== 'waiting_for_approval') throw fail('topic_request_closed', `this request was ${current.status}`);
    const merged: TopicRequestInput = {
      name: patch.name ?? current.name,
      description: patch.description ?? current.description,
      keywords: patch.keywords ?? (JSON.parse(current.keywords) as string[]),
      category_id: patch.category_id !== undefined ? patch.category_id : current.category_id,
      subcategory_id: patch.subcategory_id !== undefined ? patch.subcategory_id : current.subcategory_id,
      topic_type: patch.topic_type ?? current.topic_type,
    };
    // A new category without a new subcategory drops the old subcategory rather than contradicting it.
    if (patch.category_id !== undefined && patch.subcategory_id === undefined) merged.subcategory_id = null;
    const placement = await this.resolvePlacement(merged.category_id, merged.subcategory_id);
    const updated = await this.store.updateTopicRequest(organizationId, id, { ...merged, ...placement }, this.now());
    if (!updated) throw fail('topic_request_closed', 'this request was reviewed meanwhile');
    return updated;
  }

  async getTopicRequest(organizationId: string, id: string): Promise<TopicRequestRow> {
    const row = await this.store.getTopicRequest(organizationId, id);
    if (!row) throw fail('topic_request_not_found');
    return row;
  }

  /** The operator accepts or rejects a waiting request; an accepted one becomes the organization's topic at once. */
  async review(id: string, decision: 'accepted' | 'rejected', note: string | null) {
    const result = await this.store.reviewTopicRequest(id, decision, note, this.now());
    if (!result) {
      const existing = await this.store.getTopicRequestById(id);
      throw existing ? fail('topic_request_closed', `this request was ${existing.status}`) : fail('topic_request_not_found');
    }
    if (result.topic && this.classifier) {
      this.classifier.upsert(customOf(result.topic));
      this.customIds.add(result.topic.id);
      if (result.topic.organization_id) {
        // A new map, so classifierVersion's answers are computed again.
        this.customTopics = new Map(this.customTopics).set(result.topic.id, {
          organization_id: result.topic.organization_id,
          name: result.topic.name,
        });
      }
    }
    return result;
  }
}
