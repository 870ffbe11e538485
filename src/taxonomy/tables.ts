// Table shapes of the taxonomy catalog (categories → subcategories → topics, custom topic requests
// and their reviews), merged into CatalogDb so the one Kysely instance types every query. Times are
// epoch ms; `organization_id` on a topic is null for the shared IAB-derived catalog and set for a
// custom topic that only that organization sees.

export type TopicType = 'B2B' | 'B2C';
export type CatalogStatus = 'active' | 'inactive';
export type TopicRequestStatus = 'waiting_for_approval' | 'accepted' | 'rejected';

/** What every node of the catalog has: a category, a subcategory, a topic. */
interface CatalogNode {
  id: string;
  /** Where the row comes from: `iab_ct:<id>` / `iab_at:<id>` (source taxonomy and node). */
  source_ref: string;
  name: string;
  description: string;
  status: CatalogStatus;
  created_at: number;
  updated_at: number | null;
}

export type TaxonomyCategoriesTable = CatalogNode;

export interface TaxonomySubcategoriesTable extends CatalogNode {
  category_id: string;
}

export interface TaxonomyTopicsTable extends CatalogNode {
  category_id: string | null;
  subcategory_id: string | null;
  /** null: the shared catalog; an organization id: that organization's accepted custom topic. */
  organization_id: string | null;
  /** JSON array of lowercase keyword phrases. */
  keywords: string;
  /** Lowercase name + keywords, for `search=` with a plain LIKE on both engines. */
  search_text: string;
  topic_type: TopicType;
}

export interface TaxonomyTopicRequestsTable {
  id: string;
  organization_id: string;
  /** The id the topic has once accepted (and under which its status is reported before that). */
  topic_id: string;
  name: string;
  description: string;
  keywords: string;
  category_id: string | null;
  subcategory_id: string | null;
  topic_type: TopicType;
  status: TopicRequestStatus;
  review_note: string | null;
  created_at: number;
  updated_at: number | null;
  reviewed_at: number | null;
}

export interface TaxonomyTopicReviewsTable {
  id: string;
  topic_request_id: string;
  organization_id: string;
  topic_id: string;
  status: TopicRequestStatus;
  note: string | null;
  created_at: number;
}

/** A marker per built source, so a restart on unchanged data skips the rebuild. */
export interface TaxonomyBuildsTable {
  name: string;
  fingerprint: string;
  built_at: number;
}

export interface TaxonomyTables {
  taxonomy_categories: TaxonomyCategoriesTable;
  taxonomy_subcategories: TaxonomySubcategoriesTable;
  taxonomy_topics: TaxonomyTopicsTable;
  taxonomy_topic_requests: TaxonomyTopicRequestsTable;
  taxonomy_topic_reviews: TaxonomyTopicReviewsTable;
  taxonomy_builds: TaxonomyBuildsTable;
}
